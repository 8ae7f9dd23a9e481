"""The batch monitors on Dask (#19): the same detectors, thresholds and results as
``runner.run_monitors``, over a ledger read in partitions (store chunks, Parquet or CSV files).

The ledger is a Dask DataFrame of ``LEDGER_COLUMNS`` (account codes into ``accounts``). A pass:

1. *Per row*: amounts into the reporting currency (``rates.to_reporting``).
2. *By payer* (shuffle on the sender's code): the routine-payment pre-filter and payer habits
   (``index.routine_rows``, ``unusual_rows``, ``off_habit``) see every transfer of the payer.
3. *By pair* (shuffle on the unordered pair): first contacts (``index.first_contacts``, with the
   ledger's first time) and the split pre-filter see every transfer between the two accounts.
4. *Per-account typologies* (fan-in/out, gather-scatter, pass-through, dormant, structuring):
   accounts are cut into ``buckets`` by code; a transfer goes to its sender's bucket and to its
   receiver's (the cross-bucket edges are copied into both), so each bucket holds the whole
   history of its accounts and runs ``patterns.detect`` with ``focus`` on them, with the
   ledger's burst period and the pass's relay search, exactly as the incremental run does.
5. *Path typologies* (cycle, stack, scatter-gather, slow cycle) search the relay graph across
   accounts: one task over the kept transfers (flags already computed), the in-process code.
   Their shapes are local in time (``incremental.path_horizon``), but with the default windows
   (rings within 180 days) the margin a time cut needs covers a year's ledger, and
   scatter-gather keeps one window per (sender, receiver) over the whole ledger; so they are
   not cut yet (docs/capacity.md).

Rows are ordered by (time, id) inside every partition, as the in-process frame is, so ties
break alike. ``FlowEdge.row`` of the alerts returned holds the transfer's *id* (no single column
order exists across partitions). Where ``limits.max_paths`` cuts a search (flagged
``truncated``), a partition cuts a different part than one pass would.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dask
import numpy as np
import pandas as pd
from dask import dataframe as dd
from dask.delayed import Delayed, delayed

from finguard.monitors.model import MonitorConfig, PatternAlert, Typology, distinct_alerts
from finguard.monitors.service.index import FlowIndex, Transfers, first_contacts, off_habit, routine_rows, split_rows, unusual_rows
from finguard.monitors.service.ledger import LedgerRunResult, MonitorSink
from finguard.monitors.service.patterns import HABITUAL, PATHS, PER_ACCOUNT, detect
from finguard.monitors.service.rates import to_reporting
from finguard.monitors.service.runner import MonitorRun

# id int64, src/dst int32 codes into the ledger's accounts, amount_fen int64 minor units of the
# transfer's currency, ts int64 epoch seconds, currency int32 (position in FRAME_CURRENCIES).
LEDGER_COLUMNS = {"id": "int64", "src": "int32", "dst": "int32", "amount_fen": "int64", "ts": "int64", "currency": "int32"}
Stage = Callable[[str], None]
AS_REPORTED = -1  # the ``currency`` of a ledger whose amounts are already in the reporting currency


@dataclass(frozen=True)
class DaskLedger:
    """A ledger in partitions: ``frame`` has ``LEDGER_COLUMNS``; ``accounts`` the id of each code."""

    frame: dd.DataFrame
    accounts: np.ndarray


def _codes_stub(n_accounts: int) -> np.ndarray:
    """What the index functions need of ``accounts`` inside a partition: its length only."""
    return np.broadcast_to(np.array(None, dtype=object), (n_accounts,))


def _transfers(part: pd.DataFrame, n_accounts: int) -> Transfers:
    return Transfers(
        part["src"].to_numpy(np.int32),
        part["dst"].to_numpy(np.int32),
        part["amount_fen"].to_numpy(np.int64),
        part["ts"].to_numpy(np.int64),
        _codes_stub(n_accounts),
    )


def _in_order(part: pd.DataFrame) -> pd.DataFrame:
    return part.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)


def _reporting(part: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Stage 1: amounts in the reporting currency (``currency`` -1: already in it)."""
    code, amount = part["currency"].to_numpy(np.int32), part["amount_fen"].to_numpy(np.int64)
    same = code == AS_REPORTED
    converted, missing = to_reporting(amount, np.where(same, 0, code), part["ts"].to_numpy(np.int64), currency)
    amount, missing = np.where(same, amount, converted), missing & ~same
    return pd.DataFrame(
        {
            "id": part["id"].to_numpy(np.int64),
            "src": part["src"].to_numpy(np.int32),
            "dst": part["dst"].to_numpy(np.int32),
            "amount_fen": amount,
            "ts": part["ts"].to_numpy(np.int64),
            "no_rate": missing,
        },
        index=part.index,
    )


def _by_payer(part: pd.DataFrame, n_accounts: int, config: MonitorConfig, typologies: frozenset[Typology]) -> pd.DataFrame:
    """Stage 2: the pre-filters and habits that look at a payer's transfers."""
    part = _in_order(part)
    t = _transfers(part, n_accounts)
    keep = np.ones(len(t), dtype=bool)
    if config.baseline.min_ratio > 0:
        mask = np.zeros(len(t), dtype=bool)
        mask[unusual_rows(t, config.baseline.min_ratio, config.baseline.min_history)] = True
        keep &= mask
    if config.baseline.routine_days > 1:
        keep[routine_rows(t, config.baseline.routine_days)] = False
    h = config.habit
    unusual = off_habit(t, h.min_days, h.z, h.min_ratio) if typologies & HABITUAL else np.zeros(len(t), dtype=bool)
    pair = np.minimum(t.src, t.dst).astype(np.int64) * n_accounts + np.maximum(t.src, t.dst)
    return part.assign(keep=keep, unusual=unusual, pair=pair)


def _by_pair(part: pd.DataFrame, n_accounts: int, config: MonitorConfig, t0: int) -> pd.DataFrame:
    """Stage 3: first contacts and the split pre-filter, which look at a pair's transfers."""
    part = _in_order(part)
    t = _transfers(part, n_accounts)
    n = config.novelty
    novel = first_contacts(t, n.lookback, n.min_age, t0) if n.lookback > 0 else np.ones(len(t), dtype=bool)
    keep = part["keep"].to_numpy(bool).copy()
    if config.split.min_parts > 1:
        mask = np.zeros(len(t), dtype=bool)
        mask[split_rows(t, config.split.min_parts, config.split.window)] = True
        keep &= mask
    return part.assign(keep=keep, novel=novel)


def _with_ids(alerts: list[PatternAlert], ids: np.ndarray) -> list[PatternAlert]:
    return [dataclasses.replace(a, edges=tuple(dataclasses.replace(e, row=int(ids[e.row])) for e in a.edges)) for a in alerts]


def _detect(
    part: pd.DataFrame,
    n_accounts: int,
    period: tuple[int, int],
    config: MonitorConfig,
    typologies: frozenset[Typology],
    everything: frozenset[Typology],
    buckets: int | None,
) -> tuple[list[PatternAlert], dict[str, bool]]:
    """Stages 4 and 5: ``detect`` over one partition (``buckets``: per-account, focus on the
    accounts of the buckets it holds; ``None``: every transfer, the path typologies)."""
    focus = None
    if buckets is not None:
        held = np.unique(part.index.to_numpy(np.int64))
        part = part.reset_index(drop=True).drop_duplicates("id")
        focus = np.isin(np.arange(n_accounts, dtype=np.int64) % buckets, held)
    part = _in_order(part)
    if len(part) == 0:
        return [], {}
    t = _transfers(part, n_accounts)
    ix = FlowIndex(t, period, None, part["novel"].to_numpy(bool), part["unusual"].to_numpy(bool))
    results = detect(ix, config, typologies, focus=focus, relay_for=everything)
    ids = part["id"].to_numpy(np.int64)
    alerts = [a for ty in sorted(results) for a in results[ty].alerts]
    return _with_ids(alerts, ids), {ty.value: d.truncated for ty, d in results.items()}


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _sort_key(a: PatternAlert) -> tuple[Any, ...]:
    return (a.typology.value, a.start, a.subject, tuple(sorted(e.row for e in a.edges)))


def run_monitors_dask(
    ledger: DaskLedger,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    buckets: int = 8,
    scheduler: str | None = None,
    stage: Stage | None = None,
) -> MonitorRun:
    """The batch pass over a partitioned ledger; alerts equal ``run_monitors``'s on the same
    transfers (``FlowEdge.row`` holding transfer ids). ``scheduler``: a Dask scheduler name, or
    ``None`` for the active one (a ``distributed.Client`` when one is open)."""
    return _run(ledger, config, typologies, buckets, scheduler, stage)[0]


def monitor_ledger_dask(
    sink: MonitorSink,
    ledger: DaskLedger,
    now: datetime,
    config: MonitorConfig | None = None,
    typologies: frozenset[Typology] | None = None,
    *,
    buckets: int = 8,
    scheduler: str | None = None,
    stage: Stage | None = None,
    move_cursors: bool = True,
) -> LedgerRunResult:
    """``ledger.monitor_ledger`` on Dask: store the new alerts in ``sink``; with ``move_cursors``
    (the ledger is the sink's own, read whole), the typologies' cursors move to its last id."""
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    run, top = _run(ledger, config, typologies, buckets, scheduler, stage)
    cursors = dict.fromkeys(typologies, top) if move_cursors and top else None
    ids = sink.save(run, config, now, cursors)
    if stage:
        stage("save")
    return LedgerRunResult(run, ids, None, top if cursors else None)


def _run(
    ledger: DaskLedger,
    config: MonitorConfig | None,
    typologies: frozenset[Typology] | None,
    buckets: int,
    scheduler: str | None,
    stage: Stage | None,
) -> tuple[MonitorRun, int]:
    config = config or MonitorConfig()
    typologies = typologies or frozenset(Typology)
    buckets = max(int(buckets), 1)
    n_accounts = len(ledger.accounts)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def done(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now
        if stage:
            stage(name)

    def compute(*things: Any) -> Any:
        return dask.compute(*things, scheduler=scheduler) if scheduler else dask.compute(*things)

    meta_cols = {"id": "int64", "src": "int32", "dst": "int32", "amount_fen": "int64", "ts": "int64", "no_rate": "bool"}
    frame = ledger.frame.map_partitions(_reporting, config.reporting.currency, meta=pd.DataFrame(columns=list(meta_cols)).astype(meta_cols))
    # Read once: the statistics below and the shuffles start from the partitions kept in the
    # workers' memory (a store or files are not read twice).
    frame = frame.persist(scheduler=scheduler) if scheduler else frame.persist()
    rows, no_rate, t0, top = compute(frame["id"].count(), frame["no_rate"].sum(), frame["ts"].min(), frame["id"].max())
    rows, no_rate = int(rows), int(no_rate)
    done("read")
    if rows == 0:
        return MonitorRun([], ledger.accounts, 0, 0, 0, {t.value: False for t in typologies}, seconds, 0), 0
    parts = max(frame.npartitions, buckets)
    flagged = (
        frame.shuffle(on="src", npartitions=parts)
        .map_partitions(_by_payer, n_accounts, config, typologies, meta={**meta_cols, "keep": "bool", "unusual": "bool", "pair": "int64"})
        .shuffle(on="pair", npartitions=parts)
        .map_partitions(
            _by_pair, n_accounts, config, int(t0), meta={**meta_cols, "keep": "bool", "unusual": "bool", "pair": "int64", "novel": "bool"}
        )
    )
    kept = flagged[flagged["keep"]].drop(columns=["pair", "keep", "no_rate"])
    kept = kept.persist(scheduler=scheduler) if scheduler else kept.persist()
    del frame, flagged  # the partitions read are released once the kept ones are in memory
    moving = kept[(kept["amount_fen"] > 0) & (kept["src"] != kept["dst"])]
    lo, hi, self_rows, nonpositive = compute(
        moving["ts"].min(), moving["ts"].max(), (kept["src"] == kept["dst"]).sum(), (kept["amount_fen"] <= 0).sum()
    )
    period = (int(lo), int(hi)) if not pd.isna(lo) else (0, 0)
    done("flags")
    tasks: list[Delayed] = []
    per_account = typologies & PER_ACCOUNT
    if per_account:
        out_copy = kept.assign(bucket=kept["src"].astype("int64") % buckets)
        in_copy = kept[kept["src"] % buckets != kept["dst"] % buckets]
        in_copy = in_copy.assign(bucket=in_copy["dst"].astype("int64") % buckets)
        # Bucket b goes to partition b (divisions 0, 1, .., B-1, B-1), not by a hash of it.
        both = dd.concat([out_copy, in_copy]).set_index("bucket", divisions=[*range(buckets), buckets - 1], sort=True)
        tasks += [delayed(_detect)(p, n_accounts, period, config, per_account, typologies, buckets) for p in both.to_delayed()]
    paths = typologies & PATHS
    if paths:
        tasks.append(delayed(_detect)(delayed(_concat)(kept.to_delayed()), n_accounts, period, config, paths, typologies, None))
    found = compute(*tasks)
    done("detect")
    alerts: list[PatternAlert] = []
    truncated = dict.fromkeys((t.value for t in typologies), False)
    for part_alerts, part_truncated in found:
        alerts.extend(part_alerts)
        for k, v in part_truncated.items():
            truncated[k] = truncated.get(k, False) or v
    alerts = distinct_alerts(sorted(alerts, key=_sort_key))
    run = MonitorRun(
        alerts=alerts,
        accounts=ledger.accounts,
        transfers=rows,
        dropped_self=int(self_rows),
        dropped_nonpositive=int(nonpositive) - no_rate,
        truncated=truncated,
        seconds=seconds,
        dropped_no_rate=no_rate,
    )
    return run, int(top)


def ledger_from_columns(columns: dict[str, Any], partitions: int = 4) -> DaskLedger:
    """A ``DaskLedger`` from in-memory columns (``transfers_frame``'s), cut into ``partitions``."""
    n = len(columns["src"])
    data = {c: np.asarray(columns[c], dtype=d) if c in columns else np.zeros(n, dtype=d) for c, d in LEDGER_COLUMNS.items()}
    if "id" not in columns:
        data["id"] = np.arange(1, n + 1, dtype=np.int64)
    if "currency" not in columns:
        data["currency"] = np.full(n, AS_REPORTED, dtype=np.int32)
    frame = dd.from_pandas(pd.DataFrame(data), npartitions=max(1, min(partitions, max(n, 1))), sort=False)
    return DaskLedger(frame, np.asarray(columns["accounts"], dtype=object))
