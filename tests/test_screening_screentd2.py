"""#16, screentd2 (dev split): token_drop's turned names, a narrower common-pair rule, Latin ``ink``, Persian kunya names.

The names here are made up for the tests (none is a bench query). The rules: ``names.strip_legal_forms`` (a legal form
leading a name that ends in one), ``matcher._common_pair_partial`` (``COMMON_PAIR``), ``names._ROMANISED_ONLY``
(``ink`` is Russian Инк, not the English word) and ``scripts.arabic_kunya_apart`` (a Persian family name of a kunya).
"""

from __future__ import annotations

import pytest

from finguard.screening.model import scripts as sc
from finguard.screening.model.names import analyse_name, fold, strip_legal_forms
from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import org, outcome, person


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a name turned round at its comma (AL-BURAQ TRADING COMPANY, LTD): the leading form is a form
        ("LTD AL-BURAQ TRADING COMPANY", ("al-buraq trading", ("limited", "company"))),
        ("LLC VOLNA SHIPPING CO", ("volna shipping", ("llc", "company"))),
        ("LIMITED KESTREL SCIENCE CO.", ("kestrel science", ("limited", "company"))),  # CO., LIMITED turned
        ("LIMITED BRANDS INC", ("limited brands", ("incorporated",))),  # a firm named Limited: as before
        ("LIMITED LIABILITY COMPANY VOLNA", ("limited liability company volna", ())),  # as before
        ("LTD AL-BURAQ", ("ltd al-buraq", ())),  # no form at the end: as before
        # the listed name ended in "LIMITED (KSC)", not in a form, and keeps it as words: so does the turned name
        ("LIMITED (KSC) KESTREL SCIENCE CO.", ("limited (ksc) kestrel science", ("company",))),
    ],
)
def test_a_leading_form_of_a_turned_name(name: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert strip_legal_forms(fold(name)) == expected


def test_a_turned_name_less_a_word_is_found() -> None:
    """LTD AL-BURAQ COMPANY (a word left out of AL-BURAQ TRADING COMPANY, LTD, turned at its comma) is a close match."""
    s = NameScreener()
    s.add(1, "x", org("buraq", "AL-BURAQ TRADING COMPANY, LTD"))
    s.add(2, "x", org("other", "NORTH STAR TRADING COMPANY, LTD"))
    assert outcome(s, "LTD AL-BURAQ COMPANY", 1) == "close_match"
    assert outcome(s, "AL-BURAQ COMPANY, LTD", 1) == "close_match"  # the same name as a user writes it
    assert outcome(s, "LTD COMPANY", 1) is None


def test_latin_ink_is_a_word_russian_ink_a_form() -> None:
    assert analyse_name("Blue Ink").legal_forms == ()
    assert analyse_name("Squid Ink Ltd").legal_forms == ("limited",)
    assert analyse_name("Squid Ink Ltd").variants[0].tokens == ("squid", "ink")
    assert analyse_name("Владимиров Инк").legal_forms == ("incorporated",)  # Russian Inc.: as before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ابوطالبی", "ابوطالبی"),  # Abutalebi, a Persian family name: one word
        ("ابوترابی", "ابوترابی"),  # Abutorabi
        ("علی ابوطالبی", "علی ابوطالبی"),
        ("ابوعلی", "ابو علی"),  # Abu Ali in Persian letters: a kunya, as before
        ("ابومهدی", "ابو مهدی"),  # Abu Mahdi
        ("ابوياسر", "ابو ياسر"),  # Abu Yasir: as before
        ("ابوطالبي", "ابو طالبي"),  # Arabic yeh: Abu Talibi read apart too, as before
    ],
)
def test_a_persian_family_name_of_a_kunya_is_one_word(text: str, expected: str) -> None:
    assert sc.arabic_kunya_apart(text) == expected


# each word on five listed names or more (matcher.COMMON_FAMILY), the pair's counts multiplying to less than COMMON_PAIR
_FAMILY = (
    "ARANDEL FELIZ, Eduardo Ramon",
    "ARANDEL FELIZ, Benito",
    "ARANDEL FELIZ, Javiero",
    "ARANDEL MOTA, Francisca",
    "ARANDEL SOTO, Rufino",
    "MARTO PINEL, Eduardo",
    "RUIVA PINEL, Eduardo",
    "CASTA DURO, Eduardo",
    "BENITO, Eduardo Luis",
)


def test_a_rarer_pair_written_short_stays_a_hit() -> None:
    """Eduardo Arandel for ARANDEL FELIZ, Eduardo Ramon: a given name and the first family name, how a Spanish name is
    written short; the pair is not a common one (5 x 5 listed names), so common_pair_partial does not cap it."""
    s = NameScreener()
    for i, name in enumerate(_FAMILY):
        s.add(1 + i, "x", person(f"p{i}", name))
    assert outcome(s, "Eduardo Arandel", 1) == "close_match"
    assert outcome(s, "Eduardo Ramon Arandel Feliz", 1) == "match"


def test_a_persian_family_name_of_a_kunya_ranks_first() -> None:
    """علی ابوطالبی (Ali Abutalebi) finds ABUTALEBI, Ali above ABU TALEB, Ali (read apart, the two tied)."""
    s = NameScreener()
    s.add(1, "x", person("a", "ABUTALEBI, Ali"))
    s.add(2, "x", person("b", "ABU TALEB, Ali"))
    hits = s.screen(ScreenQuery("علی ابوطالبی"))
    assert hits[0].entry_id == 1
    assert all(h.score < hits[0].score for h in hits if h.entry_id == 2)
