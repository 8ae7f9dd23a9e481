"""#16, screenfp5 (dev split): a Han firm's pinyin against a word that is no pinyin, a Japanese reading's missing word, and
given-name readings from a name dictionary.

The names are made up for the tests or were dev false positives / dev misses (迪摩科技有限公司, 郎帆, Faker's 知実 Satomi);
none is a held-out query. 莫斌 / MOBIN HOLDING LIMITED stays a hit: its shape (a family name and one character read
joined, one listed word) is the shape of 李宁 / LINING and 华为 / HUAWEI HOLDING LIMITED (tests/test_screening_screenfp4.py).
"""

from __future__ import annotations

import pytest

from finguard.screening.model import scripts
from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import org, person


def hits(listed: str, query: str, kind: str = "person") -> list[tuple[float, str]]:
    s = NameScreener()
    s.add(1, "x", (person if kind == "person" else org)("p", listed))
    return [(h.score, h.outcome) for h in s.screen(ScreenQuery(query))]


def test_a_han_firms_pinyin_is_not_a_listed_word_that_is_no_pinyin() -> None:
    """迪摩科技有限公司 is read ``dimo technology``: ``dimo`` is pinyin read from Han characters, never misspelled, and DIMACO is
    no pinyin at all: another firm (0.90 before, the generic word carrying the pair). The same firm's pinyin (华为 /
    HUAWEI), a listed generic word misspelled (TECHNOLGIES) and the brand-only firms are hits as before."""
    assert hits("DIMACO TECHNOLOGY, S.A.", "迪摩科技有限公司", "organisation") == []
    assert hits("DIMACO TECHNOLOGY, S.A.", "迪马科技有限公司", "organisation") == []
    assert hits("HUAWEI TECHNOLOGIES CO., LTD.", "华为技术有限公司", "organisation") == [(0.9325, "match")]
    assert hits("HUAWEI TECHNOLGIES CO., LTD.", "华为技术有限公司", "organisation") == [(0.9018, "close_match")]
    assert hits("华为技术有限公司", "Huawei Technologies Co Ltd", "organisation") == [(0.9325, "match")]
    assert hits("FANGZHENG GROUP", "方正", "organisation") == [(0.97, "match")]
    assert hits("LINING", "李宁", "organisation") == [(0.97, "match")]
    assert hits("WANDA", "万达", "organisation") == [(0.97, "match")]
    # a firm named in Latin letters keeps its spelling likeness (not read from Han characters by us)
    assert hits("DIMACO TECHNOLOGY, S.A.", "Dimaco Technologies S.A.", "organisation") != []


def test_a_japanese_reading_leaves_no_listed_word_out() -> None:
    """郎帆 read in Japanese ``ro han`` (family Rou, given Han) met HAN YU-RO, a Korean name of three syllables, at 0.89: a
    Japanese name is a family name and a given name, so a listed word left out is another person. The Japanese readings
    that are the name, in either order, are hits as before; the pinyin reading is not capped."""
    pytest.importorskip("cutlet")
    assert hits("HAN YU-RO", "郎帆") == []
    assert hits("HAN YU-RO", "Ro Han") == [(0.8857, "close_match")]  # a name in Latin letters: left to the other rules
    assert hits("YAMAMOTO Isoroku", "山本 五十六") == [(1.0, "match")]
    assert hits("Yuki Yamaguchi", "山口裕樹") == [(1.0, "match")]
    assert hits("LANG Fan", "郎帆") == [(1.0, "match")]
    assert hits("LANG Fan Hua", "郎帆") == []  # the pinyin reading: a missing syllable, as before


def test_given_name_readings_from_the_name_dictionary() -> None:
    """知実 is Tomomi to UniDic and also Satomi (JMnedict, shipped in screening/data): a list writes the reading the person
    uses. Both are hits, in both directions; another given name is not."""
    pytest.importorskip("cutlet")
    assert scripts.japanese("吉田 知実")[:2] == ["yoshida tomomi", "yoshida satomi"]
    assert hits("Satomi Yoshida", "吉田 知実") == [(1.0, "match")]
    assert hits("YOSHIDA, Tomomi", "吉田 知実") == [(1.0, "match")]
    assert hits("木村知実", "Satomi Kimura") == [(1.0, "match")]
    assert hits("Hina Tanaka", "田中 陽菜") == [(1.0, "match")]
    assert hits("Kaori Kimura", "木村知実") == []


def test_the_readings_are_capped() -> None:
    """A single kanji has a dozen given-name readings in JMnedict (充: Atsuru, Takashi, Makoto, Michi, Mitsuru ...): at
    most NAME_READINGS of them beside the tagger's."""
    pytest.importorskip("cutlet")
    readings = scripts._given_name_readings("充")
    assert readings[0] == "mitsuru"
    assert len(readings) <= scripts.GIVEN_READINGS + 1 + scripts.NAME_READINGS
