"""Labelled events in, features out: the bank's own events, read and replayed in time order.

Events come as JSONL (one guard event per line, the schema of ``guard.model.events``) or CSV
with a mapping file: a JSON object from guard field names (dotted for nested fields:
``payee.account``, ``merchant.mcc``, ``attributes.balance_before``) to the CSV's column names,
plus optional ``"constants"`` (field -> value, e.g. ``{"type": "card_auth", "currency": "EUR"}``).
Labels come apart, by event id, as fraud is confirmed later: CSV ``event_id,label`` or JSONL
``{"event_id": ..., "label": ...}``; a label is ``1/0``, ``true/false`` or ``fraud/legit``.
An optional ``confirmed_at`` (ISO 8601 with an offset; empty: not known) says when the fraud was
confirmed: the merchant's confirmed-fraud features (``model.merchant_risk``) count a fraud only
from then on; without it a fraud counts from :data:`DEFAULT_CONFIRM_DELAY` (7 days) after the
event. Events without a label are legitimate (the bank's own practice: only fraud gets reported)
unless ``unlabelled="skip"``.

Every event feeds the velocity windows (its history matters whether labelled or not); the
features of each event are read as of its own time, by the same :class:`Velocity` and the same
:func:`~finguard.guard.model.features.raw_features` the live guard uses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from finguard.core.csvheader import line_reached, no_data_rows, not_csv
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.guard.model.events import Event, parse_event, parse_time
from finguard.guard.model.features import FeatureSchema, Value, infer_attributes
from finguard.guard.model.merchant_risk import DEFAULT_CONFIRM_DELAY, ConfirmedFraudIndex, confirmations_from_labels
from finguard.guard.service.velocity import DEFAULT_FEATURES, MemoryBackend, Stage, Velocity

MAX_PROBLEMS = 20
# The velocity features a model learns from: every attempt-stage window (money allowed depends on
# past decisions, which a replay of history does not have).
MODEL_VELOCITY: tuple[str, ...] = tuple(s.name for s in DEFAULT_FEATURES if s.stage is Stage.ATTEMPT)
_TRUE = {"1", "true", "yes", "fraud", "y", "t"}
_FALSE = {"0", "false", "no", "legit", "legitimate", "n", "f", "genuine"}


@dataclass(frozen=True, slots=True)
class Loaded:
    events: list[Event]
    sha256: str  # of the file(s) read, for the model's provenance
    skipped: list[FieldProblem]


def _nest(flat: Mapping[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None or value == "":
            continue
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out


def read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.for_field("mapping", f"cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str | dict) for k, v in data.items()):
        raise InvalidInput.for_field("mapping", "must be a JSON object of guard field -> CSV column (and optional constants)")
    return data


def _text(raw: bytes, field_name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise not_csv(field_name, exc, line) from None


def _records(raw: bytes, fmt: str, mapping: Mapping[str, Any] | None) -> Iterable[tuple[int, object]]:
    text = _text(raw, "events")
    if fmt == "jsonl":
        for line, chunk in enumerate(text.splitlines(), start=1):
            if not chunk.strip():
                continue
            try:
                yield line, json.loads(chunk, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                yield line, InvalidInput.for_field("line", f"is not JSON: {exc.msg}")
        return
    reader = csv.DictReader(io.StringIO(text))
    try:
        yield from _csv_records(reader, mapping)
    except csv.Error as exc:  # a bare carriage return in an unquoted field, a field over the size limit
        raise not_csv("events", exc, line_reached(reader)) from None


def _csv_records(reader: csv.DictReader[str], mapping: Mapping[str, Any] | None) -> Iterable[tuple[int, object]]:
    columns = {k: v for k, v in (mapping or {}).items() if isinstance(v, str)}
    constants = (mapping or {}).get("constants") or {}
    if not columns:
        columns = {c: c for c in reader.fieldnames or ()}
    missing = [c for c in columns.values() if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput.for_field("mapping", f"names columns the file lacks: {', '.join(missing[:10])}")
    for line, row in enumerate(reader, start=2):
        flat: dict[str, object] = {field: row.get(col) for field, col in columns.items()}
        flat.update(constants)
        yield line, _nest(flat)


def read_events(path: Path, *, mapping: Mapping[str, Any] | None = None, skip_bad: bool = False, limit: int | None = None) -> Loaded:
    """Read guard events from JSONL or CSV (by the file's suffix); bad rows refuse the file unless ``skip_bad``."""
    raw = path.read_bytes()
    fmt = "jsonl" if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else "csv"
    events: list[Event] = []
    problems: list[FieldProblem] = []
    for line, record in _records(raw, fmt, mapping):
        if limit is not None and len(events) >= limit:
            break
        try:
            if isinstance(record, InvalidInput):
                raise record
            events.append(parse_event(record, None))
        except InvalidInput as exc:
            problems += [FieldProblem(p.field, p.problem, line) for p in exc.problems[:3]]
            if not skip_bad and len(problems) >= MAX_PROBLEMS:
                break
    if problems and not skip_bad:
        first = problems[0]
        raise InvalidInput(f"line {first.line}: {first.field}: {first.problem}", problems=problems[:MAX_PROBLEMS])
    if not events:
        raise InvalidInput.for_field("events", f"{path.name} holds no events")
    return Loaded(events, hashlib.sha256(raw).hexdigest(), problems)


def parse_label(raw: object, line: int) -> int:
    text = str(raw).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise InvalidInput(
        f"line {line}: label", problems=[FieldProblem("label", f"{text[:20]!r}; accepted: 1/0, true/false, fraud/legit", line)]
    )


@dataclass(frozen=True, slots=True)
class LabelFile:
    labels: dict[str, int]  # by event id
    sha256: str
    confirmed_at: dict[str, datetime] = field(default_factory=dict)  # when the fraud was confirmed, where the file says


def read_labels(path: Path) -> tuple[dict[str, int], str]:
    """Labels by event id (CSV ``event_id,label`` or JSONL), and the file's SHA-256."""
    found = read_label_file(path)
    return found.labels, found.sha256


def read_label_file(path: Path) -> LabelFile:
    """Labels by event id with their optional ``confirmed_at`` (see the module), and the file's SHA-256."""
    raw = path.read_bytes()
    text = _text(raw, "labels")
    labels: dict[str, int] = {}
    confirmed: dict[str, datetime] = {}
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows: list[tuple[int, Mapping[str, object]]] = []
        for i, t in enumerate(text.splitlines(), 1):
            if t.strip():
                try:
                    found = json.loads(t)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"line {i}: labels", problems=[FieldProblem("labels", f"is not JSON: {exc.msg}", i)]) from None
                if not isinstance(found, dict):
                    raise InvalidInput(f"line {i}: labels", problems=[FieldProblem("labels", "must be a JSON object per line", i)])
                rows.append((i, found))
    else:
        reader = csv.DictReader(io.StringIO(text))
        try:
            fieldnames = reader.fieldnames
            if "event_id" not in (fieldnames or ()) or not {"label", "is_fraud", "fraud"} & set(fieldnames or ()):
                raise InvalidInput.for_field("labels", "needs the columns event_id and label (or is_fraud)")
            rows = list(enumerate(reader, start=2))
        except csv.Error as exc:  # a bare carriage return in an unquoted field, a field over the size limit
            raise not_csv("labels", exc, line_reached(reader)) from None
    if not rows:  # nothing to train on, nothing to confirm: a wrong or truncated file
        raise no_data_rows("labels", path.name, "nothing was read")
    for line, row in rows:
        event_id = row.get("event_id")
        value = row.get("label", row.get("is_fraud", row.get("fraud")))
        if not isinstance(event_id, str) or not event_id:
            raise InvalidInput(f"line {line}: event_id", problems=[FieldProblem("event_id", "is required", line)])
        labels[event_id] = parse_label(value, line)
        when = row.get("confirmed_at")
        if when not in (None, ""):
            try:
                confirmed[event_id] = parse_time(when, "confirmed_at")
            except InvalidInput as exc:
                problem = exc.problems[0].problem if exc.problems else exc.message
                raise InvalidInput(f"line {line}: confirmed_at", problems=[FieldProblem("confirmed_at", problem, line)]) from None
    return LabelFile(labels, hashlib.sha256(raw).hexdigest(), confirmed)


@dataclass(frozen=True, slots=True)
class Dataset:
    """Labelled events in time order with their feature rows."""

    events: list[Event]
    rows: list[dict[str, Value]]
    y: npt.NDArray[np.int8]
    amounts: npt.NDArray[np.float64]
    schema: FeatureSchema  # without categories (fitted on the training slice only)


def replay_features(
    events: Sequence[Event], *, on_event: Callable[[Event, dict[str, Any]], None], fraud: ConfirmedFraudIndex | None = None
) -> None:
    """Feed events, in time order, through a fresh in-memory :class:`Velocity`; hand each its values
    (with the merchant's fraud confirmed before the event, from ``fraud``, when given)."""
    velocity = Velocity(MemoryBackend())
    for event in sorted(events, key=lambda e: e.occurred_at):
        values: dict[str, Any] = dict(velocity.observe(event).values)
        if fraud is not None:
            values.update(fraud.values(event))
        on_event(event, values)


def build_dataset(
    events: Sequence[Event],
    labels: Mapping[str, int],
    *,
    unlabelled: Literal["legit", "skip"] = "legit",
    attributes: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    confirmed_at: Mapping[str, datetime] | None = None,
    confirm_delay: timedelta = DEFAULT_CONFIRM_DELAY,
    merchant_risk: bool = True,
) -> Dataset:
    """Every event's features as of its own time, with its label.

    The merchant's confirmed-fraud features count the fraud of ``labels`` only from its
    confirmation (``confirmed_at``, else ``confirm_delay`` after the event): the label of an
    event is never read before that time, its own included (``merchant_risk=False``: a model
    without these features, as trained before them).
    """
    numeric, categorical = attributes if attributes is not None else infer_attributes(events)
    schema = FeatureSchema(MODEL_VELOCITY, numeric, categorical, merchant_risk=merchant_risk)
    fraud = ConfirmedFraudIndex(confirmations_from_labels(events, labels, confirmed_at, delay=confirm_delay)) if merchant_risk else None
    kept: list[Event] = []
    rows: list[dict[str, Value]] = []
    y: list[int] = []

    def take(event: Event, values: dict[str, Any]) -> None:
        label = labels.get(event.event_id)
        if label is None:
            if unlabelled == "skip":
                return
            label = 0
        kept.append(event)
        rows.append(schema.row(event, values))
        y.append(label)

    replay_features(events, on_event=take, fraud=fraud)
    amounts = np.asarray([float(e.amount) if e.amount is not None else 0.0 for e in kept], dtype=np.float64)
    return Dataset(kept, rows, np.asarray(y, dtype=np.int8), amounts, schema)
