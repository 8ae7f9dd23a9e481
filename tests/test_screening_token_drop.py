"""#16, token_drop pass: a listed name less a word (dev split), the rules of ``_token_subset`` it adds.

The names here are made up for the tests (none is a bench query): the rules are in
``finguard.screening.service.matcher`` (``_token_subset``, ``_partners``).
"""

from __future__ import annotations

import pytest

from finguard.screening.service import NameScreener, ScreenQuery
from finguard.screening.service.matcher import _partners
from tests.screening_helpers import outcome, person


@pytest.fixture(scope="module")
def screener() -> NameScreener:
    s = NameScreener()
    s.add(1, "x", person("qasim", "HADDAD QASIM, Qasim Nabil"))  # Qasim is both the given and a family name
    s.add(2, "x", person("brennan", "BRENNAN, Colin Patrick"))
    s.add(3, "x", person("brenan", "Colin Brenan"))  # a namesake, one letter of the family name otherwise
    s.add(4, "x", person("orlov", "ORLOV, Timur Sergeyevich"))
    return s


def test_a_word_the_name_holds_twice_is_read_in_order() -> None:
    """Ali Abdel ALI against ALI ABDEL KARIM ALI: the query's last Ali is the listed family name, not its given name."""
    assert _partners(("ali", "abdel", "ali"), ("ali", "abdel", "karim", "ali")) == [0, 1, 3]
    assert _partners(("abdel", "ali"), ("ali", "abdel", "karim", "ali")) == [1, 3]
    assert _partners(("karim", "ali"), ("ali", "abdel", "karim", "ali")) == [2, 3]
    assert _partners(("ali", "karim"), ("ali", "abdel", "karim", "ali")) == [0, 2]


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        # the first of two family names left out, the given name equal to the second: lifted as any such name is
        ("Qasim Nabil QASIM", 1, "close_match"),
        ("Qasim Nabil HADDAD QASIM", 1, "match"),  # as listed
        ("Nabil QASIM", 1, None),  # the given name and the first family name both left out: two departures
    ],
)
def test_a_repeated_word_is_no_obstacle_to_a_subset(screener: NameScreener, query: str, entry: int, expected: str | None) -> None:
    assert outcome(screener, query, entry) == expected


def test_every_word_as_listed_ranks_above_a_near_spelling(screener: NameScreener) -> None:
    """Colin BRENNAN: the listed BRENNAN, Colin Patrick less his middle name first, the namesake Colin Brenan after."""
    hits = screener.screen(ScreenQuery("Colin BRENNAN"))
    assert [h.entry_id for h in hits[:2]] == [2, 3]
    assert [h.outcome for h in hits[:2]] == ["match", "match"]
    subset = next(f for f in hits[0].features if f.name == "token_subset")
    assert "middle names" in subset.explanation
    assert hits[0].score < 1.0  # below the name as listed


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Timur ORLOV", "match"),  # every word as listed, the patronymic left out
        ("Tymur ORLOV", "match"),  # a near spelling beside a word as listed: a match, at match's score
        ("T. ORLOV", "close_match"),  # an initial stands for many names: as before
    ],
)
def test_only_words_as_listed_rank_higher(screener: NameScreener, query: str, expected: str) -> None:
    hit = next(h for h in screener.screen(ScreenQuery(query)) if h.entry_id == 4)
    assert hit.outcome == expected
    if query == "Timur ORLOV":
        assert hit.score >= 0.95
    else:
        assert hit.score < 0.95


def test_a_wade_giles_syllable_inside_the_name_reads_it_as_chinese() -> None:
    """WU, Nan Hsiung is read nan xiong wu as LIN, Hsiung Wei is read xiong wei lin: Hsiung need not start the name."""
    from finguard.screening.model.names import analyse_name

    for listed, pinyin in (("WU, Nan Hsiung", ("nan", "xiong", "wu")), ("LIN, Hsiung Wei", ("xiong", "wei", "lin"))):
        variants = analyse_name(listed, "person").variants
        assert any(v.kind == "sino" and v.tokens == pinyin for v in variants)
    assert all(v.kind != "sino" for v in analyse_name("Hans Jung", "person").variants)  # not every word a syllable


def test_a_chinese_given_name_one_syllable_short_of_its_pinyin_reading() -> None:
    """Nan WU for WU, Nan Hsiung: a close match (one syllable of the given name left out), never a match."""
    s = NameScreener()
    s.add(1, "x", person("wu", "WU, Nan Hsiung"))
    s.add(2, "x", person("o", "Someone Else"))
    assert outcome(s, "Nan WU", 1) == "close_match"
    assert outcome(s, "Nan Hsiung WU", 1) == "match"
    assert outcome(s, "Nan LI", 1) is None  # the family name is not the listed one


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("Yu Yi PAO", ()),  # Pao the family name (Wade-Giles Bao) beside Chinese syllables only
        ("PAO Yu Yi", ()),
        ("PAO, Yu Yi", ()),  # turned at its comma, the family name first
        ("MOSTOTREST, PAO", ("jsc",)),  # the Russian form after a comma, as lists write it
        ("Mostotrest PAO", ("jsc",)),  # beside a word that is no Chinese syllable: the form, as before
        ("PAO ZVEZDA", ("jsc",)),
        ("P.A.O. Yu Yi", ("jsc",)),  # written with its dots: the form
    ],
)
def test_pao_is_a_family_name_beside_chinese_syllables_only(name: str, forms: tuple[str, ...]) -> None:
    from finguard.screening.model.names import analyse_name

    assert analyse_name(name).legal_forms == forms


def test_a_chinese_family_name_that_is_also_a_legal_form() -> None:
    """Yu PAO for PAO, Yu Yi: one given-name syllable short, a close match; as listed, a match."""
    s = NameScreener()
    s.add(1, "x", person("pao", "PAO, Yu Yi"))
    s.add(2, "x", person("o", "Someone Else"))
    assert outcome(s, "Yu Yi PAO", 1) == "match"
    assert outcome(s, "Yu PAO", 1) == "close_match"
