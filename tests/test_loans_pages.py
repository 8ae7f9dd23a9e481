"""The relief staff pages: a batch with each borrower's NPV cost, a decision's schedule before
and after, and bulk approval by a second person (CSRF-checked)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.app.staff import router as staff_router
from finguard.loans.http import router as api_router
from finguard.loans.pages import router as pages_router
from tests.test_loans_api import LOANS


@pytest.fixture
def web(platform):
    app = create_app(platform)
    if not any(getattr(r, "path", "").startswith("/staff") for r in app.routes):
        app.include_router(staff_router)
    app.include_router(pages_router)
    app.include_router(api_router)
    with TestClient(app) as c:
        yield c


def sign_in(client, secret):
    r = client.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    return csrf_token(client.cookies[COOKIE])  # the form token follows the session, not the key


def test_a_branch_sees_costs_side_by_side_and_approves_in_bulk(web, analyst_key, admin_key):
    web.post("/api/v1/loans/import", json={"loans": LOANS}, headers={"X-API-Key": admin_key})
    csrf = sign_in(web, analyst_key)
    r = web.post("/staff/loans/batches", data={"csrf": csrf, "lang": "zh"})
    assert r.status_code == 200 and "不符合任何类别" in r.text
    batch_id = re.search(r'name="batch_id" value="([0-9a-f]{32})"', r.text).group(1)
    page = web.get(f"/staff/loans/batches/{batch_id}?lang=en&as_of=2020-03-01")
    assert "deferral of 6 months" in page.text and "reported under the relief notices" in page.text
    decision = re.search(r'name="decision" value="(\d+)"', page.text).group(1)
    detail = web.get(f"/staff/loans/decisions/{decision}?lang=en&as_of=2020-03-01")
    assert 'id="side-by-side"' in detail.text and 'class="changed"' in detail.text
    assert "29,679.93" in detail.text  # the instalment before relief
    assert "<svg" in detail.text and "<polyline" in detail.text and "<script" not in detail.text
    form = {"lang": "en", "batch_id": batch_id, "as_of": "2020-03-01", "decision": decision}
    same = web.post("/staff/loans/approve", data={"csrf": csrf, **form})
    assert same.status_code == 403 and "maker-checker" in same.text
    assert web.post("/staff/loans/approve", data={"csrf": "forged", **form}).status_code == 403
    csrf = sign_in(web, admin_key)
    ok = web.post("/staff/loans/approve", data={"csrf": csrf, **form})
    assert ok.status_code == 200 and "Approved 1;" in ok.text
    assert "approved · key:admin-1" in web.get(f"/staff/loans/batches/{batch_id}?lang=en").text
    assert "deferral of 6 months" in web.get(f"/staff/loans/batches/{batch_id}?lang=en&category=A").text
    assert "deferral of 6 months" not in web.get(f"/staff/loans/batches/{batch_id}?lang=en&category=B").text
    web.post("/api/v1/loans/contacts", json={"contacts": [{"customer_id": "C-1", "name": "张三", "lang": "zh", "phone": "13900000001"}]},
             headers={"X-API-Key": admin_key})
    planned = web.post("/staff/loans/campaigns", data={"csrf": csrf, "lang": "en", "batch_id": batch_id, "as_of": "2020-03-01",
                                                       "channel": "sms"})
    assert planned.status_code == 200 and "1 queued, 0 skipped" in planned.text
    link = re.search(r'href="(/staff/loans/campaigns/[^"?]+)', planned.text).group(1)
    report = web.get(link + "?lang=en")
    assert report.status_code == 200 and "<svg" in report.text and "status: queued" in report.text
    bad = web.post("/staff/loans/campaigns", data={"csrf": csrf, "lang": "en", "batch_id": batch_id, "channel": "pigeon"})
    assert bad.status_code == 422


def test_an_unknown_decision_is_a_404_page(web, analyst_key):
    sign_in(web, analyst_key)
    assert web.get("/staff/loans/decisions/99999999999999999999?lang=en").status_code == 404
    assert web.get("/staff/loans/decisions/5?lang=en").status_code == 404


def test_pages_need_a_signed_in_staff_member(web):
    r = web.get("/staff/loans?lang=en", follow_redirects=False)
    assert r.status_code == 303 and "/staff/login" in r.headers["location"]
