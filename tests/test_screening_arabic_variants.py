"""Arabic-script spelling variants that lost blocking (issue #16, ``bench/screening/arabic_variants.py``, dev only).

The dev stand-in queries rewritten one documented variation at a time: short vowels, shadda and tatweel written
(``عبـدُ الجِبار``), a hamza on the article after عبد (``عبد ألمجيد``), a kunya joined to the name after it (``ابوياسر``),
Urdu's heh goal at a word's end (``عبدہ``).
"""

from __future__ import annotations

import pytest

from finguard.screening.model.names import analyse_name
from finguard.screening.model.scripts import arabic_kunya_apart, arabic_prepare
from finguard.screening.service import NameScreener, ScreenQuery
from tests.screening_helpers import blocked, person


def test_marks_and_tatweel_go_before_the_abd_and_article_rules() -> None:
    assert arabic_prepare("عبـدُ الجِبار") == arabic_prepare("عبد الجبار") == "عبدالجبار"
    assert arabic_prepare("مُحَمَّد الـتكريتي") == arabic_prepare("محمد التكريتي")
    assert arabic_prepare("عبد ألمجيد") == arabic_prepare("عبد إلمجيد") == "عبدالمجيد"
    assert arabic_prepare("إلياس") == "إلياس"  # a word opening إل is no article but after عبد / أبو
    assert arabic_prepare("فاطمۃ") == "فاطم"  # Urdu ta marbuta, as ة


def test_kunya_joined_is_read_apart_too() -> None:
    assert arabic_kunya_apart("ابوياسر حسن") == "ابو ياسر حسن"
    assert arabic_kunya_apart("أبوقمر") == "أبو قمر"
    assert arabic_kunya_apart("ابوالفضل") == "ابوالفضل"  # before the article: one name (Abolfazl)
    assert arabic_kunya_apart("ابوعلي") == "ابو علي"  # Abu Ali
    assert arabic_kunya_apart("ابوكم") == "ابوكم"  # two letters after it: left as written
    assert arabic_kunya_apart("ابو ياسر") == "ابو ياسر"
    tokens = [v.tokens for v in analyse_name("ابوياسر", "person").variants]
    assert ("abwyasr",) in tokens and ("abw", "yasr") in tokens  # as written (Abubakar) and apart


def test_urdu_final_heh_is_read_without_it_too() -> None:
    tokens = [v.tokens for v in analyse_name("عبدہ", "person").variants]
    assert ("bd",) in tokens


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("JABBAR, Abdul", "عبـدُ الجِبار"),
        ("MAJID, Abdul", "عبد ألمجيد"),
        ("YASIR, Abu", "ابوياسر"),
        ("HASSAN, Abu Yasir", "ابوياسر حسن"),
        ("Julia Sadegh Abu Qamar", "جوليا صادق أبوقمر"),
        ("Abubakar Shekau", "أبوبكر شيكاو"),  # listed as one word: still found
        ("'ABDU, Abdallah", "عبداللہ عبدہ"),
    ],
)
def test_variants_reach_scoring(listed: str, query: str) -> None:
    assert blocked(listed, query)


def test_a_kunya_apart_is_no_hit_on_another_name() -> None:
    s = NameScreener()
    s.add(1, "x", person("k", "YASIN, Abu"))
    assert not s.screen(ScreenQuery("ابوياسر"))
    assert s.screen(ScreenQuery("ابوياسين"))
