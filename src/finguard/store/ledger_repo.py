"""SQL storage of the fund-flow ledger (#5), and the columnar view the pattern monitors read.

Times are stored in UTC: SQLite keeps the wall-clock text of a datetime and drops its zone, so
every time is converted to UTC before it is written or compared.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, Engine, and_, bindparam, cast, extract, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from finguard.domain.ledger import Account, AccountDraft, AccountKind, Transfer, TransferDraft
from finguard.services.ledger import Key, LedgerService, Progress, Side, merge_account
from finguard.store.db import begin_write
from finguard.store.ledger_tables import ledger_account, transfer
from finguard.store.lists_repo import aware

CHUNK = 500
INSERT_CHUNK = 5000
# Built once: the guard writes through these on every payment it lets through, and building a
# statement costs more than running it on SQLite.
_KNOWN_IDS = select(transfer.c.external_id).where(
    transfer.c.source == bindparam("source"), transfer.c.external_id.in_(bindparam("ids", expanding=True))
)
_STORED_ACCOUNTS = select(ledger_account).where(ledger_account.c.account.in_(bindparam("names", expanding=True)))
_ADD_TRANSFERS = insert(transfer)
_ADD_ACCOUNTS = {
    name: dialect_insert(ledger_account)
    .on_conflict_do_nothing(index_elements=[ledger_account.c.account])
    .returning(ledger_account.c.account)
    for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _to_transfer(row: Any) -> Transfer:
    at = aware(row.at)
    assert at is not None
    return Transfer(
        id=int(row.id),
        source=row.source,
        draft=TransferDraft(
            external_id=row.external_id,
            src_account=row.src_account,
            dst_account=row.dst_account,
            amount_fen=int(row.amount_fen),
            currency=row.currency,
            at=at,
            channel=row.channel,
            memo=row.memo,
            src_name=row.src_name,
            dst_name=row.dst_name,
            dst_bank=row.dst_bank,
            balance_after_fen=None if row.balance_after_fen is None else int(row.balance_after_fen),
            label_laundering=row.label_laundering,
            typology=row.typology,
        ),
    )


def _to_account(row: Any) -> Account:
    return Account(row.account, AccountKind(row.kind), row.name, row.bank, row.label_fraud)


def _transfer_row(source: str, d: TransferDraft) -> dict[str, Any]:
    return {
        "external_id": d.external_id,
        "source": source,
        "src_account": d.src_account,
        "dst_account": d.dst_account,
        "amount_fen": d.amount_fen,
        "currency": d.currency,
        "at": utc(d.at),
        "channel": d.channel,
        "memo": d.memo,
        "src_name": d.src_name[:200] if d.src_name else None,
        "dst_name": d.dst_name[:200] if d.dst_name else None,
        "dst_bank": d.dst_bank[:200] if d.dst_bank else None,
        "balance_after_fen": d.balance_after_fen,
        "label_laundering": d.label_laundering,
        "typology": d.typology,
    }


class _Reader:
    """Reads over one connection, so a whole trace sees one snapshot."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_transfer(self, transfer_id: int) -> Transfer | None:
        if not 0 < transfer_id < 2**63:
            return None
        row = self.conn.execute(select(transfer).where(transfer.c.id == transfer_id)).first()
        return _to_transfer(row) if row else None

    def accounts(self, names: Collection[str]) -> dict[str, Account]:
        out: dict[str, Account] = {}
        names = list(names)
        for i in range(0, len(names), CHUNK):
            for row in self.conn.execute(select(ledger_account).where(ledger_account.c.account.in_(names[i : i + CHUNK]))):
                out[row.account] = _to_account(row)
        return out

    def window(
        self,
        account: str,
        side: Side,
        *,
        after: Key | None,
        before: Key | None,
        currency: str | None,
        limit: int,
        descending: bool,
    ) -> list[Transfer]:
        col = transfer.c.src_account if side == "out" else transfer.c.dst_account
        q = select(transfer).where(col == account)
        # The range on ``at`` uses the adjacency index; the id breaks ties among equal times.
        if after is not None:
            t, i = utc(after[0]), after[1]
            q = q.where(transfer.c.at >= t, or_(transfer.c.at > t, transfer.c.id > i))
        if before is not None:
            t, i = utc(before[0]), before[1]
            q = q.where(transfer.c.at <= t, or_(transfer.c.at < t, transfer.c.id < i))
        if currency is not None:
            q = q.where(transfer.c.currency == currency)
        if descending:
            q = q.order_by(transfer.c.at.desc(), transfer.c.id.desc())
        else:
            q = q.order_by(transfer.c.at, transfer.c.id)
        return [_to_transfer(r) for r in self.conn.execute(q.limit(limit))]


class SqlLedgerStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def snapshot(self) -> Iterator[_Reader]:
        with self.engine.connect() as conn, conn.begin():
            yield _Reader(conn)

    def get_transfer(self, transfer_id: int) -> Transfer | None:
        with self.snapshot() as r:
            return r.get_transfer(transfer_id)

    def accounts(self, names: Collection[str]) -> dict[str, Account]:
        with self.snapshot() as r:
            return r.accounts(names)

    def window(
        self,
        account: str,
        side: Side,
        *,
        after: Key | None,
        before: Key | None,
        currency: str | None,
        limit: int,
        descending: bool,
    ) -> list[Transfer]:
        with self.snapshot() as r:
            return r.window(account, side, after=after, before=before, currency=currency, limit=limit, descending=descending)

    def write(
        self, source: str, transfers: Sequence[TransferDraft], accounts: Sequence[AccountDraft], progress: Progress | None
    ) -> tuple[int, int]:
        with begin_write(self.engine) as conn:
            return insert_transfers(conn, source, transfers, accounts, progress)


def insert_transfers(
    conn: Connection,
    source: str,
    transfers: Sequence[TransferDraft],
    accounts: Sequence[AccountDraft],
    progress: Progress | None = None,
    *,
    known_new: bool = False,
) -> tuple[int, int]:
    """Store transfers and what they say about their accounts in the caller's transaction; return
    (inserted, duplicates). The one place transfer rows are built and inserted: imports call it
    through :meth:`SqlLedgerStore.write`, the guard in the transaction that stores its decisions.

    ``known_new``: the caller knows none of the ids is stored, so they are not looked up (the
    guard's ids are event ids whose events this transaction has just added). Were one stored after
    all, the unique index refuses the insert and the transaction fails: nothing is counted twice.
    """
    inserted = duplicates = 0
    _write_accounts(conn, accounts)
    for start in range(0, len(transfers), INSERT_CHUNK):
        batch = transfers[start : start + INSERT_CHUNK]
        existing: set[str] = set()
        ids = [d.external_id for d in batch]
        if not known_new:
            for i in range(0, len(ids), CHUNK):
                existing.update(conn.execute(_KNOWN_IDS, {"source": source, "ids": ids[i : i + CHUNK]}).scalars())
        rows = [_transfer_row(source, d) for d in batch if d.external_id not in existing]
        if rows:
            conn.execute(_ADD_TRANSFERS, rows[0] if len(rows) == 1 else rows)
        inserted += len(rows)
        duplicates += len(batch) - len(rows)
        if progress is not None:
            progress(start + len(batch))
    return inserted, duplicates


def _account_values(a: AccountDraft) -> dict[str, Any]:
    return {
        "kind": a.kind.value,
        "name": a.name[:200] if a.name else None,
        "bank": a.bank[:200] if a.bank else None,
        "label_fraud": a.label_fraud,
    }


def _write_accounts(conn: Connection, drafts: Sequence[AccountDraft]) -> None:
    merged: dict[str, AccountDraft] = {}
    for a in drafts:
        merged[a.account] = merge_account(merged.get(a.account), a)
    stored = _stored_accounts(conn, list(merged))
    new_rows = [{"account": a.account, **_account_values(a)} for a in merged.values() if a.account not in stored]
    # Guard decisions are written concurrently: an account another transaction has just added is
    # skipped by the insert and merged below like any stored account, rather than failing the write.
    add = _ADD_ACCOUNTS[conn.dialect.name]
    raced: list[str] = []
    for i in range(0, len(new_rows), INSERT_CHUNK):
        chunk = new_rows[i : i + INSERT_CHUNK]
        added = set(conn.execute(add, chunk[0] if len(chunk) == 1 else chunk).scalars())
        raced += [r["account"] for r in chunk if r["account"] not in added]
    stored.update(_stored_accounts(conn, raced))
    for a in merged.values():
        old = stored.get(a.account)
        if old is not None and (new := merge_account(old, a)) != old:
            conn.execute(update(ledger_account).where(ledger_account.c.account == a.account).values(**_account_values(new)))


def _stored_accounts(conn: Connection, names: Sequence[str]) -> dict[str, AccountDraft]:
    stored: dict[str, AccountDraft] = {}
    for i in range(0, len(names), CHUNK):
        for row in conn.execute(_STORED_ACCOUNTS, {"names": names[i : i + CHUNK]}):
            stored[row.account] = AccountDraft(row.account, AccountKind(row.kind), row.name, row.bank, row.label_fraud)
    return stored


def make_ledger(engine: Engine) -> LedgerService:
    return LedgerService(SqlLedgerStore(engine))


def transfers_frame(engine: Engine, since: datetime | None = None, until: datetime | None = None) -> dict[str, np.ndarray]:
    """Every transfer with ``since <= at < until`` in time order (by second, then id), as columns for the
    monitors: ``src``, ``dst`` (int32 codes into ``accounts``), ``amount_fen`` (int64), ``ts``
    (int64 epoch seconds, UTC), and ``accounts`` (the account strings, indexed by code). Amounts
    are in each transfer's own currency."""
    epoch = cast(extract("epoch", transfer.c.at), BigInteger)
    q = select(transfer.c.id, transfer.c.src_account, transfer.c.dst_account, transfer.c.amount_fen, epoch)
    conds = []
    if since is not None:
        conds.append(transfer.c.at >= utc(since))
    if until is not None:
        conds.append(transfer.c.at < utc(until))
    if conds:
        q = q.where(and_(*conds))
    codes: dict[str, int] = {}
    code = codes.setdefault
    parts: dict[str, list[np.ndarray]] = {"id": [], "src": [], "dst": [], "amount_fen": [], "ts": []}
    # Read in storage order and sort here: a database sort of millions of rows costs more.
    with engine.connect() as conn:
        for chunk in conn.execution_options(yield_per=200_000).execute(q).partitions():
            ids, srcs, dsts, amounts, stamps = zip(*chunk, strict=True)
            n = len(ids)
            parts["id"].append(np.fromiter(ids, dtype=np.int64, count=n))
            parts["src"].append(np.fromiter((code(a, len(codes)) for a in srcs), dtype=np.int32, count=n))
            parts["dst"].append(np.fromiter((code(a, len(codes)) for a in dsts), dtype=np.int32, count=n))
            parts["amount_fen"].append(np.fromiter(amounts, dtype=np.int64, count=n))
            parts["ts"].append(np.fromiter(stamps, dtype=np.int64, count=n))
    dtypes = {"id": np.int64, "src": np.int32, "dst": np.int32, "amount_fen": np.int64, "ts": np.int64}
    cols = {k: np.concatenate(v) if v else np.zeros(0, dtype=dtypes[k]) for k, v in parts.items()}
    order = np.lexsort((cols["id"], cols["ts"]))
    accounts = np.empty(len(codes), dtype=object)
    for name, c in codes.items():
        accounts[c] = name
    return {
        "src": cols["src"][order],
        "dst": cols["dst"][order],
        "amount_fen": cols["amount_fen"][order],
        "ts": cols["ts"][order],
        "accounts": accounts,
    }
