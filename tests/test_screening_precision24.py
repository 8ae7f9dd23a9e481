"""#16, stop 24: false positives of scoring on dev negatives, each rule with the true variant it keeps.

The names here are made up for the tests (none is a bench query). The rules, in
``finguard.screening.service.matcher``: ``_hebrew_initial_consonant`` (a Hebrew word starting with a consonant's letter
is not a listed word starting with a vowel), ``_hebrew_given_left_out`` (a part of a name of common skeletons, read from
Hebrew letters) and ``_common_pair_partial`` (two common words of a listed name, a given and a family name left out) and
``_family_left_out_and_near`` (one of two family names left out and another listed word written otherwise).
"""

from __future__ import annotations

import pytest

from finguard.screening.service import NameScreener, ScreenQuery, Thresholds
from tests.screening_helpers import outcome, person

# the words of these names on five listed names or more: common words (matcher.COMMON_FAMILY) in these small indexes
_COMMON = (
    "MUHAMMAD, Hassan Tariq",
    "HASAN, Muhammad Wasim",
    "MUHAMMAD HASSAN RAFIQ",
    "HASSAN, Muhammad Yasin",
    "MOHAMMED, Hassan Jamil",
    "LOPEZ, Roberto Carlos",
    "ROBERTO LOPEZ VARELA",
    "LOPEZ, Maria Roberto",
    "ROBERTO, Juan Lopez",
    "LOPEZ LOPEZ, Roberto Anibal",
    # Roberto and Lopez together on 20 more names: a common pair (their name counts multiply past matcher.COMMON_PAIR)
    *(f"LOPEZ {w}, Roberto" for w in ("QUA", "QUE", "QUI", "QUO", "QUY", "QAB", "QAC", "QAD", "QAF", "QAG")),
    *(f"ROBERTO LOPEZ {w}" for w in ("ZUA", "ZUE", "ZUI", "ZUO", "ZUY", "ZAB", "ZAC", "ZAD", "ZAF", "ZAG")),
)


def _screener(thresholds: Thresholds | None = None) -> NameScreener:
    s = NameScreener(thresholds)
    s.add(1, "x", person("omer", "OMER, Karim"))
    s.add(2, "x", person("saleh", "SALEH, Karim"))
    s.add(8, "x", person("hassan2", "AL-HASSAN, Karim"))
    s.add(3, "x", person("hassan", "HASSAN, Bilal Muhammad"))
    s.add(4, "x", person("qurayshi", "QURAYSHI, Bilal Muhammad"))
    s.add(5, "x", person("lopez", "LOPEZ GOMEZ, Roberto Jose"))
    s.add(6, "x", person("anz", "ANZOATEGUI GOMEZ, Roberto Jose"))
    s.add(9, "x", person("herrera", "HERRERA CASTILLO, Anselmo"))
    for i, name in enumerate(_COMMON):
        s.add(100 + i, "x", person(f"common{i}", name))
    return s


@pytest.fixture(scope="module")
def screener() -> NameScreener:
    return _screener()


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        # a Hebrew word starting with mem (מאיר, Meir: myr) is not a listed word starting with a vowel (Omer: mr)
        ("כרים מאיר", 1, None),
        ("כרים עומר", 1, "close_match"),  # ayin writes the first vowel: as before
        # the reverse: ayin and alef first (עאסלה, Asala) write a first vowel SALEH has not
        ("כרים עאסלה", 2, None),
        ("כרים סאלח", 2, "match"),  # as before
        ("כרים אלחסן", 8, "match"),  # alef of the article joined: as before
        ("כרים חסן", 8, "close_match"),  # as before
        # Muhammad and Hassan by skeleton, both common, the listed given name Bilal left out
        ("מוחמד חסן", 3, None),
        ("בילאל מוחמד חסן", 3, "close_match"),  # the whole name: as before
        ("מוחמד קורישי", 4, "close_match"),  # a rare family name read: as before
        # two common words of the listed name, another given name and another family name left out
        ("Roberto Lopez", 5, None),
        ("Roberto Jose Lopez", 5, "close_match"),  # one family name left out: as before
        ("Roberto Lopez Gomez", 5, "match"),  # a middle name left out: as before
        ("Roberto Anzoategui", 6, "close_match"),  # a rare family name kept: as before
        ("Anselmo Herrera", 9, "close_match"),  # one family name left out, the other as listed: as before
    ],
)
def test_stop24_rules(screener: NameScreener, query: str, entry: int, expected: str | None) -> None:
    assert outcome(screener, query, entry) == expected


@pytest.mark.parametrize(
    ("query", "entry", "feature"),
    [
        ("כרים מאיר", 1, "hebrew_initial_consonant"),
        ("כרים עאסלה", 2, "hebrew_initial_consonant"),
        ("מוחמד חסן", 3, "hebrew_given_left_out"),
        ("Roberto Lopez", 5, "common_pair_partial"),
        # one family name left out, the other written otherwise (Ferrera is another name; in this small index the
        # pair scores under close_match already, so the cap is seen under the lower threshold only)
        ("Anselmo Ferrera", 9, "family_left_out_and_near"),
    ],
)
def test_the_cap_is_explained(query: str, entry: int, feature: str) -> None:
    """Under a lower close_match the capped name is a hit, and the feature says why; no rule lifts it back."""
    s = _screener(Thresholds(match=0.92, close_match=0.5))
    hit = next(h for h in s.screen(ScreenQuery(query), limit=50) if h.entry_id == entry)
    mine = [f for f in hit.features if f.name == feature]
    assert mine and mine[0].explanation
    assert hit.score <= 0.81 + 1e-9
    assert not any(f.name == "token_subset" for f in hit.features)
