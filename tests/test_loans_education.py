"""Education campaigns: branches record field events; totals by branch and campaign; the public
pages (the eight rights, telecom fraud, what the police never ask) in zh and en, views counted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.core.errors import ImportRejected
from finguard.loans.http import router
from finguard.loans.model.education import TOPICS
from finguard.loans.pages import public_router
from finguard.loans.provider import make_education

EVENTS = [
    {"branch": "310000", "campaign": "3·15", "day": "2020-03-15", "place": "人民广场", "staff": "王芳;李强", "leaflets": "800",
     "questions": 120, "photos": "plaza-1.jpg;plaza-2.jpg"},
    {"branch": "310000", "campaign": "anti-fraud", "day": "2020-04-02", "place": "社区中心", "staff": ["王芳"], "leaflets": 300,
     "questions": 45},
    {"branch": "320000", "campaign": "3·15", "day": "2020-03-15", "place": "Xinjiekou", "staff": "Zhou Min", "leaflets": 500,
     "questions": 80},
]


def test_events_total_by_branch_and_campaign(engine):
    svc = make_education(engine)
    assert svc.record(enumerate(EVENTS, 2), actor="branch-310000") == 3
    by_branch = svc.report("branch")
    assert by_branch["rows"][0] == {"branch": "310000", "events": 2, "leaflets": 1100, "questions": 165, "staff": 2}
    assert (by_branch["events"], by_branch["leaflets"], by_branch["questions"]) == (3, 1600, 245)
    by_campaign = {r["campaign"]: r for r in svc.report("campaign")["rows"]}
    assert by_campaign["3·15"]["leaflets"] == 1300
    assert svc.store.events(branch="310000")[0].photos == ("plaza-1.jpg", "plaza-2.jpg")


def test_a_bad_event_names_its_line_and_records_nothing(engine):
    svc = make_education(engine)
    with pytest.raises(ImportRejected) as err:
        svc.record(enumerate([EVENTS[0], {**EVENTS[1], "day": "April", "leaflets": -3}], 2), actor="x")
    assert {(p.field, p.line) for p in err.value.problems} == {("day", 3), ("leaflets", 3)}
    assert svc.report()["events"] == 0


@pytest.fixture
def web(platform):
    app = create_app(platform)
    app.include_router(router)
    app.include_router(public_router)
    with TestClient(app) as c:
        yield c


def test_public_pages_in_both_languages_count_their_views(web, analyst_key):
    zh = web.get("/learn/rights?lang=zh")
    assert zh.status_code == 200 and "金融消费者的八项权利" in zh.text and zh.text.count("<li>") >= 8
    assert "script" not in zh.text and zh.headers["content-security-policy"]
    en = web.get("/learn/police-never-ask?lang=en")
    assert "The police never ask for your card PIN or a verification code." in en.text
    assert web.get("/learn/nothing?lang=en").status_code == 404
    for slug in TOPICS:
        assert f"/learn/{slug}?lang=en" in en.text
    report = web.get("/api/v1/loans/education/report", headers={"X-API-Key": analyst_key}).json()
    assert report["page_views"] == {"rights": {"zh": 1}, "police-never-ask": {"en": 1}}


def test_events_over_the_api(web, analyst_key):
    r = web.post("/api/v1/loans/education/events", json={"events": EVENTS}, headers={"X-API-Key": analyst_key})
    assert r.status_code == 201 and r.json() == {"recorded": 3}
    report = web.get("/api/v1/loans/education/report?by=campaign", headers={"X-API-Key": analyst_key}).json()
    assert report["rows"][0]["campaign"] == "3·15"
    assert web.get("/api/v1/loans/education/report?by=planet", headers={"X-API-Key": analyst_key}).status_code == 422
