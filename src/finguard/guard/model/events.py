"""Guard events: one schema per type, each with a stable id, parsed with every problem named.

Common fields (every type):

=============  ===========================================================================
event_id       1-128 of ``A-Z a-z 0-9 _ . : -``; the idempotency key
type           one of :class:`EventType`
occurred_at    ISO 8601 with a time-zone offset; not more than 5 minutes ahead of the guard's
               clock nor more than 30 days behind it
customer_id    1-64 of ``A-Z a-z 0-9 _ . : -``
channel        one of :data:`CHANNELS`
account        the customer's account (6-34 digits)
card           the customer's card (Luhn-checked)
device         device fingerprint; ip: IPv4 or IPv6
region         where the customer is: ISO 3166-1 alpha-2 (``HK``) or ISO 3166-2:CN (``CN-GD``)
amount         yuan, a decimal string or an integer (never a binary float), >= 0, <= 2 places
currency       ISO 4217 (default ``CNY``)
direction      ``out`` (default) or ``in``, for transfers
payee          {account, card, name, bank, country, party_id}
merchant       {id, name, mcc, region} for card authorisations
attributes     a flat map of extra scalar values (strings, integers, booleans) rules may read
=============  ===========================================================================
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput
from finguard.core.identifiers import IdType, normalize
from finguard.core.money import parse_money


class EventType(StrEnum):
    TRANSFER = "transfer"  # domestic transfer
    REMITTANCE = "remittance"  # cross-border remittance
    CARD_AUTH = "card_auth"
    LOGIN = "login"
    SESSION = "session"
    DEVICE_BINDING = "device_binding"
    LOAN_APPLICATION = "loan_application"
    LOAN_DISBURSEMENT = "loan_disbursement"
    LOAN_REPAYMENT = "loan_repayment"


@dataclass(frozen=True, slots=True)
class EventSchema:
    """What one event type requires. ``schema_id`` is stable: a breaking change gets a new id."""

    type: EventType
    schema_id: str
    description: str
    required: tuple[str, ...]
    money: bool  # carries an amount


_BASE = ("event_id", "type", "occurred_at", "customer_id", "channel")
SCHEMAS: dict[EventType, EventSchema] = {
    s.type: s
    for s in (
        EventSchema(EventType.TRANSFER, "finguard.guard.transfer/1", "Domestic transfer", (*_BASE, "account", "amount", "payee"), True),
        EventSchema(
            EventType.REMITTANCE,
            "finguard.guard.remittance/1",
            "Cross-border remittance",
            (*_BASE, "account", "amount", "currency", "payee", "payee.country"),
            True,
        ),
        EventSchema(EventType.CARD_AUTH, "finguard.guard.card_auth/1", "Card authorisation", (*_BASE, "card", "amount"), True),
        EventSchema(EventType.LOGIN, "finguard.guard.login/1", "E-banking login", _BASE, False),
        EventSchema(EventType.SESSION, "finguard.guard.session/1", "E-banking session activity", _BASE, False),
        EventSchema(EventType.DEVICE_BINDING, "finguard.guard.device_binding/1", "A new device bound", (*_BASE, "device"), False),
        EventSchema(EventType.LOAN_APPLICATION, "finguard.guard.loan_application/1", "Loan application", (*_BASE, "amount"), True),
        EventSchema(
            EventType.LOAN_DISBURSEMENT, "finguard.guard.loan_disbursement/1", "Loan disbursement", (*_BASE, "account", "amount"), True
        ),
        EventSchema(EventType.LOAN_REPAYMENT, "finguard.guard.loan_repayment/1", "Loan repayment", (*_BASE, "account", "amount"), True),
    )
}
# Events that move the customer's money out (when direction is "out"): controls and limits apply.
OUTGOING = frozenset({EventType.TRANSFER, EventType.REMITTANCE, EventType.CARD_AUTH})
CHANNELS = ("mobile", "web", "counter", "atm", "pos", "api", "phone", "wechat", "other")
MAX_AHEAD = timedelta(minutes=5)
MAX_BEHIND = timedelta(days=30)
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
_CUSTOMER = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
REGION = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_KNOWN = frozenset(
    {*_BASE, "account", "card", "device", "ip", "region", "amount", "currency", "direction", "payee", "merchant", "attributes"}
)


@dataclass(frozen=True, slots=True)
class Payee:
    account: str | None = None
    card: str | None = None
    name: str | None = None
    bank: str | None = None
    country: str | None = None
    party_id: str | None = None

    @property
    def key(self) -> str | None:
        """The payee's identity for velocity and cooling-off: the account, else the card."""
        if self.account:
            return f"account:{self.account}"
        if self.card:
            return f"card:{self.card}"
        return None


@dataclass(frozen=True, slots=True)
class Merchant:
    id: str | None = None
    name: str | None = None
    mcc: str | None = None
    region: str | None = None


# The field names in order, as ``__slots__`` lists them (mypyc refuses ``_PAYEE_FIELDS`` on the class).
_PAYEE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Payee))
_MERCHANT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Merchant))


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    type: EventType
    occurred_at: datetime
    customer_id: str
    channel: str
    account: str | None = None
    card: str | None = None
    device: str | None = None
    ip: str | None = None
    region: str | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    direction: str = "out"
    payee: Payee | None = None
    merchant: Merchant | None = None
    attributes: Mapping[str, str | int | bool] = field(default_factory=dict)

    @property
    def is_outgoing(self) -> bool:
        return self.type in OUTGOING and self.direction == "out"

    @property
    def card_present(self) -> bool | None:
        """Whether the card was physically there: the ``card_present`` attribute when the channel
        sends it, else a point-of-sale, ATM or counter authorisation is present and any other
        channel is not; None for events without a card."""
        flag = self.attributes.get("card_present")
        if isinstance(flag, bool):
            return flag
        if self.type is not EventType.CARD_AUTH:
            return None
        return self.channel in ("pos", "atm", "counter")

    @property
    def where(self) -> str | None:
        """The event's region: for a card authorisation the merchant's, else where the customer is."""
        if self.type is EventType.CARD_AUTH and self.merchant and self.merchant.region:
            return self.merchant.region
        return self.region

    def to_record(self) -> dict[str, Any]:
        """The canonical JSON form (what is stored and hashed); ``parse_event`` reads it back."""
        out: dict[str, Any] = {
            "event_id": self.event_id,
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "customer_id": self.customer_id,
            "channel": self.channel,
            "currency": self.currency,
            "direction": self.direction,
        }
        for name in ("account", "card", "device", "ip", "region"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.amount is not None:
            out["amount"] = str(self.amount)
        if self.payee is not None:
            out["payee"] = {k: v for k in _PAYEE_FIELDS if (v := getattr(self.payee, k)) is not None}
        if self.merchant is not None:
            out["merchant"] = {k: v for k in _MERCHANT_FIELDS if (v := getattr(self.merchant, k)) is not None}
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    def body_hash(self) -> str:
        """SHA-256 of the canonical record: two bodies with one event id must hash alike."""
        return record_hash(self.to_record())


def record_hash(record: Mapping[str, Any]) -> str:
    """:meth:`Event.body_hash` of an event's :meth:`Event.to_record` (the guard makes the record
    once, to hash and to store it)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, name: str, problem: str) -> None:
        self.items.append(FieldProblem(name, problem))


def _text(data: Mapping[str, object], name: str, probs: _Problems, *, prefix: str = "", limit: int = 200) -> str | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        probs.add(prefix + name, "must be a non-empty string")
        return None
    if len(raw) > limit:
        probs.add(prefix + name, f"is longer than {limit} characters")
        return None
    if "\x00" in raw:  # PostgreSQL cannot store it: the event would fail in the store, not here
        probs.add(prefix + name, "must not contain a NUL character")
        return None
    return raw.strip()


def _ident(data: Mapping[str, object], name: str, id_type: IdType, probs: _Problems, prefix: str = "") -> str | None:
    raw = data.get(name)
    if raw is None:
        return None
    try:
        return normalize(id_type, raw, prefix + name)
    except InvalidIdentifier as exc:
        probs.items.extend(exc.problems)
        return None


def _region(value: str | None, name: str, probs: _Problems, pattern: re.Pattern[str] = REGION) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if not pattern.fullmatch(upper):
        accepted = "an ISO 3166-1 alpha-2 country (HK) or an ISO 3166-2:CN province (CN-GD)" if pattern is REGION else "ISO 3166-1 alpha-2"
        probs.add(name, f"{value[:20]!r} is not a region; accepted: {accepted}")
        return None
    return upper


def parse_amount(raw: object, name: str = "amount") -> Decimal:
    """Yuan as a Decimal view of :class:`~finguard.core.money.Money` (the one parser): a decimal
    string or an integer, finite, >= 0, at most 2 decimal places, within the one bound."""
    return parse_money(raw, name, "CNY", allow_zero=True).decimal.quantize(Decimal("0.01"))


def parse_time(raw: object, name: str = "occurred_at") -> datetime:
    if not isinstance(raw, str):
        raise InvalidInput.for_field(name, "must be an ISO 8601 string with a time-zone offset")
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.for_field(name, f"{raw[:40]!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.for_field(name, "must include a time-zone offset (e.g. +08:00 or Z)")
    return value


def _parse_sub(data: Mapping[str, object], name: str, probs: _Problems) -> Mapping[str, object] | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        probs.add(name, "must be an object")
        return None
    return raw


def parse_event(data: object, now: datetime | None) -> Event:
    """Validate and normalise one event; raise :class:`InvalidInput` naming every bad field.

    ``now`` is the guard's clock for the time window check; ``None`` skips it (replays of
    stored events, whose age is no longer a problem).
    """
    if not isinstance(data, Mapping):
        raise InvalidInput.for_field("body", "must be a JSON object")
    probs = _Problems()
    for key in data:
        if key not in _KNOWN:
            probs.add(str(key)[:60], "is not a field of a guard event")
    raw_type = data.get("type")
    schema: EventSchema | None = None
    if raw_type is None:
        probs.add("type", "is required")
    else:
        try:
            schema = SCHEMAS[EventType(str(raw_type))]
        except ValueError:
            probs.add("type", f"{str(raw_type)[:40]!r} is not an event type; accepted: {', '.join(t.value for t in EventType)}")
    if schema is not None:
        for name in schema.required:
            head, _, tail = name.partition(".")
            sub = data.get(head)
            if sub is None or (tail and (not isinstance(sub, Mapping) or sub.get(tail) is None)):
                probs.add(name, f"is required for a {schema.type.value} event")

    event_id = data.get("event_id")
    if event_id is not None and not (isinstance(event_id, str) and _ID.fullmatch(event_id)):
        probs.add("event_id", "must be 1 to 128 characters of letters, digits, '_', '.', ':' or '-'")
    customer_id = data.get("customer_id")
    if customer_id is not None and not (isinstance(customer_id, str) and _CUSTOMER.fullmatch(customer_id)):
        probs.add("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")
    channel = data.get("channel")
    if channel is not None and channel not in CHANNELS:
        probs.add("channel", f"{str(channel)[:30]!r} is not a channel; accepted: {', '.join(CHANNELS)}")

    occurred_at: datetime | None = None
    if data.get("occurred_at") is not None:
        try:
            occurred_at = parse_time(data.get("occurred_at"))
        except InvalidInput as exc:
            probs.items.extend(exc.problems)
        else:
            if now is not None and occurred_at > now + MAX_AHEAD:
                probs.add("occurred_at", "is more than 5 minutes in the future")
            elif now is not None and occurred_at < now - MAX_BEHIND:
                probs.add("occurred_at", "is more than 30 days in the past")

    amount: Decimal | None = None
    if data.get("amount") is not None:
        try:
            amount = parse_amount(data.get("amount"))
        except InvalidInput as exc:
            probs.items.extend(exc.problems)
    currency = _text(data, "currency", probs) or "CNY"
    if not _CURRENCY.fullmatch(currency):
        probs.add("currency", "must be an ISO 4217 code such as CNY or USD")
    direction = data.get("direction", "out")
    if direction not in ("out", "in"):
        probs.add("direction", "must be 'out' or 'in'")
    elif direction == "in" and raw_type != EventType.TRANSFER.value:
        probs.add("direction", "'in' is accepted for transfer events only")

    account = _ident(data, "account", IdType.ACCOUNT, probs)
    card = _ident(data, "card", IdType.CARD, probs)
    device = _ident(data, "device", IdType.DEVICE, probs)
    ip = _ident(data, "ip", IdType.IP, probs)
    region = _region(_text(data, "region", probs), "region", probs)

    payee: Payee | None = None
    if (p := _parse_sub(data, "payee", probs)) is not None:
        for key in p:
            if key not in _PAYEE_FIELDS:
                probs.add(f"payee.{str(key)[:40]}", "is not a payee field; accepted: " + ", ".join(_PAYEE_FIELDS))
        payee = Payee(
            account=_ident(p, "account", IdType.ACCOUNT, probs, "payee."),
            card=_ident(p, "card", IdType.CARD, probs, "payee."),
            name=_text(p, "name", probs, prefix="payee."),
            bank=_text(p, "bank", probs, prefix="payee."),
            country=_region(_text(p, "country", probs, prefix="payee."), "payee.country", probs, _COUNTRY),
            party_id=_text(p, "party_id", probs, prefix="payee.", limit=128),
        )
        if schema is not None and schema.type in (EventType.TRANSFER, EventType.REMITTANCE) and payee.key is None:
            probs.add("payee", "give the payee's account or card")
    merchant: Merchant | None = None
    if (m := _parse_sub(data, "merchant", probs)) is not None:
        for key in m:
            if key not in _MERCHANT_FIELDS:
                probs.add(f"merchant.{str(key)[:40]}", "is not a merchant field; accepted: " + ", ".join(_MERCHANT_FIELDS))
        merchant = Merchant(
            id=_text(m, "id", probs, prefix="merchant.", limit=128),
            name=_text(m, "name", probs, prefix="merchant."),
            mcc=_text(m, "mcc", probs, prefix="merchant.", limit=8),
            region=_region(_text(m, "region", probs, prefix="merchant."), "merchant.region", probs),
        )
    attributes: dict[str, str | int | bool] = {}
    if (a := _parse_sub(data, "attributes", probs)) is not None:
        if len(a) > 50:
            probs.add("attributes", "must have at most 50 entries")
        for key, value in list(a.items())[:50]:
            if not isinstance(key, str) or not _ID.fullmatch(key) or len(key) > 64:
                probs.add(f"attributes.{str(key)[:40]}", "names must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
            elif isinstance(value, str) and "\x00" in value:
                probs.add(f"attributes.{key}", "must not contain a NUL character")
            elif isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= 200):
                attributes[key] = value
            else:
                probs.add(f"attributes.{key}", "must be a string (up to 200 characters), an integer or a boolean")

    if probs.items:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in probs.items[:10]), problems=probs.items)
    assert schema is not None and occurred_at is not None
    return Event(
        event_id=str(event_id),
        type=schema.type,
        occurred_at=occurred_at,
        customer_id=str(customer_id),
        channel=str(channel),
        account=account,
        card=card,
        device=device,
        ip=ip,
        region=region,
        amount=amount,
        currency=currency,
        direction=str(direction),
        payee=payee,
        merchant=merchant,
        attributes=attributes,
    )


# -- the schema as documentation: derived from the same constants the parser checks ----------------

FIELD_DOCS: dict[str, str] = {
    "event_id": "The idempotency key: the same id returns the same decision",
    "type": "The event's family; it decides which fields are required",
    "occurred_at": "ISO 8601 with a time-zone offset; not more than 5 minutes ahead of the guard's clock nor 30 days behind it",
    "customer_id": "The bank's customer id",
    "channel": "Where the customer acted",
    "account": "The customer's account (6-34 digits)",
    "card": "The customer's card (Luhn-checked)",
    "device": "Device fingerprint",
    "ip": "IPv4 or IPv6",
    "region": "Where the customer is: ISO 3166-1 alpha-2 (HK) or ISO 3166-2:CN (CN-GD)",
    "amount": "Yuan, a decimal string or an integer (never a binary float), >= 0, at most 2 places",
    "currency": "ISO 4217 (default CNY)",
    "direction": "out (default) or in; in only for transfers",
    "payee": "Who receives the money; a transfer or remittance needs the account or the card",
    "merchant": "The merchant of a card authorisation",
    "attributes": "At most 50 extra scalar values (strings up to 200 characters, integers, booleans) that rules may read",
}


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of an event (OpenAPI's request body of ``POST /guard/events``), built from
    the parser's own constants: the field set, patterns, channels, types and each type's required
    fields. ``tests/test_guard_events.py`` holds the two to each other."""
    ident = {"type": "string", "pattern": f"^{_ID.pattern}$"}
    text = {"type": "string", "maxLength": 200}
    props: dict[str, Any] = {
        "event_id": ident,
        "type": {"type": "string", "enum": [t.value for t in EventType]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "customer_id": {"type": "string", "pattern": f"^{_CUSTOMER.pattern}$"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "account": {"type": "string", "maxLength": 256},
        "card": {"type": "string", "maxLength": 256},
        "device": {"type": "string", "maxLength": 256},
        "ip": {"type": "string", "maxLength": 64},
        "region": {"type": "string", "pattern": f"^{REGION.pattern}$"},
        "amount": {"anyOf": [{"type": "string", "pattern": r"^\d{1,14}(\.\d{1,2})?$"}, {"type": "integer", "minimum": 0}]},
        "currency": {"type": "string", "pattern": f"^{_CURRENCY.pattern}$", "default": "CNY"},
        "direction": {"type": "string", "enum": ["out", "in"], "default": "out"},
        "payee": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "account": {"type": "string", "maxLength": 256},
                "card": {"type": "string", "maxLength": 256},
                "name": text,
                "bank": text,
                "country": {"type": "string", "pattern": f"^{_COUNTRY.pattern}$"},
                "party_id": {"type": "string", "maxLength": 128},
            },
        },
        "merchant": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "maxLength": 128},
                "name": text,
                "mcc": {"type": "string", "maxLength": 8},
                "region": {"type": "string", "pattern": f"^{REGION.pattern}$"},
            },
        },
        "attributes": {
            "type": "object",
            "maxProperties": 50,
            "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "integer"}, {"type": "boolean"}]},
        },
    }
    for name, doc in FIELD_DOCS.items():
        props[name] = {**props[name], "description": doc}
    per_type = [
        {
            "if": {"properties": {"type": {"const": s.type.value}}},
            "then": {
                "required": [r for r in s.required if "." not in r],
                "description": f"{s.description} ({s.schema_id})",
                **(
                    {"properties": {"payee": {"required": [r.split(".", 1)[1] for r in s.required if r.startswith("payee.")]}}}
                    if any(r.startswith("payee.") for r in s.required)
                    else {}
                ),
            },
        }
        for s in SCHEMAS.values()
    ]
    return {
        "title": "GuardEvent",
        "type": "object",
        "additionalProperties": False,
        "required": list(_BASE),
        "properties": props,
        "allOf": per_type,
    }
