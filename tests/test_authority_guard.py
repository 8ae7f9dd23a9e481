"""Maker-checker on the transaction guard (#18): a rule switched off, a block revoked, an allow
override added, a customer's protection loosened by staff at a branch each wait for a supervisor.

Defects: an admin disabled a guard rule alone; an analyst revoked a police hard block alone; a
teller at a branch switched a customer's night lock off at once, alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform

NIGHT_ON = {"night_lock": {"enabled": True, "start": "00:00", "end": "06:00"}, "channel": "mobile"}


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def decide(api: TestClient, key: str, change_id: int) -> int:
    return api.post(f"/api/v1/approvals/{change_id}/approve", json={"reason": "checked"}, headers=h(key)).status_code


def test_disabling_a_rule_waits_for_a_supervisor(api: TestClient, platform: Platform, admin_key: str, supervisor_key: str) -> None:
    rule = {"id": "r.big", "expression": "event.amount >= 5000", "description": "big", "outcome": "hold"}
    assert api.post("/api/v1/guard/rules", json=rule, headers=h(admin_key)).status_code == 201  # a new check: at once
    pending = api.delete("/api/v1/guard/rules/r.big", headers=h(admin_key))
    assert pending.status_code == 202 and pending.json()["summary"] == "disable guard rule 'r.big'"
    assert platform.guard.rules.get("r.big").enabled
    other_admin = platform.keys.create("admin-2", "admin", actor="test")[1]
    assert decide(api, admin_key, pending.json()["id"]) == 403  # the maker
    assert decide(api, other_admin, pending.json()["id"]) == 403  # an admin is no approver
    assert decide(api, supervisor_key, pending.json()["id"]) == 200
    assert not platform.guard.rules.get("r.big").enabled
    history = api.get("/api/v1/guard/rules/r.big", headers=h(admin_key)).json()
    assert history[-1]["actor"] == f"key:admin-1 approved by key:supervisor-1 (change {pending.json()['id']})"


def test_rewriting_an_enforced_rule_waits_but_enforcing_one_does_not(api: TestClient, admin_key: str) -> None:
    shadow = {"id": "r.new", "expression": "event.amount >= 1", "description": "new", "mode": "shadow", "outcome": "review"}
    assert api.post("/api/v1/guard/rules", json=shadow, headers=h(admin_key)).status_code == 201
    enforce = {"expression": "event.amount >= 1", "description": "new", "mode": "enforce", "outcome": "review"}
    assert api.put("/api/v1/guard/rules/r.new", json=enforce, headers=h(admin_key)).status_code == 200  # shadow -> enforce
    narrower = {**enforce, "expression": "event.amount >= 1000000"}
    assert api.put("/api/v1/guard/rules/r.new", json=narrower, headers=h(admin_key)).status_code == 202


def test_revoking_a_block_or_adding_an_allow_override_waits(
    api: TestClient, platform: Platform, analyst_key: str, supervisor_key: str
) -> None:
    block = {"kind": "hard_block", "subject_type": "account", "subject": "6228 0000 9999 8888", "reason": "police request"}
    cond = api.post("/api/v1/guard/conditions", json=block, headers=h(analyst_key)).json()
    revoke = api.delete(f"/api/v1/guard/conditions/{cond['id']}", headers=h(analyst_key))
    assert revoke.status_code == 202
    assert api.get(f"/api/v1/guard/conditions/{cond['id']}", headers=h(analyst_key)).json()["revoked_at"] is None
    allow = {**block, "kind": "allow_override", "subject": "6228 0000 9999 7777", "reason": "VIP"}
    assert api.post("/api/v1/guard/conditions", json=allow, headers=h(analyst_key)).status_code == 202
    assert api.get("/api/v1/guard/conditions", headers=h(analyst_key)).json() == [cond]
    assert decide(api, supervisor_key, revoke.json()["id"]) == 200
    assert api.get(f"/api/v1/guard/conditions/{cond['id']}", headers=h(analyst_key)).json()["revoked_at"] is not None


def test_staff_loosening_a_customer_control_at_a_branch_waits_for_a_supervisor(
    api: TestClient, platform: Platform, analyst_key: str, supervisor_key: str
) -> None:
    url = "/api/v1/guard/customers/c-1/controls"
    assert api.put(url, json=NIGHT_ON, headers=h(analyst_key)).status_code == 200  # tightening: at once
    off = {"night_lock": {"enabled": False}, "channel": "counter", "at_branch": True}
    pending = api.put(url, json=off, headers=h(analyst_key))
    assert pending.status_code == 202, pending.text
    assert api.get(url, headers=h(analyst_key)).json()["night_lock"]["current"]["enabled"] is True
    # Without the branch, the loosening waits the customer-protection delay, as before.
    delayed = api.put(url, json={**off, "at_branch": False}, headers=h(analyst_key)).json()
    assert delayed["night_lock"]["current"]["enabled"] is True and delayed["night_lock"]["pending"] is not None
    assert decide(api, supervisor_key, pending.json()["id"]) == 200
    assert api.get(url, headers=h(analyst_key)).json()["night_lock"]["current"]["enabled"] is False
