"""Names not of Arabic origin written in Arabic letters by sound (#16, screenarb; bench ``arabic_dev2.py``).

* Arabic letters have no p, v, c, x or ch: a foreign name is written with ب, ف, ك / س, كس and تش / ش (``Lopez``
  لوبيز, ``Victor`` فيكتور, ``Carlos`` كارلوس, ``Sanchez`` سانتشيز), whose skeleton is not the Latin one's;
* a name opening with al (``Alfonso`` الفونسو) is read as the article and a word;
* two words written without the space (``رويبينماروماهوكو``, Rueben Marumahoko) are no listed word.

Each runs on the in-memory index and on a snapshot read back from its file (the store a process starts from).
"""

from __future__ import annotations

import pytest

from finguard.screening.model.names import analyse_name, foreign_in_arabic, other_skeletons
from finguard.screening.service.matcher import _joined_apart
from tests.screening_helpers import Build, build_fixture, org, outcome, person

_OTHERS = [
    (90, person("o1", "BARAKAT, Ahmad")),
    (91, person("o2", "KARIMI, Sergio")),
    (92, person("o3", "MARTINEZ, Rueben")),
    (93, org("o4", "INVERSIONES PLANETA LTDA.")),
]


build = build_fixture(_OTHERS)


def test_a_foreign_word_is_keyed_as_arabic_letters_write_it() -> None:
    assert foreign_in_arabic("lopez") == ["lobez"]
    assert foreign_in_arabic("sanchez") == ["santshez", "sanshez"]
    assert "lbz" in other_skeletons("lopez")
    assert "fktr" in other_skeletons("victor")
    assert "krls" in other_skeletons("carlos")
    assert {"sntsz", "snsz"} <= other_skeletons("sanchez")
    assert "gksl" in other_skeletons("gaxiola")
    assert "bdr" in other_skeletons("pedro")
    # a word without those letters gets no such key (Fathi's two-letter reading only)
    assert other_skeletons("fathi") == {"fth"}


def test_a_name_opening_with_al_is_also_keyed_without_it() -> None:
    assert "fns" in other_skeletons("alfonso")
    assert "ksndr" in other_skeletons("aleksandr")
    assert "hsn" not in other_skeletons("alhassan")  # an Arab name written joined: not read without its article
    assert other_skeletons("alia") == set()  # too short: al + one letter is no article and a name


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("فيكتور بيريز سانتورو", "PEREZ SANTORO, Victor"),
        ("كارلوس لوبيز فيلا", "LOPEZ VILLA, Carlos"),
        ("الفونسو سانتشيز", "SANCHEZ, Alfonso"),
        ("فلاديمير بوغدانوف", "BOGDANOV, Vladimir"),
    ],
)
def test_a_foreign_name_in_arabic_letters_finds_its_latin_listing(build: Build, query: str, listed: str) -> None:
    s = build([(1, person("a", listed))])
    assert 1 in s.candidate_entries(query)
    assert outcome(s, query, 1) is not None


def test_two_words_written_without_the_space_are_read_apart(build: Build) -> None:
    s = build([(1, person("a", "MARUMAHOKO, Rueben"))])
    assert 1 in s.candidate_entries("رويبين ماروماهوكو")
    assert 1 in s.candidate_entries("رويبينماروماهوكو")
    assert outcome(s, "رويبينماروماهوكو", 1) is not None


def test_a_listed_word_is_not_cut() -> None:
    skel = {"mrmhk": ["marumahoko"], "rbn": ["rueben"], "mr": ["mora"], "mhk": ["mahoko"]}
    known = analyse_name("ماروماهوكو").variants
    assert _joined_apart(known, skel) == ()  # its skeleton is a listed word's: a name of its own
    joined = analyse_name("رويبينماروماهوكو").variants
    cut = _joined_apart(joined, skel)
    assert cut and len(cut[0].tokens) == 2 and cut[0].kind == "skeleton"
    assert _joined_apart(analyse_name("Rueben Marumahoko").variants, skel) == ()  # Latin letters: words as written


def test_spanish_j_is_read_as_kha_before_e_o_u_only() -> None:
    assert foreign_in_arabic("juan") == ["juan", "khuan"]
    assert "kfr" in other_skeletons("javier")  # a word with v: Javier خافيير
    assert foreign_in_arabic("jamal") == ["jamal"]  # ja, ji open Arab names as romanised: Jamal is never كمال
    assert other_skeletons("jazairi") == set()
