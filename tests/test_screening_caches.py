"""What the screener keeps across queries gives the answers it would compute (issue #16, tenth pass).

Two things are kept: a Japanese name's readings (``scripts._japanese``, per name, and ``_given_name_readings``,
per kanji given name) and what candidate gathering read from the index (``NameScreener._kept_reads``: a query
token's indexed neighbours and a query place's evidence per name, for one generation of the index). The kept
readings are checked against the uncached code they replaced (``_japanese_before``, kept here as the reference),
the kept reads against the same screener with nothing kept, before and after writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.model import scripts as sc
from finguard.screening.service import NameScreener, ScreenQuery

KANJI_NAMES = [
    "林 幹",
    "清水 幹",  # the same given name with another family name: read from the kept given-name readings
    "森淳",  # no space: the family name is the tagger's
    "中村 淳",
    "後藤 聡太郎",
    "田中聡太郎",
    "太田裕美子",
    "山田 裕美子",
    "小川 陽一",
    "佐藤健一",
    "鈴木 翔太",
    "高橋 裕太",
    "三浦 浩",
    "晁玉珍",  # a Chinese name: no Japanese reading
    "さとう ひろし",  # kana
    "サトウ ヒロシ",
    "李明",
]


def _japanese_before(text: str) -> list[str]:
    """``scripts.japanese`` before its readings were kept: the tagger asked every time."""
    katsu = sc._katsu()
    if katsu is None:
        return []
    try:
        romaji = katsu.romaji(text).lower().replace("'", "")
    except Exception:
        return []
    words = romaji.split()
    if len(words) < 2 or not romaji.isascii() or not all(w.isalpha() for w in words):
        return []
    readings = [romaji]
    other: tuple[str, list[str]] | None = None
    try:
        other = _given_readings_before(katsu, text)
    except Exception:
        other = None
    if other is not None:
        family, given = other
        readings.extend(f"{family} {g}" for g in given if g != "".join(words[1:]))
    out: list[str] = []
    for r in readings:
        out.append(r)
        out.append(r.replace("ou", "o").replace("oo", "o").replace("uu", "u").replace("ō", "o").replace("ū", "u"))
    return list(dict.fromkeys(out))


def _given_readings_before(katsu: Any, text: str) -> tuple[str, list[str]] | None:
    words = text.split()
    if len(words) == 2:
        family, given = words
    elif len(words) == 1:
        nodes = katsu.tagger(text)
        if len(nodes) < 2 or nodes[0].feature.pos4 != "姓":
            return None
        family = nodes[0].surface
        given = text[len(family) :]
    else:
        return None
    if not given or not all(sc.is_kanji(ch) for ch in given):
        return None
    out: list[str] = []
    by_kanji: list[str] = []
    for nodes in katsu.tagger.nbestToNodeList(given, sc._GIVEN_PATHS):
        parts = [t.surface.lower().replace("'", "") for t in katsu.romaji_tokens(nodes)]
        reading = "".join(parts)
        if not reading.isalpha() or not reading.isascii():
            continue
        if len(nodes) == len(given) > 1 and all(n.feature.pos1 in ("名詞", "接頭辞") for n in nodes) and reading not in by_kanji:
            by_kanji.append(reading)
        if not all(n.feature.pos1 == "名詞" for n in nodes) or (len(nodes) > 1 and any(n.feature.pos4 != "名" for n in nodes)):
            continue
        if any(len(p) > sc._GIVEN_LEAD for p in parts[:-1]):
            continue
        if reading not in out:
            out.append(reading)
    out = out[: sc.GIVEN_READINGS + 1]
    extra = 0  # the name dictionary's readings (JMnedict, shipped in screening/data; screenfp5, screenjmn)
    for kana in sc._dictionary_readings(given) if len(family) > 1 else []:
        reading = katsu.romaji(kana).lower().replace("'", "").replace(" ", "")
        if extra < sc.NAME_READINGS and reading.isalpha() and reading.isascii() and reading not in out:
            out.append(reading)
            extra += 1
    out = out or by_kanji[: sc.GIVEN_READINGS + 1]
    return katsu.romaji(family).lower().replace("'", ""), out


def test_kept_japanese_readings_are_the_computed_ones() -> None:
    pytest.importorskip("cutlet")
    sc._japanese.cache_clear()
    sc._given_name_readings.cache_clear()
    expected = {name: _japanese_before(name) for name in KANJI_NAMES}
    assert any(len(r) > 2 for r in expected.values())  # the given names' other readings are among them
    for _ in range(2):  # first computed (the given name perhaps kept from another name), then kept
        for name in KANJI_NAMES:
            assert sc.japanese(name) == expected[name], name
    assert sc._japanese.cache_info().hits >= len(KANJI_NAMES)
    assert sc._given_name_readings.cache_info().hits >= 1  # 幹, 淳, 聡太郎, 裕美子 read once for two family names
    got = sc.japanese("林 幹")
    got.append("changed")  # the caller's list is its own: the kept readings do not change
    assert sc.japanese("林 幹") == expected["林 幹"]


def _person(key: str, *names: str) -> EntryDraft:
    return EntryDraft(key, SubjectKind.PERSON, (), Party(names=names))


def _answers(s: NameScreener, queries: list[str]) -> list[list[tuple[object, ...]]]:
    return [
        [(h.entry_id, h.listed_name, h.score, h.outcome, h.features) for h in s.screen(ScreenQuery(q), limit=20)]
        + [sorted(s.candidate_entries(q))]
        for q in queries
    ]


LISTED = [
    "PUTIN, Vladimir Vladimirovich",
    "Владимир Владимирович Путин",
    "SMITH, John",
    "SMYTHE, Jon Paul",
    "MOHAMMED, Ali Hassan",
    "MUHAMMAD, Ali",
    "LEE, Ji Yeon",
    "이지연",
    "KIM, Jong Un",
    "林 幹",
    "HAYASHI, Miki",
]
QUERIES = [
    "Vladimir Putin",
    "Wladimir Poutine",
    "Jon Smith",
    "John Smyth",
    "Ali Mohamed",
    "Muhamad Ali",
    "이지연",
    "Ji Yeon Lee",
    "Kim Jong",
    "林 幹",
    "Miki Hayashi",
]


def test_kept_neighbours_and_evidence_give_the_computed_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    s = NameScreener(match_cache=0)
    for i, name in enumerate(LISTED, 1):
        s.add(i, "x", _person(f"p{i}", name))
    cold = NameScreener(match_cache=0)  # the same index, nothing kept across queries
    for i, name in enumerate(LISTED, 1):
        cold.add(i, "x", _person(f"p{i}", name))
    monkeypatch.setattr(cold, "_kept", lambda: None)
    expected = _answers(cold, QUERIES)
    assert _answers(s, QUERIES) == expected  # the tokens' neighbours read and kept
    assert s._kept_reads.expansions and s._kept_reads.evidence  # kept
    assert _answers(s, QUERIES[::-1]) == expected[::-1]  # answered from the kept neighbours
    # a write moves the generation on: a new listed token is a neighbour of the queries' tokens at once
    for screener in (s, cold):
        screener.add(100, "x", _person("new", "SMYTH, Jonn"))
        screener.add(101, "x", _person("new2", "PUTINE, Vladimyr"))
    expected = _answers(cold, QUERIES)
    assert any(100 in answer[-1] for answer in expected) and any(101 in answer[-1] for answer in expected)
    assert _answers(s, QUERIES) == expected
    assert s._kept_reads.generation == s.generation


def test_nothing_is_kept_while_a_write_is_under_way() -> None:
    s = NameScreener(match_cache=0)
    s.add(1, "x", _person("p", "SMITH, John"))
    assert s._kept() is not None
    s._generation += 1  # as add() does before it changes the index
    try:
        assert s._kept() is None
        assert [h.entry_id for h in s.screen(ScreenQuery("Jon Smith"))] == [1]
    finally:
        s._generation += 1


def test_a_snapshot_keeps_no_reads() -> None:
    import pickle

    s = NameScreener(match_cache=0)
    s.add(1, "x", _person("p", "SMITH, John"))
    s.screen(ScreenQuery("Jon Smith"))
    assert s._kept_reads.expansions
    loaded = pickle.loads(pickle.dumps(s))
    assert loaded._kept_reads.generation == -1 and not loaded._kept_reads.expansions and not loaded._kept_reads.evidence
    assert [h.entry_id for h in loaded.screen(ScreenQuery("Jon Smith"))] == [1]


def test_full_kept_reads_start_again_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from finguard.screening.service import matcher

    monkeypatch.setattr(matcher, "EVIDENCE_KEPT", 4)
    monkeypatch.setattr(matcher, "EVIDENCE_PER_POSTING", 0)  # the cap is the floor, whatever the index
    monkeypatch.setattr(matcher, "EXPANSIONS_KEPT", 3)
    s = NameScreener(match_cache=0)
    cold = NameScreener(match_cache=0)
    for screener in (s, cold):
        for i, name in enumerate(LISTED, 1):
            screener.add(i, "x", _person(f"p{i}", name))
    monkeypatch.setattr(cold, "_kept", lambda: None)
    expected = _answers(cold, QUERIES)
    for _ in range(2):
        assert _answers(s, QUERIES) == expected
        assert s._kept_reads.size <= 4 and len(s._kept_reads.expansions) <= 3


def test_another_index_in_place_is_read_anew() -> None:
    """A snapshot's index is set after its state (``store.snapshot``), with no write: nothing kept from the one before."""
    s = NameScreener(match_cache=0)
    s.add(1, "x", _person("p", "SMITH, John"))
    other = NameScreener(match_cache=0)
    other.add(1, "x", _person("p", "SMITH, John"))
    other.add(2, "x", _person("q", "SMYTH, John"))
    s.screen(ScreenQuery("Jon Smyth"))
    assert s._kept_reads.expansions
    s._ix = other._ix
    expected = [(h.entry_id, h.score) for h in other.screen(ScreenQuery("Jon Smyth"))]
    assert 2 in [e for e, _ in expected]
    assert [(h.entry_id, h.score) for h in s.screen(ScreenQuery("Jon Smyth"))] == expected


def test_kept_evidence_drops_the_least_recently_used_and_is_sized_from_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept evidence is capped (a setting, or from the index's postings): when full, the places used longest ago
    are dropped, not all of them, and the answers are the computed ones (issue #16, seventeenth pass)."""
    from finguard.screening.service import matcher

    s = NameScreener(match_cache=0)
    cold = NameScreener(match_cache=0)
    for screener in (s, cold):
        for i, name in enumerate(LISTED, 1):
            screener.add(i, "x", _person(f"p{i}", name))
    postings = sum(len(v) for v in s._ix.vocab.values())
    assert matcher.evidence_cap(s._ix) == max(matcher.EVIDENCE_KEPT, matcher.EVIDENCE_PER_POSTING * postings)
    monkeypatch.setattr(matcher, "EVIDENCE_PER_POSTING", 1)
    monkeypatch.setattr(matcher, "EVIDENCE_KEPT", 2)
    assert matcher.evidence_cap(s._ix) == postings
    monkeypatch.setattr(cold, "_kept", lambda: None)
    expected = _answers(cold, QUERIES)
    s.evidence_kept = 3  # the setting: at most 3 names
    for _ in range(2):
        assert _answers(s, QUERIES) == expected
        kept = s._kept_reads
        assert kept.cap == 3 and kept.size == sum(map(len, kept.evidence.values())) <= 3
    # least recently used first: a place read again moves to the end, and the first kept is dropped first
    kept = matcher._Kept(0, s._ix, 3)
    a, b, c = ((("a",), "", False), (("b",), "", False), (("c",), "", False))
    matcher._keep_evidence(kept, a, {1: 1.0})
    matcher._keep_evidence(kept, b, {2: 1.0, 3: 1.0})
    kept.evidence.move_to_end(a)
    matcher._keep_evidence(kept, c, {4: 1.0})
    assert list(kept.evidence) == [a, c] and kept.size == 2
    matcher._keep_evidence(kept, b, {5: 1.0, 6: 1.0, 7: 1.0, 8: 1.0})  # more than the cap: not kept
    assert list(kept.evidence) == [a, c] and kept.size == 2
    s.evidence_kept = 0  # nothing kept
    s.add(98, "x", _person("p98", "ROE, Jane"))
    cold.add(98, "x", _person("p98", "ROE, Jane"))
    assert _answers(s, QUERIES) == _answers(cold, QUERIES)
    assert not s._kept_reads.evidence and s._kept_reads.size == 0
    s.evidence_kept = None  # from the index, once EVIDENCE_KEPT would be passed
    s.add(99, "x", _person("p99", "DOE, Jane"))
    cold.add(99, "x", _person("p99", "DOE, Jane"))
    assert _answers(s, QUERIES) == _answers(cold, QUERIES)
    assert s._kept_reads.cap == sum(len(v) for v in s._ix.vocab.values())
