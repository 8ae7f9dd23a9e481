"""The model's features: one pure function from an event and its velocity values to a row.

The trainer (``guard.service.training``) and the scorer (``guard.service.model``) both call
:func:`raw_features` and :meth:`FeatureSchema.encode`, so a feature can never be computed one
way in training and another at decision time (``tests/test_guard_features.py`` checks every
feature for parity through the live engine).

================================  ===================================================================
feature                           meaning (missing: NaN, never 0)
================================  ===================================================================
amount                            the event's amount (its currency; missing for a login)
local_hour                        hour of the day in Asia/Shanghai
amount_to_habit                   amount / the customer's mean outgoing amount over the 30 days before
habit_count_30d                   the customer's events in the 30 days before this one
hour_band_share                   share of those events in this 3-hour band of the day (their habit)
card_present                      1 card present, 0 card not present (card events only)
payee_listed                      1 the payee is on a risk list (warn or block), 0 checked and not
cooling_off                       1 the customer's cooling-off protection is on
new_payee, new_merchant, ...      1 the customer has not used this payee / merchant / device /
                                  country / region before, 0 seen before
velocity (``vel.*`` of rules)     counts, sums and distinct counts by account, card, device, IP,
                                  payee, merchant and customer over 10 minutes to 30 days
merchant_fraud_1d / _7d / _30d    the merchant's fraud **confirmed** in the 1 / 7 / 30 days before the
                                  event (``model.merchant_risk``: a label counts only once its
                                  confirmation time has passed; in training the label file's
                                  ``confirmed_at``, else the event's time + 7 days); 0 none; missing
                                  without a merchant or when the store of confirmations is unavailable
merchant_fraud_share_1d / ...     that count / the merchant's earlier payments over the same window
                                  (``vel.merchant_count_24h / _7d / _30d`` less this one); missing
                                  without a count or without an earlier payment; can exceed 1 when the
                                  merchant's traffic fell (frauds of a busier week confirmed now)
type, channel, mcc, currency,     categorical (LightGBM categories: the training data's values;
direction, country, where         an unseen value is missing)
attribute features                the bank's own event attributes named at training: numeric ones
                                  (decimal strings, integers, booleans) and categorical ones
================================  ===================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from finguard.guard.model.controls import DEFAULT_TZ
from finguard.guard.model.events import Event, EventType
from finguard.guard.model.merchant_risk import COUNTS, PAYMENTS, WINDOWS

Value = float | str | None
BASE_NUMERIC: tuple[str, ...] = (
    "amount",
    "local_hour",
    "amount_to_habit",
    "habit_count_30d",
    "hour_band_share",
    "card_present",
    "payee_listed",
    "cooling_off",
)
FIRST_SEEN = ("new_payee", "new_merchant", "new_device", "new_country", "new_region")
MERCHANT_RISK: tuple[str, ...] = (*COUNTS, *(f"merchant_fraud_share_{name}" for name, _ in WINDOWS))
CATEGORICAL: tuple[str, ...] = ("type", "channel", "mcc", "currency", "direction", "country", "where")
CONTEXT_KEYS = ("payee_listed", "cooling_off")  # given by the engine live, by attributes in training
MAX_CATEGORIES = 200  # per categorical feature; rarer values are missing
_LOCAL = ZoneInfo(DEFAULT_TZ)


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | Decimal):
        out = float(value)
        return out if math.isfinite(out) else None
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return float(d) if d.is_finite() else None
    return None


def _indices(known: Sequence[str]) -> dict[str, float]:
    """Each category's index as a float, the first where one repeats (``tuple.index``)."""
    out: dict[str, float] = {}
    for i, value in enumerate(known):
        out.setdefault(value, float(i))
    return out


def _flag(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return _number(value)


def raw_features(event: Event, values: Mapping[str, Any], velocity: Sequence[str], attributes: Sequence[str] = ()) -> dict[str, Value]:
    """Every feature of one event, by name: numbers as floats, categories as strings, missing as None.

    ``values`` holds the velocity features (``Velocity.observe``), the merchant's confirmed fraud
    (``ConfirmedFraudIndex.values``: live from the stored confirmations, in training and replays
    from the labels' confirmation times) and, at decision time, the context keys
    (:data:`CONTEXT_KEYS`); in training the context comes from the event's attributes of the
    same names.
    """
    amount = float(event.amount) if event.amount is not None else None
    row: dict[str, Value] = {"amount": amount, "local_hour": float(event.occurred_at.astimezone(_LOCAL).hour)}
    out_count = _number(values.get("customer_out_count_30d"))
    out_sum = _number(values.get("customer_out_sum_30d"))
    habit: float | None = None
    if event.is_outgoing and amount is not None and out_count is not None and out_sum is not None and out_count > 1:
        prior = (out_sum - amount) / (out_count - 1)  # the window includes this event
        habit = amount / prior if prior > 0 else None
    row["amount_to_habit"] = habit
    total = _number(values.get("customer_count_30d"))
    band = _number(values.get("customer_band_count_30d"))
    row["habit_count_30d"] = None if total is None else total - 1
    row["hour_band_share"] = (band - 1) / (total - 1) if total is not None and band is not None and total > 1 else None
    row["card_present"] = _flag(event.card_present)
    for key in CONTEXT_KEYS:
        row[key] = _flag(values[key]) if key in values else _flag(event.attributes.get(key))
    for name in FIRST_SEEN:
        row[name] = _flag(values.get(name))
    for name in velocity:
        # _number written out for the velocity's own types (#19, stop 25): a count (int) and a sum
        # (Decimal) give float(v) when finite, as _number does; anything else goes through it.
        v: Any = values.get(name)
        t = type(v)
        if t is int or t is Decimal or t is float:
            f = float(v)
            row[f"vel.{name}"] = f if math.isfinite(f) else None
        else:
            row[f"vel.{name}"] = _number(v)
    for (window, _), key in zip(WINDOWS, COUNTS, strict=True):
        fraud = _number(values.get(key))
        payments = _number(values.get(PAYMENTS[window]))
        row[key] = fraud
        earlier = None if payments is None else payments - 1  # the window includes this event
        row[f"merchant_fraud_share_{window}"] = fraud / earlier if fraud is not None and earlier is not None and earlier > 0 else None
    country = event.payee.country if event.type is EventType.REMITTANCE and event.payee else None
    where = event.where
    row.update(
        {
            "type": event.type.value,
            "channel": event.channel,
            "mcc": event.merchant.mcc if event.merchant else None,
            "currency": event.currency,
            "direction": event.direction,
            "country": country or (where[:2] if where else None),
            "where": where,
        }
    )
    for name in attributes:
        raw = event.attributes.get(name)
        row[f"attr.{name}"] = None if raw is None else str(int(raw)) if isinstance(raw, bool) else str(raw)
    return row


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The columns of a model, in order, and the categories each categorical column knew in training."""

    velocity: tuple[str, ...]
    numeric_attributes: tuple[str, ...] = ()
    categorical_attributes: tuple[str, ...] = ()
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    merchant_risk: bool = False  # the merchant's confirmed fraud (models trained before it lack them)

    @property
    def numeric(self) -> tuple[str, ...]:
        return (
            *BASE_NUMERIC,
            *FIRST_SEEN,
            *(f"vel.{v}" for v in self.velocity),
            *(MERCHANT_RISK if self.merchant_risk else ()),
            *(f"attr.{a}" for a in self.numeric_attributes),
        )

    @property
    def categorical(self) -> tuple[str, ...]:
        return (*CATEGORICAL, *(f"attr.{a}" for a in self.categorical_attributes))

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    @property
    def attributes(self) -> tuple[str, ...]:
        return (*self.numeric_attributes, *self.categorical_attributes)

    def row(self, event: Event, values: Mapping[str, Any]) -> dict[str, Value]:
        return raw_features(event, values, self.velocity, self.attributes)

    def encode(self, row: Mapping[str, Value]) -> list[float]:
        """The model's input vector: numbers as they are, a category as its index, missing as NaN."""
        return self.encoder()(row)

    def encoder(self) -> Callable[[Mapping[str, Value]], list[float]]:
        """:meth:`encode` with the columns worked out once (a scorer keeps it: the column names
        are properties, built anew on every access; #19)."""
        numeric = self.numeric
        # each category's index (its first place, as tuple.index finds it), looked up once (#19, stop 25)
        categorical = tuple((name, _indices(self.categories.get(name, ()))) for name in self.categorical)
        nan, finite = math.nan, math.isfinite

        def encode(row: Mapping[str, Value]) -> list[float]:
            # a float (what raw_features gives a number) as _number takes it: itself when finite,
            # else missing; any other value through _number (#19, stop 25)
            out = [
                (v if finite(v) else nan) if type(v := row.get(name)) is float else (nan if (n := _number(v)) is None else n)
                for name in numeric
            ]
            for name, known in categorical:
                value = row.get(name)
                out.append(known.get(value, nan) if isinstance(value, str) else nan)
            return out

        return encode

    def with_categories(self, rows: Sequence[Mapping[str, Value]]) -> FeatureSchema:
        """This schema with each categorical column's values taken from ``rows`` (most frequent first)."""
        cats: dict[str, tuple[str, ...]] = {}
        for name in self.categorical:
            counts: dict[str, int] = {}
            for r in rows:
                v = r.get(name)
                if isinstance(v, str):
                    counts[v] = counts.get(v, 0) + 1
            cats[name] = tuple(sorted(counts, key=lambda k: (-counts[k], k))[:MAX_CATEGORIES])
        return FeatureSchema(self.velocity, self.numeric_attributes, self.categorical_attributes, cats, self.merchant_risk)

    def to_dict(self) -> dict[str, Any]:
        return {
            "velocity": list(self.velocity),
            "numeric_attributes": list(self.numeric_attributes),
            "categorical_attributes": list(self.categorical_attributes),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "merchant_risk": self.merchant_risk,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSchema:
        return cls(
            tuple(data["velocity"]),
            tuple(data.get("numeric_attributes") or ()),
            tuple(data.get("categorical_attributes") or ()),
            {k: tuple(v) for k, v in (data.get("categories") or {}).items()},
            bool(data.get("merchant_risk", False)),
        )


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float | str | None  # the feature's value for this event
    contribution: float  # its share of the raw score (log-odds)


@dataclass(frozen=True, slots=True)
class Explained:
    """A model's calibrated probability (rounded to 4 places) and the features that raised it most
    (``explained``: False when only the score was computed, ``top`` then empty)."""

    score: float
    top: tuple[Contribution, ...]
    # False: scored only, the contributions (TreeSHAP) not computed (#19: below the explain floor)
    explained: bool = True

    def detail(self) -> str:
        why = ", ".join(f"{c.feature}={_show(c.value)} (+{c.contribution:.2f})" for c in self.top)
        return f"model score {self.score:.2f}" + (f"; raised by {why}" if why else "")

    def values(self) -> dict[str, Any]:
        return {"score": self.score, "top": [{"feature": c.feature, "value": c.value, "contribution": c.contribution} for c in self.top]}


def _show(value: float | str | None) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


def infer_attributes(events: Sequence[Event], *, limit: int = 50) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The attributes to learn from, split into numeric (every value a number) and categorical.

    ``payee_listed`` and ``cooling_off`` are context features already; an attribute present on
    fewer than 1 % of the events is left out.
    """
    seen: dict[str, list[object]] = {}
    for e in events:
        for k, v in e.attributes.items():
            if k not in CONTEXT_KEYS and k != "card_present":
                seen.setdefault(k, []).append(v)
    numeric: list[str] = []
    categorical: list[str] = []
    floor = max(1, len(events) // 100)
    for name in sorted(seen):
        vals = seen[name]
        if len(vals) < floor:
            continue
        if all(_number(v) is not None for v in vals):
            numeric.append(name)
        else:
            categorical.append(name)
    return tuple(numeric[:limit]), tuple(categorical[:limit])
