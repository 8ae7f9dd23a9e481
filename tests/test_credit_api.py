"""The credit API: an application decided with its reasons, input errors named, stages, policy."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from finguard.credit.http import router
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.provider import CreditSettings
from finguard.credit.service import CreditService
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore
from tests.credit_helpers import good_record


@pytest.fixture
def api(client: TestClient, platform, tmp_path) -> TestClient:
    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    client.app.include_router(router)
    platform.credit = CreditService(SqlCreditStore(platform.engine), FileTaxFeed(tmp_path))
    return client


def test_apply_then_read_the_decision(api, analyst_key):
    rec = good_record()
    h = {"X-API-Key": analyst_key}
    r = api.post(
        "/api/v1/credit/applications",
        headers=h,
        json={"uscc": rec.firm.uscc, "amount": "100000", "term_months": 12, "purpose": "购买原材料"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "approve" and body["line"] == "100000.00" and body["rate_band_bp"]
    assert set(body["durations_ms"]) == {"data_fetched", "scored", "decided"}
    again = api.get(f"/api/v1/credit/applications/{body['id']}", headers=h).json()
    assert again["id"] == body["id"] and again["model_version"] == "tax-v1"
    assert [a["id"] for a in api.get("/api/v1/credit/applications", headers=h).json()] == [body["id"]]
    r = api.post(f"/api/v1/credit/applications/{body['id']}/stages", headers=h, json={"stage": "signed"})
    assert r.status_code == 200 and r.json()["status"] == "signed"


def test_input_errors_name_the_field_and_change_nothing(api, analyst_key):
    h = {"X-API-Key": analyst_key}
    r = api.post(
        "/api/v1/credit/applications", headers=h, json={"uscc": "91110000600037341X", "amount": "12.345", "term_months": 12, "purpose": "x"}
    )
    assert r.status_code == 422
    assert "amount" in r.text
    r = api.post(
        "/api/v1/credit/applications", headers=h, json={"uscc": "91110000600037341X", "amount": "100", "term_months": 12, "purpose": "x"}
    )
    assert r.status_code == 422 and "uscc" in r.text
    assert api.get("/api/v1/credit/applications", headers=h).json() == []
    assert api.get("/api/v1/credit/applications/999", headers=h).status_code == 404


def test_policy_changes_need_an_admin(api, analyst_key, admin_key):
    assert api.put("/api/v1/credit/policy", headers={"X-API-Key": analyst_key}, json={}).status_code == 403
    r = api.put("/api/v1/credit/policy", headers={"X-API-Key": admin_key}, json={"knockout": {"min_years_in_business": 3}})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["knockout"]["min_years_in_business"] == 3
    bad = api.put("/api/v1/credit/policy", headers={"X-API-Key": admin_key}, json={"knockout": {"min_years_in_business": "x"}})
    assert bad.status_code == 422 and "knockout.min_years_in_business" in bad.text
    assert api.get("/api/v1/credit/policy", headers={"X-API-Key": analyst_key}).json()["version"] == 2


def test_without_a_key_nothing_is_decided(api):
    assert api.post("/api/v1/credit/applications", json={}).status_code == 401


def test_the_service_builds_itself_from_the_platform(client, platform, analyst_key, monkeypatch, tmp_path):
    monkeypatch.setenv("FINGUARD_CREDIT_TAX_FEED_DIR", str(tmp_path))
    client.app.include_router(router)
    assert CreditSettings().tax_feed_dir == tmp_path
    r = client.get("/api/v1/credit/models", headers={"X-API-Key": analyst_key})
    assert r.status_code == 200 and r.json()[0]["version"] == "tax-v1"


def test_the_monitors_over_http(api, analyst_key, platform):
    from finguard.credit.store.alerts import SqlCreditAlerts

    api.app.state.platform.credit.alerts = SqlCreditAlerts(platform.engine)
    h = {"X-API-Key": analyst_key}
    rec = good_record()
    bureau = (
        "uscc,lender,kind,limit,outstanding,opened_on,joint\n"
        f"{rec.firm.uscc},bank-a,working_capital,90000000,90000000,2026-01-05,false\n"
        f"{rec.firm.uscc},bank-b,working_capital,90000000,90000000,2026-01-05,false\n"
    )
    r = api.post("/api/v1/credit/monitors/overfinancing", headers=h, content=bureau.encode())
    assert r.status_code == 200, r.text
    assert r.json()["findings"][0]["flags"] == ["OVER_FINANCED"] and len(r.json()["alert_ids"]) == 1
    bad = api.post("/api/v1/credit/monitors/overfinancing", headers=h, content=b"uscc,lender\nx,\n")
    assert bad.status_code == 422 and "uscc" in bad.text
    assert api.get("/api/v1/credit/monitors/sla", headers=h).json() == []
