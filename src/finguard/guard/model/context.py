"""The rule context: what a rule can read about an event, built the same way live and in backtests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from finguard.guard.model.controls import DEFAULT_TZ, ControlSettings
from finguard.guard.model.events import Event


def rule_context(
    event: Event,
    features: Mapping[str, Any],
    payee_first_seen: datetime | None,
    payee_check: Mapping[str, Any],
    controls: ControlSettings | None,
    model: Mapping[str, Any],
    yuan: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``event``, ``attrs``, ``vel``, ``payee``, ``customer``, ``model`` and ``now`` (the event's time).

    ``event.amount`` is in yuan (every threshold is): ``yuan`` is the conversion
    (``service.fx.InYuan.inputs()``: ``amount_cny``, ``rate``, ``rate_day``, ``unavailable``);
    without one the amount is taken as sent (a CNY event, or a decision stored before #11's
    conversion). An amount without a rate is None, so no threshold compares it as yuan.
    ``event.amount_sent`` and ``event.currency`` are the amount as sent."""
    tz = controls.night_lock.timezone if controls else DEFAULT_TZ
    amount = event.amount if yuan is None else yuan.get("amount_cny")
    at = event.occurred_at
    p = event.payee
    return {
        "event": {
            "event_id": event.event_id,
            "type": event.type.value,
            "channel": event.channel,
            "customer_id": event.customer_id,
            "amount": amount,
            "amount_sent": event.amount,
            "currency": event.currency,
            "rate": None if yuan is None else yuan.get("rate"),
            "direction": event.direction,
            "outgoing": event.is_outgoing,
            "region": event.region,
            "where": event.where,
            "account": event.account,
            "card": event.card,
            "device": event.device,
            "ip": event.ip,
            "occurred_at": at,
            "local_hour": at.astimezone(ZoneInfo(tz)).hour,
            "payee": None
            if p is None
            else {"account": p.account, "card": p.card, "name": p.name, "bank": p.bank, "country": p.country, "party_id": p.party_id},
            "merchant": None
            if event.merchant is None
            else {"id": event.merchant.id, "name": event.merchant.name, "mcc": event.merchant.mcc, "region": event.merchant.region},
        },
        "attrs": dict(event.attributes),
        "vel": dict(features),
        "payee": {
            "key": p.key if p else None,
            "first_seen": payee_first_seen,
            "is_first": p is not None and (payee_first_seen is None or payee_first_seen >= at),
            **payee_check,
        },
        "customer": {
            "timezone": tz,
            "controls_set": controls is not None,
            "night_lock": bool(controls and controls.night_lock.enabled),
            "region_lock": bool(controls and controls.region_lock.enabled),
            "limits": bool(controls and controls.limits.enabled),
            "cooling_off": bool(controls and controls.cooling_off.enabled),
        },
        "model": dict(model),
        "now": at,
    }


_PLAIN = frozenset({str, int, bool, float, type(None)})


def encode(value: Any) -> Any:
    """JSON with money and times kept typed (``{"$dec": ...}``, ``{"$ts": ...}``), for stored inputs."""
    t = type(value)
    if t in _PLAIN:
        return value
    if t is dict:
        # a plain value kept here, without a call (#19, stop 25: ~65 values a decision's inputs)
        plain = _PLAIN
        return {k if type(k) is str else str(k): v if type(v) in plain else encode(v) for k, v in value.items()}
    if t is Decimal:
        return {"$dec": str(value)}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$ts": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"$dec"}:
            return Decimal(value["$dec"])
        if set(value) == {"$ts"}:
            return datetime.fromisoformat(value["$ts"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    return value
