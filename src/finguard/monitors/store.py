"""Pattern-monitor alerts in the shared ``alert`` table, and the ledger columns they read.

One row per alert: kind ``aml_<typology>``, subject ``account:<id>``, the plain-language reason
(English in ``summary``; both languages in ``details.reason``), and the subgraph (accounts and
transfers with amounts and times). ``details.fingerprint`` (typology, subject, transfers) makes
a repeated run add nothing it already stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from finguard.alerts.store import alert
from finguard.core.clock import aware
from finguard.core.columns import read_int_columns
from finguard.core.db import begin_write, insert_ids, make_engine, serialize_monitor_writers, snapshot_connection
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.tables import job_cursor
from finguard.ledger.model import FRAME_CURRENCIES
from finguard.ledger.store.mirror import LedgerMirror
from finguard.ledger.store.repo import _CURRENCY_CODE, FRAME_DTYPES, account_names, transfers_frame
from finguard.ledger.store.tables import transfer
from finguard.monitors.model import YUAN, MonitorConfig, PatternAlert, Typology
from finguard.monitors.service import MonitorRun

if TYPE_CHECKING:
    from dask import dataframe as dd

    from finguard.monitors.service.engine import DaskLedger

CHUNK = 500
SEVERITY = {
    Typology.CYCLE: "high",
    Typology.SCATTER_GATHER: "high",
    Typology.STACK: "high",
    Typology.GATHER_SCATTER: "high",
    Typology.DORMANT: "high",
    Typology.FAN_IN: "medium",
    Typology.FAN_OUT: "medium",
    Typology.PASS_THROUGH: "medium",
    Typology.STRUCTURING: "medium",
    Typology.SLOW_CYCLE: "high",
}


def _money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // YUAN}.{abs(fen) % YUAN:02d}"


def cursor_name(t: Typology) -> str:
    return f"monitors.{t.value}"


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def fingerprint(run: MonitorRun, a: PatternAlert) -> str:
    parts = [a.typology.value, run.account_id(a.subject)]
    parts += sorted(f"{run.account_id(e.src)}>{run.account_id(e.dst)}@{e.ts}:{e.amount_fen}" for e in a.edges)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def alert_details(run: MonitorRun, a: PatternAlert, config: MonitorConfig, thresholds: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``details`` of an alert; ``thresholds`` is ``config.as_dict()`` when the caller has it
    (it costs more than the rest of an alert's details)."""
    en, zh = run.reason(a)
    roles: dict[int, str] = {c: "member" for c in a.accounts}
    roles[a.subject] = "subject"
    return {
        "typology": a.typology.value,
        "subject": run.account_id(a.subject),
        "reason": {"en": en, "zh": zh},
        "measure": a.measure,
        "total": _money(a.total_fen),
        "window": {"start": _iso(a.start), "end": _iso(a.end)},
        "truncated": a.truncated,
        "subgraph": {
            "nodes": [{"id": run.account_id(c), "role": roles[c]} for c in a.accounts],
            "edges": [
                {"src": run.account_id(e.src), "dst": run.account_id(e.dst), "amount": _money(e.amount_fen), "at": _iso(e.ts)}
                for e in a.edges
            ],
        },
        "thresholds": (thresholds if thresholds is not None else config.as_dict()).get(a.typology.value, {}),
        "fingerprint": fingerprint(run, a),
    }


class SqlMonitorStore:
    """The ``MonitorSink`` of ``services.monitors.monitor_ledger``. With a ``mirror`` (a
    long-running process), transfers come from it after it has read the rows added since."""

    def __init__(self, engine: Engine, mirror: LedgerMirror | None = None) -> None:
        self.engine = engine
        self.mirror = mirror

    def transfers(self, since: datetime | None, until: datetime | None) -> Mapping[str, Any]:
        if self.mirror is not None:
            frame = self.mirror.frame(since, until)
            if frame is not None:
                return frame
        return transfers_frame(self.engine, since, until)

    def cursors(self, typologies: frozenset[Typology]) -> dict[Typology, int]:
        names = {cursor_name(t): t for t in typologies}
        with self.engine.connect() as conn:
            found = {r.name: int(r.seq) for r in conn.execute(select(job_cursor).where(job_cursor.c.name.in_(sorted(names))))}
        return {t: found.get(name, 0) for name, t in names.items()}

    def latest_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(transfer.c.id))).scalar() or 0)

    @staticmethod
    def _known(conn: Connection, subjects: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(subjects), CHUNK):
            q = select(alert.c.details).where(alert.c.kind.like("aml\\_%", escape="\\"), alert.c.subject.in_(subjects[i : i + CHUNK]))
            found.update(str((r.details or {}).get("fingerprint")) for r in conn.execute(q))
        return found

    def save(self, run: MonitorRun, config: MonitorConfig, now: datetime, cursors: Mapping[Typology, int] | None = None) -> list[int]:
        """Write the run's alerts not already stored and move the cursors; return the new row ids.

        Alerts go in transactions of ``CHUNK`` (so a first pass storing tens of thousands does
        not hold SQLite's write lock for half a minute); the cursors move in the transaction of
        the last ones. A save cut short leaves the cursors where they were: the next run
        evaluates the same transfers again and finds the alerts already stored known. Each
        transaction is serialised and looks up known fingerprints inside it, so two runs over
        the same transfers (a background run and a manual one) store each alert once."""
        thresholds = config.as_dict()
        drafts = [(a, alert_details(run, a, config, thresholds)) for a in run.alerts]
        ids: list[int] = []
        seen: set[str] = set()
        for i in range(0, max(len(drafts), 1), CHUNK):
            chunk = drafts[i : i + CHUNK]
            with begin_write(self.engine) as conn:
                serialize_monitor_writers(conn)
                known = self._known(conn, sorted({f"account:{d['subject']}" for _, d in chunk})) | seen
                rows = []
                for a, d in chunk:
                    if d["fingerprint"] in known:
                        continue
                    known.add(d["fingerprint"])
                    seen.add(d["fingerprint"])
                    rows.append(
                        {
                            "kind": a.typology.alert_kind,
                            "subject": f"account:{d['subject']}"[:300],
                            "severity": SEVERITY[a.typology],
                            "status": "open",
                            "summary": d["reason"]["en"],
                            "details": d,
                            "created_at": now,
                            "source_seq": None,
                        }
                    )
                if rows:
                    ids.extend(insert_ids(conn, alert, rows))
                if i + CHUNK >= len(drafts):
                    for t, seq in sorted((cursors or {}).items()):
                        _advance(conn, cursor_name(t), seq)
        return ids

    def results(self, typology: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Stored monitor alerts, newest first."""
        q = select(alert).where(alert.c.kind.like("aml\\_%", escape="\\"))
        if typology is not None:
            q = q.where(alert.c.kind == f"aml_{typology}")
        if status is not None:
            q = q.where(alert.c.status == status)
        with self.engine.connect() as conn:
            return [_alert_row(r) for r in conn.execute(q.order_by(alert.c.id.desc()).limit(limit).offset(offset))]

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        """One stored monitor alert, or None (no such alert, or not a monitor's)."""
        if not 0 < alert_id < 2**63:
            return None
        q = select(alert).where(alert.c.id == alert_id, alert.c.kind.like("aml\\_%", escape="\\"))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _alert_row(row) if row else None


def _alert_row(r: Any) -> dict[str, Any]:
    return {
        "id": int(r.id),
        "kind": r.kind,
        "subject": r.subject,
        "severity": r.severity,
        "status": r.status,
        "summary": r.summary,
        "details": r.details,
        "created_at": aware(r.created_at) or r.created_at,
    }


def _advance(conn: Connection, name: str, seq: int) -> None:
    """Move a cursor forward to ``seq`` (never back)."""
    current = conn.execute(select(job_cursor.c.seq).where(job_cursor.c.name == name)).scalar()
    if current is None:
        conn.execute(insert(job_cursor).values(name=name, seq=seq))
    elif current < seq:
        conn.execute(update(job_cursor).where(job_cursor.c.name == name).values(seq=seq))


# -- the ledger in partitions, for the Dask engine (#19) --------------------------------------

READ_CHUNK = 250_000  # transfer ids per partition read from the store
_ENGINES: dict[str, Engine] = {}
FILE_COLUMNS = ("id", "src", "dst", "amount_fen", "ts")


def _engine_for(url: str) -> Engine:
    """One engine per database and process (a worker process opens its own)."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def _read_chunk(url: str, after: int, upto: int) -> pd.DataFrame:
    """The ``transfers_frame`` columns of the transfers with ``after < id <= upto``."""
    c = transfer.c
    q = select(c.id, c.src, c.dst, c.amount_fen, c.ts, _CURRENCY_CODE).where(c.id > after, c.id <= upto)
    with snapshot_connection(_engine_for(url)) as conn:
        cols = read_int_columns(conn, q, FRAME_DTYPES, c.id, workers=1)
    return pd.DataFrame(cols)


def ledger_from_store(engine: Engine, chunk: int = READ_CHUNK) -> DaskLedger:
    """The stored transfers as a ``DaskLedger`` of chunked SQL reads by id (``chunk`` ids each).

    Every transfer up to the highest id stored now, whatever commits later: ids become visible
    in increasing order (``service.ledger``), so the set read is one the ledger held."""
    from dask import dataframe as dd  # Dask is imported by the runs that use it
    from dask.delayed import delayed

    from finguard.monitors.service.engine import DaskLedger

    if chunk < 1:
        raise InvalidInput.for_field("chunk", "must be at least 1")
    url = engine.url.render_as_string(hide_password=False)
    with snapshot_connection(engine) as conn:
        lo, hi = conn.execute(select(func.min(transfer.c.id), func.max(transfer.c.id))).one()
        accounts = account_names(conn)
    meta = pd.DataFrame({k: np.zeros(0, dtype=v) for k, v in FRAME_DTYPES.items()})
    bounds = [*range(int(lo or 1) - 1, int(hi or 0), chunk), int(hi or 0)]
    parts = [delayed(_read_chunk)(url, a, b) for a, b in pairwise(bounds)] or [delayed(lambda: meta)()]
    _ENGINES.setdefault(url, engine)
    return DaskLedger(dd.from_delayed(parts, meta=meta, verify_meta=False), accounts)


def _file_frame(path: Path) -> dd.DataFrame:
    from dask import dataframe as dd

    if not path.exists():
        raise InvalidInput.for_field("from_parquet", f"{path} does not exist")
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    parquet = [str(f) for f in files if f.suffix.lower() in (".parquet", ".pq")]
    csv = [str(f) for f in files if f.suffix.lower() == ".csv"]
    if parquet:
        return dd.read_parquet(parquet)
    if csv:
        return dd.read_csv(csv, dtype={"src": str, "dst": str, "currency": str}, blocksize="64MB")
    raise InvalidInput.for_field("from_parquet", f"{path} holds no .parquet or .csv files")


def _coded(part: pd.DataFrame, accounts: pd.Index, currencies: dict[str, int], as_reported: int) -> pd.DataFrame:
    ts = part["ts"]
    if pd.api.types.is_datetime64_any_dtype(ts):
        # Naive times are UTC; whole seconds (floored), like the store's ``ts``.
        seconds = (pd.to_datetime(ts, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    else:
        seconds = ts
    if "currency" in part:
        code = part["currency"].astype(str).str.strip().str.upper().map(currencies).fillna(0).to_numpy(np.int32)
    else:
        code = np.full(len(part), as_reported, dtype=np.int32)
    return pd.DataFrame(
        {
            "id": part["id"].to_numpy(np.int64),
            "src": accounts.get_indexer(part["src"].astype(str)).astype(np.int32),
            "dst": accounts.get_indexer(part["dst"].astype(str)).astype(np.int32),
            "amount_fen": part["amount_fen"].to_numpy(np.int64),
            "ts": np.asarray(seconds, dtype=np.int64),
            "currency": code,
        },
        index=part.index,
    )


def ledger_from_files(path: Path) -> DaskLedger:
    """A ledger of Parquet files (or CSV files) under ``path``: one row a transfer with ``id``
    (integer, unique), ``src`` and ``dst`` (account ids), ``amount_fen`` (integer minor units),
    ``ts`` (epoch seconds or a timestamp, UTC when naive) and optionally ``currency`` (ISO code;
    without it amounts are taken as in the reporting currency). Account codes are the account
    ids in sorted order. Bad input names the column."""
    import dask
    from dask import dataframe as dd

    from finguard.monitors.service.engine import AS_REPORTED, LEDGER_COLUMNS, DaskLedger

    frame = _file_frame(path)
    problems = [FieldProblem(c, "is missing") for c in FILE_COLUMNS if c not in frame.columns]
    if problems:
        raise InvalidInput(f"{path}: the ledger files lack columns", problems=problems)
    for c in ("id", "amount_fen"):
        if not pd.api.types.is_integer_dtype(frame[c].dtype):
            problems.append(FieldProblem(c, f"must hold integers, not {frame[c].dtype}"))
    ts_type = frame["ts"].dtype
    if not (pd.api.types.is_integer_dtype(ts_type) or pd.api.types.is_datetime64_any_dtype(ts_type)):
        problems.append(FieldProblem("ts", f"must hold epoch seconds (integers) or timestamps, not {ts_type}"))
    if problems:
        raise InvalidInput(f"{path}: the ledger files have bad columns", problems=problems)
    names = dd.concat([frame["src"].astype(str), frame["dst"].astype(str)]).unique()
    nulls = [frame[c].isna().sum() for c in FILE_COLUMNS]
    found, rows, distinct, *missing = dask.compute(names, frame["id"].count(), frame["id"].nunique(), *nulls)
    problems = [FieldProblem(c, f"is empty in {int(n):,} rows") for c, n in zip(FILE_COLUMNS, missing, strict=True) if n]
    if int(distinct) != int(rows):
        problems.append(FieldProblem("id", f"must be unique: {int(rows) - int(distinct):,} repeats"))
    if problems:
        raise InvalidInput(f"{path}: the ledger files have bad values", problems=problems)
    accounts = np.asarray(sorted(str(x) for x in found), dtype=object)
    index = pd.Index(accounts)
    currencies = {code: i for i, code in enumerate(FRAME_CURRENCIES) if code}
    meta = pd.DataFrame({k: np.zeros(0, dtype=v) for k, v in LEDGER_COLUMNS.items()})
    return DaskLedger(frame.map_partitions(_coded, index, currencies, AS_REPORTED, meta=meta), accounts)
