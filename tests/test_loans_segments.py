"""Campaign audiences by segment: the eligible borrowers of a relief batch, elderly customers (age
from the birth date in their resident ID number, via core.identifiers, which identity uses too)
for anti-fraud warnings, and holders of a weak security setting from the guard's check-up (read
through the platform's seam: loans and the guard never import each other)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from stdnum.cn import ric

from finguard.app.http import create_app
from finguard.core.errors import InvalidInput
from finguard.core.identifiers import age_at, resident_birth_date
from finguard.guard.model.controls import ControlSettings, NightLock
from finguard.guard.service.customer import CustomerControlService
from finguard.guard.store.repo import SqlGuardStore
from finguard.loans.http import router
from finguard.loans.model.outreach import ANTI_FRAUD_TEMPLATE, CHINA, SECURITY_TEMPLATE, Channel, Contact, parse_contact
from finguard.loans.provider import make_outreach
from finguard.loans.store.outreach import outreach_contact

AS_OF = date(2020, 3, 2)


def rid(birth: str, seq: str = "123") -> str:
    """A valid resident ID number born on ``birth`` (YYYYMMDD), Dongcheng district, Beijing."""
    body = "110101" + birth + seq
    return body + ric.calc_check_digit(body + "0")


def test_the_birth_date_and_age_come_from_the_resident_id_number():
    assert resident_birth_date(rid("19550302")) == date(1955, 3, 2)
    assert resident_birth_date("110101550302123") == date(1955, 3, 2)  # 15 digits: born in the 1900s
    assert age_at(date(1955, 3, 2), AS_OF) == 65 and age_at(date(1955, 3, 3), AS_OF) == 64
    assert age_at(date(1960, 2, 29), date(2020, 2, 28)) == 59 and age_at(date(1960, 2, 29), date(2020, 2, 29)) == 60
    good = rid("19550302")
    with pytest.raises(InvalidInput) as err:
        resident_birth_date(good[:-1] + ("0" if good[-1] != "0" else "1"))  # a wrong check digit
    assert err.value.problems[0].field == "id_number"


def test_a_contact_keeps_the_birth_date_not_the_number():
    c = parse_contact({"customer_id": "C1", "name": "王奶奶", "lang": "zh", "phone": "13900000001", "id_number": rid("19450101")})
    assert c.birth_date == date(1945, 1, 1)
    assert parse_contact({"customer_id": "C2", "name": "B", "birth_date": "1950-06-01"}).birth_date == date(1950, 6, 1)
    with pytest.raises(InvalidInput) as err:
        parse_contact({"customer_id": "C3", "name": "C", "id_number": "110101194501011234"}, line=7)
    assert (err.value.problems[0].field, err.value.problems[0].line) == ("id_number", 7)
    with pytest.raises(InvalidInput) as err:
        parse_contact({"customer_id": "C4", "name": "D", "birth_date": "01/06/1950"})
    assert err.value.problems[0].field == "birth_date"
    assert "id_number" not in {c.name for c in outreach_contact.columns}


PEOPLE = [  # customer, birth (YYYYMMDD), language
    ("E-1", "19550302", "zh"),  # 65 on the day
    ("E-2", "19600302", "en"),  # 60 exactly on the day
    ("E-3", "19600303", "zh"),  # 60 tomorrow: 59
    ("E-4", "19900101", "zh"),
]


@pytest.fixture
def svc(engine):
    s = make_outreach(engine, clock=lambda: datetime(2020, 3, 2, 12, 0, tzinfo=CHINA).astimezone(UTC))
    rows = [{"customer_id": cid, "name": f"客户{cid}", "lang": lang, "phone": f"1390000{i:04}", "id_number": rid(birth)}
            for i, (cid, birth, lang) in enumerate(PEOPLE)]
    s.import_contacts(enumerate([*rows, {"customer_id": "N-1", "name": "no id", "phone": "13911111111"}], 2))
    return s


def test_the_elderly_segment_is_who_is_aged_60_or_more_on_the_day(svc):
    recipients, described = svc.segment("elderly", AS_OF, min_age=60)
    assert [(r.contact.customer_id, r.figures["age"]) for r in recipients] == [("E-1", "65"), ("E-2", "60")]
    assert described == "elderly: aged 60+ on 2020-03-02"
    assert [r.contact.customer_id for r in svc.segment("elderly", AS_OF, min_age=65)[0]] == ["E-1"]
    report = svc.create_campaign("anti-fraud", "Anti-fraud", Channel.SMS, ANTI_FRAUD_TEMPLATE, recipients, "officer", described)
    assert report["by_status"] == {"queued": 2}
    with svc.store.engine.connect() as conn:
        from finguard.loans.store.outreach import outreach_message as m
        bodies = dict(conn.execute(select(m.c.customer_id, m.c.body)).all())
    assert bodies["E-1"].startswith("客户E-1 您好：公安机关和银行绝不会") and "96110" in bodies["E-2"]
    with pytest.raises(InvalidInput) as err:
        svc.segment("elderly", AS_OF, min_age=12)
    assert err.value.problems[0].field == "min_age"


def test_the_weak_security_segment_reads_the_checkup_through_a_seam(svc):
    with pytest.raises(InvalidInput) as err:
        svc.segment("weak_security", AS_OF)  # nothing wired: refused, not guessed
    assert err.value.problems[0].field == "segment"
    svc.security = lambda ids: {cid: ([("night_lock", "夜间锁未开启。", "Night lock is off.")] if cid in ("E-1", "E-2") else [])
                                for cid in ids}
    recipients, described = svc.segment("weak_security", AS_OF)
    assert described == "weak security setting (any)"
    assert {r.contact.customer_id: r.figures["advice"] for r in recipients} == {"E-1": "夜间锁未开启。", "E-2": "Night lock is off."}
    assert svc.segment("weak_security", AS_OF, codes=["limits"])[0] == []
    with pytest.raises(InvalidInput) as err:
        svc.segment("weak_security", AS_OF, codes=["bogus"])
    assert err.value.problems[0].field == "codes"
    with pytest.raises(InvalidInput) as err:
        svc.segment("relief", AS_OF)
    assert err.value.problems[0].field == "relief_batch"
    with pytest.raises(InvalidInput):
        svc.segment("everyone", AS_OF)


def test_the_platform_wires_the_guards_checkup_and_the_api_plans_by_segment(platform, admin_key):
    CustomerControlService(SqlGuardStore(platform.engine), lambda: datetime.now(UTC)).set(
        "S-1", ControlSettings(night_lock=NightLock(True)), actor="app", channel="mobile")
    app = create_app(platform)
    app.include_router(router)
    h = {"X-API-Key": admin_key}
    with TestClient(app) as api:
        contacts = [{"customer_id": "S-1", "name": "张三", "lang": "zh", "phone": "13900000001", "id_number": rid("19500101")},
                    {"customer_id": "S-2", "name": "Li Si", "lang": "en", "phone": "13900000002", "birth_date": "1990-01-01"}]
        assert api.post("/api/v1/loans/contacts", json={"contacts": contacts}, headers=h).json() == {"saved": 2}
        night = api.post("/api/v1/loans/campaigns", json={"campaign_id": "night-lock", "segment": "weak_security",
                                                          "codes": ["night_lock"], "channel": "sms"}, headers=h)
        assert night.status_code == 201 and night.json()["total"] == 1  # S-1 has switched the night lock on
        weak = api.post("/api/v1/loans/campaigns", json={"campaign_id": "any-weak", "segment": "weak_security"}, headers=h)
        assert weak.json()["total"] == 2  # both have other protections off
        old = api.post("/api/v1/loans/campaigns", json={"campaign_id": "elderly", "segment": "elderly", "as_of": "2020-03-02"},
                       headers=h)
        assert old.status_code == 201 and old.json()["total"] == 1
        for body, field in (({"campaign_id": "x"}, "relief_batch"), ({"campaign_id": "x", "segment": "kids"}, "segment"),
                            ({"campaign_id": "x", "segment": "elderly", "min_age": 5}, "min_age"),
                            ({"campaign_id": "x", "segment": "weak_security", "codes": ["pin"]}, "codes")):
            r = api.post("/api/v1/loans/campaigns", json=body, headers=h)
            assert r.status_code == 422 and field in r.text, (body, r.text)
    with platform.engine.connect() as conn:
        from finguard.loans.store.outreach import outreach_message as m
        texts = dict(conn.execute(select(m.c.customer_id, m.c.body).where(m.c.campaign_id == "any-weak")).all())
    assert "夜间锁" not in texts["S-1"] and "地区锁未开启" in texts["S-1"] and "Night lock is off" in texts["S-2"]
    assert SECURITY_TEMPLATE.placeholders() == {"name", "advice"}
    assert Contact("a", "b", "zh").birth_date is None
    assert "birth_date" in {c["name"] for c in inspect(platform.engine).get_columns("outreach_contact")}
