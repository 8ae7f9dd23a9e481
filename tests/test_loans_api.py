"""The loans API: JSON schedules, relief with its cost, batches approved by a second person.

Amounts go out as integer fen; a JSON float for money or a rate is refused with 422 naming the
field, and changes nothing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.loans.http import router

LOANS = [
    {"loan_id": "L-001", "customer_id": "C-1", "branch": "310000", "principal": "1000000.00", "annual_rate": "4.35%",
     "term_months": 36, "start": "2020-01-15", "industry": "H", "firm_size": "small", "impact_documented": True},
    {"loan_id": "L-003", "customer_id": "C-3", "branch": "310000", "principal": "50000000.00", "annual_rate": "0.0435",
     "term_months": 60, "start": "2020-01-15", "industry": "C", "firm_size": "large", "impact_documented": True},
]


@pytest.fixture
def api(platform):
    app = create_app(platform)
    app.include_router(router)
    with TestClient(app) as c:
        yield c


def h(key):
    return {"X-API-Key": key}


def test_the_calculator_returns_the_schedule_as_data(api, analyst_key):
    r = api.post("/api/v1/loans/schedule", json={"principal": "2500.00", "annual_rate": "8.24%", "term_months": 12,
                                                 "start": "2024-01-15"}, headers=h(analyst_key))
    assert r.status_code == 200
    body = r.json()
    assert body["rows"][0]["interest_fen"] == 1717 and body["rows"][0]["payment_fen"] == 21775
    assert body["totals"]["principal_fen"] == 250_000


@pytest.mark.parametrize(
    ("field", "value"), [("annual_rate", 0.0435), ("principal", 2500.5), ("term_months", "x"), ("day_count", "act/366")]
)
def test_bad_terms_are_422_naming_the_field(api, analyst_key, field, value):
    body = {"principal": "2500.00", "annual_rate": "0.0824", "term_months": 12, "start": "2024-01-15", field: value}
    r = api.post("/api/v1/loans/schedule", json=body, headers=h(analyst_key))
    assert r.status_code == 422
    assert [p["field"] for p in r.json()["error"]["problems"]] == [field]


def test_relief_preview_apply_reverse(api, analyst_key, admin_key):
    assert api.post("/api/v1/loans/import", json={"loans": LOANS}, headers=h(admin_key)).json()["added"] == 2
    change = {"kind": "deferral", "start": 3, "months": 3, "treatment": "waive"}
    preview = api.post("/api/v1/loans/L-001/relief/preview", json={"change": change}, headers=h(analyst_key)).json()
    assert preview["cost"]["distressed"] is True and preview["cost"]["npv_loss_ratio"] == "0.010797"
    assert any(line["changed"] for line in preview["side_by_side"])
    assert api.get("/api/v1/loans/L-001", headers=h(analyst_key)).json()["events"] == []  # a preview stores nothing
    applied = api.post("/api/v1/loans/L-001/relief", json={"change": change, "reason": "hospitalised"}, headers=h(analyst_key))
    assert applied.status_code == 201 and applied.json()["event"]["version"] == 1
    bad = api.post("/api/v1/loans/L-001/relief", json={"change": {"kind": "rate_change", "start": 5, "annual_rate": 0.03}},
                   headers=h(analyst_key))
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "annual_rate"
    rev = api.post("/api/v1/loans/L-001/relief/1/reverse", json={"reason": "wrong loan"}, headers=h(admin_key))
    assert rev.status_code == 201 and rev.json()["event"]["reverses"] == 1
    loan = api.get("/api/v1/loans/L-001", headers=h(analyst_key)).json()
    assert [e["version"] for e in loan["events"]] == [1, 2] and len(loan["schedule"]["rows"]) == 36
    assert api.get("/api/v1/loans/L-404", headers=h(analyst_key)).status_code == 404


def test_batch_then_bulk_approval_by_another_key(api, analyst_key, admin_key):
    api.post("/api/v1/loans/import", json={"loans": LOANS}, headers=h(admin_key))
    batch = api.post("/api/v1/loans/eligibility/batches", json={}, headers=h(analyst_key)).json()
    assert (batch["evaluated"], batch["eligible"]) == (2, 1)
    decisions = api.get(f"/api/v1/loans/eligibility/batches/{batch['batch_id']}", headers=h(analyst_key)).json()
    refused = next(d for d in decisions if not d["eligible"])
    assert refused["summary_zh"].startswith("不符合任何类别") and refused["summary_en"].startswith("not eligible")
    granted = next(d for d in decisions if d["eligible"])
    proposal = api.get(f"/api/v1/loans/eligibility/decisions/{granted['id']}/proposal?as_of=2020-03-01", headers=h(analyst_key))
    assert proposal.json()["change"]["kind"] == "deferral"
    body = {"decision_ids": [granted["id"]], "as_of": "2020-03-01"}
    same = api.post("/api/v1/loans/eligibility/approvals", json=body, headers=h(analyst_key))
    assert same.status_code == 403  # maker-checker
    ok = api.post("/api/v1/loans/eligibility/approvals", json=body, headers=h(admin_key))
    assert ok.status_code == 201 and ok.json()[0]["event"]["decision_id"] == granted["id"]
    assert api.post("/api/v1/loans/eligibility/approvals", json=body, headers=h(admin_key)).status_code == 409
    assert api.get("/api/v1/loans/eligibility/batches", headers=h(analyst_key)).json()[0]["eligible"] == 1


def test_staff_key_required(api):
    assert api.post("/api/v1/loans/schedule", json={}).status_code == 401


def test_position_and_a_campaign_over_the_api(api, analyst_key, admin_key):
    """Two instalments due by 20 March 2020, one paid: 29,679.93 overdue for 5 days."""
    api.post("/api/v1/loans/import", json={"loans": LOANS}, headers=h(admin_key))
    pos = api.post("/api/v1/loans/L-001/position", json={"as_of": "2020-03-20", "payments": [{"on": "2020-02-15", "amount_fen": 2967993}]},
                   headers=h(analyst_key)).json()
    assert (pos["arrears_fen"], pos["days_past_due"], pos["reported_overdue"]) == (2967993, 5, True)
    assert pos["penalty_fen"] > 0
    batch = api.post("/api/v1/loans/eligibility/batches", json={}, headers=h(analyst_key)).json()["batch_id"]
    contacts = [{"customer_id": "C-1", "name": "张三", "lang": "zh", "phone": "13900000001"}]
    assert api.post("/api/v1/loans/contacts", json={"contacts": contacts}, headers=h(analyst_key)).json() == {"saved": 1}
    bad = api.post("/api/v1/loans/contacts", json={"contacts": [{"customer_id": "C-9", "name": "x", "lang": "fr"}]}, headers=h(analyst_key))
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0] == {"field": "lang", "problem": "must be zh or en", "line": 1}
    created = api.post("/api/v1/loans/campaigns", json={"campaign_id": "relief-1", "relief_batch": batch, "as_of": "2020-03-01"},
                       headers=h(analyst_key))
    assert created.status_code == 201 and created.json()["by_status"] == {"queued": 1}
    assert api.get("/api/v1/loans/campaigns/relief-1", headers=h(analyst_key)).json()["campaign_id"] == "relief-1"
    assert api.get("/api/v1/loans/campaigns/nope", headers=h(analyst_key)).status_code == 404
