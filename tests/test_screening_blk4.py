"""Blocking of names in Arabic letters, fourth pass (#16, screenblk4; bench ``arabic_notblocked.py``).

Real dev-split queries (``arabic_dev2.phonetic_dev`` and its ``arabic_variants``) that did not reach scoring before:

* a word of only weak letters has no skeleton (``أو``, read ``w`` or ``aw``: Burmese ``Oo`` of ``KHINE, Oo Oo``): it is
  keyed by its weak letters, and a listed word of only vowels and weak letters opening with a vowel so too;
* a word opening with a hard c (``Casa``) is keyed by its Arabic-script skeleton of two consonants (``ks``);
* two alifs in a row are two words (``كاساابولو``: ``kasa abwlw``, CASA APOLLO), in a joined word of four consonants.

Each build-level check runs on the in-memory index and on a snapshot read back from its file.
"""

from __future__ import annotations

from finguard.screening.model.names import analyse_name, other_skeletons, weak_keys
from finguard.screening.service.matcher import _joined_apart
from tests.screening_helpers import Build, build_fixture, person

# many names of the skeleton kn (Khan, Kun, Kin ...): the one word of a skeleton in أو أو خيني finds them all alike
_KN = ["KHAN", "KUN", "KIN", "KEN", "KANE", "KHIN", "QIN", "QIAN"]
_OTHERS = [(100 + i, person(f"k{i}", f"{_KN[i % len(_KN)]}, Given{chr(97 + i % 26)}{chr(97 + i // 26)}")) for i in range(160)]

build = build_fixture(_OTHERS)


def test_weak_keys() -> None:
    assert weak_keys("oo") == ("_w",)  # a listed Burmese Oo
    assert weak_keys("aye") == ("_y",)
    assert weak_keys("wei") == ()  # Wei, Yu: Arabic writes a consonant و / ي
    assert weak_keys("yu") == ()
    assert weak_keys("o") == ()  # an initial
    assert weak_keys("khine") == ()  # a skeleton of its own
    assert weak_keys("w", query=True) == ("_w",)  # أو read without its hamza
    assert weak_keys("aw", query=True) == ("_w",)  # او
    assert weak_keys("wyy", query=True) == ()  # ويي, Wei


def test_oo_in_arabic_letters_reaches_scoring(build: Build) -> None:
    s = build([(1, person("a", "KHINE, Oo Oo"))])
    for query in ("أو أو خيني", "او او خيني", "أو خيني", "أُو أِو خيـنِي"):
        assert 1 in s.candidate_entries(query), query


def test_a_hard_c_opening_is_keyed_by_its_arabic_skeleton() -> None:
    assert "ks" in other_skeletons("casa")
    assert "kb" in other_skeletons("cuba")
    assert other_skeletons("cuan") == set()  # a pinyin syllable
    assert "ks" not in other_skeletons("kasa")  # no c: its own skeleton


def test_a_joined_word_is_cut_at_two_alifs() -> None:
    skel = {"ks": ["kasa", "casa"], "bl": ["apollo", "abel"]}
    assert [v.tokens for v in _joined_apart(analyse_name("كاساابولو").variants, skel)] == [("kasa", "abwlw")]
    assert _joined_apart(analyse_name("كاسابولو").variants, skel) == ()  # one alif: no cut (four consonants)


def test_casa_apollo_in_arabic_letters(build: Build) -> None:
    s = build([(1, person("a", "CASA APOLLO")), (2, person("b", "KASSAB, Ali"))])
    for query in ("كاساابولو", "كساابولو", "کاساابولو"):
        assert 1 in s.candidate_entries(query), query
