"""ISO 20022 credit transfers into guard events: ``pacs.008`` (FIToFICstmrCdtTrf) and ``pain.001``
(CstmrCdtTrfInitn), any ``.001.NN`` version.

One event per ``CdtTrfTxInf``. The mapping:

==================  ===============================================================================
event field         from
==================  ===============================================================================
event_id            ``PmtId/EndToEndId``; when it is ``NOTPROVIDED`` or absent: ``UETR``, ``TxId``,
                    ``InstrId``, else a hash of the message id and the transaction's position. An
                    end-to-end id with characters outside ``A-Z a-z 0-9 _ . : -`` becomes
                    ``e2e-`` + its SHA-256 (the same id always maps to the same event id)
type                ``remittance`` when the debtor's and the creditor's countries are known and
                    differ, else ``transfer``. A country is taken from the account's IBAN, else the
                    agent's BIC, else the party's ``PstlAdr/Ctry``
occurred_at         ``AccptncDtTm`` (pacs.008), else ``GrpHdr/CreDtTm``; a time without an offset is
                    read in ``assume_tz`` (default Asia/Shanghai)
customer_id         the caller's, else ``Dbtr/Id/(PrvtId|OrgId)/Othr/Id``, else ``account:`` + the
                    debtor's account
account             ``DbtrAcct/Id/Othr/Id`` (digits), or the IBAN in numeric form (below)
amount, currency    ``IntrBkSttlmAmt`` (pacs.008) or ``Amt/InstdAmt`` (pain.001, else
                    ``Amt/EqvtAmt/Amt``) and its ``Ccy``
payee               account from ``CdtrAcct`` (as the debtor's), name ``Cdtr/Nm``, bank the
                    creditor agent's BIC, country as above
attributes          message type and id, end-to-end / transaction id, UETR, debtor name, BICs,
                    IBANs, countries, purpose, charge bearer, the first 200 characters of
                    ``RmtInf/Ustrd``
==================  ===============================================================================

The guard keys accounts by digits (list checks, velocity, cooling-off), so an IBAN becomes its
numeric form, each letter replaced by two digits as in the IBAN check (A=10 ... Z=35;
``DE89370400440532013000`` -> ``131489370400440532013000``). Within one country's fixed IBAN
layout this is one-to-one; a form longer than 34 digits is keyed by ``99`` + 32 digits of its
SHA-256. The IBAN itself is kept in ``attributes``.

The XML is parsed with :mod:`defusedxml` with DTDs forbidden, so entity expansion (billion
laughs) and external entities (XXE) are refused before anything is read. Every problem names
its element as a path (``CdtTrfTxInf[2]/IntrBkSttlmAmt``); one bad transaction rejects the
message (nothing is decided).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from stdnum import iban as stdnum_iban

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput
from finguard.core.identifiers import normalize_account
from finguard.guard.model.controls import DEFAULT_TZ
from finguard.guard.model.events import CHANNELS, Event, parse_amount, parse_event

MAX_XML_BYTES = 5 * 1024 * 1024
MAX_TRANSACTIONS = 10_000
NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(pacs\.008|pain\.001)\.001\.(\d{2})")
ACCEPTED = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.NN or urn:iso:std:iso:20022:tech:xsd:pain.001.001.NN"
_ROOTS = {"pacs.008": "FIToFICstmrCdtTrf", "pain.001": "CstmrCdtTrfInitn"}
_EVENT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_CUSTOMER = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_BIC = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Iso20022Message:
    message_type: str  # "pacs.008.001.08"
    message_id: str | None
    events: tuple[Event, ...]


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(FieldProblem(where, problem))


class _Doc:
    """Namespace-aware lookups with paths relative to the message (for error messages)."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def find(self, el: Element | None, path: str) -> Element | None:
        if el is None:
            return None
        return el.find("/".join(f"{{{self.ns}}}{p}" for p in path.split("/")))

    def all(self, el: Element, tag: str) -> list[Element]:
        return el.findall(f"{{{self.ns}}}{tag}")

    def text(self, el: Element | None, path: str) -> str | None:
        found = self.find(el, path)
        if found is None or found.text is None:
            return None
        value = found.text.strip()
        return value or None

    def first(self, el: Element | None, *paths: str) -> str | None:
        for p in paths:
            value = self.text(el, p)
            if value is not None:
                return value
        return None


def _xml(body: bytes | str) -> Element:
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_XML_BYTES:
        raise InvalidInput.for_field("body", f"is larger than {MAX_XML_BYTES} bytes")
    try:
        root: Element = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidInput.for_field(
            "body", f"DTDs, entity declarations and external references are not accepted ({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        raise InvalidInput.for_field("body", f"is not well-formed XML: {exc}") from None
    return root


def numeric_account(iban: str) -> str:
    """The digits-only key of a (valid, compact) IBAN: letters as two digits, A=10 ... Z=35."""
    digits = "".join(str(int(c, 36)) for c in iban)
    if len(digits) <= 34:
        return digits
    return "99" + str(int(hashlib.sha256(iban.encode()).hexdigest(), 16))[:32]


@dataclass(frozen=True, slots=True)
class _Account:
    key: str | None  # digits, as the guard keys accounts
    iban: str | None


def _account(doc: _Doc, holder: Element | None, where: str, probs: _Problems) -> _Account:
    raw_iban = doc.text(holder, "Id/IBAN")
    if raw_iban is not None:
        try:
            iban = stdnum_iban.validate(raw_iban)
        except Exception as exc:  # stdnum raises its own ValidationError family
            probs.add(f"{where}/Id/IBAN", f"{raw_iban[:40]!r} is not a valid IBAN ({exc})")
            return _Account(None, None)
        return _Account(numeric_account(iban), iban)
    other = doc.text(holder, "Id/Othr/Id")
    if other is None:
        probs.add(f"{where}/Id", "give the account as IBAN or Othr/Id")
        return _Account(None, None)
    try:
        return _Account(normalize_account(other, f"{where}/Id/Othr/Id"), None)
    except InvalidIdentifier as exc:
        probs.items.extend(exc.problems)
        return _Account(None, None)


def _bic(doc: _Doc, agent: Element | None) -> str | None:
    value = doc.first(agent, "FinInstnId/BICFI", "FinInstnId/BIC")
    return value.upper() if value else None


def _country(iban: str | None, bic: str | None, party_country: str | None) -> str | None:
    if iban:
        return iban[:2]
    if bic and (m := _BIC.fullmatch(bic)):
        return m.group(1)
    if party_country and _COUNTRY.fullmatch(party_country.upper()):
        return party_country.upper()
    return None


def _time(raw: str | None, where: str, tz: str, probs: _Problems) -> str | None:
    if raw is None:
        probs.add(where, "is required (the message's creation time)")
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        probs.add(where, f"{raw[:40]!r} is not an ISO 8601 date-time")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.isoformat()


def _event_id(e2e: str | None, fallbacks: list[str | None], message_id: str | None, where: str) -> str:
    if e2e is not None and e2e.upper() != "NOTPROVIDED":
        if _EVENT_ID.fullmatch(e2e):
            return e2e
        return "e2e-" + hashlib.sha256(e2e.encode()).hexdigest()[:40]
    for value in fallbacks:
        if value is not None and value.upper() != "NOTPROVIDED" and _EVENT_ID.fullmatch(value):
            return value
    return "iso-" + hashlib.sha256(f"{message_id}|{where}".encode()).hexdigest()[:40]


def _amount(doc: _Doc, tx: Element, paths: tuple[str, ...], where: str, probs: _Problems) -> tuple[str | None, str | None]:
    for path in paths:
        el = doc.find(tx, path)
        if el is None:
            continue
        field = f"{where}/{path}"
        currency = (el.get("Ccy") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            probs.add(f"{field}/@Ccy", "is required: an ISO 4217 currency code such as CNY or USD")
            return None, None
        try:
            value = parse_amount((el.text or "").strip(), field)
        except InvalidInput as exc:
            probs.items.extend(exc.problems)
            return None, None
        return str(value), currency
    probs.add(f"{where}/{paths[0]}", "is required: the amount with its Ccy")
    return None, None


def _attrs(values: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v[:200] for k, v in values.items() if v}


def _party_id(doc: _Doc, party: Element | None) -> str | None:
    value = doc.first(party, "Id/PrvtId/Othr/Id", "Id/OrgId/Othr/Id")
    return value if value is not None and _CUSTOMER.fullmatch(value) else None


def parse_iso20022(
    body: bytes | str,
    *,
    now: datetime | None,
    channel: str = "api",
    customer_id: str | None = None,
    assume_tz: str = DEFAULT_TZ,
) -> Iso20022Message:
    """Parse a pacs.008 or pain.001 message into guard events; InvalidInput names every bad element.

    ``now`` is the guard's clock for the event time window (None: no window, for replays).
    """
    if channel not in CHANNELS:
        raise InvalidInput.for_field("channel", f"{channel[:30]!r} is not a channel; accepted: {', '.join(CHANNELS)}")
    root = _xml(body)
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    m = NAMESPACE.fullmatch(ns)
    if local != "Document" or m is None:
        got = f"{{{ns}}}{local}" if ns else local
        raise InvalidInput.for_field("Document", f"the root element is {got[:120]!r}; accepted: Document in {ACCEPTED}")
    family, version = m.group(1), m.group(2)
    doc = _Doc(ns)
    body_tag = _ROOTS[family]
    message = doc.find(root, body_tag)
    if message is None:
        raise InvalidInput.for_field(f"Document/{body_tag}", f"is required in a {family} message")
    top = f"Document/{body_tag}"
    header = doc.find(message, "GrpHdr")
    message_id = doc.text(header, "MsgId")
    probs = _Problems()
    if header is None:
        probs.add(f"{top}/GrpHdr", "is required")
    # (payment block, its path, the transactions in it): pain.001 groups them per PmtInf.
    groups: list[tuple[Element | None, str, list[Element]]] = []
    if family == "pacs.008":
        groups.append((None, top, doc.all(message, "CdtTrfTxInf")))
    else:
        for i, block in enumerate(doc.all(message, "PmtInf"), start=1):
            groups.append((block, f"{top}/PmtInf[{i}]", doc.all(block, "CdtTrfTxInf")))
    count = sum(len(txs) for _, _, txs in groups)
    if count == 0:
        raise InvalidInput.for_field(f"{top}/{'CdtTrfTxInf' if family == 'pacs.008' else 'PmtInf/CdtTrfTxInf'}", "at least one is required")
    if count > MAX_TRANSACTIONS:
        raise InvalidInput.for_field(top, f"has {count} transactions; at most {MAX_TRANSACTIONS} are accepted in one message")
    created = doc.text(header, "CreDtTm")
    kind = f"{family}.001.{version}"
    records: list[tuple[str, dict[str, Any]]] = []
    for info, base, txs in groups:
        for n, tx in enumerate(txs, start=1):
            where = f"{base}/CdtTrfTxInf[{n}]"
            scope = info if info is not None else tx  # pain.001: the debtor is on the payment block
            scope_path = base if info is not None else where
            record = _transaction(doc, tx, where, scope, scope_path, kind, (created, f"{top}/GrpHdr/CreDtTm"), message_id, probs, assume_tz)
            if record is not None:
                records.append((where, record))
    if probs.items:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in probs.items[:10]), problems=probs.items)
    events: list[Event] = []
    seen: dict[str, str] = {}
    for where, record in records:
        record["channel"] = channel
        if customer_id is not None:
            record["customer_id"] = customer_id
        try:
            event = parse_event(record, now)
        except InvalidInput as exc:
            probs.items.extend(FieldProblem(f"{where} ({p.field})", p.problem) for p in exc.problems)
            continue
        if event.event_id in seen:
            probs.add(where, f"has the same end-to-end id as {seen[event.event_id]}")
            continue
        seen[event.event_id] = where
        events.append(event)
    if probs.items:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in probs.items[:10]), problems=probs.items)
    return Iso20022Message(kind, message_id, tuple(events))


def _transaction(
    doc: _Doc,
    tx: Element,
    where: str,
    scope: Element,
    scope_path: str,
    kind: str,
    created: tuple[str | None, str],
    message_id: str | None,
    probs: _Problems,
    tz: str,
) -> dict[str, Any] | None:
    before = len(probs.items)
    family = kind[:8]
    paths = ("IntrBkSttlmAmt",) if family == "pacs.008" else ("Amt/InstdAmt", "Amt/EqvtAmt/Amt")
    amount, currency = _amount(doc, tx, paths, where, probs)
    debtor = doc.find(scope, "Dbtr")
    if debtor is None:
        probs.add(f"{scope_path}/Dbtr", "is required")
    debtor_acct = doc.find(scope, "DbtrAcct")
    if debtor_acct is None:
        probs.add(f"{scope_path}/DbtrAcct", "is required")
        d_acct = _Account(None, None)
    else:
        d_acct = _account(doc, debtor_acct, f"{scope_path}/DbtrAcct", probs)
    creditor = doc.find(tx, "Cdtr")
    creditor_acct = doc.find(tx, "CdtrAcct")
    if creditor_acct is None:
        probs.add(f"{where}/CdtrAcct", "is required")
        c_acct = _Account(None, None)
    else:
        c_acct = _account(doc, creditor_acct, f"{where}/CdtrAcct", probs)
    occurred = doc.text(tx, "AccptncDtTm") if family == "pacs.008" else None
    at = _time(occurred or created[0], f"{where}/AccptncDtTm" if occurred else created[1], tz, probs)
    if len(probs.items) > before:
        return None
    d_bic, c_bic = _bic(doc, doc.find(scope, "DbtrAgt")), _bic(doc, doc.find(tx, "CdtrAgt"))
    d_country = _country(d_acct.iban, d_bic, doc.text(debtor, "PstlAdr/Ctry"))
    c_country = _country(c_acct.iban, c_bic, doc.text(creditor, "PstlAdr/Ctry"))
    cross_border = d_country is not None and c_country is not None and d_country != c_country
    e2e = doc.text(tx, "PmtId/EndToEndId")
    tx_id, uetr, instr = doc.text(tx, "PmtId/TxId"), doc.text(tx, "PmtId/UETR"), doc.text(tx, "PmtId/InstrId")
    payee: dict[str, str] = {"account": str(c_acct.key)}
    if (name := doc.text(creditor, "Nm")) is not None:
        payee["name"] = name[:200]
    if c_bic:
        payee["bank"] = c_bic
    if c_country:
        payee["country"] = c_country
    return {
        "event_id": _event_id(e2e, [uetr, tx_id, instr], message_id, where),
        "type": "remittance" if cross_border else "transfer",
        "occurred_at": at,
        "customer_id": _party_id(doc, debtor) or f"account:{d_acct.key}",
        "account": d_acct.key,
        "amount": amount,
        "currency": currency,
        "direction": "out",
        "payee": payee,
        "attributes": _attrs(
            {
                "iso_message": kind,
                "msg_id": message_id,
                "end_to_end_id": e2e,
                "tx_id": tx_id,
                "uetr": uetr,
                "instr_id": instr,
                "debtor_name": doc.text(debtor, "Nm"),
                "debtor_bic": d_bic,
                "debtor_country": d_country,
                "debtor_iban": d_acct.iban,
                "creditor_bic": c_bic,
                "creditor_country": c_country,
                "creditor_iban": c_acct.iban,
                "purpose": doc.text(tx, "Purp/Cd"),
                "charge_bearer": doc.text(tx, "ChrgBr") or doc.text(scope, "ChrgBr"),
                "remittance_info": doc.text(tx, "RmtInf/Ustrd"),
            }
        ),
    }
