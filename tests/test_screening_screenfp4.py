"""#16, screenfp4 (dev split): a Han name's reading joined is not another name.

The names here are made up for the tests or were dev negatives (Faker's 山口 裕樹, 莫斌); none is a held-out query. The
rule: ``similarity._japanese_reading`` (a Han name's Japanese reading is compared word by word, never without spaces).
The rule that the pinyin of two characters starting with a common family name is not compared joined with one word,
``_joined_person``, was taken back in the stop 26 review: it lost firms named by their brand alone.
"""

from __future__ import annotations

import pytest

from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import org, person


def hits(listed: str, query: str, kind: str = "person") -> list[tuple[float, str]]:
    s = NameScreener()
    s.add(1, "x", (person if kind == "person" else org)("p", listed))
    return [(h.score, h.outcome) for h in s.screen(ScreenQuery(query))]


def test_a_japanese_reading_is_compared_word_by_word() -> None:
    """山口 裕樹 read ``yamaguchi yuki``: joined, ``yamaguchiyuki`` is two letters from ``yamaguchigumi`` (0.82, a close
    match to YAMAGUCHI-GUMI, another given name altogether), both ways round. The same name, its words in either order,
    and the name written without a space are hits as before."""
    pytest.importorskip("cutlet")
    assert hits("YAMAGUCHI-GUMI", "山口 裕樹", "organisation") == []
    assert hits("YAMAGUCHI-GUMI", "山口裕樹", "organisation") == []
    assert hits("山口 裕樹", "Yamaguchi Gumi") == []
    assert hits("Yamaguchi Yuki", "山口 裕樹") == [(1.0, "match")]
    assert hits("Yuki Yamaguchi", "山口裕樹") == [(1.0, "match")]
    assert hits("山口裕樹", "Yuki Yamaguchi") == [(1.0, "match")]
    assert hits("Ogawa Yoichi", "小川陽一") == [(1.0, "match")]


def test_a_firm_named_by_its_two_characters_alone_meets_its_one_word_name() -> None:
    """A firm's brand in two Han characters meets its one-word romanised name whether or not its first character is also
    a common family name (方正 / FANGZHENG, 李宁 / LINING, 万达 / WANDA, like 华为 / HUAWEI). screenfp4 had stopped comparing
    such pinyin joined when the first character is a common family name (to drop 莫斌 -> MOBIN HOLDING LIMITED, 0.97) and
    lost these (stop 26 review): the person's false positive is the price of not losing the firms."""
    assert hits("FANGZHENG GROUP", "方正", "organisation") == [(0.97, "match")]
    assert hits("LINING", "李宁", "organisation") == [(0.97, "match")]
    assert hits("WANDA", "万达", "organisation") == [(0.97, "match")]
    assert hits("HUAWEI HOLDING LIMITED", "华为", "organisation") == [(0.97, "match")]
    assert hits("华为", "Huawei") == [(1.0, "match")]
    assert hits("MO, Bin", "莫斌") == [(1.0, "match")]
    assert hits("PENGNA", "彭娜") == [(1.0, "match")]
