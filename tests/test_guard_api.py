"""The guard's HTTP API: happy paths, the error envelope with field names, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from finguard.access.http.routes import router as access_router
from finguard.app.platform import Platform
from finguard.core import http_errors as errors
from finguard.guard.http.routes import router
from finguard.guard.provider import make_guard
from tests.guard_helpers import T0, Clock, transfer


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    platform.guard = make_guard(platform.engine, platform.checker, clock=Clock())  # type: ignore[attr-defined]
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.include_router(access_router)
    app.state.platform = platform
    with TestClient(app) as c:
        yield c


def approve(api: TestClient, key: str, pending: httpx.Response) -> None:
    """A change that can lower outcomes waited (202); a supervisor approves it."""
    assert pending.status_code == 202, pending.text
    r = api.post(f"/api/v1/approvals/{pending.json()['id']}/approve", json={"reason": "checked"}, headers=H(key))
    assert r.status_code == 200, r.text


def H(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_post_event_decides_and_the_decision_can_be_read(api: TestClient, analyst_key: str) -> None:
    r = api.post("/api/v1/guard/events", json=transfer(), headers=H(analyst_key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "allow" and body["event_id"] == "e1"
    assert api.post("/api/v1/guard/events", json=transfer(), headers=H(analyst_key)).json() == body
    got = api.get(f"/api/v1/guard/decisions/{body['decision_id']}", headers=H(analyst_key))
    assert got.json() == body
    listed = api.get("/api/v1/guard/decisions", params={"customer_id": "c1"}, headers=H(analyst_key)).json()
    assert listed["count"] == 1 and listed["decisions"][0] == body


def test_json_numbers_with_fractions_stay_exact(api: TestClient, analyst_key: str) -> None:
    raw = (
        '{"event_id":"f1","type":"loan_repayment","occurred_at":"%s","customer_id":"c1","channel":"web",'
        '"account":"6222000011112222","amount":1234.56}'
    )
    r = api.post("/api/v1/guard/events", content=raw % T0.isoformat(), headers={**H(analyst_key), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_bad_events_get_422_with_every_field_and_nothing_is_recorded(api: TestClient, analyst_key: str) -> None:
    r = api.post("/api/v1/guard/events", json=transfer(amount="1.001", type="transfer", occurred_at="yesterday"), headers=H(analyst_key))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and {p["field"] for p in err["problems"]} == {"amount", "occurred_at"}
    assert api.post("/api/v1/guard/events", content=b"{not json", headers=H(analyst_key)).status_code == 422
    assert api.post("/api/v1/guard/events", json=[1, 2], headers=H(analyst_key)).json()["error"]["problems"][0]["field"] == "body"
    listed = api.get("/api/v1/guard/decisions", params={"customer_id": "c1"}, headers=H(analyst_key)).json()
    assert listed["count"] == 0


def test_a_reused_event_id_is_409(api: TestClient, analyst_key: str) -> None:
    api.post("/api/v1/guard/events", json=transfer(), headers=H(analyst_key))
    r = api.post("/api/v1/guard/events", json=transfer(amount="2.00"), headers=H(analyst_key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


def test_keys_are_required_and_unknown_decisions_are_404(api: TestClient, analyst_key: str) -> None:
    assert api.post("/api/v1/guard/events", json=transfer()).status_code == 401
    assert api.get("/api/v1/guard/decisions/nope", headers=H(analyst_key)).status_code == 404


def test_controls_put_get_checkup_and_history(api: TestClient, analyst_key: str) -> None:
    url = "/api/v1/guard/customers/c1"
    assert api.get(f"{url}/checkup", headers=H(analyst_key)).json()["protections_off"] == 4
    body = {
        "channel": "mobile",
        "night_lock": {"enabled": True, "start": "23:00", "end": "06:00"},
        "limits": {"channels": [{"channel": "mobile", "single": "5000.00", "daily": "20000"}]},
    }
    r = api.put(f"{url}/controls", json=body, headers=H(analyst_key))
    assert r.status_code == 200, r.text
    assert r.json()["night_lock"]["current"]["enabled"] is True and r.json()["version"] == 1
    assert api.get(f"{url}/controls", headers=H(analyst_key)).json() == r.json()
    assert api.get(f"{url}/checkup", headers=H(analyst_key)).json()["protections_off"] == 2
    off = api.put(f"{url}/controls", json={"channel": "mobile"}, headers=H(analyst_key)).json()
    assert off["night_lock"]["current"]["enabled"] is True and off["night_lock"]["pending_off_until"] is not None
    assert [a["code"] for a in api.get(f"{url}/checkup", headers=H(analyst_key)).json()["advice"]][-1] == "pending"
    assert len(api.get(f"{url}/controls/history", headers=H(analyst_key)).json()) == 2
    decision = api.post("/api/v1/guard/events", json=transfer(amount="6000"), headers=H(analyst_key)).json()
    assert decision["outcome"] == "block" and decision["reasons"][0]["code"] == "single_limit"


def test_bad_controls_name_the_field(api: TestClient, analyst_key: str) -> None:
    url = "/api/v1/guard/customers/c1/controls"
    r = api.put(url, json={"channel": "mobile", "night_lock": {"timezone": "Nowhere/City"}}, headers=H(analyst_key))
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "night_lock.timezone"
    r = api.put(url, json={"channel": "mobile", "limits": {"channels": [{"channel": "mobile", "single": "1.001"}]}}, headers=H(analyst_key))
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"].startswith("limits.channels.0.single")
    assert api.put(url, json={}, headers=H(analyst_key)).json()["error"]["problems"][0]["field"] == "channel"
    assert api.get("/api/v1/guard/customers/bad id!/controls", headers=H(analyst_key)).status_code == 422


def test_conditions_crud(api: TestClient, analyst_key: str, supervisor_key: str) -> None:
    body = {"kind": "hard_block", "subject_type": "account", "subject": "6228 0000 9999 8888", "reason": "police request"}
    r = api.post("/api/v1/guard/conditions", json=body, headers=H(analyst_key))
    assert r.status_code == 201, r.text
    cond = r.json()
    assert cond["subject"] == "6228000099998888" and cond["created_by"] == "key:analyst-1"
    assert api.get(f"/api/v1/guard/conditions/{cond['id']}", headers=H(analyst_key)).json() == cond
    listed = api.get("/api/v1/guard/conditions", params={"subject_type": "account", "subject": "6228000099998888"}, headers=H(analyst_key))
    assert [c["id"] for c in listed.json()] == [cond["id"]]
    assert api.post("/api/v1/guard/events", json=transfer(), headers=H(analyst_key)).json()["outcome"] == "block"
    # Revoking a block can lower outcomes: it waits for a supervisor (tests/test_authority_guard.py).
    approve(api, supervisor_key, api.delete(f"/api/v1/guard/conditions/{cond['id']}", headers=H(analyst_key)))
    revoked = api.get(f"/api/v1/guard/conditions/{cond['id']}", headers=H(analyst_key)).json()
    assert revoked["revoked_at"] is not None
    assert api.delete(f"/api/v1/guard/conditions/{cond['id']}", headers=H(analyst_key)).status_code == 409
    assert api.get("/api/v1/guard/conditions/999999", headers=H(analyst_key)).status_code == 404
    bad = api.post("/api/v1/guard/conditions", json={**body, "subject": "12ab"}, headers=H(analyst_key))
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "subject"
    late = {**body, "starts_at": T0.isoformat(), "expires_at": (T0 - timedelta(hours=1)).isoformat()}
    assert api.post("/api/v1/guard/conditions", json=late, headers=H(analyst_key)).json()["error"]["problems"][0]["field"] == "expires_at"


def test_rules_crud_is_for_admins_and_refuses_unsafe_expressions(
    api: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    rule = {"id": "r.big", "expression": "event.amount >= 5000", "description": "big", "score": 40}
    assert api.post("/api/v1/guard/rules", json=rule, headers=H(analyst_key)).status_code == 403
    r = api.post("/api/v1/guard/rules", json=rule, headers=H(admin_key))
    assert r.status_code == 201 and r.json()["version"] == 1
    assert api.post("/api/v1/guard/rules", json=rule, headers=H(admin_key)).status_code == 409
    evil = api.put(
        "/api/v1/guard/rules/r.big", json={"expression": "__import__('os')", "description": "x", "score": 1}, headers=H(admin_key)
    )
    assert evil.status_code == 422
    evil = api.put("/api/v1/guard/rules/r.big", json={"expression": "().__class__", "description": "x", "score": 1}, headers=H(admin_key))
    assert evil.status_code == 422 and evil.json()["error"]["problems"][0]["field"] == "expression"
    v2 = api.put(
        "/api/v1/guard/rules/r.big", json={"expression": "event.amount >= 9000", "description": "big", "score": 40}, headers=H(admin_key)
    )
    approve(api, supervisor_key, v2)  # rewriting an enforced rule can lower outcomes
    assert [v["version"] for v in api.get("/api/v1/guard/rules/r.big", headers=H(analyst_key)).json()] == [1, 2]
    listed = api.get("/api/v1/guard/rules", headers=H(analyst_key)).json()
    assert listed["rule_version"] == 2 and listed["rules"][0]["expression"] == "event.amount >= 9000"
    approve(api, supervisor_key, api.delete("/api/v1/guard/rules/r.big", headers=H(admin_key)))
    assert api.get("/api/v1/guard/rules", headers=H(analyst_key)).json()["rules"][0]["enabled"] is False
    assert api.get("/api/v1/guard/rules/r.none", headers=H(analyst_key)).status_code == 404


def test_starter_pack_and_backtest(api: TestClient, admin_key: str) -> None:
    api.post("/api/v1/guard/events", json=transfer(amount="60000"), headers=H(admin_key))
    pack = api.post("/api/v1/guard/rules/starter-pack", headers=H(admin_key)).json()
    assert len(pack) >= 8
    report = api.post("/api/v1/guard/rules/backtest", json={}, headers=H(admin_key)).json()
    assert report["evaluated"] == 1 and report["rule_version"] == len(pack)
    assert api.post("/api/v1/guard/rules/backtest", json={"limit": 0}, headers=H(admin_key)).status_code == 422
