"""Authority that matches the harm (#18): who may write which list, and maker-checker for every
change that can lower an outcome. Each test is a defect found by probing as a teller would.

A teller holds the analyst role (README). Police-reported lists are written only by the police
liaison role, sanctions lists only by compliance; a change that can turn a block into a pass
waits for a second person with an approver's role, and the change log names both people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from finguard.app.platform import Platform

MULE = "6222021001122334455"
POLICE_ACCOUNT = "6222000011112222333"


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def make_list(client: TestClient, admin: str, code: str, kind: str, level: str = "critical") -> None:
    body = {"code": code, "name": code, "kind": kind, "owner": "owner", "default_level": level}
    assert client.post("/api/v1/lists", json=body, headers=h(admin)).status_code == 201


def add(client: TestClient, key: str, code: str, account: str, entry_key: str, **extra: Any) -> httpx.Response:
    body = {"key": entry_key, "identifiers": [{"type": "account", "value": account}], "reason": "r", **extra}
    return client.post(f"/api/v1/lists/{code}/entries", json=body, headers=h(key))


def public(client: TestClient, account: str) -> str:
    outcome: str = client.post("/api/v1/public/check", json={"account": account}).json()["outcome"]
    return outcome


def decide(client: TestClient, key: str, change_id: int, verb: str = "approve", reason: str = "checked the evidence") -> httpx.Response:
    return client.post(f"/api/v1/approvals/{change_id}/{verb}", json={"reason": reason}, headers=h(key))


def test_a_teller_adding_a_mule_account_to_the_allow_list_waits_for_a_supervisor(
    client: TestClient, platform: Platform, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    """Defect: an analyst (teller) alone put a mule account on the allow list at critical and the
    public check answered ``pass``. Now the entry is a pending change; the public check keeps
    blocking until a supervisor (not the teller, not another teller) approves it."""
    make_list(client, admin_key, "mules", "mule_account")
    make_list(client, admin_key, "verified", "allow")
    assert add(client, analyst_key, "mules", MULE, "m1").status_code == 201  # raising: at once
    assert public(client, MULE) == "block"

    pending = add(client, analyst_key, "verified", MULE, "v1", risk_level="critical")
    assert pending.status_code == 202, pending.text
    change = pending.json()
    assert (change["status"], change["kind"], change["proposed_by"]) == ("pending", "lists.add_entry", "key:analyst-1")
    assert change["approver_roles"] == ["supervisor"]
    assert public(client, MULE) == "block"
    assert client.get("/api/v1/lists/verified/entries", headers=h(analyst_key)).json() == []

    other_teller = platform.keys.create("analyst-2", "analyst", actor="test")[1]
    assert decide(client, analyst_key, change["id"]).status_code == 403  # no approver role, and the maker
    assert decide(client, other_teller, change["id"]).status_code == 403  # a teller cannot approve
    assert public(client, MULE) == "block"

    approved = decide(client, supervisor_key, change["id"])
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "key:supervisor-1")
    assert public(client, MULE) == "pass"
    (entry,) = client.get("/api/v1/lists/verified/entries", headers=h(analyst_key)).json()
    last = client.get("/api/v1/changes", headers=h(analyst_key)).json()["changes"][-1]
    assert last["entry_id"] == entry["id"] and last["actor"] == f"key:analyst-1 approved by key:supervisor-1 (change {change['id']})"
    assert decide(client, supervisor_key, change["id"]).status_code == 409  # decided once


def test_a_teller_cannot_write_or_delist_police_entries(
    client: TestClient, platform: Platform, admin_key: str, analyst_key: str, police_key: str
) -> None:
    """Defect: an analyst delisted a police-reported entry alone. Police lists are written only by
    the police liaison role; a delisting by one officer waits for a second officer."""
    make_list(client, admin_key, "psb", "fraud_account")
    entry = add(client, police_key, "psb", POLICE_ACCOUNT, "p1").json()
    assert public(client, POLICE_ACCOUNT) == "block"

    assert add(client, analyst_key, "psb", MULE, "x").status_code == 403
    assert add(client, admin_key, "psb", MULE, "x").status_code == 403
    delist = client.post(f"/api/v1/entries/{entry['id']}/delist", json={"reason": "withdrawn"}, headers=h(analyst_key))
    assert delist.status_code == 403 and "only police" in delist.json()["error"]["message"]
    lower = client.patch(f"/api/v1/entries/{entry['id']}", json={"risk_level": "low"}, headers=h(analyst_key))
    assert lower.status_code == 403
    assert public(client, POLICE_ACCOUNT) == "block"

    pending = client.post(f"/api/v1/entries/{entry['id']}/delist", json={"reason": "report withdrawn"}, headers=h(police_key))
    assert pending.status_code == 202 and pending.json()["approver_roles"] == ["police"]
    assert public(client, POLICE_ACCOUNT) == "block"
    assert decide(client, police_key, pending.json()["id"]).status_code == 403  # self-approval
    supervisor = platform.keys.create("supervisor-9", "supervisor", actor="test")[1]
    assert decide(client, supervisor, pending.json()["id"]).status_code == 403  # not the owner's role
    second_officer = platform.keys.create("police-2", "police", actor="test")[1]
    assert decide(client, second_officer, pending.json()["id"]).status_code == 200
    assert public(client, POLICE_ACCOUNT) == "pass"


def test_changes_that_raise_outcomes_apply_at_once_and_lowering_ones_wait(
    client: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    """Raising a risk entry, or delisting / lowering an allow entry, needs nobody else; lowering
    a risk entry, shortening its expiry, or raising an allow entry waits."""
    make_list(client, admin_key, "mules", "mule_account", level="medium")
    make_list(client, admin_key, "verified", "allow", level="low")
    risk = add(client, analyst_key, "mules", MULE, "m1").json()
    allow = add(client, analyst_key, "verified", POLICE_ACCOUNT, "v1")
    assert allow.status_code == 202
    decide(client, supervisor_key, allow.json()["id"])
    (allowed,) = client.get("/api/v1/lists/verified/entries", headers=h(analyst_key)).json()

    def patch(entry_id: int, body: dict[str, Any]) -> int:
        return client.patch(f"/api/v1/entries/{entry_id}", json=body, headers=h(analyst_key)).status_code

    assert patch(risk["id"], {"risk_level": "critical"}) == 200
    assert patch(risk["id"], {"risk_level": "low"}) == 202
    assert patch(risk["id"], {"expires_at": "2030-01-01T00:00:00Z"}) == 202
    assert patch(risk["id"], {"reason": "more evidence"}) == 200
    assert patch(allowed["id"], {"risk_level": "critical"}) == 202
    assert patch(allowed["id"], {"expires_at": "2030-01-01T00:00:00Z"}) == 200  # an earlier end: stricter
    delisted = client.post(f"/api/v1/entries/{allowed['id']}/delist", json={"reason": "no longer verified"}, headers=h(analyst_key))
    assert delisted.status_code == 200 and delisted.json()["delisted_at"] is not None
    pending = client.get("/api/v1/approvals", headers=h(analyst_key)).json()
    assert sorted(c["kind"] for c in pending) == ["lists.modify_entry"] * 3


def test_the_maker_may_withdraw_and_an_approver_may_reject_with_a_reason(
    client: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    make_list(client, admin_key, "verified", "allow")
    one = add(client, analyst_key, "verified", MULE, "v1").json()["id"]
    two = add(client, analyst_key, "verified", POLICE_ACCOUNT, "v2").json()["id"]
    assert decide(client, supervisor_key, one, "reject", "").status_code == 422  # a decision says why
    rejected = decide(client, supervisor_key, one, "reject", "no evidence the payee was verified")
    assert (rejected.json()["status"], rejected.json()["decision_reason"]) == ("rejected", "no evidence the payee was verified")
    assert decide(client, analyst_key, two, "reject", "typed the wrong account").json()["status"] == "rejected"
    assert decide(client, supervisor_key, two).status_code == 409
    assert public(client, MULE) == "pass"  # nothing listed: never applied
    assert client.get("/api/v1/lists/verified/entries", headers=h(admin_key)).json() == []


def test_an_import_applies_what_raises_and_holds_what_lowers(
    client: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    """Defect: a sync import of an emptied file delisted a whole mule list in one call. Now the
    delistings are held, together, as one pending change; the additions apply at once."""
    make_list(client, admin_key, "mules", "mule_account")
    first = "key,id_type,id_value\nm1,account,6222021001122334455\nm2,account,6222000011112222333\n"
    report = client.post("/api/v1/lists/mules/import", content=first.encode(), headers=h(analyst_key)).json()
    assert (report["added"], report["held"], report["pending_change"]) == (2, 0, None)
    # Delisting both of the list's entries passes the mass-delist guard (#16) only when asked for.
    second = "key,id_type,id_value\nm3,account,6222000011112222444\n"
    report = client.post("/api/v1/lists/mules/import?allow_mass_delist=true", content=second.encode(), headers=h(analyst_key)).json()
    assert (report["added"], report["delisted"], report["held"]) == (1, 0, 2)
    assert public(client, MULE) == "block"
    assert decide(client, supervisor_key, report["pending_change"]).json()["result"] == {"applied": 2, "skipped": 0}
    assert public(client, MULE) == "pass"


def test_every_step_is_in_the_audit_log_with_its_actor(
    client: TestClient, platform: Platform, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    """Defect: key creation and revocation recorded no actor; staff reads left no trace."""
    make_list(client, admin_key, "verified", "allow")
    change = add(client, analyst_key, "verified", MULE, "v1").json()["id"]
    decide(client, supervisor_key, change)
    client.get("/api/v1/entries", params={"id_type": "account", "value": MULE}, headers=h(analyst_key))
    platform.keys.revoke("analyst-1", actor="user:root")
    events = [(e.actor, e.action, e.target) for _seq, e in reversed(platform.audit.recent(limit=100))]
    assert ("test", "key.create", "key analyst-1") in events
    assert ("key:analyst-1", "approval.propose", f"change {change}") in events
    assert ("key:supervisor-1", "approval.approve", f"change {change}") in events
    assert ("key:analyst-1", "api.get", "/api/v1/entries") in events
    assert ("user:root", "key.revoke", "key analyst-1") in events
    audit = client.get("/api/v1/audit", params={"action": "key."}, headers=h(admin_key)).json()
    assert [a["action"] for a in audit][:1] == ["key.revoke"]
    assert client.get("/api/v1/audit", headers=h(supervisor_key)).status_code == 403


def test_library_writes_are_not_held(platform: Platform, tmp_path: Path) -> None:
    """The list service itself stays the trusted interface (an owner's feed, the demo loader):
    authority and maker-checker apply to people, through the API, pages and CLI."""
    platform.lists.create_list("verified", "V", "allow", "bank", "critical")
    from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind

    draft = EntryDraft("v1", SubjectKind.IDENTIFIER, (Identifier.parse("account", MULE),))
    assert platform.lists.add_entry("verified", draft, "feed").version == 1


def test_error_lines_name_the_route_not_the_customer_data_in_the_path(caplog: pytest.LogCaptureFixture) -> None:
    """Defect: an error line logged the request path, which held a phone number or a name."""
    from fastapi import FastAPI

    from finguard.core import http_errors

    app = FastAPI()
    http_errors.install(app)

    @app.get("/api/v1/customers/{customer_id}/controls")
    def broken(customer_id: str) -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/customers/13912345678/controls").status_code == 500
        assert c.get("/api/v1/customers/张三/controls").status_code == 500
    text = caplog.text
    assert "13912345678" not in text and "张三" not in text
    assert "GET /api/v1/customers/{customer_id}/controls" in text


def test_a_supervisor_approves_on_the_staff_page_and_a_teller_sees_no_approve_button(
    platform: Platform, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    from finguard.access.pages import COOKIE, csrf_token
    from tests.test_web_staff import staff_app

    with TestClient(staff_app(platform)) as web:
        make_list(web, admin_key, "verified", "allow")
        change = add(web, analyst_key, "verified", MULE, "v1").json()["id"]
        web.post("/staff/login", data={"api_key": analyst_key, "lang": "en"})
        page = web.get("/staff/approvals?lang=en")
        assert page.status_code == 200 and f'id="change-{change}"' in page.text
        assert 'value="approve"' not in page.text  # the maker, and a teller: no approve button
        web.post("/staff/login", data={"api_key": supervisor_key, "lang": "en"})
        assert 'value="approve"' in web.get("/staff/approvals?lang=en").text
        csrf = csrf_token(web.cookies[COOKIE])
        no_reason = web.post(f"/staff/approvals/{change}", data={"csrf": csrf, "action": "approve", "reason": ""})
        assert no_reason.status_code == 422
        form = {"csrf": csrf, "action": "approve", "reason": "verified in person"}
        done = web.post(f"/staff/approvals/{change}", data=form, follow_redirects=False)
        assert done.status_code == 303
        assert public(web, MULE) == "pass"
        assert "verified in person" in web.get("/staff/approvals?lang=en&status=approved").text


def test_an_approval_that_can_no_longer_apply_is_recorded_as_failed(
    client: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    """The list moved on between proposal and approval: the change is marked failed, not approved."""
    make_list(client, admin_key, "verified", "allow")
    first = add(client, analyst_key, "verified", MULE, "v1").json()["id"]
    second = add(client, analyst_key, "verified", MULE, "v1").json()["id"]  # the same key, twice
    assert decide(client, supervisor_key, first).status_code == 200
    failed = decide(client, supervisor_key, second)
    assert failed.status_code == 422 and failed.json()["error"]["problems"][0]["field"] == "key"
    record = client.get(f"/api/v1/approvals/{second}", headers=h(supervisor_key)).json()
    assert record["status"] == "failed" and "already on list" in record["result"]["error"]
