"""The public page and the staff dashboard say how old each list is, and "stale" when it is (#13)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.clock import utcnow
from finguard.core.i18n import MESSAGES
from tests.conftest import make_settings


@pytest.fixture
def listed(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(make_settings(f"sqlite:///{tmp_path}/f.db", tmp_path))
    try:
        p.lists.create_list("police-x", "公安涉诈账户名单 Police fraud list", "fraud_account", "police", "critical")
        p.lists.create_list("own-x", "本行内部名单 Internal", "internal", "bank", "high")
        yield p
    finally:
        p.close()


def _public(p: Platform, lang: str) -> str:
    with TestClient(create_app(p)) as c:
        r = c.get(f"/?lang={lang}")
        assert r.status_code == 200
        return str(r.text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_page_shows_each_lists_as_of_date_and_no_stale_flag_when_fresh(listed: Platform, lang: str) -> None:
    html = _public(listed, lang)
    t = MESSAGES[lang]
    assert t["lists_as_of_heading"] in html
    item = re.search(r'<li data-kind="fraud_account" data-stale="no">(.*?)</li>', html, re.S)
    assert item, html
    assert utcnow().strftime("%Y-%m-%d") in item.group(1) and t["lists_fresh"] in item.group(1)
    assert t["lists_stale"] not in html
    # no list code or name, no internal list: the public page does not say which lists the bank holds
    assert "police-x" not in html and "Police fraud list" not in html and "own-x" not in html
    assert 'data-kind="internal"' not in html and t["staff_list_kind_fraud_account"] in item.group(1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_stale_list_is_called_stale_with_its_date_on_the_public_page_and_the_dashboard(listed: Platform, lang: str) -> None:
    as_of = utcnow()
    later = as_of + timedelta(days=30)
    listed.robots.clock = lambda: later
    t = MESSAGES[lang]
    html = _public(listed, lang)
    item = re.search(r'<li data-kind="fraud_account" data-stale="yes">(.*?)</li>', html, re.S)
    assert item, html
    assert as_of.strftime("%Y-%m-%d") in item.group(1) and t["lists_stale"] in item.group(1)

    secret = listed.keys.create("analyst-1", "analyst", actor="test")[1]
    with TestClient(create_app(listed)) as c:
        c.post("/staff/login", data={"api_key": secret, "lang": lang})
        page = c.get(f"/staff/?lang={lang}").text
    assert 'id="stale-lists"' in page and t["staff_lists_stale_n"].format(n=2) in page
    assert 'id="lists-current"' not in page and t["staff_current"] not in page


def test_dashboard_says_current_only_when_no_list_is_stale(listed: Platform) -> None:
    secret = listed.keys.create("analyst-1", "analyst", actor="test")[1]
    with TestClient(create_app(listed)) as c:
        c.post("/staff/login", data={"api_key": secret, "lang": "zh"})
        page = c.get("/staff/?lang=zh").text
    assert 'id="lists-current"' in page and 'id="stale-lists"' not in page


def test_the_public_page_renders_when_freshness_cannot_be_read(listed: Platform) -> None:
    def down() -> list[object]:
        raise RuntimeError("database down")

    listed.robots.freshness = down  # type: ignore[method-assign,assignment]
    html = _public(listed, "zh")
    assert 'id="list-dates"' not in html and MESSAGES["zh"]["submit"] in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_public_page_gives_the_date_the_source_file_carries(listed: Platform, lang: str) -> None:
    """A sanctions file imported today is not dated today: the public line shows the date inside the
    file (the UN list's dateGenerated) beside the day it was last checked."""
    listed.lists.create_list("un-x", "UN", "sanctions", "un", "critical")
    listed.import_file("un-x", "un", Path(__file__).parent / "data" / "lists" / "un-consolidated.xml", actor="system:test-feed")
    html = _public(listed, lang)
    item = re.search(r'<li data-kind="sanctions" data-stale="no">(.*?)</li>', html, re.S)
    assert item, html
    assert MESSAGES[lang]["lists_source_dated"] in item.group(1)
    assert re.search(r'<time datetime="(\d{4}-\d\d-\d\d)', item.group(1).split(MESSAGES[lang]["lists_source_dated"])[1])
    assert "un-x" not in html
