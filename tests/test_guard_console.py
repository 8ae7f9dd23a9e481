"""Staff pages of the guard that act (#13): a customer's controls edited by staff (the delayed
loosening, the at-branch confirmation with who and why), and a rule written, tested on recent
stored events and enabled. On SQLite and PostgreSQL (the control change keeps its reason)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.guard.console_pages import parse_controls_form
from tests.conftest import make_settings
from tests.guard_helpers import transfer
from tests.test_cases_web import sign_in


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False)) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def _form(csrf: str, **over: str) -> dict[str, str]:
    base = {"csrf": csrf, "lang": "en", "nl_start": "00:00", "nl_end": "06:00", "nl_mode": "block", "nl_cap": "0",
            "rl_allowed": "CN", "rl_unknown": "review", "co_hours": "24", "co_cap": "0", "channel": "counter"}
    return {**base, **over}


def test_the_form_names_every_bad_field_at_once() -> None:
    values = {k: "" for k in ("nl_enabled", "nl_timezone", "rl_enabled", "co_enabled", "at_branch", "reason")}
    values.update(nl_start="25:00", nl_end="6", nl_mode="cap", nl_cap="-1", rl_allowed="CN, china", rl_unknown="review",
                  co_hours="0", co_cap="1.234", channel="fax", at_branch="1")
    for ch in ("mobile", "web", "wechat", "atm", "pos", "counter"):
        values[f"lim_{ch}_single"] = values[f"lim_{ch}_daily"] = ""
    values["lim_web_daily"] = "abc"
    _, problems, to_input = parse_controls_form(values)
    fields = {to_input.get(p.field, p.field) for p in problems}
    assert fields == {"nl_start", "nl_end", "nl_cap", "rl_allowed", "lim_web_daily", "co_hours", "co_cap", "channel", "reason"}


def test_staff_tighten_at_once_loosen_after_the_delay_and_at_a_branch_with_a_second_person(
    web: TestClient, platform: Platform, analyst_key: str, supervisor_key: str
) -> None:
    csrf = sign_in(web, analyst_key)
    url = "/staff/guard/customers/c-9"
    page = web.get(url + "?lang=zh")
    assert page.status_code == 200 and 'id="controls-form"' in page.text and "夜间锁" in page.text
    r = web.post(url + "/controls", data=_form(csrf, nl_enabled="1", lim_mobile_single="5000"), follow_redirects=False)
    assert r.status_code == 303 and "saved=1" in r.headers["location"]
    now = platform.guard.controls.get("c-9")
    assert now.night_lock.current.enabled and str(now.limits.current.channels[0].single) == "5000.00"
    # Switching it off through staff waits the delay, exactly as the customer's own request would.
    r = web.post(url + "/controls", data=_form(csrf, lim_mobile_single="5000"), follow_redirects=False)
    assert r.status_code == 303
    waiting = platform.guard.controls.get("c-9").night_lock
    assert waiting.current.enabled and waiting.pending is not None and waiting.pending_off_until is not None
    assert "applies at" in web.get(r.headers["location"]).text
    # At a branch: a reason is required, then a supervisor approves and it applies at once.
    r = web.post(url + "/controls", data=_form(csrf, at_branch="1", lim_mobile_single="5000"))
    assert r.status_code == 422 and 'data-field="reason"' in r.text
    r = web.post(url + "/controls", data=_form(csrf, nl_start="7", nl_cap="x", lim_web_daily="-5", co_hours="0"))
    assert r.status_code == 422 and all(f'data-field="{f}"' in r.text for f in ("nl_start", "nl_cap", "lim_web_daily", "co_hours"))
    r = web.post(url + "/controls", data=_form(csrf, at_branch="1", lim_mobile_single="5000",
                                               reason="ID card seen, customer alone at the counter"), follow_redirects=False)
    assert r.status_code == 303 and "pending=" in r.headers["location"]
    pending = int(r.headers["location"].split("pending=")[1].split("#")[0])
    assert platform.guard.controls.get("c-9").night_lock.current.enabled
    platform.approvals.approve(pending, platform.keys.authenticate(supervisor_key).principal, "called the customer back")
    after = platform.guard.controls.get("c-9")
    assert not after.night_lock.current.enabled and after.night_lock.pending is None
    last = platform.guard.controls.history("c-9", 1)[0]
    assert last.at_branch and last.actor == "key:analyst-1 approved by key:supervisor-1 (change 1)"
    assert last.reason == "ID card seen, customer alone at the counter"
    assert "ID card seen" in web.get(url + "?lang=en").text


def test_a_rule_is_tested_on_recent_events_then_enabled_in_shadow(web: TestClient, platform: Platform, admin_key: str,
                                                                  analyst_key: str) -> None:
    now = datetime.now(UTC)
    for i, amount in enumerate(("100.00", "60000.00", "75000.00", "200.00")):
        platform.guard.decide_raw(transfer(f"ev-{i}", at=now - timedelta(hours=5 - i), amount=amount))
    csrf = sign_in(web, analyst_key)
    assert web.get("/staff/guard/new-rule?lang=en").status_code == 403  # rules are the admin's
    csrf = sign_in(web, admin_key)
    page = web.get("/staff/guard/new-rule?lang=zh")
    assert page.status_code == 200 and "编写规则" in page.text
    form = {"csrf": csrf, "lang": "en", "id": "big_transfer", "expression": "event.amount >= 50000",
            "description": "a large transfer", "score": "40", "outcome": "review", "days": "7"}
    r = web.post("/staff/guard/new-rule", data={**form, "id": "Bad Id", "expression": "event.amount >=", "description": "",
                                                "score": "0", "outcome": "", "days": "400", "action": "test"})
    assert r.status_code == 422 and all(f'data-field="{f}"' in r.text for f in ("id", "expression", "description", "score", "days"))
    r = web.post("/staff/guard/new-rule", data={**form, "action": "shadow"})
    assert r.status_code == 422 and 'data-field="mode"' in r.text  # not tested yet
    r = web.post("/staff/guard/new-rule", data={**form, "action": "test"})
    assert r.status_code == 200 and 'data-hits="2"' in r.text and 'data-events="4"' in r.text and "50.00%" in r.text
    assert "ev-1" in r.text and "ev-2" in r.text and "ev-0" not in r.text
    assert all(x.id != "big_transfer" for x in platform.guard.rules.rules())  # a test run changes nothing
    tested = r.text.split('name="tested" value="')[1].split('"')[0]
    r = web.post("/staff/guard/new-rule", data={**form, "expression": "event.amount >= 1", "action": "shadow", "tested": tested})
    assert r.status_code == 422  # an edit after the test run needs a new test run
    r = web.post("/staff/guard/new-rule", data={**form, "action": "shadow", "tested": tested}, follow_redirects=False)
    assert r.status_code == 303 and "saved=big_transfer" in r.headers["location"]
    rule = platform.guard.rules.get("big_transfer")
    assert rule.mode.value == "shadow" and rule.version == 1
    assert platform.audit.recent(action="guard.rule_authored")[0][1].target == "rule big_transfer"
    r = web.post("/staff/guard/new-rule", data={**form, "score": "50", "action": "test"})
    tested = r.text.split('name="tested" value="')[1].split('"')[0]
    r = web.post("/staff/guard/new-rule", data={**form, "score": "50", "action": "enforce", "tested": tested}, follow_redirects=False)
    assert r.status_code == 303 and "version=2" in r.headers["location"]
    assert platform.guard.rules.get("big_transfer").mode.value == "enforce"
    assert platform.guard.decide_raw(transfer("ev-9", at=datetime.now(UTC), amount="80000.00")).outcome.value != "allow"


def test_the_api_tests_a_draft_rule_and_keeps_a_control_change_reason(web: TestClient, platform: Platform,
                                                                       analyst_key: str) -> None:
    now = datetime.now(UTC)
    for i, amount in enumerate(("100.00", "60000.00", "300.00")):
        platform.guard.decide_raw(transfer(f"ev-{i}", at=now - timedelta(hours=3 - i), amount=amount))
    h = {"X-API-Key": analyst_key}
    body = {"id": "big_transfer", "expression": "event.amount >= 50000", "description": "large", "score": 40, "days": 2}
    r = web.post("/api/v1/guard/rules/test", json=body, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["events"], out["hits"], out["examples"][0]["event_id"]) == (3, 1, "ev-1") and abs(out["hit_rate"] - 1 / 3) < 1e-9
    r = web.post("/api/v1/guard/rules/test", json={**body, "expression": "event.amount >=", "description": " ", "days": 0}, headers=h)
    assert r.status_code == 422 and "days" in {p["field"] for p in r.json()["error"]["problems"]}
    r = web.post("/api/v1/guard/rules/test", json={**body, "expression": "event.amount >=", "description": " "}, headers=h)
    assert r.status_code == 422 and {"expression", "description"} <= {p["field"] for p in r.json()["error"]["problems"]}
    assert all(x.id != "big_transfer" for x in platform.guard.rules.rules())
    url = "/api/v1/guard/customers/c-3/controls"
    r = web.put(url, json={"night_lock": {"enabled": True}, "channel": "counter", "reason": "customer asked at the counter"}, headers=h)
    assert r.status_code == 200
    assert web.get(url + "/history", headers=h).json()[0]["reason"] == "customer asked at the counter"


def test_a_bad_customer_id_changes_nothing(web: TestClient, platform: Platform, analyst_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    r = web.post("/staff/guard/customers/bad%20id!/controls", data=_form(csrf, nl_enabled="1"))
    assert r.status_code == 422 and 'data-field="customer_id"' in r.text
    assert platform.guard.controls.get("bad id!").version == 0
