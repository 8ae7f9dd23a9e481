"""#16, screenfp4 (dev split): a Han name's reading joined is not another name.

The names here are made up for the tests or were dev negatives (Faker's 山口 裕樹, 莫斌); none is a held-out query. The
rules: ``similarity._japanese_reading`` (a Han name's Japanese reading is compared word by word, never without spaces)
and ``similarity._joined_person`` (the pinyin of two characters, a common family name and one more, is not compared
joined with one word not read as Chinese).
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


def test_a_persons_two_characters_joined_are_not_a_firms_word() -> None:
    """莫斌 (a common family name, Mo, and one character) in pinyin joined is ``mobin``: MOBIN HOLDING LIMITED was a
    match at 0.97, both ways round. A firm's two characters whose first is no common family name (华为 / HUAWEI), a
    listed one-word name read as Chinese and the person's name in two words are hits as before."""
    assert hits("MOBIN HOLDING LIMITED", "莫斌", "organisation") == []
    assert hits("莫斌", "Mobin Holding Limited") == []
    assert hits("HUAWEI HOLDING LIMITED", "华为", "organisation") == [(0.97, "match")]
    assert hits("HUAWEI", "华为", "organisation") == [(0.97, "match")]
    assert hits("华为", "Huawei") == [(1.0, "match")]
    assert hits("MO, Bin", "莫斌") == [(1.0, "match")]
    assert hits("PENGNA", "彭娜") == [(1.0, "match")]
