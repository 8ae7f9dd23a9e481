"""Blocking of foreign names written in Arabic letters (#16, screenblk2; bench ``arabic_notblocked.py``).

* a foreign name opening with al (``Alzate`` الزاتي, ``Alfa`` الفا) is read as the article and a word: the two are
  joined again (and cut in two, when run into the next word: ``الفاسبيتزنز``, ALFA SPETZNAZ);
* Spanish j is written خ (``Grajales`` غرخليس): an unknown word's kh is read j;
* a word run into the next one is never cut inside one Arabic letter's digraph (خ kh, ش as French ch);
* Russian zh is written ج (``Slizheuski`` سليجيوسكي): a listed word with zh is keyed with j.

Each runs on the in-memory index and on a snapshot read back from its file (the store a process starts from).
"""

from __future__ import annotations

from finguard.screening.model.names import analyse_name, other_skeletons
from finguard.screening.service.matcher import _cuts, _joined_apart
from tests.screening_helpers import Build, build_fixture, org, person

_OTHERS = [
    (90, person("o1", "BARAKAT, Ahmad")),
    (91, person("o2", "AL-HASSAN, Karim")),
    (92, person("o3", "ZAYAT, Omar")),
    (93, org("o4", "INVERSIONES PLANETA LTDA.")),
]


build = build_fixture(_OTHERS)


def test_the_article_is_joined_again_to_a_foreign_name_opening_with_al(build: Build) -> None:
    s = build([(1, person("a", "MEJIA ALZATE, Juan Carlos"))])
    assert 1 in s.candidate_entries("الزاتي")  # al + zaty: ALZATE, no article and listed word
    # a word after the article whose skeleton is no listed word's, joined again, then cut in two
    s = build([(1, org("a", "ALFA SPETZNAZ"))])
    assert 1 in s.candidate_entries("الفاسبيتزنز")


def test_the_article_is_not_joined_again_to_an_arab_name() -> None:
    skel = {"lhsn": ["alhassan"], "hsn": ["hassan"], "lzt": ["alzate"], "zt": ["zaty"]}
    vocab: dict[str, list[int]] = {"alhassan": [1], "hassan": [2], "alzate": [3]}
    # ALHASSAN is the article and a listed word: the name as read (al hsn) finds it
    assert _joined_apart(analyse_name("الحسن").variants, skel, vocab) == ()
    assert [v.tokens for v in _joined_apart(analyse_name("الزاتي").variants, skel, vocab)] == [("alzaty",)]
    assert _joined_apart(analyse_name("الزاتي").variants, skel) == ()  # not asked (a name not in Arabic letters)
    # a word after the article that many listed words are (شيخ): the article and a name, not joined again
    skel = {"lsk": ["alshwiki"], "sk": [f"sheikh{i}" for i in range(9)]}
    assert _joined_apart(analyse_name("آل الشيخ").variants, skel, {"alshwiki": [1]}) == ()


def test_an_unknown_words_kh_is_read_as_spanish_j(build: Build) -> None:
    s = build([(1, person("a", "GRAJALES LEMOS, Juan Jacobo"))])
    assert 1 in s.candidate_entries("غرخليس")
    skel = {"grjls": ["grajales"]}
    assert [v.tokens for v in _joined_apart(analyse_name("غرخليس").variants, skel, {})] == [("ghrjlys",)]
    assert _joined_apart(analyse_name("غرخليس").variants, skel) == ()  # Arabic letters only


def test_a_joined_word_is_never_cut_inside_a_digraph() -> None:
    skel = {"ks": ["jose"], "kfr": ["javier"], "ksk": ["kasik"], "hfr": ["hafer"], "fr": ["fer"]}
    cuts = _cuts("khwsykhafyr", skel)
    assert 6 not in cuts  # khwsyk | hafyr cuts خ in two
    assert cuts == [4, 7]  # the rarer ks + kfr (once: at 5 it is the same pair), then ksk + fr (screenblk3)
    assert 3 not in _cuts("alchrfa", {"lc": ["alice"], "hrf": ["harf"], "rf": ["raf"]})  # French ch (ش) neither


def test_russian_zh_is_keyed_as_arabic_letters_write_it(build: Build) -> None:
    assert "sljsk" in other_skeletons("slizheuski")
    assert "jkf" in other_skeletons("zhukov")
    s = build([(1, person("a", "SLIZHEUSKI, Aleh Leanidavich"))])
    assert 1 in s.candidate_entries("سليجيوسكي")
