"""The cases API and staff pages (#13): the same service, reached with a key or a staff session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from finguard.access.pages import COOKIE, csrf_token
from finguard.alerts.http import router as cases_router
from finguard.alerts.provider import make_cases
from finguard.alerts.store import alert
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.lists.pages import router as public_router
from tests.conftest import make_settings


def cases_app(platform: Platform) -> FastAPI:
    """The app with the cases API, whether or not create_app includes it yet (the lead wires it)."""
    app = create_app(platform)
    if not any(getattr(r, "path", "").startswith("/api/v1/cases") for r in app.routes):
        app.include_router(cases_router)
    if not any(getattr(r, "path", "") == "/complaint" for r in app.routes):
        app.include_router(public_router)
    return app


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False)) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(cases_app(platform)) as c:
        yield c


def raise_alert(platform: Platform, severity: str = "medium", subject: str = "account:6222-01", summary: str = "fan-in") -> None:
    with platform.engine.begin() as conn:
        conn.execute(alert.insert().values(kind="aml_fan_in", subject=subject, severity=severity, status="open",
                                           summary=summary, details={"decision_id": "d-9"},
                                           created_at=datetime.now(UTC), source_seq=None))


def test_an_analyst_works_an_alert_through_the_api(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    raise_alert(platform, severity="high")
    h = {"X-API-Key": analyst_key}
    page = web.get("/api/v1/cases", headers=h).json()
    assert page["total"] == 1
    case = page["items"][0]
    assert case["state"] == "new" and case["sla"] == "due_soon" and case["details"]["decision_id"] == "d-9"
    cid = case["id"]
    assert web.post(f"/api/v1/cases/{cid}/assign", json={"assignee": "analyst-1"}, headers=h).json()["state"] == "assigned"
    assert web.post(f"/api/v1/cases/{cid}/review", headers=h).json()["state"] == "in_review"
    assert web.post(f"/api/v1/cases/{cid}/comments", json={"text": "same person as 2019 case"}, headers=h).status_code == 201
    r = web.post(f"/api/v1/cases/{cid}/close", json={"disposition": "maybe", "reason": ""}, headers=h)
    assert r.status_code == 422 and {p["field"] for p in r.json()["error"]["problems"]} == {"disposition", "reason"}
    r = web.post(f"/api/v1/cases/{cid}/close", json={"disposition": "true_positive", "reason": "reported to the FIU"}, headers=h)
    assert r.json()["state"] == "in_review" and r.json()["pending_by"] == "key:analyst-1"
    assert web.post(f"/api/v1/cases/{cid}/confirm", json={}, headers=h).status_code == 403  # the maker cannot check
    r = web.post(f"/api/v1/cases/{cid}/confirm", json={}, headers={"X-API-Key": admin_key})
    assert r.json()["state"] == "closed" and r.json()["disposition"] == "true_positive"
    trail = web.get(f"/api/v1/cases/{cid}", headers=h).json()["events"]
    assert [e["action"] for e in trail] == ["open", "assign", "review", "comment", "close_proposed", "close"]
    assert trail[-1]["actor"] == "key:admin-1"
    assert web.get("/api/v1/cases", headers=h).json()["total"] == 0
    assert web.get("/api/v1/cases/99999", headers=h).status_code == 404
    assert web.get("/api/v1/cases", headers={"X-API-Key": "nope"}).status_code == 401


def test_filters_are_checked_and_exports_are_safe(web: TestClient, platform: Platform, analyst_key: str) -> None:
    raise_alert(platform, subject="=cmd|' /C calc'!A0")
    h = {"X-API-Key": analyst_key}
    r = web.get("/api/v1/cases?sla=late", headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "sla"
    csv = web.get("/api/v1/cases/export.csv?state=all", headers=h)
    assert csv.status_code == 200 and "\n" in csv.text and ",'=cmd|" in csv.text
    board = web.get("/api/v1/cases/dashboard", headers=h).json()
    assert board["total"] == 1 and board["by_age"]["0-1d"]["ok"] == 1


def test_staff_file_complaints_and_service_requests(web: TestClient, analyst_key: str) -> None:
    h = {"X-API-Key": analyst_key}
    r = web.post("/api/v1/cases/complaints", json={"category": "respect", "customer": "李四", "text": "rude", "contact": "139"},
                 headers=h)
    assert r.status_code == 201 and len(r.json()["confirmation"]) == 9 and r.json()["queue"] == "complaints"
    r = web.post("/api/v1/cases/service-requests", json={"service_type": "home_visit", "customer": "Chen", "contact": "1",
                                                          "branch": "Pudong", "slot_start": "2020-01-01T09:00:00+08:00",
                                                          "slot_end": "2020-01-01T10:00:00+08:00"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "slot_start"


def sign_in(client: TestClient, secret: str) -> str:
    r = client.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_token(client.cookies[COOKIE])


def test_the_staff_pages_act_on_a_case(web: TestClient, platform: Platform, analyst_key: str) -> None:
    raise_alert(platform)
    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/cases?lang=zh")
    assert page.status_code == 200 and "案件工作台" in page.text and 'id="case-chart"' in page.text
    with platform.engine.connect() as conn:
        cid = conn.exec_driver_sql("SELECT id FROM case_item").scalar_one()
    r = web.post(f"/staff/cases/{cid}", data={"csrf": csrf, "lang": "en", "action": "close", "disposition": "nonsense",
                                              "reason": "x"}, follow_redirects=False)
    assert r.status_code == 422 and "Please check" in r.text
    r = web.post(f"/staff/cases/{cid}", data={"csrf": "bad", "lang": "en", "action": "review"}, follow_redirects=False)
    assert r.status_code == 403
    r = web.post(f"/staff/cases/{cid}", data={"csrf": csrf, "lang": "en", "action": "escalate", "reason": "linked to a fraud ring"},
                 follow_redirects=False)
    assert r.status_code == 303 and 'data-state="escalated"' in web.get(r.headers["location"]).text
    r = web.post(f"/staff/cases/{cid}", data={"csrf": csrf, "lang": "en", "action": "close", "disposition": "false_positive",
                                              "reason": "known customer"}, follow_redirects=False)
    assert r.status_code == 303
    done = web.get(r.headers["location"])
    assert 'data-state="closed"' in done.text and "False positive" in done.text
    export = web.get("/staff/cases/export.csv?state=closed")
    assert export.status_code == 200 and "false_positive" in export.text


def test_a_customer_files_a_complaint_from_the_public_page(web: TestClient, platform: Platform) -> None:
    home = web.get("/?lang=en")
    assert 'href="complaint?lang=en"' in home.text
    form = web.get("/complaint?lang=zh")
    assert form.status_code == 200 and "财产安全" in form.text
    bad = web.post("/complaint", data={"lang": "en", "category": "x", "customer": "", "contact": "", "text": ""})
    assert bad.status_code == 422 and "Choose what the complaint is about." in bad.text
    ok = web.post("/complaint", data={"lang": "en", "category": "fair_trade", "customer": "Wang Fang", "contact": "138",
                                      "text": "charged twice"})
    assert ok.status_code == 200
    number = ok.text.split('id="confirmation">')[1].split("<")[0]
    assert len(number) == 9 and number[4] == "-"
    assert make_cases(platform.engine).by_confirmation(number.lower()).details["channel"] == "public"


def test_a_teller_files_a_complaint_and_books_a_home_visit(web: TestClient, analyst_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    assert "财产安全" in web.get("/staff/cases-new?lang=zh").text
    r = web.post("/staff/cases-new", data={"csrf": csrf, "lang": "en", "kind": "complaint", "category": "information",
                                            "customer": "", "contact": "", "text": ""}, follow_redirects=False)
    assert r.status_code == 422 and "customer" in r.text
    r = web.post("/staff/cases-new", data={"csrf": csrf, "lang": "en", "kind": "complaint", "category": "information",
                                            "customer": "Zhao Liu", "contact": "137", "text": "fees not explained"},
                 follow_redirects=False)
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert "Information (unclear disclosure)" in page.text and "Confirmation no." in page.text
    r = web.post("/staff/cases-new", data={"csrf": csrf, "lang": "zh", "kind": "service", "service_type": "home_visit",
                                            "customer": "Chen", "contact": "1", "branch": "Pudong 1",
                                            "slot_start": "2999-01-02T09:00", "slot_end": "2999-01-02T10:30"},
                 follow_redirects=False)
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert "上门服务" in page.text and "2999-01-02 01:00:00 UTC" in page.text  # 09:00 China time
