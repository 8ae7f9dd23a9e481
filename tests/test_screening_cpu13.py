"""Issue #16 (screen13): entries out of reach are not aligned, with the same answers.

* ``name_at_most`` (a bound from each listed token's partners, without pairing the tokens) is never below
  ``name_similarity``, for names of every script the screener reads: the screener drops an entry it puts out of reach of
  close_match without aligning it, so a bound below the similarity would drop a listed name silently.
* The screener gives the same hits with the bound as without it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.model.names import analyse_name
from finguard.screening.service import NameScreener, ScreenQuery
from finguard.screening.service import matcher as m
from finguard.screening.service.similarity import PairMemo, Prepared, bounds_prune, name_at_most, name_similarity, prepare

NAMES = [
    "Kelly Brown DVM",
    "BROWN, Kelly",
    "Erin Martin",
    "MARTIN, Erin Louise",
    "A Ahmd",
    "AHMAD, Abdul",
    "Amin SHRR",
    "SHARIF, Amin",
    "Abu Ali AL HKM",
    "AL-HAKIM, Abu Ali",
    "'Abd-al-Nasir 'Ali MHMMD",
    "MUHAMMAD, Abd al-Nasir Ali",
    "JAYSH AL-MUHAJIRIN WAL-ANSAR",
    "ATTRNSPRTS TERRESTRES S.A. DE C.V.",
    "AUTOTRANSPORTES TERRESTRES S.A. DE C.V.",
    "Abdulrahman Hassan",
    "Abdul Rahman HASSAN",
    "Xi Jinping",
    "Xijinping",
    "ZHANG, Wei",
    "Wei Zhang Ming",
    "N. T. HEATH",
    "HEATH, Noel Timothy",
    "Bill Smith",
    "SMITH, William",
    "Snow Storm 1",
    "Snow Storm 2",
    "אדם בן שושן",
    "ADAM, Ben Shoshan",
    "טום אלסייד",
    "AL-SAYYID, Tom",
    "מאיר אדלר",
    "ADLER, Meir",
    "محمد علي",
    "MUHAMMAD, Ali",
    "يوسف عباس",
    "ABBES, Youcef",
    "三浦 浩",
    "MIURA, Hiroshi",
    "後藤 拓真",
    "GOTO, Takuma",
    "晁玉珍",
    "CHAO, Yuzhen",
    "Марфа Евгеньевна Тимофеева",
    "TIMOFEEVA, Marfa Evgenevna",
    "Хсиен Ченг Чоу",
    "CHOU, Hsien Cheng",
    "Hsien CHOU",
    "Τσιρώνης-Ζορμπάς Ο.Ε.",
    "TSIRONIS ZORBAS OE",
    "Корпоракион Акс Традинг С.А.С.",
    "CORPORACION AX TRADING S.A.S.",
    "이유진",
    "LEE, Yu Jin",
    "弗拉基米尔·普京",
    "Vladimir PUTIN",
    "Huawei Technologies Co., Ltd.",
    "HUAWEI TECHNOLOGIES CO LTD",
    "MUHAMMAD GROUP",
    "Martin LLC",
]


def _prepared(name: str) -> list[Prepared]:
    return prepare(analyse_name(name, None).variants)


def _check(query: str, listed: str, memo: PairMemo) -> None:
    q, c = _prepared(query), _prepared(listed)
    if not q or not c:
        return
    sim = name_similarity(q, c)[0]
    assert name_at_most(q, c, memo) >= sim - 1e-9, (query, listed, sim)
    assert name_at_most(q, c, {}) >= sim - 1e-9, (query, listed, sim)


def test_bound_is_never_below_the_similarity() -> None:
    for query in NAMES:
        memo: PairMemo = {}  # one query's memo across its candidates, as the screener keeps it
        for listed in NAMES:
            _check(query, listed, memo)


WORDS = [
    "ali", "ahmad", "ahmd", "mohammed", "muhammad", "mhmmd", "abd", "al", "rahman", "abdulrahman", "hassan", "hsn",
    "kelly", "brown", "martin", "erin", "smith", "bill", "william", "wei", "zhang", "xi", "jinping", "xijinping", "li",
    "yu", "jin", "lee", "kim", "n", "t", "a", "heath", "noel", "timothy", "trading", "ltd", "co", "group", "sa", "de",
    "cv", "1", "2", "storm", "snow", "tsironis", "zorbas", "zormpas", "o", "e", "marfa", "timofeeva", "timofeyeva",
    "shrr", "sharif", "amin", "ben", "adam", "shoshan", "miura", "hiroshi", "goto", "takuma", "chao", "yuzhen",
]  # fmt: skip
SCRIPT = ["محمد", "علي", "يوسف", "عباس", "אדם", "בן", "שושן", "מאיר", "三浦", "浩", "晁玉珍", "Марфа", "Тимофеева", "이유진", "Ο.Ε."]


def _name() -> st.SearchStrategy[str]:
    word = st.sampled_from(WORDS).map(lambda w: w.upper() if len(w) > 3 else w.capitalize())
    latin = st.lists(word, min_size=1, max_size=4).flatmap(
        lambda ws: st.sampled_from([" ".join(ws), f"{ws[0]}, {' '.join(ws[1:])}".rstrip(", "), ". ".join(ws), "-".join(ws)])
    )
    script = st.lists(st.sampled_from(SCRIPT), min_size=1, max_size=3).map(" ".join)
    return st.one_of(latin, script, st.sampled_from(NAMES))


@settings(max_examples=600, deadline=None)
@given(query=_name(), listed=st.lists(_name(), min_size=1, max_size=4))
def test_bound_is_never_below_the_similarity_on_random_pairs(query: str, listed: list[str]) -> None:
    """Any pair, the memo shared across a query's candidates as in the screener (partners and bounds kept)."""
    memo: PairMemo = {}
    for name in listed:
        _check(query, name, memo)


def _screener() -> NameScreener:
    s = NameScreener()
    orgs = ("S.A.", "LTD", "GROUP", "LLC", "O.E.", "JAYSH")
    for i, name in enumerate(NAMES, start=1):
        kind = SubjectKind.ORGANISATION if any(w in name.upper() for w in orgs) else SubjectKind.PERSON
        s.add(i, "x", EntryDraft(f"n{i}", kind, (), Party(names=(name,))))
    return s


def test_the_screener_answers_as_without_the_bound(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    s = _screener()
    queries = [*NAMES, "Kelly Brwn", "Erin MARTIN DVM", "Ahmd SHRF", "三浦 浩二", "Tom Sayyid", "Hsien CHOU"]
    with_bound = {q: s.screen(ScreenQuery(q), limit=20) for q in queries}
    assert any(bounds_prune(_prepared(q)) for q in queries)
    monkeypatch.setattr(m, "bounds_prune", lambda _prepared: False)
    without = {q: s.screen(ScreenQuery(q), limit=20) for q in queries}
    assert with_bound == without
