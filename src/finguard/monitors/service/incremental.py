"""Incremental mode: after new transfers arrive, re-evaluate only what they can change.

* Per-account typologies (fan-in/out, gather-scatter, pass-through, dormant, structuring) are
  re-evaluated for the accounts the new transfers touch, over those accounts' whole history
  (every transfer of a touched account is one of its own), with the same burst baseline period
  as a batch run.
* Path typologies (cycle, stack, scatter-gather, slow cycle) are searched only among transfers
  within the longest path window of the new ones, and only shapes containing a new transfer are
  kept.
* First contacts and payer habits are computed over every transfer, as in a batch run.

The result equals the batch result restricted to the same accounts and shapes (``affected``);
``tests/test_monitors_incremental.py`` pins that.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from finguard.core.errors import InvalidInput
from finguard.monitors.model import MonitorConfig, PatternAlert, Typology, distinct_alerts
from finguard.monitors.service.index import I64, Bool, FlowIndex, Transfers
from finguard.monitors.service.patterns import PATHS, PER_ACCOUNT, Progress, detect
from finguard.monitors.service.runner import MonitorRun, _prefilter, _timed, habit, in_reporting_currency, novelty


def path_horizon(config: MonitorConfig) -> int:
    """How far in time (seconds) a path shape can reach from any one of its transfers."""
    relay = config.relay
    longest = max(config.cycle.max_length, config.stack.max_hops)
    fast = max(config.cycle.window, config.scatter_gather.window, config.stack.max_hops * relay.max_delay) + relay.slack * longest
    return max(fast, config.slow_cycle.window)


def touched_accounts(transfers: Transfers, new_rows: I64) -> Bool:
    touched = np.zeros(len(transfers.accounts), dtype=bool)
    touched[transfers.src[new_rows]] = True
    touched[transfers.dst[new_rows]] = True
    return touched


def affected(alerts: Sequence[PatternAlert], transfers: Transfers, new_rows: I64) -> list[PatternAlert]:
    """The alerts of a batch run that an incremental run over ``new_rows`` re-evaluates."""
    touched = touched_accounts(transfers, new_rows)
    new = set(new_rows.tolist())
    return [
        a
        for a in alerts
        if (a.typology in PER_ACCOUNT and touched[a.subject]) or (a.typology in PATHS and any(e.row in new for e in a.edges))
    ]


def run_incremental(
    columns: Mapping[str, Any] | Transfers,
    new_rows: Sequence[int] | I64,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    progress: Progress | None = None,
) -> MonitorRun:
    """Re-evaluate after ``new_rows`` (positions in ``columns``) were added."""
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    columns, no_rate = in_reporting_currency(columns, config)
    transfers = columns if isinstance(columns, Transfers) else Transfers.from_columns(columns)
    new = np.unique(np.asarray(new_rows, dtype=np.int64))
    if len(new) and (new[0] < 0 or new[-1] >= len(transfers)):
        raise InvalidInput.for_field("new_rows", f"positions must be in 0..{len(transfers) - 1}")
    started = time.perf_counter()
    base = _prefilter(transfers, config)
    rows = np.arange(len(transfers), dtype=np.int64) if base is None else base
    if base is not None:
        new = new[np.isin(new, base)]
    kept = rows[(transfers.amount_fen[rows] > 0) & (transfers.src[rows] != transfers.dst[rows])]
    period = (int(transfers.ts[kept].min()), int(transfers.ts[kept].max())) if len(kept) else (0, 0)
    touched = touched_accounts(transfers, new)
    novel = novelty(transfers, config)
    unusual = habit(transfers, config, typologies)
    seconds = {"index": 0.0}
    timed = _timed(progress, seconds)
    alerts: list[PatternAlert] = []
    truncated: dict[str, bool] = {}
    dropped = (0, 0)
    if len(new):
        per_account = typologies & PER_ACCOUNT
        if per_account:
            mine = rows[touched[transfers.src[rows]] | touched[transfers.dst[rows]]]
            ix = FlowIndex(transfers, period, mine, novel, unusual)
            for t, d in detect(ix, config, per_account, focus=touched, progress=timed).items():
                alerts.extend(d.alerts)
                truncated[t.value] = d.truncated
        paths = typologies & PATHS
        if paths:
            horizon = path_horizon(config)
            t_new = transfers.ts[new]
            ts = transfers.ts[rows]
            near = rows[(ts >= t_new.min() - horizon) & (ts <= t_new.max() + horizon)]
            ix = FlowIndex(transfers, period, near, novel, unusual)
            dropped = (ix.dropped_self, ix.dropped_nonpositive)
            new_edges = np.isin(ix.row, new)
            for t, d in detect(ix, config, paths, new_edges=new_edges, progress=timed).items():
                alerts.extend(d.alerts)
                truncated[t.value] = d.truncated
    seconds["total"] = time.perf_counter() - started
    alerts.sort(key=lambda a: (a.typology.value, a.subject, a.start))
    return MonitorRun(distinct_alerts(alerts), transfers.accounts, len(new), dropped[0], dropped[1], truncated, seconds, no_rate)
