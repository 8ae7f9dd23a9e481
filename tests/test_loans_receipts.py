"""The gateway's delivery receipts and replies over the API: signed with the shared secret
(HMAC-SHA256), all or nothing with every bad field named, idempotent, a reply TD / 退订 / STOP
opts the customer out; message status moves to delivered / failed / replied with its times."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from finguard.app.http import create_app
from finguard.loans.channels import WebhookSender
from finguard.loans.http import router
from finguard.loans.model.outreach import CHINA, Channel, Rules, is_opt_out, sign
from tests.loans_servers import webhook_server
from tests.test_loans_outreach import outreach  # noqa: F401 - the fixture

SECRET = "gateway-shared-secret"
BOOK = [{"loan_id": f"L-{i}", "customer_id": f"C-{i}", "branch": "310000", "principal": "300000.00", "annual_rate": "4.35%",
         "term_months": 36, "start": "2020-01-15", "industry": "H", "firm_size": "small", "impact_documented": True} for i in range(1, 5)]
CONTACTS = [{"customer_id": f"C-{i}", "name": f"客户{i}", "lang": "zh", "phone": f"1390000000{i}"} for i in range(1, 5)]


def h(key):
    return {"X-API-Key": key}


def signed(body, secret=SECRET, at=None):
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = str(int(at if at is not None else time.time()))
    return {"content": raw, "headers": {"Content-Type": "application/json", "X-Finguard-Timestamp": ts,
                                        "X-Finguard-Signature": sign(secret.encode(), ts, raw)}}


@pytest.fixture
def sent(platform, admin_key):
    """A relief SMS campaign to four borrowers, sent through a local gateway: key by phone."""
    platform.settings.loans_gateway_secret = SecretStr(SECRET)
    now = datetime.now(CHINA).time()
    platform.outreach.rules = Rules(quiet_start=now, quiet_end=now)  # no quiet hours: the test runs at any time
    app = create_app(platform)
    app.include_router(router)
    with TestClient(app) as api:
        api.post("/api/v1/loans/import", json={"loans": BOOK}, headers=h(admin_key))
        batch = api.post("/api/v1/loans/eligibility/batches", json={}, headers=h(admin_key)).json()["batch_id"]
        api.post("/api/v1/loans/contacts", json={"contacts": CONTACTS}, headers=h(admin_key))
        created = api.post("/api/v1/loans/campaigns", json={"campaign_id": "relief", "relief_batch": batch, "as_of": "2020-03-01"},
                           headers=h(admin_key))
        assert created.status_code == 201 and created.json()["by_status"] == {"queued": 4}
        with webhook_server() as (url, gateway):
            assert platform.outreach.run("relief", {Channel.SMS: WebhookSender(url)}).sent == 4
        keys = {body["to"]: key for key, body in gateway.delivered.items()}
        yield api, keys


def test_receipts_and_replies_move_each_message_and_an_opt_out_word_opts_out(sent, platform, analyst_key):
    api, keys = sent
    receipts = [{"message_id": keys["13900000001"], "event": "delivered", "at": "2020-03-02T10:00:00+08:00"},
                {"message_id": keys["13900000002"], "event": "failed", "error": "handset off for 72 h"},
                {"message_id": keys["13900000003"], "event": "reply", "text": "退订", "at": "2020-03-02T10:05:00+08:00"},
                {"message_id": keys["13900000004"], "event": "reply", "text": "谢谢，已联系客户经理", "id": "gw-r-1"}]
    r = api.post("/api/v1/loans/receipts", **signed({"receipts": receipts}))
    assert r.status_code == 200 and r.json() == {"recorded": 4, "duplicates": 0, "opted_out": 1}
    again = api.post("/api/v1/loans/receipts", **signed({"receipts": receipts}))
    assert again.json() == {"recorded": 0, "duplicates": 4, "opted_out": 0}
    one = api.post("/api/v1/loans/receipts", **signed(receipts[0]))  # a single receipt, not in a list
    assert one.json()["duplicates"] == 1
    report = api.get("/api/v1/loans/campaigns/relief", headers=h(analyst_key)).json()
    assert report["by_status"] == {"delivered": 1, "failed": 1, "replied": 2}
    assert report["replies"] == 2
    from sqlalchemy import select

    from finguard.loans.store.outreach import outreach_message as m
    from finguard.loans.store.outreach import outreach_opt_out as o
    with platform.engine.connect() as conn:
        row = conn.execute(select(m).where(m.c.key == keys["13900000001"])).one()
        assert row.delivered_at == datetime(2020, 3, 2, 2, 0, tzinfo=UTC) and row.sent_at is not None
        assert conn.execute(select(m.c.detail).where(m.c.key == keys["13900000002"])).scalar_one() == "receipt: handset off for 72 h"
        assert conn.execute(select(o.c.customer_id, o.c.campaign_id)).all() == [("C-3", "relief")]
    assert platform.outreach.store.opted_out(Channel.SMS, ["C-3", "C-4"]) == {"C-3"}


def test_a_receipt_not_signed_with_the_secret_is_refused(sent):
    api, keys = sent
    body = {"message_id": keys["13900000001"], "event": "delivered"}
    forged = api.post("/api/v1/loans/receipts", **signed(body, secret="guess"))
    assert forged.status_code == 401 and "X-Finguard-Signature" in forged.text
    stale = api.post("/api/v1/loans/receipts", **signed(body, at=time.time() - 3600))
    assert stale.status_code == 401 and "X-Finguard-Timestamp" in stale.text
    unsigned = api.post("/api/v1/loans/receipts", json=body)
    assert unsigned.status_code == 401 and "X-Finguard-Timestamp" in unsigned.text
    tampered = signed(body)
    tampered["content"] = tampered["content"].replace(b"delivered", b"failed\x20\x20")
    assert api.post("/api/v1/loans/receipts", **tampered).status_code == 401


def test_bad_receipts_are_422_naming_the_field_and_nothing_is_recorded(sent, analyst_key):
    api, keys = sent
    good = {"message_id": keys["13900000001"], "event": "delivered"}
    cases = [
        ({"receipts": [good, {"message_id": keys["13900000002"], "event": "read"}]}, "receipts[1].event"),
        ({"receipts": [good, {"message_id": "0" * 32, "event": "delivered"}]}, "receipts[1].message_id"),
        ({"receipts": [{"message_id": "x", "event": "delivered"}]}, "receipts[0].message_id"),
        ({"receipts": [{**good, "at": "2020-03-02 10:00"}]}, "receipts[0].at"),
        ({"receipts": [{"message_id": keys["13900000003"], "event": "reply", "text": ""}]}, "receipts[0].text"),
        ({"receipts": "all"}, "receipts"),
        ({"receipts": []}, "receipts"),
    ]
    for body, field in cases:
        r = api.post("/api/v1/loans/receipts", **signed(body))
        assert r.status_code == 422, (body, r.text)
        assert field in {p["field"] for p in r.json()["error"]["problems"]}, r.text
    not_json = signed({})
    not_json["content"] = b"{nope"
    not_json["headers"]["X-Finguard-Signature"] = sign(SECRET.encode(), not_json["headers"]["X-Finguard-Timestamp"], b"{nope")
    assert api.post("/api/v1/loans/receipts", **not_json).status_code == 422
    assert api.get("/api/v1/loans/campaigns/relief", headers=h(analyst_key)).json()["by_status"] == {"sent": 4}


def test_without_a_configured_secret_every_receipt_is_refused(sent, platform):
    api, keys = sent
    platform.settings.loans_gateway_secret = None
    r = api.post("/api/v1/loans/receipts", **signed({"message_id": keys["13900000001"], "event": "delivered"}))
    assert r.status_code == 403 and "FINGUARD_LOANS_GATEWAY_SECRET" in r.text


@pytest.mark.parametrize(("text", "out"), [("TD", True), ("td", True), ("ＴＤ", True), ("退订。", True), ("请帮我退订", True),
                                           ("Stop!", True), ("unsubscribe", True), ("T", True), ("谢谢", False),
                                           ("TODAY I paid", False), ("stop calling me at night please", False)])
def test_opt_out_words(text, out):
    assert is_opt_out(text) is out


def _dsn(key, action="failed", headers_only=True):
    """A bounce as Postfix writes it (RFC 3464), returning our message's headers."""
    original = f"From: relief@bank.example\r\nTo: c1@example.cn\r\nSubject: x\r\nMessage-ID: <{key}@finguard>\r\n\r\n"
    kind = "text/rfc822-headers" if headers_only else "message/rfc822"
    return (
        "From: MAILER-DAEMON@mx.example\r\nTo: relief@bank.example\r\nDate: Mon, 02 Mar 2020 10:30:00 +0800\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; c1@example.cn\r\nAction: {action}\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--B\r\nContent-Type: {kind}\r\n\r\n{original}\r\n--B--\r\n"
    ).encode()


def test_an_smtp_bounce_marks_our_email_failed_once(outreach):  # noqa: F811
    from finguard.loans.channels import SmtpSender, dsn_receipts
    from tests.loans_servers import smtp_server
    from tests.test_loans_outreach import TEMPLATE

    outreach.rules = Rules(quiet_start=datetime.now(CHINA).time(), quiet_end=datetime.now(CHINA).time())
    recipients = outreach.relief_segment(outreach.batch_id, datetime(2020, 3, 1).date())
    outreach.create_campaign("mail", "m", Channel.EMAIL, TEMPLATE, recipients, "o", "b")
    with smtp_server() as (port, box):
        sender = SmtpSender("127.0.0.1", port, "relief@bank.example")
        outreach.run("mail", {Channel.EMAIL: sender})
        sender.close()
        time.sleep(0.2)
    key = next(m["id"] for m in box.messages if m["to"] == "c1@example.cn").strip("<>").split("@")[0]
    receipts = dsn_receipts(_dsn(key))
    assert receipts == [{"message_id": key, "event": "failed", "error": "5.1.1 smtp; 550 5.1.1 user unknown",
                         "at": "2020-03-02T10:30:00+08:00"}]
    assert dsn_receipts(_dsn(key, headers_only=False))[0]["message_id"] == key
    assert dsn_receipts(_dsn(key, action="delayed")) == []
    assert dsn_receipts(_dsn("f" * 31 + "x")) == []  # not one of ours
    assert dsn_receipts(b"From: a@b\r\nSubject: hello\r\n\r\nnot a bounce") == []
    assert outreach.receipts(receipts) == {"recorded": 1, "duplicates": 0, "opted_out": 0}
    assert outreach.receipts(receipts) == {"recorded": 0, "duplicates": 1, "opted_out": 0}
    assert outreach.store.report("mail")["by_status"] == {"sent": 4, "failed": 1}
