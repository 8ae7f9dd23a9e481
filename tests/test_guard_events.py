"""Guard events: every schema, every problem named, money never a float."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import get_args

import pytest

from finguard.core.errors import InvalidInput
from finguard.guard.http.schemas import Channel
from finguard.guard.model.events import CHANNELS, SCHEMAS, Event, EventType, parse_event
from tests.guard_helpers import T0, transfer


def problems(data: object, now=T0) -> dict[str, str]:
    with pytest.raises(InvalidInput) as exc:
        parse_event(data, now)
    return {p.field: p.problem for p in exc.value.problems}


def test_a_transfer_parses_and_normalises() -> None:
    e = parse_event(transfer(amount="1 000.5".replace(" ", ""), device="DEV-0001"), T0)
    assert e.type is EventType.TRANSFER and e.amount == Decimal("1000.50") and e.device == "dev-0001"
    assert e.payee is not None and e.payee.key == "account:6228000099998888"
    assert e.is_outgoing and e.where == "CN-BJ"


def test_every_type_has_a_stable_schema_id() -> None:
    assert set(SCHEMAS) == set(EventType)
    assert len({s.schema_id for s in SCHEMAS.values()}) == len(SCHEMAS)
    assert all(s.schema_id.endswith("/1") for s in SCHEMAS.values())


def test_unknown_type_is_named() -> None:
    assert "is not an event type" in problems(transfer(type="teleport"))["type"]


def test_missing_fields_are_all_named_at_once() -> None:
    got = problems({"type": "remittance", "event_id": "r1", "occurred_at": T0.isoformat(), "channel": "web"})
    assert {"customer_id", "account", "amount", "currency", "payee", "payee.country"} <= set(got)


def test_far_future_and_far_past_are_refused() -> None:
    assert "future" in problems(transfer(at=T0 + timedelta(minutes=6)))["occurred_at"]
    assert "past" in problems(transfer(at=T0 - timedelta(days=31)))["occurred_at"]
    parse_event(transfer(at=T0 + timedelta(minutes=4)), T0)
    parse_event(transfer(at=T0 - timedelta(days=31)), None)  # replays skip the window


def test_naive_time_is_refused() -> None:
    assert "offset" in problems(transfer(occurred_at="2026-03-02T10:00:00"))["occurred_at"]


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-1", "negative"),
        ("1.005", "2 decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("abc", "not a number"),
        (1.5, "binary float"),
    ],
)
def test_bad_amounts(amount: object, problem: str) -> None:
    assert problem in problems(transfer(amount=amount))["amount"]


def test_amount_as_integer_and_trailing_zeros() -> None:
    assert parse_event(transfer(amount=250), T0).amount == Decimal("250.00")
    assert parse_event(transfer(amount="3.100"), T0).amount == Decimal("3.10")


def test_bad_identifiers_and_regions_name_their_field() -> None:
    got = problems(transfer(region="Beijing", payee={"account": "12ab", "card": "4111111111111112"}, channel="telepathy", extra=1))
    assert {"region", "payee.account", "payee.card", "channel", "extra"} <= set(got)


def test_a_card_auth_takes_the_merchant_region() -> None:
    data = {
        "event_id": "a1",
        "type": "card_auth",
        "occurred_at": T0.isoformat(),
        "customer_id": "c1",
        "channel": "pos",
        "card": "6222021234567890128",
        "amount": "88.00",
        "region": "CN-BJ",
        "merchant": {"name": "Shop", "region": "th"},
    }
    assert parse_event(data, T0).where == "TH"


def test_the_canonical_record_round_trips_and_hashes_stably() -> None:
    e = parse_event(transfer(amount="100"), T0)
    again = parse_event(e.to_record(), None)
    assert again == e and again.body_hash() == e.body_hash()
    assert parse_event(transfer(amount="100.00"), T0).body_hash() == e.body_hash()
    assert parse_event(transfer(amount="100.01"), T0).body_hash() != e.body_hash()


def test_no_float_field_in_an_event() -> None:
    hints = {f.name: str(f.type) for f in fields(Event)}
    assert "float" not in " ".join(hints.values())


def test_api_channel_names_match_the_domain() -> None:
    assert set(get_args(Channel)) == set(CHANNELS)


# -- one schema: the documented JSON Schema and the parser agree (#10) ------------------------------

EXAMPLES = {
    "transfer": {"account": "6222021001122334455", "amount": "100.00", "payee": {"account": "6217000010002000300"}},
    "remittance": {
        "account": "6222021001122334455",
        "amount": "100",
        "currency": "USD",
        "payee": {"account": "200015555555", "country": "GB"},
    },
    "card_auth": {"card": "6228480402564890018", "amount": "20.00", "merchant": {"mcc": "5411", "region": "CN-GD"}},
    "login": {},
    "session": {},
    "device_binding": {"device": "dev-1"},
    "loan_application": {"amount": "50000"},
    "loan_disbursement": {"account": "6222021001122334455", "amount": "50000"},
    "loan_repayment": {"account": "6222021001122334455", "amount": "1000"},
}


def _event(kind: str, **extra: object) -> dict[str, object]:
    return {"event_id": f"e-{kind}", "type": kind, "occurred_at": "2026-01-01T10:00:00+08:00", "customer_id": "C1",
            "channel": "mobile", **EXAMPLES[kind], **extra}


def test_the_documented_schema_covers_every_field_the_parser_reads() -> None:
    from finguard.guard.model.events import _KNOWN, Merchant, Payee, event_json_schema

    schema = event_json_schema()
    assert set(schema["properties"]) == set(_KNOWN)
    # the dataclass fields, not __slots__: mypyc-compiled (finguard.compiled) they are a native class's, without one
    assert set(schema["properties"]["payee"]["properties"]) == {f.name for f in fields(Payee)}
    assert set(schema["properties"]["merchant"]["properties"]) == {f.name for f in fields(Merchant)}
    documented = {rule["if"]["properties"]["type"]["const"]: set(rule["then"]["required"]) for rule in schema["allOf"]}
    assert documented == {t.value: {r for r in s.required if "." not in r} for t, s in SCHEMAS.items()}


@pytest.mark.parametrize("kind", [t.value for t in EventType])
def test_schema_and_parser_accept_and_refuse_the_same_events(kind: str) -> None:
    import jsonschema_rs  # the validator schemathesis itself uses

    from finguard.guard.model.events import event_json_schema

    validator = jsonschema_rs.validator_for(event_json_schema())
    good = _event(kind)
    assert not list(validator.iter_errors(good))
    parse_event(good, None)
    for required in [r for r in SCHEMAS[EventType(kind)].required if "." not in r]:
        bad = {k: v for k, v in good.items() if k != required}
        assert list(validator.iter_errors(bad)), required
        with pytest.raises(InvalidInput):
            parse_event(bad, None)
    unknown = {**good, "colour": "red"}
    assert list(validator.iter_errors(unknown))
    with pytest.raises(InvalidInput):
        parse_event(unknown, None)
