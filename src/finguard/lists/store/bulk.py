"""A fast add-only loader for benchmarks and very large feeds.

:func:`bulk_load` writes the same rows as :meth:`SqlListStore.apply` does for ``add`` operations:
one ``list_entry`` row, its ``entry_identifier`` / ``entry_name`` rows and one ``change_log`` row
per entry, with the same snapshot (built by the shared :func:`change_snapshot` and
:func:`entry_postings`). On SQLite it skips the ORM-level per-row work: ids and sequences are
allocated up front under the write lock, rows are written with the DB-API ``executemany`` in
one transaction per ``batch`` entries, and a few PRAGMAs that only matter for the bulk
connection (cache size, temporary storage in memory) are set on a private connection.
``synchronous`` stays NORMAL, as on every connection (it had been OFF here: a power cut or an
operating-system crash could damage the database file; with WAL and NORMAL it may lose only the
last commits). Other databases
reserve ids from the tables' sequences and write every row with COPY, as text the loader formats
itself from one serialisation of each draft; a writer thread stores batch k while the caller's
thread builds batch k + 1, so the server's work overlaps the client's (:func:`_pg_load`).

Each batch is one transaction: entries and their change-log rows commit together, so followers
always see whole entries. A failure leaves earlier batches committed. The loader only adds: a key
already on the list fails the batch (use the importer for diffs, modifications and delistings).
Running processes pick the new entries up through the change log like any other change.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from finguard.core.chain import GENESIS, canonical, link, utc_text
from finguard.core.clock import utcnow
from finguard.core.db import copy_field, copy_lines, is_sqlite, notify_change, reserve_ids
from finguard.core.errors import Conflict, NotFound
from finguard.lists.model.lists import ChangeOp, EntryDraft, RiskList, draft_to_dict
from finguard.lists.store.repo import SqlListStore, chain_head, change_snapshot, entry_postings
from finguard.lists.store.tables import change_data, change_log, entry_identifier, entry_name, list_entry, risk_list

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BulkReport:
    list_code: str
    added: int
    first_seq: int | None
    last_seq: int | None
    seconds: float

    @property
    def per_second(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


def _batches(items: Iterable[EntryDraft], size: int) -> Iterator[list[EntryDraft]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def bulk_load(
    engine: Engine,
    list_code: str,
    drafts_iter: Iterable[EntryDraft],
    actor: str,
    batch: int = 50_000,
    progress: Progress | None = None,
) -> BulkReport:
    """Add every draft to ``list_code``; ``progress(n)`` is called with the running count after each batch."""
    store = SqlListStore(engine)
    lst = store.get_list(list_code)
    if lst is None:
        raise NotFound(f"no list with code {list_code!r}")
    started = time.perf_counter()
    if is_sqlite(engine):
        added, first, last = _sqlite_load(engine, store, lst, drafts_iter, actor, batch, progress)
    else:
        added, first, last = _pg_load(engine, store, lst, drafts_iter, actor, batch, progress)
    return BulkReport(list_code, added, first, last, time.perf_counter() - started)


# -- the SQLite path ----------------------------------------------------------------------


def _fast_draft_dict(d: EntryDraft) -> dict[str, Any] | None:
    """``draft_to_dict(d)`` without ``dataclasses.asdict``'s deep copy (10x faster); None if unsure.

    Checked against :func:`draft_to_dict` on the first draft of every batch; any difference
    switches the loader to the domain function, so a new field can never be silently dropped.
    """
    if d.extra:
        return None
    p = d.party
    return {
        "key": d.key,
        "subject": str(d.subject),
        "identifiers": [{"type": str(i.type), "value": i.value} for i in d.identifiers],
        "party": None
        if p is None
        else {
            "names": list(p.names),
            "birth_dates": list(p.birth_dates),
            "nationalities": list(p.nationalities),
            "countries": list(p.countries),
            "gender": p.gender,
        },
        "risk_level": int(d.risk_level) if d.risk_level is not None else None,
        "reason": d.reason,
        "source": d.source,
        "evidence_ref": d.evidence_ref,
        "listed_at": d.listed_at.isoformat() if d.listed_at else None,
        "expires_at": d.expires_at.isoformat() if d.expires_at else None,
        "extra": {},
    }


def _hash_of(data: dict[str, Any]) -> str:
    """``EntryDraft.content_hash`` from an already-built ``draft_to_dict`` (checked per batch)."""
    content = {k: v for k, v in data.items() if k != "key"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


_Built = tuple[list[tuple[EntryDraft, dict[str, Any], str, int]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def _build(chunk: list[EntryDraft], lst: RiskList, fast: bool) -> tuple[bool, _Built]:
    """The costly part of a batch (JSON, hashes, keys, snapshots), built before the write lock is
    taken, with entry ids relative to the batch (0, 1, ...), so concurrent loaders overlap it.
    Returns whether the fast draft serialisation still agrees with the domain's, and
    (drafts with their data, content hash and level; snapshots; identifier rows; name rows)."""
    if fast:
        sample = chunk[0]
        sample_data = _fast_draft_dict(sample)
        fast = sample_data == draft_to_dict(sample) and _hash_of(sample_data) == sample.content_hash()
    built: list[tuple[EntryDraft, dict[str, Any], str, int]] = []
    snapshots: list[dict[str, Any]] = []
    id_rows: list[dict[str, Any]] = []
    name_rows: list[dict[str, Any]] = []
    for n, draft in enumerate(chunk):
        data = _fast_draft_dict(draft) if fast else None
        if data is None:
            data = draft_to_dict(draft)
            content_hash = draft.content_hash()
        else:
            content_hash = _hash_of(data)
        id_keys, names = entry_postings(n, draft, id_rows, name_rows)
        snapshots.append(change_snapshot(data, draft, lst, 1, None, "", id_keys, names))
        built.append((draft, data, content_hash, int(draft.risk_level or lst.default_level)))
    return fast, (built, snapshots, id_rows, name_rows)


_ENTRY_COLUMNS = [
    "id", "list_id", "entry_key", "subject", "risk_level", "primary_name", "data", "content_hash",
    "listed_at", "expires_at", "version", "created_seq", "updated_seq",
]  # fmt: skip
_LOG_COLUMNS = ["seq", "at", "actor", "op", "list_code", "entry_id", "entry_key", "snapshot", "prev_hash", "row_hash"]


def _dumps(value: Any) -> str:
    """JSON as :func:`finguard.core.chain.canonical` writes it (sorted keys, no spaces, not ASCII-escaped)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pg_time(value: datetime | None) -> str:
    """A timestamptz field (a naive time refused, as :class:`~finguard.core.tables.UTCDateTime` does)."""
    if value is None:
        return "\\N"
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a naive datetime cannot be stored; give it a time zone")
    return value.astimezone(UTC).isoformat()


@dataclass(slots=True)
class _PgBatch:
    """A batch built before the writers' lock, as text: per entry its key as JSON, its list_entry
    line from ``entry_key`` to ``version`` and the canonical JSON of its change-log snapshot; the
    identifier and name lines after their ``entry_id`` with the entry's place in the batch."""

    keys: list[str]
    entry_heads: list[str]
    snapshots: list[str]
    id_rows: list[tuple[int, str]]
    name_rows: list[tuple[int, str]]
    first_snapshot: dict[str, Any]  # the first entry's snapshot as the domain builds it (to check the chain's text)


def _pg_texts(draft: EntryDraft, lst: RiskList, fast: bool, id_keys: list[int], name_keys: list[str]) -> tuple[str, str, str]:
    """A draft's stored data, content hash and change-log snapshot as text. The fast way serialises
    the draft once (canonical JSON) and cuts the content hash's text and the snapshot's from it;
    the domain's way (a draft with ``extra`` data, or ``fast`` off) builds each from its dict."""
    level = int(draft.risk_level or lst.default_level)
    data = _fast_draft_dict(draft) if fast else None
    if data is None:
        full = draft_to_dict(draft)
        snapshot = canonical(change_snapshot(full, draft, lst, 1, None, "", id_keys, name_keys)).decode()
        return _dumps(full), draft.content_hash(), snapshot
    text = _dumps(data)
    # Sorted keys put "key" after "identifiers" (objects of "type" and "value" only): its first
    # occurrence is the draft's own key.
    content = hashlib.sha256(text.replace(f'"key":{json.dumps(draft.key, ensure_ascii=False)},', "", 1).encode()).hexdigest()
    snapshot = (
        f'{{"delist_reason":null,"delisted_at":null,"draft":{text},"id_keys":[{",".join(map(str, id_keys))}],'
        f'"list_kind":{json.dumps(lst.kind.value)},"name_keys":{_dumps(name_keys)},"note":"","risk_level":{level},"version":1}}'
    )
    return text, content, snapshot


def _pg_fast_agrees(draft: EntryDraft, lst: RiskList) -> bool:
    """Whether :func:`_pg_texts`' fast way gives exactly the domain's data, content hash and
    canonical snapshot for ``draft``."""
    data = _fast_draft_dict(draft)
    if data is None or data != draft_to_dict(draft):
        return False
    id_keys, name_keys = entry_postings(0, draft, [], [])
    text, content, snapshot = _pg_texts(draft, lst, True, id_keys, name_keys)
    domain = canonical(change_snapshot(data, draft, lst, 1, None, "", id_keys, name_keys)).decode()
    return json.loads(text) == data and content == draft.content_hash() and snapshot == domain


def _pg_build(chunk: list[EntryDraft], lst: RiskList, fast: bool) -> tuple[bool, _PgBatch]:
    """The batch's costly part for PostgreSQL, built before the lock (concurrent loaders overlap
    it). The fast way is checked on the first entry of every batch against the domain's
    functions (:func:`draft_to_dict`, ``content_hash``, :func:`change_snapshot`, the chain's
    canonical JSON); any difference switches the load to the domain's way."""
    if fast:
        fast = _pg_fast_agrees(chunk[0], lst)
    batch = _PgBatch([], [], [], [], [], {})
    field = copy_field
    for n, draft in enumerate(chunk):
        ids: list[dict[str, Any]] = []
        names: list[dict[str, Any]] = []
        id_keys, name_keys = entry_postings(n, draft, ids, names)
        text, content, snapshot = _pg_texts(draft, lst, fast, id_keys, name_keys)
        if n == 0:
            batch.first_snapshot = change_snapshot(draft_to_dict(draft), draft, lst, 1, None, "", id_keys, name_keys)
        level = int(draft.risk_level or lst.default_level)
        primary = field(draft.party.primary_name[:500]) if draft.party else "\\N"
        batch.entry_heads.append(
            f"{field(draft.key)}\t{draft.subject.value}\t{level}\t{primary}\t{field(text)}\t{content}"
            f"\t{_pg_time(draft.listed_at)}\t{_pg_time(draft.expires_at)}\t1\t"
        )
        batch.keys.append(json.dumps(draft.key, ensure_ascii=False))
        batch.snapshots.append(snapshot)
        batch.id_rows.extend((n, f"\t{field(r['id_type'])}\t{field(r['id_value'])}\t{r['id_key']}\n") for r in ids)
        batch.name_rows.extend((n, f"\t{field(r['name'])}\t{field(r['name_key'])}\n") for r in names)
    return fast, batch


def _pg_load(
    engine: Engine,
    store: SqlListStore,
    lst: RiskList,
    drafts_iter: Iterable[EntryDraft],
    actor: str,
    batch: int,
    progress: Progress | None,
) -> tuple[int, int | None, int | None]:
    """PostgreSQL: each batch in one transaction under the list writers' lock, ids and sequence
    numbers reserved from the tables' own sequences, every row written with COPY as text the loader
    formats itself (:func:`finguard.core.db.copy_lines`). The same rows as :meth:`SqlListStore.apply`.

    Batch k is stored by a writer thread while the caller's thread builds batch k + 1, so the
    server's work (on another core) overlaps the client's Python: the writer mostly waits for the
    server, without the GIL. A failing batch stops the load: the batches before it stay
    committed, the one built meanwhile is dropped."""
    fast = True
    added = 0
    first_seq: int | None = None
    last_seq: int | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-pg") as writer:
        pending: tuple[Future[list[int]], int] | None = None
        for chunk in _batches(drafts_iter, batch):
            fast, built = _pg_build(chunk, lst, fast)
            if pending is not None:
                seqs, added = pending[0].result(), added + pending[1]
                first_seq, last_seq = first_seq if first_seq is not None else seqs[0], seqs[-1]
                if progress is not None:
                    progress(added)
            pending = (writer.submit(_pg_store, store, lst, chunk, built, actor), len(chunk))
        if pending is not None:
            seqs, added = pending[0].result(), added + pending[1]
            first_seq, last_seq = first_seq if first_seq is not None else seqs[0], seqs[-1]
            if progress is not None:
                progress(added)
    return added, first_seq, last_seq


def _pg_store(store: SqlListStore, lst: RiskList, chunk: list[EntryDraft], built: _PgBatch, actor: str) -> list[int]:
    """Write one built batch in one transaction; returns its change-log sequence numbers."""
    op = ChangeOp.ADD.value
    actor_json = json.dumps(actor, ensure_ascii=False)
    code_json = json.dumps(lst.code, ensure_ascii=False)
    now = utcnow()
    at_hash = utc_text(now)
    log_tail = f"\t{_pg_time(now)}\t{copy_field(actor)}\t{op}\t{copy_field(lst.code)}\t"
    count = len(chunk)
    try:
        with store.write() as conn:
            list_id = int(conn.execute(select(risk_list.c.id).where(risk_list.c.code == lst.code)).scalar_one())
            ids = reserve_ids(conn, list_entry, "id", count)
            seqs = reserve_ids(conn, change_log, "seq", count)
            prev = chain_head(conn)
            # The first row's hash through core.chain's own functions: the text below must agree.
            expect = link(prev, change_data(now, actor, op, lst.code, ids[0], chunk[0].key, built.first_snapshot))
            entries: list[str] = []
            logs: list[str] = []
            sha = hashlib.sha256
            for n in range(count):
                eid, seq, snapshot = ids[n], seqs[n], built.snapshots[n]
                changed = (
                    f'{prev}\n{{"actor":{actor_json},"at":"{at_hash}","entry_id":{eid},"entry_key":{built.keys[n]},'
                    f'"list_code":{code_json},"op":"{op}","snapshot":{snapshot}}}'
                )
                row_hash = sha(changed.encode()).hexdigest()
                if n == 0 and row_hash != expect:
                    raise RuntimeError("bulk load: the change log's hash text disagrees with core.chain's")
                entries.append(f"{eid}\t{list_id}\t{built.entry_heads[n]}{seq}\t{seq}\n")
                logs.append(f"{seq}{log_tail}{eid}\t{copy_field(chunk[n].key)}\t{copy_field(snapshot)}\t{prev}\t{row_hash}\n")
                prev = row_hash
            copy_lines(conn, list_entry, _ENTRY_COLUMNS, entries)
            id_columns = ["entry_id", "id_type", "id_value", "id_key"]
            copy_lines(conn, entry_identifier, id_columns, [f"{ids[n]}{t}" for n, t in built.id_rows])
            copy_lines(conn, entry_name, ["entry_id", "name", "name_key"], [f"{ids[n]}{t}" for n, t in built.name_rows])
            copy_lines(conn, change_log, _LOG_COLUMNS, logs)
            notify_change(conn, seqs[-1])
    except IntegrityError as exc:
        raise Conflict(f"bulk load of list {lst.code!r} failed, a key is already on the list: {exc.orig}") from exc
    return seqs


def _sqlite_load(
    engine: Engine,
    store: SqlListStore,
    lst: RiskList,
    drafts_iter: Iterable[EntryDraft],
    actor: str,
    batch: int,
    progress: Progress | None,
) -> tuple[int, int | None, int | None]:
    dialect = engine.dialect
    as_json = list_entry.c.data.type.dialect_impl(dialect).bind_processor(dialect)
    as_time = list_entry.c.listed_at.type.dialect_impl(dialect).bind_processor(dialect)
    snap_json = change_log.c.snapshot.type.dialect_impl(dialect).bind_processor(dialect)
    assert as_json is not None and snap_json is not None

    def when(value: datetime | None) -> Any:
        return as_time(value) if (as_time is not None and value is not None) else value

    fast = True
    added = 0
    first_seq: int | None = None
    last_seq: int | None = None
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        # Bulk-only settings; the connection is discarded afterwards, never returned to the pool.
        cur.execute("PRAGMA cache_size=-2000000")  # 2 GB of page cache for the index B-trees
        cur.execute("PRAGMA temp_store=MEMORY")
        for chunk in _batches(drafts_iter, batch):
            now = utcnow()
            at = when(now)
            fast, (raw_built, snapshots, id_rows, name_rows) = _build(chunk, lst, fast)
            built = [
                (draft, as_json(data), content_hash, level, snap_json(snapshots[n]))
                for n, (draft, data, content_hash, level) in enumerate(raw_built)
            ]
            cur.execute("BEGIN IMMEDIATE")
            try:
                (list_id,) = cur.execute("SELECT id FROM risk_list WHERE code = ?", (lst.code,)).fetchone()
                (next_id,) = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM list_entry").fetchone()
                (next_seq,) = cur.execute("SELECT coalesce(max(seq), 0) + 1 FROM change_log").fetchone()
                entries = [
                    (
                        next_id + n,
                        list_id,
                        draft.key,
                        draft.subject.value,
                        level,
                        draft.party.primary_name[:500] if draft.party else None,
                        data_json,
                        content_hash,
                        when(draft.listed_at),
                        when(draft.expires_at),
                        next_seq + n,
                        next_seq + n,
                    )
                    for n, (draft, data_json, content_hash, level, _snap) in enumerate(built)
                ]
                row = cur.execute("SELECT row_hash FROM change_log ORDER BY seq DESC LIMIT 1").fetchone()
                prev = (row[0] if row else None) or GENESIS
                logs = []
                for n, (draft, _data, _hash, _level, snap) in enumerate(built):
                    row_hash = link(prev, change_data(now, actor, ChangeOp.ADD.value, lst.code, next_id + n, draft.key, snapshots[n]))
                    logs.append((next_seq + n, at, actor, ChangeOp.ADD.value, lst.code, next_id + n, draft.key, snap, prev, row_hash))
                    prev = row_hash
                cur.executemany(
                    "INSERT INTO list_entry (id, list_id, entry_key, subject, risk_level, primary_name, data, content_hash,"
                    " listed_at, expires_at, delisted_at, delist_reason, version, created_seq, updated_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, ?, ?)",
                    entries,
                )
                cur.executemany(
                    "INSERT INTO entry_identifier (entry_id, id_type, id_value, id_key) VALUES (?, ?, ?, ?)",
                    [(r["entry_id"] + next_id, r["id_type"], r["id_value"], r["id_key"]) for r in id_rows],
                )
                if name_rows:
                    cur.executemany(
                        "INSERT INTO entry_name (entry_id, name, name_key) VALUES (?, ?, ?)",
                        [(r["entry_id"] + next_id, r["name"], r["name_key"]) for r in name_rows],
                    )
                cur.executemany(
                    "INSERT INTO change_log (seq, at, actor, op, list_code, entry_id, entry_key, snapshot, prev_hash, row_hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    logs,
                )
                cur.execute("COMMIT")
            except BaseException as exc:
                cur.execute("ROLLBACK")
                if type(exc).__name__ == "IntegrityError":
                    raise Conflict(f"bulk load of list {lst.code!r} failed, a key is already on the list: {exc}") from exc
                raise
            added += len(chunk)
            first_seq = first_seq if first_seq is not None else next_seq
            last_seq = next_seq + len(chunk) - 1
            if progress is not None:
                progress(added)
        cur.close()
    finally:
        raw.detach()  # keep the bulk PRAGMAs out of the pool
        raw.close()
    return added, first_seq, last_seq
