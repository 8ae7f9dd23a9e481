"""Arabic-script names against Latin-listed persons (issue #16, stop 21: the dev stand-ins dev_ofac_arabic and
dev_script_arabic, ``bench/screening/arabic_dev.py``).

Three shapes of the dev misses: the article before a sun letter written assimilated in the Latin list (السيد listed
``ES SAYED`` / ``as-Sayyid``, الشيخ ``ash-Shaikh``); a theophoric ``Abd al-`` name, one word in Arabic letters
(عبدالعزيز), listed as two (``AZIZ, Abdul``); ``ة`` after alif read t (حياة Hayat).
"""

from __future__ import annotations

import pytest

from finguard.screening.model.names import analyse_name
from finguard.screening.service import NameScreener, ScreenQuery
from finguard.screening.service.similarity import ARTICLE_SKELETON, Prepared, article_places, same_skeleton_words
from tests.screening_helpers import person


def hits(listed: str, query: str) -> list[float]:
    s = NameScreener()
    s.add(1, "x", person("k", listed))
    return [h.score for h in s.screen(ScreenQuery(query)) if h.entry_id == 1]


def test_assimilated_article_places() -> None:
    assert article_places(("kader", "es", "sayed")) == {1}
    assert article_places(("hassan", "ash", "shaikh")) == {1}
    assert article_places(("salah", "ud", "din")) == {1}
    assert article_places(("mohammed", "al", "tikriti")) == {1}
    assert article_places(("zayed", "an", "nahyan")) == {1}
    # not before another letter, nor a moon letter, nor as the last word
    assert article_places(("ahmed", "as", "mohamed")) == frozenset()
    assert article_places(("ahmed", "ak", "kamal")) == frozenset()
    assert article_places(("ahmed", "as")) == frozenset()
    assert article_places(("as", "s")) == frozenset()


def test_assimilated_article_skeleton_is_the_article() -> None:
    listed = Prepared(analyse_name("ES SAYED, Kader", "person").variants[0])
    query = Prepared(analyse_name("قادر السيد", "person").variants[0])
    assert listed.skel == query.skel == ("kdr", ARTICLE_SKELETON, "sd")
    assert listed.skel_compact == query.skel_compact == "kdrlsd"


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("ES SAYED, Kader", "قادر السيد"),
        ("Mohamed as-Sayyid", "محمد السيد"),
        ("Hassan ash-Shaikh", "حسن الشيخ"),
        ("Abdullah ar-Rashid", "عبدالله الرشيد"),
    ],
)
def test_assimilated_article_found(listed: str, query: str) -> None:
    assert hits(listed, query) and max(hits(listed, query)) >= 0.9


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("AZIZ, Abdul", "عبدالعزيز"),
        ("Abdul Aziz", "عبدالعزيز"),
        ("WAFA, Abdul", "عبد الوفاء"),
        ("Abd al-Aziz", "عبدالعزيز"),
    ],
)
def test_abd_name_listed_as_two_words(listed: str, query: str) -> None:
    found = hits(listed, query)
    assert found and max(found) < 0.9  # a short name: a close match, never a match


def test_abd_apart_is_the_whole_name_only() -> None:
    assert same_skeleton_words(("bdlz",), ("bdl", "z"))
    assert same_skeleton_words(("bd", ARTICLE_SKELETON, "z"), ("bdlz",))
    assert not same_skeleton_words(("bdlz",), ("bdl", "z", "kr"))  # a word more
    assert not same_skeleton_words(("bdlz",), ("bdl", "s"))
    assert not same_skeleton_words(("bdl",), ("bdl",))  # one word


def test_abd_short_name_not_found_for_another() -> None:
    assert not hits("WAFA, Abdul", "عبدالعزيز")
    assert not hits("AZIZ, Abdul Karim", "عبدالعزيز")


def test_ta_marbuta_after_alif_is_t() -> None:
    from finguard.screening.model.scripts import arabic_prepare

    assert arabic_prepare("فضل حياة") == "فضل حيات"  # Hayat
    assert arabic_prepare("فاطمة") == "فاطم"  # after a consonant still dropped: Fatima
    assert hits("HAYAT, Fazal", "فضل حياة")
    assert hits("Najat Hassan", "نجاة حسن")
