"""The staff pages for tax loans: apply from the form, see the decision with its reasons in zh and en."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.pages import router as credit_pages
from finguard.credit.service import CreditService
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore
from tests.credit_helpers import good_record


@pytest.fixture
def web(platform, tmp_path):
    app = create_app(platform)
    staff = APIRouter(prefix="/staff")
    staff.include_router(credit_pages)
    app.include_router(staff)
    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    platform.credit = CreditService(SqlCreditStore(platform.engine), FileTaxFeed(tmp_path))
    with TestClient(app) as c:
        yield c


def sign_in(client, secret):
    r = client.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_token(client.cookies[COOKIE])  # the form token follows the session, not the key


def test_apply_from_the_form_and_read_the_decision(web, analyst_key):
    csrf = sign_in(web, analyst_key)
    rec = good_record()
    form = {"csrf": csrf, "lang": "zh", "uscc": rec.firm.uscc, "amount": "100000", "term_months": "12", "purpose": "购买原材料"}
    r = web.post("/staff/credit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"])
    assert page.status_code == 200
    assert "批准" in page.text and "CNY 100,000" in page.text and 'id="rate"' in page.text
    assert 'data-stage="decided"' in page.text
    r = web.post(
        r.headers["location"].split("?")[0] + "/stage", data={"csrf": csrf, "lang": "en", "stage": "signed"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert 'data-stage="signed"' in page.text and "Mark disbursed" in page.text


def test_a_refusal_shows_every_reason_in_both_languages(web, analyst_key, platform):
    csrf = sign_in(web, analyst_key)
    web.app.state.platform.credit.set_policy({"knockout": {"min_years_in_business": 40}}, created_by="t")
    rec = good_record()
    r = web.post(
        "/staff/credit",
        data={"csrf": csrf, "lang": "en", "uscc": rec.firm.uscc, "amount": "100000", "term_months": "12", "purpose": "stock"},
        follow_redirects=False,
    )
    page = web.get(r.headers["location"])
    assert "Refused" in page.text and 'data-code="KO_YOUNG"' in page.text
    assert "less than 40" in page.text and "未满40年" in page.text


def test_bad_fields_are_named_on_the_form(web, analyst_key):
    csrf = sign_in(web, analyst_key)
    r = web.post("/staff/credit", data={"csrf": csrf, "lang": "en", "uscc": "123", "amount": "1.234", "term_months": "12", "purpose": "x"})
    assert r.status_code == 422
    assert 'data-field="amount"' in r.text and 'data-field="uscc"' in r.text
    assert web.get("/staff/credit?lang=en").text.count("data-outcome=") == 0


def test_an_unknown_application_is_a_404_page(web, analyst_key):
    sign_in(web, analyst_key)
    assert web.get("/staff/credit/424242?lang=en").status_code == 404


def test_the_report_shows_models_the_scorecard_and_timeliness(web, analyst_key):
    sign_in(web, analyst_key)
    page = web.get("/staff/credit-report?lang=en")
    assert page.status_code == 200
    assert 'data-role="champion"' in page.text and 'data-feature="grade_rank"' in page.text
    assert 'data-stage="decided"' in page.text and "No stage missed its target." in page.text
    assert "纳税信用等级" in web.get("/staff/credit-report?lang=zh").text
