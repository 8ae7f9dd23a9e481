"""Japanese names read as lists romanise them (issue #16, stop 21: romanised_japanese / script_japanese_kanji).

Two shapes the wider dev sample (``NS=1800 devwide.py``, seed 2203) showed: a long ``oo`` written as one
``o`` (太田 Oota is Ota, as 佐藤 Satou is Sato), and a given name the tagger knows as no name at all
(拓真: taku + shin as nouns), read kanji by kanji (``takuma`` among the readings).
"""

from __future__ import annotations

import pytest

from finguard.screening.model import scripts as sc
from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import person

pytest.importorskip("cutlet")  # the optional ja extra reads kanji in Japanese


def found(s: NameScreener, query: str, entry: int) -> bool:
    return any(h.entry_id == entry for h in s.screen(ScreenQuery(query)))


def test_long_oo_is_written_as_one_o() -> None:
    assert "ota shuhei" in sc.japanese("太田 修平")
    assert "oota shuuhei" in sc.japanese("太田 修平")  # as read, kept
    assert "ono youichi" not in sc.japanese("小川 陽一")  # nothing else changes: ogawa stays ogawa
    assert "ogawa yoichi" in sc.japanese("小川 陽一")


def test_given_name_known_as_no_name_is_read_kanji_by_kanji() -> None:
    assert "takuma" in sc._given_name_readings("拓真")
    assert "sato takuma" in sc.japanese("佐藤拓真")  # no space: the family name is the tagger's
    assert "goto takuma" in sc.japanese("後藤 拓真")
    # a given name the tagger reads as one: its readings as before, none kanji by kanji
    assert sc._given_name_readings("翔太") == ("shouta",)
    assert "kenichi" in sc._given_name_readings("健一")


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("Takuma Goto", "後藤 拓真"),  # script_japanese_kanji
        ("後藤拓真", "Takuma Goto"),  # romanised_japanese
        ("Shohei Ota", "太田 修平"),  # Oota / Ota, Shuuhei / Shohei
        ("太田修平", "Shuhei Ota"),
        ("Ryohei Oota", "太田 涼平"),  # the long form still found
    ],
)
def test_japanese_names_found_across_scripts(listed: str, query: str) -> None:
    s = NameScreener()
    s.add(1, "x", person("p", listed))
    s.add(2, "x", person("q", "Takashi Ono"))
    assert found(s, query, 1)


def test_other_japanese_names_not_found() -> None:
    s = NameScreener()
    s.add(1, "x", person("p", "Takuma Goto"))
    s.add(2, "x", person("q", "太田修平"))
    assert not found(s, "後藤 明美", 1)  # the family name alone is no match
    assert not found(s, "Akemi Ota", 2)
    assert not found(s, "Takuya Ono", 2)
