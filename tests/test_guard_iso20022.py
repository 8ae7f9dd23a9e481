"""ISO 20022 pacs.008 and pain.001 messages into guard events (hand-written samples, no downloads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from finguard.app.platform import Platform
from finguard.core import http_errors as errors
from finguard.core.errors import InvalidInput
from finguard.guard.http.routes import router
from finguard.guard.model.events import EventType
from finguard.guard.provider import make_guard
from finguard.guard.service.iso20022 import numeric_account, parse_iso20022

NOW = datetime(2026, 3, 2, 2, 5, tzinfo=UTC)

PACS_008 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>BKCHCNBJ20260302000117</MsgId>
      <CreDtTm>2026-03-02T10:00:00+08:00</CreDtTm>
      <NbOfTxs>2</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId>
        <InstrId>BKCH-INSTR-0001</InstrId>
        <EndToEndId>INV-2026-0042</EndToEndId>
        <TxId>BKCH-TX-0001</TxId>
        <UETR>8a562c67-ca16-48ba-b074-65581be6f011</UETR>
      </PmtId>
      <IntrBkSttlmAmt Ccy="EUR">12500.00</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2026-03-02</IntrBkSttlmDt>
      <ChrgBr>SHAR</ChrgBr>
      <Dbtr>
        <Nm>Li Wei</Nm>
        <PstlAdr><Ctry>CN</Ctry></PstlAdr>
        <Id><PrvtId><Othr><Id>c1001</Id></Othr></PrvtId></Id>
      </Dbtr>
      <DbtrAcct><Id><Othr><Id>6222 0000 1111 2222</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>BKCHCNBJ</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>Muster GmbH</Nm><PstlAdr><Ctry>DE</Ctry></PstlAdr></Cdtr>
      <CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct>
      <Purp><Cd>GDDS</Cd></Purp>
      <RmtInf><Ustrd>Invoice 2026-0042</Ustrd></RmtInf>
    </CdtTrfTxInf>
    <CdtTrfTxInf>
      <PmtId>
        <EndToEndId>NOTPROVIDED</EndToEndId>
        <TxId>BKCH-TX-0002</TxId>
      </PmtId>
      <IntrBkSttlmAmt Ccy="CNY">800.50</IntrBkSttlmAmt>
      <AccptncDtTm>2026-03-02T09:58:00</AccptncDtTm>
      <Dbtr><Nm>Li Wei</Nm><Id><PrvtId><Othr><Id>c1001</Id></Othr></PrvtId></Id></Dbtr>
      <DbtrAcct><Id><Othr><Id>6222000011112222</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>BKCHCNBJ</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>ICBKCNBJ</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>王芳</Nm></Cdtr>
      <CdtrAcct><Id><Othr><Id>6228000099998888</Id></Othr></Id></CdtrAcct>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
"""

PAIN_001 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>ACME-PAY-20260302-01</MsgId>
      <CreDtTm>2026-03-02T02:01:00Z</CreDtTm>
      <NbOfTxs>2</NbOfTxs>
      <CtrlSum>3400.00</CtrlSum>
      <InitgPty><Nm>ACME Trading Ltd</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>ACME-BATCH-7</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt><Dt>2026-03-02</Dt></ReqdExctnDt>
      <Dbtr><Nm>ACME Trading Ltd</Nm><PstlAdr><Ctry>GB</Ctry></PstlAdr>
        <Id><OrgId><Othr><Id>acme-corp</Id></Othr></OrgId></Id></Dbtr>
      <DbtrAcct><Id><IBAN>GB29NWBK60161331926819</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>NWBKGB2L</BICFI></FinInstnId></DbtrAgt>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>ACME/INV/77</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="GBP">2400.00</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>BARCGB22</BICFI></FinInstnId></CdtrAgt>
        <Cdtr><Nm>Supplier One</Nm></Cdtr>
        <CdtrAcct><Id><IBAN>GB33BUKB20201555555555</IBAN></Id></CdtrAcct>
      </CdtTrfTxInf>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>ACME-INV-78</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">1000</InstdAmt></Amt>
        <Cdtr><Nm>Fournisseur SA</Nm></Cdtr>
        <CdtrAcct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></CdtrAcct>
      </CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"""


def test_pacs008_gives_one_event_per_transaction_with_cross_border_as_remittance() -> None:
    msg = parse_iso20022(PACS_008, now=NOW)
    assert msg.message_type == "pacs.008.001.08" and msg.message_id == "BKCHCNBJ20260302000117"
    first, second = msg.events
    assert first.event_id == "INV-2026-0042"
    assert first.type is EventType.REMITTANCE  # CN debtor (account + BIC) -> DE creditor (IBAN)
    assert (first.amount, first.currency) == (Decimal("12500.00"), "EUR")
    assert first.customer_id == "c1001" and first.account == "6222000011112222"
    assert first.payee is not None and first.payee.country == "DE" and first.payee.bank == "DEUTDEFF"
    assert first.payee.account == numeric_account("DE89370400440532013000") == "131489370400440532013000"
    assert first.attributes["creditor_iban"] == "DE89370400440532013000"
    assert first.attributes["uetr"] == "8a562c67-ca16-48ba-b074-65581be6f011"
    assert first.attributes["remittance_info"] == "Invoice 2026-0042"
    assert first.occurred_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    # NOTPROVIDED end-to-end id: the TxId is the event id; both agents in CN: a domestic transfer.
    assert second.event_id == "BKCH-TX-0002" and second.type is EventType.TRANSFER
    assert second.payee is not None and second.payee.name == "王芳"
    # AccptncDtTm without an offset is read in Asia/Shanghai.
    assert second.occurred_at == datetime(2026, 3, 2, 1, 58, tzinfo=UTC)


def test_pain001_takes_the_debtor_from_the_payment_block() -> None:
    msg = parse_iso20022(PAIN_001, now=NOW, channel="web")
    assert msg.message_type == "pain.001.001.09"
    gb, fr = msg.events
    assert gb.type is EventType.TRANSFER and gb.customer_id == "acme-corp" and gb.channel == "web"
    assert gb.account == numeric_account("GB29NWBK60161331926819") and gb.attributes["debtor_iban"] == "GB29NWBK60161331926819"
    assert gb.event_id.startswith("e2e-") and gb.attributes["end_to_end_id"] == "ACME/INV/77"
    assert fr.type is EventType.REMITTANCE and fr.payee is not None and fr.payee.country == "FR"
    assert (fr.amount, fr.currency) == (Decimal("1000.00"), "EUR")


def test_the_same_message_maps_to_the_same_event_ids() -> None:
    assert [e.event_id for e in parse_iso20022(PAIN_001, now=NOW).events] == [e.event_id for e in parse_iso20022(PAIN_001, now=NOW).events]


def test_a_caller_given_customer_overrides_the_message() -> None:
    assert {e.customer_id for e in parse_iso20022(PACS_008, now=NOW, customer_id="cust-9").events} == {"cust-9"}


def _problem(body: str, **kw: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_iso20022(body, now=NOW, **kw)  # type: ignore[arg-type]
    return info.value


def test_a_missing_amount_names_the_element() -> None:
    body = PACS_008.replace('<IntrBkSttlmAmt Ccy="CNY">800.50</IntrBkSttlmAmt>', "")
    fields = [p.field for p in _problem(body).problems]
    assert fields == ["Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/IntrBkSttlmAmt"]


def test_bad_amounts_currencies_and_ibans_are_each_named() -> None:
    body = PAIN_001.replace('Ccy="GBP">2400.00', 'Ccy="GBP">24.001').replace('Ccy="EUR"', 'Ccy="euro"')
    body = body.replace("GB33BUKB20201555555555", "GB00BUKB20201555555555")
    fields = sorted(p.field for p in _problem(body).problems)
    base = "Document/CstmrCdtTrfInitn/PmtInf[1]"
    assert fields == [
        f"{base}/CdtTrfTxInf[1]/Amt/InstdAmt",
        f"{base}/CdtTrfTxInf[1]/CdtrAcct/Id/IBAN",
        f"{base}/CdtTrfTxInf[2]/Amt/InstdAmt/@Ccy",
    ]


def test_the_wrong_namespace_or_message_is_refused() -> None:
    camt = PACS_008.replace("pacs.008.001.08", "camt.053.001.08")
    problem = _problem(camt).problems[0]
    assert problem.field == "Document" and "camt.053" in problem.problem and "pacs.008" in problem.problem
    assert _problem(PACS_008.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"', "")).problems[0].field == "Document"


def test_malformed_xml_is_refused_with_the_position() -> None:
    problem = _problem(PACS_008.replace("</GrpHdr>", "</GrpHeader>")).problems[0]
    assert problem.field == "body" and "not well-formed" in problem.problem and "line" in problem.problem


@pytest.mark.parametrize(
    "attack",
    [
        # billion laughs
        """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>&lol3;</FIToFICstmrCdtTrf></Document>""",
        # XXE: an external entity reading a local file
        """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>&xxe;</FIToFICstmrCdtTrf></Document>""",
        # a DTD alone
        """<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"/>""",
    ],
)
def test_entity_expansion_and_external_entities_are_refused(attack: str) -> None:
    problem = _problem(attack).problems[0]
    assert problem.field == "body" and "not accepted" in problem.problem


def test_duplicate_end_to_end_ids_in_one_message_are_refused() -> None:
    body = PAIN_001.replace("ACME-INV-78", "dup-1").replace("ACME/INV/77", "dup-1")
    assert "same end-to-end id" in _problem(body).problems[0].problem


def test_events_outside_the_time_window_are_refused_like_json_events() -> None:
    problem = _problem(PACS_008.replace("2026-03-02T10:00:00+08:00", "2025-01-01T10:00:00+08:00")).problems[0]
    assert problem.field.endswith("CdtTrfTxInf[1] (occurred_at)") and "30 days" in problem.problem


def test_an_unknown_channel_is_refused() -> None:
    assert _problem(PACS_008, channel="carrier-pigeon").problems[0].field == "channel"


# -- the HTTP endpoint -------------------------------------------------------------------------


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    platform.guard = make_guard(platform.engine, platform.checker, clock=lambda: NOW)  # type: ignore[attr-defined]
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.state.platform = platform
    with TestClient(app) as c:
        yield c


def test_the_endpoint_decides_every_transaction_once(api: TestClient, analyst_key: str) -> None:
    headers = {"X-API-Key": analyst_key, "Content-Type": "application/xml"}
    r = api.post("/api/v1/guard/events/iso20022", content=PACS_008.encode(), headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 2 and [d["event_type"] for d in body["decisions"]] == ["remittance", "transfer"]
    again = api.post("/api/v1/guard/events/iso20022", content=PACS_008.encode(), headers=headers).json()
    assert [d["decision_id"] for d in again["decisions"]] == [d["decision_id"] for d in body["decisions"]]


def test_the_endpoint_answers_bad_xml_with_the_error_envelope(api: TestClient, analyst_key: str) -> None:
    headers = {"X-API-Key": analyst_key, "Content-Type": "application/xml"}
    body = PACS_008.replace('<IntrBkSttlmAmt Ccy="EUR">12500.00</IntrBkSttlmAmt>', "")
    r = api.post("/api/v1/guard/events/iso20022", content=body.encode(), headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["problems"] == [
        {"field": "Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/IntrBkSttlmAmt", "problem": "is required: the amount with its Ccy"}
    ]
    xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>'
    r = api.post("/api/v1/guard/events/iso20022", content=xxe.encode(), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "body"
    assert api.post("/api/v1/guard/events/iso20022", content=PACS_008.encode()).status_code == 401
