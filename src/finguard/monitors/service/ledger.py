"""Monitor runs over the ledger: the batch pass and the incremental run from a cursor.

The cursor is one number per typology: every transfer with an id at or below it has been
evaluated by that typology's monitor. Transfer ids become visible in increasing order (the
store serialises transfer writers), so "the transfers after the cursor" never misses one that
committed late. The incremental run evaluates the transfers after the lowest cursor of the
typologies it runs (re-evaluating one already seen by a typology whose cursor is further on
finds only alerts already stored), stores the new alerts and moves the cursors in one
transaction. A full batch pass (no time window) moves the cursors of its typologies too.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from finguard.core.errors import InvalidInput
from finguard.monitors.model import MonitorConfig, Typology
from finguard.monitors.service.incremental import run_incremental
from finguard.monitors.service.patterns import Progress
from finguard.monitors.service.runner import MonitorRun, run_monitors


class MonitorSink(Protocol):
    """Where a monitor run reads transfers and writes its alerts (``store.monitor_repo``)."""

    def transfers(self, since: datetime | None, until: datetime | None) -> Mapping[str, Any]:
        """Transfer columns in time order (``index.Transfers`` plus ``id``, int64)."""
        ...

    def cursors(self, typologies: frozenset[Typology]) -> dict[Typology, int]:
        """The last transfer id each typology has evaluated (0 for none)."""
        ...

    def latest_id(self) -> int:
        """The highest transfer id stored (0 for none)."""
        ...

    def save(self, run: MonitorRun, config: MonitorConfig, now: datetime, cursors: Mapping[Typology, int] | None = None) -> list[int]:
        """Store the run's alerts not already stored and move ``cursors`` forward (never back),
        in one transaction; return the new alert ids."""
        ...


@dataclass(frozen=True, slots=True)
class LedgerRunResult:
    run: MonitorRun
    alert_ids: list[int]
    cursor_from: int | None = None  # incremental runs: transfers with ids above this were new
    cursor_to: int | None = None  # the cursors were moved to this id


def monitor_ledger(
    sink: MonitorSink,
    now: datetime,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> LedgerRunResult:
    """Read the ledger's transfers, run the monitors, store new alerts (a repeated run adds none)."""
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    if since is not None and until is not None and since >= until:
        raise InvalidInput.for_field("since", "must be before until")
    cols = sink.transfers(since, until)
    run = run_monitors(cols, config, typologies, progress=progress)
    ids = np.asarray(cols["id"])
    top = int(ids.max()) if since is None and until is None and len(ids) else None
    cursors = dict.fromkeys(typologies, top) if top is not None else None
    return LedgerRunResult(run, sink.save(run, config, now, cursors), None, top)


def monitor_ledger_incremental(
    sink: MonitorSink,
    now: datetime,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    progress: Progress | None = None,
) -> LedgerRunResult:
    """Evaluate the transfers stored since the last run (``incremental.run_incremental``)."""
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    start = min(sink.cursors(typologies).values())
    if sink.latest_id() <= start:
        return LedgerRunResult(MonitorRun([], np.full(0, None, dtype=object), 0, 0, 0), [], start, start)
    cols = sink.transfers(None, None)
    ids = np.asarray(cols["id"])
    new_rows = np.flatnonzero(ids > start)
    run = run_incremental(cols, new_rows, config, typologies, progress=progress)
    top = int(ids[new_rows].max()) if len(new_rows) else start
    cursors = dict.fromkeys(typologies, top) if len(new_rows) else None
    return LedgerRunResult(run, sink.save(run, config, now, cursors), start, top)


@dataclass
class BackgroundStatus:
    """How the background incremental runs are going, for the API and the logs."""

    interval_seconds: float
    runs: int = 0
    failures: int = 0
    last_run_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None
    last_new_alerts: int = 0
    cursor: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ok(self, at: datetime, result: LedgerRunResult) -> None:
        with self._lock:
            self.runs += 1
            self.last_run_at = self.last_ok_at = at
            self.last_error = None
            self.last_new_alerts = len(result.alert_ids)
            self.cursor = result.cursor_to

    def failed(self, at: datetime, error: BaseException) -> None:
        with self._lock:
            self.runs += 1
            self.failures += 1
            self.last_run_at = at
            self.last_error = f"{type(error).__name__}: {error}"

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "enabled": self.interval_seconds > 0,
                "interval_seconds": self.interval_seconds,
                "runs": self.runs,
                "failures": self.failures,
                "last_run_at": self.last_run_at,
                "last_ok_at": self.last_ok_at,
                "last_error": self.last_error,
                "last_new_alerts": self.last_new_alerts,
                "cursor": self.cursor,
            }
