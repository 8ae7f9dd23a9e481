"""Blocking of foreign names written in Arabic letters, third pass (#16, screenblk3; bench ``arabic_notblocked.py``).

Real dev-split queries (``arabic_dev2.phonetic_dev``) that did not reach scoring before:

* a word run into the next one is cut at two places of different skeletons (``روساسكامبا`` Rosas Camba: not twice
  into ``rsk`` + ``mb``);
* Spanish j before a or i in a word of a Spanish ending is written خ too (``غرخليس`` Grajales, ``خكوبو`` Jacobo);
* the article joined again to a word also with its kh as Spanish j (``اليخندرا`` Alejandra beside Alejandro);
* ``ڤ`` (v) is a letter of foreign names only: no article before it (``الڤر`` Alvaro), and a name with it is also
  read with a consonant and ه as a Latin digraph, as a machine writes it letter by letter (``سهڤد`` Shved).

Each build-level check runs on the in-memory index and on a snapshot read back from its file.
"""

from __future__ import annotations

from finguard.screening.model.names import analyse_name, other_skeletons
from finguard.screening.service.matcher import _cuts, _joined_apart
from tests.screening_helpers import Build, build_fixture, person

_OTHERS = [
    (90, person("o1", "BARAKAT, Ahmad")),
    (91, person("o2", "AL-HASSAN, Karim")),
    (92, person("o3", "SHAHID, Omar")),
]

build = build_fixture(_OTHERS)


def test_a_joined_word_is_cut_into_two_different_pairs_of_skeletons() -> None:
    skel = {"rsk": ["rusk"], "mb": ["mba"], "rs": [f"rosas{i}" for i in range(60)], "kmb": ["camba"]}
    cuts = _cuts("rwsaskamba", skel)
    assert len(cuts) == 2
    assert 5 in cuts  # rwsas | kamba: Rosas Camba, after the one cut into rsk + mb
    assert [v.tokens for v in _joined_apart(analyse_name("ليليانا روساسكامبا").variants, {**skel, "ln": ["liliana"]})] == [
        ("lylyana", "rwsask", "amba"),
        ("lylyana", "rwsas", "kamba"),
    ]


def test_spanish_j_before_a_or_i_is_keyed_in_a_word_of_a_spanish_ending() -> None:
    assert "grkls" in other_skeletons("grajales")  # غرخليس
    assert "fkrd" in other_skeletons("fajardo")
    assert other_skeletons("jamal") == set()  # an Arab name: ja as romanised
    assert other_skeletons("najib") == set()


def test_grajales_jacobo_in_arabic_letters(build: Build) -> None:
    s = build([(1, person("a", "GRAJALES LEMOS, Juan Jacobo")), (2, person("b", "AGRICOLAS, Juan"))])
    assert 1 in s.candidate_entries("خان خكوبو غرخليس ليموس")


def test_the_article_joined_again_is_also_read_with_spanish_j() -> None:
    skel = {"lkndr": ["alejandro"], "ljndr": ["alejandro", "alejandra"], "kndr": ["kandar"]}
    spellings = [v.tokens for v in _joined_apart(analyse_name("اليخندرا").variants, skel, {"alejandro": [1], "alejandra": [2]})]
    assert ("alykhndra",) in spellings
    assert ("alyjndra",) in spellings


def test_no_article_before_v() -> None:
    assert analyse_name("الڤر بسرر").variants[0].tokens == ("alvr", "bsrr")
    assert analyse_name("الحسن").variants[0].tokens == ("al", "hsn")


def test_a_name_with_v_is_read_with_latin_digraphs() -> None:
    readings = [v.tokens for v in analyse_name("اندر اڤنڤكه سهڤد").variants]
    assert ("andr", "avnvkh", "shvd") in readings  # Shved
    assert ("andr", "avnvkah", "sahvd") in readings  # the letters as they are, first
    # no ڤ: not read so (سهيل Suhail, s and h)
    assert all("shyl" not in r for r in (v.tokens for v in analyse_name("سهيل").variants))


def test_shved_and_alvaro_in_arabic_letters(build: Build) -> None:
    s = build([(1, person("a", "SHVED, Andrei Ivanavich")), (2, person("b", "BECERRA BECERRA, Alvaro"))])
    assert 1 in s.candidate_entries("اندر اڤنڤكه سهڤد")
    assert 2 in s.candidate_entries("الڤر بسرر بسرر")
