"""Bank-card due diligence in SQL: the bank's instruments registered once, normalised, and matched
against the lists' identifiers by joins over ``(id_type, id_value)``, never one account at a time.

The pair (instrument, entry) is the natural key of a hit (``ux_robot_hit_pair``): a hit and its
alert are written in one transaction with the cursor that says how far the robot got, so a run
killed half-way is resumed by the next one and no pair ever raises a second alert."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from finguard.alerts.store import alert
from finguard.core.db import begin_write, dialect_insert, insert_ids
from finguard.core.tables import UTCDateTime, job_cursor
from finguard.credit.store.tables import credit_application
from finguard.guard.store.tables import guard_event
from finguard.ledger.store.tables import ledger_account
from finguard.lists.model.lists import ChangeOp, ListKind
from finguard.lists.store.tables import change_log, entry_identifier, list_entry, risk_list
from finguard.robots.model import LISTED_ALERT, severity
from finguard.robots.service.diligence import CURSOR_INSTRUMENT, CURSOR_SEQ
from finguard.robots.store.tables import bank_instrument, robot_hit


def _set_cursor(conn: Connection, name: str, value: int) -> None:
    if conn.execute(update(job_cursor).where(job_cursor.c.name == name).values(seq=value)).rowcount == 0:
        conn.execute(insert(job_cursor).values(name=name, seq=value))


class SqlDiligenceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- cursors -----------------------------------------------------------------------------------

    def cursor(self, name: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(job_cursor.c.seq).where(job_cursor.c.name == name)).scalar() or 0)

    def set_cursor(self, name: str, value: int) -> None:
        with begin_write(self.engine) as conn:
            _set_cursor(conn, name, value)

    # -- registering the bank's instruments --------------------------------------------------------

    def unregistered_ledger(self, batch: int) -> Iterator[list[tuple[str, str | None]]]:
        """Every ledger account not registered yet, ``batch`` at a time, from *one* anti-join read
        as a stream: one pass over the accounts whatever plan the database picks (a hash, merge
        or index anti-join), where a query per batch let PostgreSQL, with statistics not yet
        caught up with a big registration, sort both whole tables for every batch. The reading
        connection keeps its snapshot while the caller registers each batch on another."""
        a = ledger_account.c
        b = bank_instrument.c
        q = select(a.account, a.name).where(~exists().where(b.source == "ledger", b.ref == a.account))
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(q)
            for part in result.partitions():
                yield [(r[0], r[1]) for r in part]

    def ledger_backlog(self) -> int:
        """Ledger accounts not registered yet (the progress bar's total): every registered account
        has exactly one row of type ``account`` or ``""`` (its card form is an extra row)."""
        b = bank_instrument.c
        with self.engine.connect() as conn:
            accounts = conn.execute(select(func.count()).select_from(ledger_account)).scalar_one()
            known = conn.execute(select(func.count()).select_from(bank_instrument)
                                 .where(b.source == "ledger", b.id_type.in_(["", "account"]))).scalar_one()
        return max(int(accounts) - int(known), 0)

    def add_instruments(self, rows: Sequence[dict[str, Any]], *, exact: bool = True) -> int:
        """Register instruments (a pair already there is left alone); returns how many were new.
        ``exact=False`` for rows an anti-join has just found unregistered: a plain many-row insert
        (2.5 times faster on PostgreSQL than one with RETURNING), counted as the driver reports it,
        or as the rows given where it reports nothing (psycopg)."""
        if not rows:
            return 0
        with begin_write(self.engine) as conn:
            stmt = dialect_insert(conn, bank_instrument).on_conflict_do_nothing(
                index_elements=["source", "ref", "id_type", "id_value"])
            if not exact:
                done = conn.execute(stmt, list(rows)).rowcount
                return int(done) if done is not None and done >= 0 else len(rows)
            # A many-row execute reports no row count on PostgreSQL: count what RETURNING gives.
            return len(conn.execute(stmt.returning(bank_instrument.c.id), list(rows)).all())

    def guard_customers(self, since: datetime) -> tuple[list[tuple[str, str | None, str | None]], datetime | None]:
        """The customers' own accounts and cards in guard events received after ``since`` (stored
        normalised by the guard), each distinct triple once, and the newest receipt time seen."""
        g = guard_event.c
        account = g.body["account"].as_string()
        card = g.body["card"].as_string()
        q = (select(g.customer_id, account, card).where(g.received_at > since, or_(account.is_not(None), card.is_not(None)))
             .distinct())
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(g.received_at)).where(g.received_at > since)).scalar()
            rows = [(r[0], r[1], r[2]) for r in conn.execute(q)]
        return rows, newest

    def credit_firms(self, after_id: int, limit: int) -> list[tuple[int, str, str | None, str | None]]:
        c = credit_application.c
        q = select(c.id, c.uscc, c.firm_name, c.disbursed_account).where(c.id > after_id).order_by(c.id).limit(limit)
        with self.engine.connect() as conn:
            return [(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(q)]

    # -- matching ----------------------------------------------------------------------------------

    def heads(self) -> tuple[int, int]:
        """The change log's last sequence and the last instrument id: what this run covers."""
        with self.engine.connect() as conn:
            seq = conn.execute(select(func.max(change_log.c.seq))).scalar()
            inst = conn.execute(select(func.max(bank_instrument.c.id))).scalar()
        return int(seq or 0), int(inst or 0)

    @staticmethod
    def _hits(run_id: int, now: datetime) -> Any:
        """Every (instrument, active risk entry) pair on one identifier, the entry not cleared by an
        allow entry of at least its level on that identifier (the payee check's policy)."""
        bi, ei, le, rl = bank_instrument.c, entry_identifier.c, list_entry.c, risk_list.c
        ai, al, arl = entry_identifier.alias("ai"), list_entry.alias("al"), risk_list.alias("arl")
        cleared = exists(
            select(literal(1))
            .select_from(ai.join(al, al.c.id == ai.c.entry_id).join(arl, arl.c.id == al.c.list_id))
            .where(ai.c.id_type == ei.id_type, ai.c.id_value == ei.id_value, arl.c.kind == ListKind.ALLOW.value,
                   al.c.risk_level >= le.risk_level, al.c.delisted_at.is_(None),
                   or_(al.c.expires_at.is_(None), al.c.expires_at > now))
        )
        return (
            select(bi.id, ei.entry_id, rl.code, ei.id_type, ei.id_value, le.risk_level,
                   literal(run_id, BigInteger), literal(now, UTCDateTime))
            .select_from(
                bank_instrument.join(entry_identifier, and_(ei.id_type == bi.id_type, ei.id_value == bi.id_value))
                .join(list_entry, le.id == ei.entry_id)
                .join(risk_list, rl.id == le.list_id)
            )
            .where(rl.kind != ListKind.ALLOW.value, le.delisted_at.is_(None),
                   or_(le.expires_at.is_(None), le.expires_at > now), ~cleared)
        )

    _HIT_COLUMNS = ("instrument_id", "entry_id", "list_code", "id_type", "id_value", "risk_level", "run_id", "found_at")

    def _insert_hits(self, conn: Connection, query: Any) -> int:
        stmt = dialect_insert(conn, robot_hit).from_select(list(self._HIT_COLUMNS), query).on_conflict_do_nothing(
            index_elements=["instrument_id", "entry_id"]).returning(robot_hit.c.id)
        # Counted from RETURNING: an INSERT's row count is not reported by every driver.
        return len(conn.execute(stmt).all())

    def match_instruments(self, lo: int, hi: int, run_id: int, now: datetime) -> tuple[int, int]:
        """Instruments ``lo < id <= hi`` (new since the last run) against every active entry; the
        hits, their alerts and the cursor in one transaction. Returns (hits, alerts)."""
        query = self._hits(run_id, now).where(bank_instrument.c.id > lo, bank_instrument.c.id <= hi)
        with begin_write(self.engine) as conn:
            hits = self._insert_hits(conn, query)
            raised = self._raise_alerts(conn, run_id, now) if hits else 0
            _set_cursor(conn, CURSOR_INSTRUMENT, hi)
        return hits, raised

    def match_listings(self, from_seq: int, to_seq: int, upto_instrument: int, run_id: int, now: datetime) -> tuple[int, int]:
        """Entries added or changed in the change log ``from_seq < seq <= to_seq`` against every
        instrument registered up to ``upto_instrument``; hits, alerts and cursor in one transaction."""
        changed = select(change_log.c.entry_id).where(
            change_log.c.seq > from_seq, change_log.c.seq <= to_seq, change_log.c.op != ChangeOp.DELIST.value)
        query = self._hits(run_id, now).where(entry_identifier.c.entry_id.in_(changed),
                                              bank_instrument.c.id <= upto_instrument)
        with begin_write(self.engine) as conn:
            hits = self._insert_hits(conn, query)
            raised = self._raise_alerts(conn, run_id, now) if hits else 0
            _set_cursor(conn, CURSOR_SEQ, to_seq)
        return hits, raised

    def _raise_alerts(self, conn: Connection, run_id: int, now: datetime) -> int:
        """One alert per hit this transaction inserted (the run's hits still without one)."""
        h, bi, le = robot_hit.c, bank_instrument.c, list_entry.c
        found = conn.execute(
            select(h.id, h.id_type, h.id_value, h.risk_level, h.list_code, h.entry_id, h.instrument_id, bi.source,
                   bi.ref, bi.owner, le.entry_key, le.primary_name)
            .select_from(robot_hit.join(bank_instrument, bi.id == h.instrument_id).join(list_entry, le.id == h.entry_id))
            .where(h.run_id == run_id, h.alert_id.is_(None))
            .order_by(h.id)
        ).mappings().all()
        if not found:
            return 0
        rows = []
        for f in found:
            what = {"card": "card", "account": "account", "uscc": "firm (USCC)"}.get(f["id_type"], f["id_type"])
            what_zh = {"card": "银行卡", "account": "账户", "uscc": "企业（统一社会信用代码）"}.get(f["id_type"], f["id_type"])
            listed = f["primary_name"] or f["entry_key"]
            source_zh = {"ledger": "账本", "guard": "防护事件"}.get(f["source"], f["source"])
            rows.append({
                "kind": LISTED_ALERT,
                "subject": f"{f['id_type']}:{f['id_value']}"[:300],
                "severity": severity(f["risk_level"]),
                "status": "open",
                "summary": f"Stored {what} ({f['source']}) is newly listed on {f['list_code']}: {listed}",
                "details": {
                    "robot": "new_listings", "run_id": run_id, "hit_id": f["id"], "instrument_id": f["instrument_id"],
                    "source": f["source"], "ref": f["ref"], "owner": f["owner"], "list_code": f["list_code"],
                    "entry_id": f["entry_id"], "entry_key": f["entry_key"], "listed_name": f["primary_name"],
                    "id_type": f["id_type"], "risk_level": f["risk_level"],
                    "summary_zh": f"本行已有{what_zh}（来源：{source_zh}）新近被列入名单 {f['list_code']}：{listed}",
                },
                "created_at": now,
                "source_seq": None,
            })
        ids = insert_ids(conn, alert, rows)
        conn.execute(
            update(robot_hit).where(robot_hit.c.id == bindparam("hit")).values(alert_id=bindparam("alert_ref")),
            [{"hit": f["id"], "alert_ref": a} for f, a in zip(found, ids, strict=True)],
        )
        return len(ids)

    def hits(self, limit: int) -> list[dict[str, Any]]:
        h = robot_hit.c
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(robot_hit).order_by(h.id.desc()).limit(limit)).mappings()]

    def instrument_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(bank_instrument)
                                    .where(bank_instrument.c.id_type != "")).scalar_one())

