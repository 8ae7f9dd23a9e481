"""SQL storage of the fund-flow ledger (#5), and the columnar view the pattern monitors read.

Times are stored in UTC: SQLite keeps the wall-clock text of a datetime and drops its zone, so
every time is converted to UTC before it is written or compared.

Every transfer row is built and inserted by :func:`insert_transfers` (``SqlLedgerStore.write``
calls it; so must any other writer): it fills the integer columns the monitors read (``src`` /
``dst`` account codes, ``ts`` epoch seconds) beside the strings the trace reads, and it
serialises transfer writers so ids become visible in increasing order (see
``db.serialize_ledger_writers``): a reader that has seen every id up to ``n`` never sees a
smaller one later, which the monitors' cursor and the in-process mirror rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, case, exists, func, insert, literal_column, or_, select, update

from finguard.core.clock import aware
from finguard.core.columns import read_int_columns
from finguard.core.db import (
    COPY_FROM,
    any_of,
    begin_write,
    dialect_insert,
    grew,
    insert_rows,
    is_sqlite,
    select_in,
    serialize_ledger_writers,
    snapshot_connection,
    unnest_insert,
    unnest_worth,
)
from finguard.ledger.model import FRAME_CURRENCIES, Account, AccountDraft, AccountKind, Transfer, TransferDraft
from finguard.ledger.service import BatchResult, BatchWrite, Key, Progress, Side, merge_account
from finguard.ledger.store.tables import ledger_account, ledger_account_code, transfer, transfer_sighting

CHUNK = 500
INSERT_CHUNK = 5000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FRAME_DTYPES = {"id": np.int64, "src": np.int32, "dst": np.int32, "amount_fen": np.int64, "ts": np.int64, "currency": np.int32}
# Each transfer's currency as its position in ``FRAME_CURRENCIES`` (0: another one), for the
# monitors, which compare amounts in one reporting currency (#12).
# (The columns reader renders only integer parameters: the fixed codes are SQL literals.)
_CURRENCY_CODE = case(
    *[(transfer.c.currency == literal_column(f"'{code}'"), i) for i, code in enumerate(FRAME_CURRENCIES) if code.isalpha()], else_=0
).label("currency")
# Built once per dialect: the guard writes through these on every payment it lets through, and
# building a statement (and its cache key) costs more than running it on SQLite (#19).
_BUILT: dict[tuple[bool, str], Any] = {}


def _built(conn: Connection, name: str, make: Callable[[Connection], Any]) -> Any:
    key = (is_sqlite(conn), name)  # the two stores finguard runs on build different statements
    found = _BUILT.get(key)
    if found is None:
        found = _BUILT[key] = make(conn)
    return found


def _known_ids(conn: Connection) -> Any:
    return select(transfer.c.external_id, transfer.c.typology).where(
        transfer.c.source == bindparam("source"), any_of(conn, transfer.c.external_id, "ids")
    )


def _head(conn: Connection, table: Any, columns: Sequence[str]) -> tuple[str, str]:
    """``SELECT columns FROM table`` and the quoted ``account`` column, for :func:`select_in`."""
    prep = conn.dialect.identifier_preparer
    return f"SELECT {', '.join(prep.quote(c) for c in columns)} FROM {prep.format_table(table)}", prep.quote("account")


# A duplicate that names the typology the stored transfer lacks (AMLworld's patterns file after
# its transactions CSV) adds it, and its memo where the stored one has none.
_ADD_TYPOLOGY = (
    update(transfer)
    .where(transfer.c.source == bindparam("b_source"), transfer.c.external_id == bindparam("b_id"), transfer.c.typology.is_(None))
    .values(typology=bindparam("b_typology"), memo=func.coalesce(transfer.c.memo, bindparam("b_memo")))
)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def epoch_seconds(value: datetime) -> int:
    """The floor of ``value`` in seconds since 1970-01-01 UTC (``transfer.ts``)."""
    return (value - EPOCH) // timedelta(seconds=1)


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


def _transfer_row(source: str, d: TransferDraft, codes: dict[str, int]) -> dict[str, Any]:
    at = utc(d.at)
    return {
        "external_id": d.external_id,
        "source": source,
        "src_account": d.src_account,
        "dst_account": d.dst_account,
        "amount_fen": d.amount_fen,
        "currency": d.currency,
        "at": at,
        "channel": d.channel,
        "memo": d.memo,
        "src_name": d.src_name[:200] if d.src_name else None,
        "dst_name": d.dst_name[:200] if d.dst_name else None,
        "dst_bank": d.dst_bank[:200] if d.dst_bank else None,
        "balance_after_fen": d.balance_after_fen,
        "label_laundering": d.label_laundering,
        "typology": d.typology,
        "src": codes[d.src_account],
        "dst": codes[d.dst_account],
        "ts": epoch_seconds(at),
    }


def account_codes(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    """The integer code of each account string, giving new ones theirs (in the order given)."""
    wanted = list(dict.fromkeys(names))
    codes: dict[str, int] = {}
    c = ledger_account_code.c
    head, column = _built(conn, "codes", lambda b: _head(b, ledger_account_code, ("account", "code")))
    for i in range(0, len(wanted), CHUNK):
        codes.update((account, int(code)) for account, code in select_in(conn, head, column, wanted[i : i + CHUNK]))
    missing = [{"account": a} for a in wanted if a not in codes]
    for i in range(0, len(missing), INSERT_CHUNK):
        q = _built(conn, "new_codes", lambda _: insert(ledger_account_code).returning(c.account, c.code, sort_by_parameter_order=True))
        codes.update((r.account, int(r.code)) for r in conn.execute(q, missing[i : i + INSERT_CHUNK]))
    grew(conn, "ledger_account_code", len(missing))
    return codes


class _Reader:
    """Reads over one connection, so a whole trace sees one snapshot."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._balances: bool | None = None  # whether any statement row shows a balance (asked once)

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

    def balance_before(self, account: str, before: Key, currency: str) -> int:
        """The nearest statement balance before ``before`` plus the transfers since; without one,
        the first statement balance after it minus the transfers up to it (a statement's opening
        balance is its first 余额 less its first row); without any, earlier transfers in minus out."""
        c = transfer.c
        at, tid = utc(before[0]), before[1]
        earlier = or_(c.at < at, (c.at == at) & (c.id < tid))
        if not self._any_balances():  # a ledger of transfer files alone: no anchor to look for
            return max(self._net(account, currency, earlier), 0)
        anchor = self._anchor(account, currency, earlier, descending=True)
        if anchor is not None:
            balance, (a_at, a_id) = anchor
            since = or_(c.at > a_at, (c.at == a_at) & (c.id > a_id))
            return max(balance + self._net(account, currency, earlier, since), 0)
        anchor = self._anchor(account, currency, ~earlier, descending=False)
        if anchor is not None:
            balance, (a_at, a_id) = anchor
            upto = or_(c.at < a_at, (c.at == a_at) & (c.id <= a_id))
            return max(balance - self._net(account, currency, ~earlier, upto), 0)
        return max(self._net(account, currency, earlier), 0)

    def _any_balances(self) -> bool:
        """Whether any statement row (own or seen from the other side) shows a balance: without
        one, the two anchor lookups of every account a trace reaches are skipped."""
        if self._balances is None:
            c, v = transfer.c, transfer_sighting.c
            q = select(
                # statement rows only, found through the (source, external_id) index: "statement;"
                # is the first string after every "statement:..." one
                exists(select(c.id).where(c.source >= STATEMENT_SOURCE, c.source < "statement;", c.balance_after_fen.is_not(None)))
                | exists(select(v.id).where(v.balance_after_fen.is_not(None)))
            )
            self._balances = bool(self.conn.execute(q).scalar())
        return self._balances

    def _anchor(self, account: str, currency: str, where: Any, *, descending: bool) -> tuple[int, Key] | None:
        """The balance a statement of the account showed after a transfer matching ``where``: the last (or first)."""
        c, v = transfer.c, transfer_sighting.c
        own = select(c.at, c.id, c.balance_after_fen.label("balance")).where(
            c.source == STATEMENT_SOURCE + account, c.balance_after_fen.is_not(None), c.currency == currency, where
        )
        seen = (
            select(c.at, c.id, v.balance_after_fen.label("balance"))
            .join(transfer, c.id == v.transfer_id)
            .where(v.account == account, v.balance_after_fen.is_not(None), c.currency == currency, where)
        )
        order = (c.at.desc(), c.id.desc()) if descending else (c.at, c.id)
        found = [(aware_utc(r.at), int(r.id), int(r.balance)) for q in (own, seen) for r in self.conn.execute(q.order_by(*order).limit(1))]
        if not found:
            return None
        pick = max(found) if descending else min(found)
        return pick[2], (pick[0], pick[1])

    def _net(self, account: str, currency: str, *where: Any) -> int:
        """The account's transfers matching ``where``: in minus out."""
        c = transfer.c
        net = 0
        for col, sign in ((c.dst_account, 1), (c.src_account, -1)):
            q = select(func.coalesce(func.sum(c.amount_fen), 0)).where(col == account, c.currency == currency, *where)
            net += sign * int(self.conn.execute(q).scalar_one())
        return net

    def observed(self, account: str) -> bool:
        c = transfer.c
        q = select(
            exists(select(c.id).where(c.src_account == account, ~c.source.startswith(STATEMENT_SOURCE, autoescape=True)))
            | exists(select(c.id).where(c.source == STATEMENT_SOURCE + account))
            | exists(select(transfer_sighting.c.id).where(transfer_sighting.c.account == account))
        )
        return bool(self.conn.execute(q).scalar())


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

    def balance_before(self, account: str, before: Key, currency: str) -> int:
        with self.snapshot() as r:
            return r.balance_before(account, before, currency)

    def observed(self, account: str) -> bool:
        with self.snapshot() as r:
            return r.observed(account)

    def write(
        self, source: str, transfers: Sequence[TransferDraft], accounts: Sequence[AccountDraft], progress: Progress | None = None
    ) -> BatchResult:
        """Store in one transaction."""
        with begin_write(self.engine) as conn:
            return insert_transfers(conn, source, transfers, accounts, progress)

    @contextmanager
    def batches(self, source: str) -> Iterator[BatchWrite]:
        """An import's transaction (``LedgerWriter``): each call stores one batch in it."""
        with begin_write(self.engine) as conn:
            yield lambda transfers, accounts: insert_transfers(conn, source, transfers, accounts)


def insert_transfers(
    conn: Connection,
    source: str,
    transfers: Sequence[TransferDraft],
    accounts: Sequence[AccountDraft],
    progress: Progress | None = None,
    *,
    known_new: bool = False,
) -> BatchResult:
    """Store transfers and what they say about their accounts in the caller's transaction. A
    duplicate naming a typology the stored transfer lacks adds it (it still counts as a
    duplicate). A statement's transfer already stored from the other account's statement is
    recorded as seen, not stored again (:func:`pair_other_side`). The one place transfer rows
    are built and inserted: imports call it through :meth:`SqlLedgerStore.batches`, the guard in
    the transaction that stores its decisions.

    On PostgreSQL this takes the ledger writers' lock until the transaction ends, so call it
    late in a longer transaction. ``known_new``: the caller knows none of the ids is stored, so
    they are not looked up (the guard's ids are event ids whose events this transaction has just
    added). Were one stored after all, the unique index refuses the insert and the transaction
    fails: nothing is counted twice.
    """
    _write_accounts(conn, accounts)
    serialize_ledger_writers(conn)
    statement = source.startswith(STATEMENT_SOURCE)
    inserted = duplicates = paired = 0
    ambiguous: list[tuple[str, str]] = []
    for start in range(0, len(transfers), INSERT_CHUNK):
        batch = transfers[start : start + INSERT_CHUNK]
        existing: dict[str, str | None] = {}
        ids = [d.external_id for d in batch]
        if not known_new:
            known, sighted = _built(conn, "known_ids", _known_ids), _built(conn, "sighted_ids", _sighted_ids)
            for i in range(0, len(ids), CHUNK):
                existing.update((r[0], r[1]) for r in conn.execute(known, {"source": source, "ids": ids[i : i + CHUNK]}))
                if statement:
                    existing.update((r[0], "") for r in conn.execute(sighted, {"source": source, "ids": ids[i : i + CHUNK]}))
        fresh: list[TransferDraft] = []
        typologies: list[dict[str, Any]] = []
        for d in batch:
            if d.external_id not in existing:
                existing[d.external_id] = d.typology
                fresh.append(d)
            elif d.typology is not None and existing[d.external_id] is None:
                existing[d.external_id] = d.typology
                typologies.append({"b_source": source, "b_id": d.external_id, "b_typology": d.typology, "b_memo": d.memo})
        if typologies:
            conn.execute(_ADD_TYPOLOGY, typologies)
        duplicates += len(batch) - len(fresh)
        if statement and fresh:
            fresh, seen, unsure = pair_other_side(conn, source, fresh)
            paired += seen
            ambiguous += unsure
        if fresh:
            codes = account_codes(conn, [a for d in fresh for a in (d.src_account, d.dst_account)])
            rows = [_transfer_row(source, d, codes) for d in fresh]
            if unnest_worth(conn, rows) and len(rows) < COPY_FROM:
                # PostgreSQL, a few rows (the guard's batches): one short statement the driver
                # prepares, not an executemany of one INSERT a row (#19)
                unnest_insert(conn, transfer, rows)
            else:
                insert_rows(conn, transfer, rows)
            if not known_new:  # the next chunks look their ids up in what this one added
                grew(conn, "transfer", len(rows))
        inserted += len(fresh)
        if progress is not None:
            progress(start + len(batch))
    return BatchResult(inserted, duplicates, paired, tuple(ambiguous))


STATEMENT_SOURCE = "statement:"
PAIR_TOLERANCE = timedelta(minutes=30)  # two banks' times of one real-time transfer
DATE_ONLY_TOLERANCE = timedelta(days=1)  # a statement that shows the date alone (booked at local midnight)
_CHINA = timezone(timedelta(hours=8))
def _sighted_ids(conn: Connection) -> Any:
    return select(transfer_sighting.c.external_id).where(
        transfer_sighting.c.source == bindparam("source"), any_of(conn, transfer_sighting.c.external_id, "ids")
    )


def _date_only(at: datetime) -> bool:
    local = at.astimezone(_CHINA)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def _close(a: datetime, b: datetime) -> bool:
    if _date_only(a) or _date_only(b):
        return abs(a.astimezone(_CHINA).date() - b.astimezone(_CHINA).date()) <= DATE_ONLY_TOLERANCE
    return abs(a - b) <= PAIR_TOLERANCE


def pair_other_side(
    conn: Connection, source: str, drafts: Sequence[TransferDraft]
) -> tuple[list[TransferDraft], int, list[tuple[str, str]]]:
    """One transfer, seen from both sides. The rule: a row of account X's statement is the
    transfer already stored from another source (the other account's statement) when both name
    the same payer and payee accounts (so the counterparty's account number must be on the row),
    the same amount and currency, and times within ``PAIR_TOLERANCE`` (30 minutes; when either
    side shows only a date, the dates at most a day apart), and the stored transfer is not yet
    seen by X's statement. Of several such transfers, and of several rows of the batch wanting one,
    the nearest in time pairs when it is nearest both ways with no tie; anything else is
    *ambiguous*: the row is stored apart and listed, never guessed. A paired row is recorded in
    ``transfer_sighting`` with the balance it showed. Returns (rows to store, paired, ambiguous)."""
    own = source[len(STATEMENT_SOURCE) :]
    c = transfer.c
    seen_here = exists(select(transfer_sighting.c.id).where(transfer_sighting.c.transfer_id == c.id, transfer_sighting.c.source == source))
    options: dict[int, list[tuple[timedelta, int]]] = {}
    for n, d in enumerate(drafts):
        at = utc(d.at)
        q = select(c.id, c.at).where(
            c.src_account == d.src_account,
            c.dst_account == d.dst_account,
            c.amount_fen == d.amount_fen,
            c.currency == d.currency,
            c.at >= at - DATE_ONLY_TOLERANCE - timedelta(days=1),
            c.at <= at + DATE_ONLY_TOLERANCE + timedelta(days=1),
            c.source != source,
            ~seen_here,
        )
        found = [(abs(aware_utc(r.at) - at), int(r.id)) for r in conn.execute(q) if _close(aware_utc(r.at), at)]
        if found:
            options[n] = sorted(found)
    wanted: dict[int, list[tuple[timedelta, int]]] = {}
    for n, found in options.items():
        for gap, tid in found:
            wanted.setdefault(tid, []).append((gap, n))
    keep: list[TransferDraft] = []
    sightings: list[dict[str, Any]] = []
    ambiguous: list[tuple[str, str]] = []
    for n, d in enumerate(drafts):
        choices = options.get(n)
        if not choices:
            keep.append(d)
            continue
        gap, tid = choices[0]
        claims = sorted(wanted[tid])
        tie = (len(choices) > 1 and choices[1][0] == gap) or (len(claims) > 1 and claims[1][0] == claims[0][0])
        if tie or claims[0][1] != n:
            others = ", ".join(str(t) for _g, t in choices[:5])
            ambiguous.append((d.external_id, f"could be stored transfer {others} (seen by another statement); stored apart, not guessed"))
            keep.append(d)
            continue
        balance = d.balance_after_fen
        sightings.append({"transfer_id": tid, "source": source, "external_id": d.external_id, "account": own, "balance_after_fen": balance})
    if sightings:
        conn.execute(insert(transfer_sighting), sightings)
    return keep, len(sightings), ambiguous


def aware_utc(value: datetime) -> datetime:
    found = aware(value)
    assert found is not None
    return found.astimezone(UTC)


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
    add = _built(
        conn,
        "new_accounts",
        lambda b: (
            dialect_insert(b, ledger_account)
            .on_conflict_do_nothing(index_elements=[ledger_account.c.account])
            .returning(ledger_account.c.account)
        ),
    )
    raced: list[str] = []
    for i in range(0, len(new_rows), INSERT_CHUNK):
        chunk = new_rows[i : i + INSERT_CHUNK]
        added = set(conn.execute(add, chunk[0] if len(chunk) == 1 else chunk).scalars())
        raced += [r["account"] for r in chunk if r["account"] not in added]
    grew(conn, "ledger_account", len(new_rows))
    stored.update(_stored_accounts(conn, raced))
    for a in merged.values():
        old = stored.get(a.account)
        if old is not None and (new := merge_account(old, a)) != old:
            conn.execute(update(ledger_account).where(ledger_account.c.account == a.account).values(**_account_values(new)))


def _stored_accounts(conn: Connection, names: Sequence[str]) -> dict[str, AccountDraft]:
    stored: dict[str, AccountDraft] = {}
    head, column = _built(conn, "stored_accounts", lambda b: _head(b, ledger_account, ("account", "kind", "name", "bank", "label_fraud")))
    for i in range(0, len(names), CHUNK):
        for account, kind, name, bank, label in select_in(conn, head, column, names[i : i + CHUNK]):
            # the driver's value: SQLite keeps a boolean as 0 / 1
            stored[account] = AccountDraft(account, AccountKind(kind), name, bank, None if label is None else bool(label))
    return stored


def transfers_frame(engine: Engine, since: datetime | None = None, until: datetime | None = None) -> dict[str, np.ndarray]:
    """Every transfer with ``since <= at < until`` in time order (by second, then id), as
    columns for the monitors: ``id`` (int64), ``src``, ``dst`` (int32 codes into ``accounts``),
    ``amount_fen`` (int64), ``ts`` (int64 epoch seconds, UTC), and ``accounts`` (the account
    string of each code; codes no transfer uses hold None), and ``currency`` (int32, the position
    of each transfer's currency in ``model.FRAME_CURRENCIES``, 0 for another). Amounts are in each
    transfer's own currency: the monitors convert them. The bounds are compared to the second, like ``ts`` (cut to whole seconds).

    Reads one snapshot, integers only, through ``store.columns``: 32 bytes a transfer once
    returned, about twice that while it reads."""
    cols, accounts = read_transfers(engine, since=since, until=until)
    return {**cols, "accounts": accounts}


def read_transfers(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int | None = None,
    codes_from: int = 0,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The columns of ``transfers_frame`` (also only ``id > after_id``), and the account strings
    of codes ``codes_from`` and up (position ``i`` holds code ``codes_from + i``), from one snapshot."""
    c = transfer.c
    q = select(c.id, c.src, c.dst, c.amount_fen, c.ts, _CURRENCY_CODE)
    if since is not None:
        q = q.where(c.ts >= epoch_seconds(since))
    if until is not None:
        q = q.where(c.ts < epoch_seconds(until))
    if after_id is not None:
        q = q.where(c.id > after_id)
    with snapshot_connection(engine) as conn:
        cols = read_int_columns(conn, q, FRAME_DTYPES, c.id)
        accounts = account_names(conn, codes_from)
    return sort_frame(cols), accounts


def sort_frame(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns in time order, ties by id (skips the sort when they already are)."""
    ts, ids = cols["ts"], cols["id"]
    if len(ts) < 2:
        return cols
    dt = np.diff(ts)
    if ((dt > 0) | ((dt == 0) & (np.diff(ids) > 0))).all():
        return cols
    order = np.lexsort((ids, ts))
    return {k: v[order] for k, v in cols.items()}


def account_names(conn: Connection, start: int = 0) -> np.ndarray:
    """The account string of every code from ``start`` on (position ``i`` holds code
    ``start + i``; None where no code was given)."""
    c = ledger_account_code.c
    top = conn.execute(select(func.max(c.code))).scalar()
    names = np.full(max(int(top or 0) + 1 - start, 0), None, dtype=object)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(f"SELECT code, account FROM ledger_account_code WHERE code >= {int(start)}")
        while rows := cur.fetchmany(65_536):
            codes, accounts = zip(*rows, strict=True)
            names[np.asarray(codes, dtype=np.int64) - start] = np.asarray(accounts, dtype=object)
    finally:
        cur.close()
    return names
