"""One monitor pass over transfer columns (batch), and what it returns."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from finguard.core.errors import InvalidInput
from finguard.monitors.model import MonitorConfig, PatternAlert, Typology, distinct_alerts, explain
from finguard.monitors.service.index import (
    I64,
    Bool,
    FlowIndex,
    Transfers,
    first_contacts,
    off_habit,
    routine_rows,
    split_rows,
    unusual_rows,
)
from finguard.monitors.service.patterns import HABITUAL, Progress, detect
from finguard.monitors.service.rates import to_reporting


@dataclass
class MonitorRun:
    """Alerts of one pass, the accounts they name, and how the pass went."""

    alerts: list[PatternAlert]
    accounts: Any  # account id per code (numpy object array)
    transfers: int
    dropped_self: int
    dropped_nonpositive: int
    truncated: dict[str, bool] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    dropped_no_rate: int = 0  # transfers in a currency without a rate to the reporting currency that day

    def account_id(self, code: int) -> str:
        return str(self.accounts[code])

    def reason(self, alert: PatternAlert) -> tuple[str, str]:
        return explain(alert, self.account_id(alert.subject))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.alerts:
            out[a.typology.value] = out.get(a.typology.value, 0) + 1
        return out


def parse_typologies(names: Iterable[str] | None) -> frozenset[Typology]:
    if not names:
        return frozenset(Typology)
    out = set()
    for name in names:
        try:
            out.add(Typology(name.strip().lower().replace("-", "_")))
        except ValueError:
            raise InvalidInput.for_field("typology", f"unknown typology {name!r}; accepted: {', '.join(Typology)}") from None
    return frozenset(out)


def run_monitors(
    columns: Mapping[str, Any] | Transfers,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    progress: Progress | None = None,
) -> MonitorRun:
    """The batch pass: every requested typology over every transfer of the columns."""
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    columns, no_rate = in_reporting_currency(columns, config)
    transfers = columns if isinstance(columns, Transfers) else Transfers.from_columns(columns)
    started = time.perf_counter()
    rows, novel, unusual = _prefilter(transfers, config), novelty(transfers, config), habit(transfers, config, typologies)
    ix = FlowIndex(transfers, rows=rows, novel=novel, unusual=unusual)
    seconds = {"index": time.perf_counter() - started}
    results = detect(ix, config, typologies, progress=_timed(progress, seconds))
    return MonitorRun(
        alerts=distinct_alerts([a for t in sorted(results) for a in results[t].alerts]),
        accounts=transfers.accounts,
        transfers=len(transfers),
        dropped_self=ix.dropped_self,
        dropped_nonpositive=ix.dropped_nonpositive - no_rate,
        dropped_no_rate=no_rate,
        truncated={t.value: d.truncated for t, d in results.items()},
        seconds=seconds,
    )


def in_reporting_currency(columns: Mapping[str, Any] | Transfers, config: MonitorConfig) -> tuple[Mapping[str, Any] | Transfers, int]:
    """The columns with ``amount_fen`` in the reporting currency's minor units when they carry a
    ``currency`` code per transfer (the ledger's do); rows without a rate get amount 0 (left out
    as non-positive) and are counted. Columns without ``currency`` are taken as already in it."""
    if isinstance(columns, Transfers) or "currency" not in columns:
        return columns, 0
    codes = np.asarray(columns["currency"])
    if len(codes) == 0:
        return columns, 0
    amount, missing = to_reporting(
        np.asarray(columns["amount_fen"], dtype=np.int64), codes, np.asarray(columns["ts"], dtype=np.int64), config.reporting.currency
    )
    return {**columns, "amount_fen": amount}, int(missing.sum())


def novelty(transfers: Transfers, config: MonitorConfig) -> Bool | None:
    """First contacts over every row (``None`` when the novelty test is off)."""
    n = config.novelty
    return first_contacts(transfers, n.lookback, n.min_age) if n.lookback > 0 else None


def habit(transfers: Transfers, config: MonitorConfig, typologies: frozenset[Typology]) -> Bool | None:
    """Transfers out of their payer's habit, over every row (``None`` when no requested typology
    counts them)."""
    if not typologies & HABITUAL:
        return None
    h = config.habit
    return off_habit(transfers, h.min_days, h.z, h.min_ratio)


def _prefilter(transfers: Transfers, config: MonitorConfig) -> I64 | None:
    """The rows the optional pre-filters keep (both: the rows both keep); ``None``: every row."""
    rows: I64 | None = None
    if config.split.min_parts > 1:
        rows = split_rows(transfers, config.split.min_parts, config.split.window)
    if config.baseline.min_ratio > 0:
        unusual = unusual_rows(transfers, config.baseline.min_ratio, config.baseline.min_history)
        rows = unusual if rows is None else np.intersect1d(rows, unusual, assume_unique=True)
    if config.baseline.routine_days > 1:
        routine = routine_rows(transfers, config.baseline.routine_days)
        if len(routine):
            rows = np.setdiff1d(np.arange(len(transfers)) if rows is None else rows, routine, assume_unique=True)
    return rows


def _timed(progress: Progress | None, seconds: dict[str, float]) -> Progress:
    """Wrap the progress callback to record each typology's wall time."""
    started: dict[Typology, float] = {}

    def call(t: Typology, fraction: float) -> None:
        now = time.perf_counter()
        started.setdefault(t, now)
        if fraction >= 1.0:
            seconds[t.value] = now - started[t]
        if progress:
            progress(t, fraction)

    return call
