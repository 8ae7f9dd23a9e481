"""#16, screenfp3 (dev split): a Japanese reading joined is not a one-word name; comma-ordered romanised Chinese names;
a firm named ``Limited ...``.

The names here are made up for the tests or are OFAC's own (``PAO, Hua Chiang``); none is a held-out query. The rules:
``similarity._joined_reading`` (a Han name's Japanese reading, two words, is not compared joined with one word),
``names._sino_variants`` (``family_last``: the comma said which word is the family name; Wade-Giles ``chi`` before a
vowel) and ``names.strip_legal_forms`` (a leading ``LIMITED`` before a single word is the firm's own word).
"""

from __future__ import annotations

import pytest

from finguard.screening.model.names import analyse_name, fold, strip_legal_forms
from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import person


def hits(listed: str, query: str) -> list[tuple[float, str]]:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    return [(h.score, h.outcome) for h in s.screen(ScreenQuery(query))]


def test_a_japanese_reading_joined_is_not_a_one_word_name() -> None:
    """彭娜 read in Japanese is ``ho da``: joined, the Arabic-origin one-word HODA, a coincidence of four letters (it
    was a match at 0.97, both ways round). Its pinyin joined (PENGNA, XIJINPING) and a Japanese reading against a name
    of two words are compared as before."""
    pytest.importorskip("cutlet")
    assert hits("HODA", "彭娜") == []
    assert hits("彭娜", "Hoda") == []
    assert hits("PENGNA", "彭娜") == [(1.0, "match")]
    assert hits("XIJINPING", "习近平") == [(1.0, "match")]
    assert hits("Ogawa Yoichi", "小川陽一") == [(1.0, "match")]
    assert hits("小川陽一", "Ogawa Yoichi") == [(1.0, "match")]


def test_comma_ordered_romanised_chinese_name_keeps_its_family_name_apart() -> None:
    """``PAO, Hua Chiang`` (OFAC, Wade-Giles): turned at its comma it is ``hua chiang pao``; its regrouped spelling was
    ``hua chiangpao`` (Hua taken for the family name, the real one glued to a given syllable), so ``Hua Chiangpao`` was
    an equal name and ``Pao Huachiang`` / ``Bao Huajiang`` (the same name, family name first, Wade-Giles read in pinyin)
    no hit at all."""
    tokens = {v.tokens for v in analyse_name("PAO, Hua Chiang").variants}
    assert ("huachiang", "pao") in tokens
    assert ("huajiang", "bao") in tokens
    assert ("hua", "chiangpao") not in tokens
    assert ("yuyi", "pao") in {v.tokens for v in analyse_name("PAO, Yu Yi").variants}
    assert ("yu", "yipao") not in {v.tokens for v in analyse_name("PAO, Yu Yi").variants}
    assert hits("PAO, Hua Chiang", "Pao Huachiang") == [(1.0, "match")]
    assert hits("PAO, Hua Chiang", "Bao Huajiang") == [(1.0, "match")]
    assert hits("PAO, Hua Chiang", "Hua Chiang Pao") == [(1.0, "match")]
    assert hits("PAO, Hua Chiang", "Hua Chiangpao") != [(1.0, "match")]
    # as before: a family name written first, and Cantonese family names after the comma
    assert ("mao", "zedong") in {v.tokens for v in analyse_name("Mao Tse-tung").variants}
    assert ("zedong", "mao") in {v.tokens for v in analyse_name("MAO, Tse-tung").variants}
    assert ("tai", "man", "chen") in {v.tokens for v in analyse_name("CHAN, Tai Man").variants}
    assert ("chiara", "rossi") in {v.tokens for v in analyse_name("Chiara Rossi").variants}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Limited Edition Co", ("limited edition", ("company",))),  # was ("edition", ("limited", "company"))
        ("LIMITED EDITION CO.", ("limited edition", ("company",))),
        ("LIMITED KESTREL SCIENCE CO.", ("kestrel science", ("limited", "company"))),  # CO., LIMITED turned: as before
        ("LTD AL-BURAQ TRADING COMPANY", ("al-buraq trading", ("limited", "company"))),  # as before
        ("LIMITED BRANDS INC", ("limited brands", ("incorporated",))),  # as before
    ],
)
def test_a_leading_limited_before_one_word_is_the_firms_own_word(name: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert strip_legal_forms(fold(name)) == expected


def test_limited_edition_co_is_not_edition() -> None:
    assert analyse_name("Limited Edition Co", "organisation").variants[0].tokens == ("limited", "edition")


def test_a_common_given_name_and_first_family_name_are_a_common_pair() -> None:
    """``Rosa Vargas`` / ``VARGAS LLOSA, Rosa``: the usual short Spanish form (the first family name kept), but both words
    on many listed names (their counts multiply to COMMON_PAIR_SHORT or more): a common pair, below close_match. A rarer
    pair written short the same way stays a hit, and so does the whole name."""
    s = NameScreener()
    s.add(1, "x", person("p", "VARGAS LLOSA, Rosa"))
    s.add(2, "x", person("q", "QUINTERO BARRIOS, Eduarda"))
    for i in range(30):
        s.add(10 + i, "x", person(f"v{i}", f"VARGAS Zq{i:02d}x, Pedro"))
        s.add(100 + i, "x", person(f"r{i}", f"MOLINA Kx{i:02d}w, Rosa"))
    got = {h.entry_id: h for h in s.screen(ScreenQuery("Rosa Vargas"))}
    assert 1 not in got
    assert [h.entry_id for h in s.screen(ScreenQuery("Rosa Vargas Llosa"))][:1] == [1]
    assert 2 in {h.entry_id for h in s.screen(ScreenQuery("Eduarda Quintero"))}


def test_first_given_name_left_out_and_a_middle_one_as_a_nickname_is_no_hit() -> None:
    """``Ian Fletcher`` / ``FLETCHER, Paul John``: the first given name left out and the middle one written as a nickname
    (Ian for John) are two departures from the listed name (it was a close match at 0.82). The middle name as listed,
    an initial, or the whole name stay hits."""
    assert hits("FLETCHER, Paul John", "Ian Fletcher") == []
    assert [o for _s, o in hits("FLETCHER, Paul John", "John Fletcher")] == ["close_match"]
    assert [o for _s, o in hits("FLETCHER, Paul John", "J. Fletcher")] == ["close_match"]
    assert [o for _s, o in hits("FLETCHER, Paul John", "Paul John Fletcher")] == ["match"]
