"""Candidate generation (#16, screenblock): the classes of cause the wide dev run found the true entry missed by.

* a whole name one letter longer than a listed one, the letter typed where the list writes a hyphen
  (``TRANZaTEL, A.S.`` for ``TRANZ-TEL, A.S.``): no query word is a listed word or near one;
* a name written in initials only (``C. O. O`` for ``O, Chong Ok``): no word to look up;
* a word left out of a company's name, its legal form kept (``Abu Group`` for ``Abu Ahmed Group``): hundreds of
  persons named Abu and one word more tie with it.

Each runs on the in-memory index and on a snapshot read back from its file (the store a process starts from).
"""

from __future__ import annotations

import pytest

from finguard.screening.service import NameScreener
from finguard.screening.service.matcher import MAX_TIED, _compact_keys, _initials_key
from tests.screening_helpers import Build, build_fixture, org, person

build = build_fixture()


def _crowd(n: int, first: str, kind: str = "person") -> list[tuple[int, object]]:
    """n names that tie with the query on its common word, each one word more."""
    words = [f"{a}{b}{c}" for a in "bdfgkm" for b in "aeiou" for c in ("lan", "ris", "tor", "nek", "vin")]
    make = person if kind == "person" else org
    return [(1000 + i, make(f"c{i}", f"{first} {words[i % len(words)]}{'x' * (i // len(words))}")) for i in range(n)]


def test_a_letter_typed_over_a_hyphen_finds_the_whole_name(build: Build) -> None:
    s = build([(1, org("a", "TRANZ-TEL, A.S.")), (2, person("b", "RI JE-SON")), (3, org("c", "NORAM - AZD, A.S."))])
    assert 1 in s.candidate_entries("A.S. TRANZaTEL")
    assert 2 in s.candidate_entries("RI JEoSON")
    assert 3 not in s.candidate_entries("A.S. TRANZaTEL")


def test_a_whole_name_one_letter_longer_than_many_listed_names_adds_none() -> None:
    s = NameScreener()
    for i in range(12):  # more names than RARE_EXACT share the whole "abcdefg"
        s.add(i, "sdn", person(f"p{i}", "ABC DEFG"))
    assert s.candidate_entries("ABCxDEFG") == set()


def test_initials_only_find_the_names_with_those_initials(build: Build) -> None:
    s = build([(1, person("a", "O, Chong Ok")), (2, person("b", "JORGE J., Rodriguez Gomez")), (3, person("c", "Kim Jong Un"))])
    assert s.candidate_entries("C. O. O") == {1}
    assert s.candidate_entries("R. G. J. J.") == {2}  # in any order
    assert s.candidate_entries("K. J.") == set()  # a name of three words has three initials


def test_initials_keys_are_bounded_and_distinct_from_whole_names() -> None:
    s = NameScreener()
    for i in range(MAX_TIED + 30):
        s.add(i, "sdn", person(f"p{i}", f"Jan{'a' * (i % 7)} Smit{'h' * (i % 5)}h{i}"))
    assert len(s.candidate_entries("J. S.")) == MAX_TIED
    keys = _compact_keys(s._ix.names[0].prepared)
    assert _initials_key(("jan", "smithh0")) in keys and all(k.isalnum() for k in keys if not k.startswith("\x01"))


def test_the_legal_form_breaks_ties_among_names_one_word_longer(build: Build) -> None:
    s = build([*_crowd(650, "Abu"), (1, org("a", "Abu Ahmed Group"))])  # found last of the ties
    assert 1 in s.candidate_entries("Abu Group")


def test_a_kanji_name_whose_given_name_reads_otherwise_finds_the_family_names(build: Build) -> None:
    """七夏 reads shichinatsu, nananatsu ... to the tagger, never Nanami: the Katos (a few) are scored."""
    pytest.importorskip("cutlet")
    katos = [(10 + i, person(f"k{i}", f"{g} Kato")) for i, g in enumerate("Yuki Haruto Sota Minato Yui Aoi Ren Hina Riku Mei".split())]
    others = [(100 + i, person(f"o{i}", f"Nanami {f}")) for i, f in enumerate("Sato Suzuki Takahashi Tanaka Ito Watanabe".split())]
    s = build([(1, person("a", "Nanami Kato")), *katos, *others])
    assert 1 in s.candidate_entries("加藤 七夏")
