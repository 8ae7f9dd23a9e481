"""Engine creation, migrations and the few dialect differences, kept in one place."""

from __future__ import annotations

import operator
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Float, Table, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url

MIGRATIONS = Path(__file__).parents[1] / "migrations"
# Fewer rows than this go in one executemany INSERT even on PostgreSQL (COPY has a fixed cost).
COPY_FROM = 50


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error's text (logged) never quotes the values of a query.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # Let SQLAlchemy's begin event below emit BEGIN itself (the pysqlite recipe).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the write lock at BEGIN, so a writer never fails to upgrade a read
            # snapshot and two writers never interleave change-log sequences. Readers stay
            # deferred and, under WAL, never wait for a writer.
            if conn.get_execution_options().get("finguard_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def dialect_insert(bind: Engine | Connection, table: Table) -> Any:
    """An INSERT with the dialect's ``ON CONFLICT`` clauses (SQLite's or PostgreSQL's)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (sqlite_insert if is_sqlite(bind) else pg_insert)(table)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys) in the caller's transaction: PostgreSQL's
    ``COPY ... FROM STDIN`` (binary-free text protocol through psycopg, several times faster than
    multi-row INSERTs for bulk imports); SQLite's multi-row ``INSERT ... VALUES`` statements
    (:func:`values_insert`: not ``executemany``, whose per-row GIL hand-off convoys behind a busy
    server thread); an ``executemany`` INSERT for a few rows on PostgreSQL, and on SQLite when the
    rows leave out a column whose default SQLAlchemy computes. Values go through each column's own
    bind processing (a :class:`~finguard.core.tables.UTCDateTime` refuses a naive time here as it
    does in an INSERT). The table's defaults (an identity id) apply to the columns the rows leave
    out."""
    if not rows:
        return
    if is_sqlite(conn) and len(rows) > 1 and not _python_defaults_left_out(table, rows[0]):
        values_insert(conn, table, rows)
        return
    if is_sqlite(conn) or len(rows) < COPY_FROM:
        conn.execute(table.insert(), rows[0] if len(rows) == 1 else rows)
        return
    names = list(rows[0])
    dialect = conn.dialect
    procs: list[Any] = [table.c[n].type.bind_processor(dialect) for n in names]
    import psycopg
    from psycopg.types.json import Json
    from sqlalchemy.types import JSON

    for n, col in enumerate(names):  # JSON columns: psycopg's JSON dumper (SQLAlchemy leaves it to the driver)
        if isinstance(table.c[col].type, JSON) or isinstance(getattr(table.c[col].type, "impl", None), JSON):
            procs[n] = Json
    raw = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row([v if p is None or v is None else p(v) for v, p in zip((row[n] for n in names), procs, strict=True)])
    except psycopg.IntegrityError as exc:  # as an INSERT would raise it through SQLAlchemy
        from sqlalchemy.exc import IntegrityError

        raise IntegrityError(statement, None, exc) from exc


def reserve_ids(conn: Connection, table: Table, column: str, n: int) -> list[int]:
    """``n`` fresh values of ``table.column``'s own sequence (PostgreSQL ``nextval``), for rows a
    bulk writer inserts with explicit ids (their children and change-log rows are built before
    the insert). SQLite: the next ``n`` after the largest stored value (call it under the write
    lock, as the bulk writers do)."""
    if n <= 0:
        return []
    if is_sqlite(conn):
        start = int(conn.execute(text(f"SELECT coalesce(max({column}), 0) + 1 FROM {table.name}")).scalar_one())
        return list(range(start, start + n))
    # One row holding an array: fetching 50,000 one-value rows cost the client ~50 ms per call.
    values = conn.execute(
        text("SELECT array_agg(v ORDER BY v) FROM (SELECT nextval(pg_get_serial_sequence(:t, :c)) AS v FROM generate_series(1, :n)) s"),
        {"t": table.name, "c": column, "n": n},
    ).scalar_one()
    return [int(v) for v in values]


def insert_ids(conn: Connection, table: Table, rows: list[dict[str, Any]], column: str = "id") -> list[int]:
    """Insert ``rows`` (all with the same keys) and return their new ``column`` values, in order.

    SQLite, and a few rows anywhere: one ``INSERT ... RETURNING``. PostgreSQL with many rows: the
    ids reserved from the column's sequence (:func:`reserve_ids`) and the rows written with COPY
    (:func:`insert_rows`). A multi-row ``INSERT ... RETURNING`` of a thousand rows has thousands
    of placeholders, and the driver parses that text on the client for every statement, which
    cost more than the rows (#19: a list import's client CPU fell by two thirds without it)."""
    if not rows:
        return []
    if is_sqlite(conn) or len(rows) < COPY_FROM:
        result = conn.execute(table.insert().returning(table.c[column], sort_by_parameter_order=True), rows)
        return [int(r[0]) for r in result]
    ids = reserve_ids(conn, table, column, len(rows))
    insert_rows(conn, table, [{**row, column: new} for row, new in zip(rows, ids, strict=True)])
    return ids


def copy_field(value: str) -> str:
    """``value`` as a field of PostgreSQL's COPY text format (backslash, tab, newline and carriage
    return escaped), for :func:`copy_lines`."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_lines(conn: Connection, table: Table, columns: list[str], lines: list[str]) -> None:
    """Write rows already formatted as COPY text lines (tab-separated fields, each through
    :func:`copy_field`, ``\\N`` for NULL, a newline at the end of each) into ``table``'s
    ``columns`` in the caller's transaction, with one ``COPY ... FROM STDIN`` (PostgreSQL only).

    For a bulk writer that builds its rows' text itself: no per-value Python conversion or
    per-row call into the driver. The text goes in a few large writes; the server parses and
    stores it as it arrives. A constraint violation raises SQLAlchemy's ``IntegrityError``, as an
    INSERT would."""
    if not lines:
        return
    import psycopg

    raw = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
    prep = conn.dialect.identifier_preparer
    statement = f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) FROM STDIN"
    step = 2000  # lines per write (~1-2 MB)
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for start in range(0, len(lines), step):
                copy.write("".join(lines[start : start + step]))
    except psycopg.IntegrityError as exc:
        from sqlalchemy.exc import IntegrityError

        raise IntegrityError(statement, None, exc) from exc


_UNNEST: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}
# Rows from which :func:`unnest_insert` costs less client CPU than an INSERT: one row goes faster
# as a plain INSERT (an array per column costs more to dump than the row's values). Measured with the
# guard's events and decisions (#19, bench/guard/profile-19.md): 1 row 0.51 -> 0.59 ms a row,
# 2 rows 0.35 -> 0.31, 8 rows 0.14 -> 0.11, 200 rows 0.074 -> 0.033.
UNNEST_FROM = 2


def unnest_worth(conn: Connection, rows: list[dict[str, Any]]) -> bool:
    """Whether :func:`unnest_insert` is the cheaper way to insert ``rows``: PostgreSQL, and
    :data:`UNNEST_FROM` rows or more."""
    return len(rows) >= UNNEST_FROM and not is_sqlite(conn)


def insert_batch(conn: Connection, table: Table, statement: Any, rows: list[dict[str, Any]], **unnest: Any) -> list[Any]:
    """Insert ``rows`` by :func:`unnest_insert` where that is cheaper (:func:`unnest_worth`), by
    :func:`values_insert` on SQLite (several rows, nothing returned, no Python-side default left
    out), else by ``statement`` (the table's own INSERT, executed for one row or many); the values of
    ``unnest``'s ``returning`` column come back either way when ``statement`` returns them too."""
    if unnest_worth(conn, rows):
        return unnest_insert(conn, table, rows, **unnest)
    if len(rows) > 1 and not unnest and is_sqlite(conn) and not _python_defaults_left_out(table, rows[0]):
        values_insert(conn, table, rows)
        return []
    result = conn.execute(statement, rows[0] if len(rows) == 1 else rows)
    return list(result.scalars()) if unnest.get("returning") else []


# Rows per statement of :func:`execute_values`: SQLite takes up to 32,766 bound values a statement
# (3.32 and later); a few hundred rows keep each statement's text short and the GIL's hand-offs few.
VALUES_ROWS = 500
SQLITE_MAX_VALUES = 32_000
_VALUES: dict[tuple[str, str, int, int, str], str] = {}


def execute_values(conn: Connection, head: str, rows: Sequence[Sequence[Any]], *, tail: str = "") -> int:
    """Run ``head VALUES (..), (..), ... tail`` for ``rows`` (tuples of the driver's own values, all
    of one width), a few hundred rows a statement, in the caller's transaction; returns the rows sent.

    Not ``executemany``: the sqlite3 module releases the GIL around every row's step, and a thread
    that must take the GIL back from a busy event loop waits up to the switch interval (5 ms) each
    time. The check log's and the audit log's writers, and the guard's decision writes, fell ever
    further behind a loaded server that way (#19: measured 5,000 rows in 5.6 s beside a busy thread,
    against 10 ms alone; as one statement per 500 rows, 75 ms and 7 ms).

    PostgreSQL: PostgreSQL's own ``$n`` placeholders through a raw cursor (:func:`_pg_execute`)."""
    if not rows:
        return 0
    sqlite = is_sqlite(conn)
    for statement, params in _values_statements(conn, head, rows, tail):
        if sqlite:
            conn.exec_driver_sql(statement, params)
        else:
            _pg_execute(conn, statement, params)
    return len(rows)


def execute_values_returning(conn: Connection, head: str, rows: Sequence[Sequence[Any]], *, tail: str) -> list[Any]:
    """:func:`execute_values` with a ``RETURNING`` clause in ``tail``: the first column of every row
    the statements return (for an ``ON CONFLICT DO NOTHING``, the rows inserted)."""
    out: list[Any] = []
    sqlite = is_sqlite(conn)
    for statement, params in _values_statements(conn, head, rows, tail):
        if sqlite:
            out += conn.exec_driver_sql(statement, params).scalars()
        else:
            out += [r[0] for r in _pg_execute(conn, statement, params, fetch=True)]
    return out


def _pg_execute(conn: Connection, statement: str, params: tuple[Any, ...], *, fetch: bool = False) -> list[Any]:
    """One statement with ``$n`` placeholders on the connection's psycopg connection, in its
    transaction, by psycopg's ``RawCursor``: the query goes to the server as it is.

    psycopg's ordinary cursor rewrites ``%s`` placeholders into ``$n`` in Python, with a regular
    expression, and caches the result only for short statements: a 500-row statement of 7 columns
    was parsed anew each time into ~10,000 tracked objects (a match, a tuple and a part for each
    placeholder). That took ~13 ms of the writer's CPU (1.4 ms as ``$n``) and, as those objects
    outlived a dozen young collections each time, moved thousands a statement into the oldest
    generation: a server on PostgreSQL ran a full collection every ~0.7 s under load (#19, stop 21:
    21-22 a 15 s round at 5x, against 1-2 on SQLite). Errors reach the caller as SQLAlchemy's."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    raw = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
    try:
        with psycopg.RawCursor(raw) as cur:
            cur.execute(statement, params)
            return cur.fetchall() if fetch else []
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, hide_parameters=True) from exc


_IN: dict[tuple[str, str, int], str] = {}


def select_in(conn: Connection, head: str, column: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The driver's rows (plain tuples, the driver's own values: SQLite's 0/1 for a boolean) of
    ``head WHERE column IN (values)``, in the caller's transaction: on SQLite an ``IN`` list of
    ``?`` (its text made once per count, :data:`VALUES_ROWS` values a statement), on PostgreSQL
    ``column = ANY($1)`` with the values as one array (one text: psycopg prepares it). ``head`` and
    ``column`` are SQL text (quoted names), never values.

    For small lookups on a hot path (the guard's ledger accounts, #19): a SQLAlchemy ``select``
    with an expanding ``IN`` compiles its parameters anew on every call and wraps every row, which
    cost more than the query on SQLite. Errors reach the caller as SQLAlchemy's."""
    if not values:
        return []
    if not is_sqlite(conn):
        return _pg_execute(conn, f"{head} WHERE {column} = ANY($1)", (list(values),), fetch=True)
    from sqlalchemy.exc import DBAPIError

    raw = cast(sqlite3.Connection, conn.connection.dbapi_connection)
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), VALUES_ROWS):
        part = tuple(values[start : start + VALUES_ROWS])
        key = (head, column, len(part))
        statement = _IN.get(key)
        if statement is None:
            if len(_IN) > 4096:
                _IN.clear()
            statement = _IN[key] = f"{head} WHERE {column} IN ({', '.join(['?'] * len(part))})"
        try:
            out += raw.execute(statement, part).fetchall()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error, hide_parameters=True) from exc
    return out


def _values_statements(conn: Connection, head: str, rows: Sequence[Sequence[Any]], tail: str) -> Iterator[tuple[str, tuple[Any, ...]]]:
    width = len(rows[0])
    sqlite = is_sqlite(conn)
    mark = "?" if sqlite else "$"
    per = max(1, min(VALUES_ROWS, SQLITE_MAX_VALUES // max(width, 1))) if sqlite else VALUES_ROWS
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        key = (head, tail, width, len(part), mark)
        statement = _VALUES.get(key)
        if statement is None:
            if sqlite:
                one = "(" + ", ".join([mark] * width) + ")"
                values = ", ".join([one] * len(part))
            else:  # $1, $2, ...: PostgreSQL's own placeholders (_pg_execute)
                values = ", ".join("(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(len(part)))
            statement = _VALUES[key] = f"{head} VALUES {values}{tail}"
            if len(_VALUES) > 4096:  # sizes of the last statement vary: keep the cache small
                _VALUES.clear()
        yield statement, tuple(chain.from_iterable(part))


def _python_defaults_left_out(table: Table, row: dict[str, Any]) -> bool:
    # a column the rows leave out whose default SQLAlchemy computes (a raw INSERT would store NULL)
    return any(c.name not in row and c.default is not None for c in table.c)


def bind_processors(dialect: Dialect, table: Table, names: Sequence[str]) -> list[Any]:
    """Each named column's own bind processing (None: the value goes as it is), as SQLAlchemy's
    INSERT applies it: the one way a bulk path writes a value (a time above all) the ORM's way.

    The dialect's own type, as SQLAlchemy's INSERT binds it: SQLite's DATETIME writes the naive UTC
    text with microseconds ("2024-01-01 00:00:00.000000"); the generic type left the datetime to the
    sqlite3 module, which wrote "2024-01-01 00:00:00+00:00", text that sorts apart."""
    return [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]


def values_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) by :func:`execute_values`, each value through its
    column's own bind processing (:func:`bind_processors`), as SQLAlchemy's INSERT would send it."""
    names = list(rows[0])
    dialect = conn.dialect
    procs = bind_processors(dialect, table, names)
    prep = dialect.identifier_preparer
    head = f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)})"
    # None too goes through its processor, as in an INSERT (a JSON column stores None as JSON null).
    # Only the columns that have one are processed, in place (#19: a generator over every value of
    # every row cost more than the processing).
    if len(names) == 1:
        values: list[Any] = [[r[names[0]]] for r in rows]
    else:
        pick = operator.itemgetter(*names)
        values = [list(pick(r)) for r in rows]
    processed = [(i, p) for i, p in enumerate(procs) if p is not None]
    for v in values:
        for i, p in processed:
            v[i] = p(v[i])
    execute_values(conn, head, values)


def _array_processor(type_: Any, dialect: Any) -> Any:
    """A column's bind processing for :func:`unnest_insert`. An array's elements are all of one
    type: a float column's ints are sent as floats (the value PostgreSQL's cast of the int would
    store: the nearest double)."""
    proc = type_.dialect_impl(dialect).bind_processor(dialect)
    if isinstance(type_, Float):
        if proc is None:
            return lambda v: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
        return lambda v: proc(float(v) if isinstance(v, int) and not isinstance(v, bool) else v)
    return proc


def unnest_insert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], *, conflict: tuple[str, ...] = (), returning: str | None = None
) -> list[Any]:
    """PostgreSQL: insert ``rows`` (all with the same keys) with one statement whose text does not
    depend on how many rows there are: each column's values go as one array,
    ``INSERT ... SELECT * FROM unnest(%s::type[], ...)``, optionally ``ON CONFLICT (conflict) DO
    NOTHING`` and ``RETURNING returning`` (the values of the rows inserted). Returns those values
    (an empty list without ``returning``).

    A multi-row ``INSERT ... VALUES`` (SQLAlchemy's executemany) has a text per number of rows with
    a placeholder per value, which the driver parses on the client for every statement (it caches
    only short ones) and the server plans anew; this text is short and the same every time, so the
    driver parses it once and the server prepares it. Values go through each column's own bind
    processing, as in an INSERT. Database errors are SQLAlchemy's, as from ``conn.execute``."""
    if not rows:
        return []
    names = list(rows[0])
    dialect = conn.dialect
    key = (table.name, tuple(names), conflict, returning, dialect.name)
    found = _UNNEST.get(key)
    if found is None:
        prep = dialect.identifier_preparer
        arrays = ", ".join(f"%b::{table.c[n].type.dialect_impl(dialect).compile(dialect=dialect)}[]" for n in names)
        statement = f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)}) SELECT * FROM unnest({arrays})"
        if conflict:
            statement += f" ON CONFLICT ({', '.join(prep.quote(c) for c in conflict)}) DO NOTHING"
        if returning:
            statement += f" RETURNING {prep.quote(returning)}"
        found = statement, [_array_processor(table.c[n].type, dialect) for n in names]
        _UNNEST[key] = found
    statement, procs = found
    columns = tuple([r[n] for r in rows] if p is None else [p(r[n]) for r in rows] for n, p in zip(names, procs, strict=True))
    result = conn.exec_driver_sql(statement, columns)
    return list(result.scalars()) if returning else []


def any_of(bind: Engine | Connection, column: Any, name: str) -> Any:
    """``column IN (:name...)`` for a list bound as ``name``: on PostgreSQL ``column = ANY(:name)``
    with the list sent as one array (one statement text whatever the list's length, so the driver
    neither rewrites nor re-prepares it per call), an expanding ``IN`` elsewhere."""
    from sqlalchemy import any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    if is_sqlite(bind):
        return column.in_(bindparam(name, expanding=True))
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def serialize_writers(conn: Connection) -> None:
    """Make change-log writers commit in sequence order.

    A follower reads ``seq > last_seen``; if two PostgreSQL transactions could commit their
    sequences out of order, a follower could skip one for ever. One transaction-scoped advisory
    lock serialises list writers. SQLite's BEGIN IMMEDIATE already does.
    """
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(7238411)"))


def serialize_ledger_writers(conn: Connection) -> None:
    """Make transfer ids become visible in increasing order.

    The monitors' cursor and the ledger mirror read ``transfer.id > last``. PostgreSQL hands out
    ids from a sequence when a row is inserted, so without this a transaction could commit id
    10 after another committed id 11 had been read, and 10 would be skipped for ever. One
    transaction-scoped advisory lock (its own key, not the list writers') serialises transfer
    writers, like ``serialize_writers`` does for the change log. SQLite's single writer already
    does. The cost: PostgreSQL transfer writers wait for one another, so a writer should insert
    its transfers late in its transaction.
    """
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(7238412)"))


def serialize_monitor_writers(conn: Connection) -> None:
    """One monitor save at a time, so two runs over the same transfers cannot both find an
    alert new and store it twice (SQLite's BEGIN IMMEDIATE already serialises them)."""
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(7238413)"))


ANALYZE_AFTER = 5_000  # rows written in one transaction before the first refresh of the planner's statistics


def grew(conn: Connection, table: str, rows: int) -> None:
    """Count ``rows`` just written to ``table`` in this connection's transaction and refresh
    PostgreSQL's statistics of it (``ANALYZE``, which sees the transaction's own rows) each time
    the rows written double, from :data:`ANALYZE_AFTER` on: a few refreshes per million rows.

    A bulk import looks rows up in the table it is filling. With the statistics of the empty table
    the planner scans the whole table for each lookup (seen: 0.5 s per 500 ids at 20,000 rows,
    a 100,000-row import 20 times slower than on SQLite), and autovacuum may be off or late.
    SQLite's planner uses the index without statistics."""
    if is_sqlite(conn) or rows <= 0:
        return
    key = f"finguard_grown_{table}"
    txn = id(conn.get_transaction())
    seen, written, next_at = conn.info.get(key, (txn, 0, ANALYZE_AFTER))
    if seen != txn:  # a new transaction counts from zero
        written, next_at = 0, ANALYZE_AFTER
    written += rows
    if written >= next_at:
        conn.execute(text(f"ANALYZE {table}"))
        next_at = 2 * written
    conn.info[key] = (txn, written, next_at)


def notify_change(conn: Connection, seq: int) -> None:
    """Wake followers in other processes at once (PostgreSQL); they poll otherwise."""
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_notify('finguard_changes', :seq)"), {"seq": str(seq)})


_REVISION = re.compile(r"""^revision\s*=\s*["']([^"']+)["']""", re.M)
_DOWN = re.compile(r"""^down_revision\s*=\s*(?:["']([^"']+)["']|None)""", re.M)


def head_revisions() -> set[str]:
    """The newest revision(s), read from the migration files' text (``revision = "…"`` and
    ``down_revision = "…"``) without importing Alembic or the migrations."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        body = f.read_text(encoding="utf-8")
        if (rev := _REVISION.search(body)) is None:
            continue
        revisions.add(rev.group(1))
        if (down := _DOWN.search(body)) is not None and down.group(1):
            parents.add(down.group(1))
    return revisions - parents


def at_head(engine: Engine) -> bool:
    """Whether the database already stands at the single newest revision: the usual case for a
    command, which then pays nothing for Alembic."""
    heads = head_revisions()
    if len(heads) != 1:
        return False
    try:
        with engine.connect() as conn:
            stamped = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # no version table yet (a new database): Alembic creates it
        return False
    return stamped == heads


MIGRATION_LOCK = 7238400  # PostgreSQL advisory lock key of schema upgrades


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision.

    Processes that start at once (``serve --workers N`` after an upgrade) take turns: the write
    lock at BEGIN on SQLite, a transaction-scoped advisory lock on PostgreSQL, both before Alembic
    reads the stamped revision. The first migrates; the others then find the database at head
    (two migrating at once had created the same table twice, and one worker failed to start)."""
    if at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with begin_write(engine) as conn:
        if not is_sqlite(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def redact_url(message: str, url: str) -> str:
    """``message`` without the password of the database ``url``: a driver's error may quote its
    connection string (libpq's parse errors quote the fragment they stopped at)."""
    from urllib.parse import quote, quote_plus

    password = make_url(url).password
    if password:
        for form in {str(password), quote(str(password), safe=""), quote_plus(str(password))}:
            message = message.replace(form, "***")
    return message


class NotAFileDatabase(ValueError):
    """The SQLite database is in memory: there is no file whose ``data_version`` could be read."""


class PgNotifyWaiter:
    """Wakes the change follower on ``pg_notify('finguard_changes')`` (PostgreSQL LISTEN)."""

    def __init__(self, url: str) -> None:
        import psycopg

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn = psycopg.connect(conninfo, autocommit=True)
        try:
            self._conn.execute("LISTEN finguard_changes")
        except Exception:  # the caller falls back to polling: leave no connection open behind
            self.close()
            raise

    def wait(self, timeout: float) -> None:
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # noqa: S110 - closing a broken connection has nothing to report
            pass


class SqliteVersionWaiter:
    """Wakes the change follower when another connection commits to the SQLite file.

    SQLite has no notifications; ``PRAGMA data_version`` on a connection of our own changes
    whenever any other connection (of this process or another) has committed since the last
    read. Reading it costs microseconds, where reading the change log through the store costs
    about a millisecond, so the follower can look every ``interval`` and read the log only when
    something was written (and, to confirm it is current, at its own slower pace).

    ``watch`` (a query of one value, such as the change log's newest sequence): wake only when
    its answer changes too. Every commit to the file changes ``data_version``, the guard's
    decisions included (hundreds a second); the follower needs only the change log's (#19).
    A watch query that fails wakes the follower, as a change would.
    """

    def __init__(self, url: str, interval: float, *, watch: str | None = None) -> None:
        database = make_url(url).database
        if not database or database == ":memory:":
            raise NotAFileDatabase("an in-memory SQLite database has no file to watch")
        if not Path(database).exists():
            raise ValueError("the SQLite database file is not found by its path")
        self.interval = interval
        self._conn: sqlite3.Connection | None = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()  # closing a connection another thread is reading crashes sqlite3
        self._stop = threading.Event()
        self._watch = watch
        try:
            self._version = self._read()
            self._watched = self._read_watched()
        except Exception:  # the caller falls back to polling: leave no connection open behind
            self.close()
            raise

    def _read(self) -> int:
        with self._lock:
            if self._conn is None:
                raise RuntimeError("the data_version connection is closed")
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _read_watched(self) -> object:
        if self._watch is None:
            return None
        with self._lock:
            if self._conn is None:
                raise RuntimeError("the data_version connection is closed")
            row = self._conn.execute(self._watch).fetchone()
            return row[0] if row else None

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            version = self._read()
            if version != self._version:
                self._version = version
                if self._watch is None:
                    return
                try:
                    watched = self._read_watched()
                except sqlite3.Error:
                    return  # cannot tell: wake, as any change would
                if watched != self._watched:
                    self._watched = watched
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._stop.wait(min(self.interval, remaining))

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


@contextmanager
def snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """A read transaction in which every statement sees the same snapshot: SQLite's deferred
    transaction under WAL already does; PostgreSQL needs REPEATABLE READ (read committed takes
    a new snapshot per statement)."""
    conn = engine.connect()
    if not is_sqlite(engine):
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin():
        yield conn


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite it takes the write lock at BEGIN, so it waits for another
    writer (busy timeout) instead of failing to upgrade a read snapshot ("database is locked")."""
    with engine.connect().execution_options(finguard_write=True) as conn, conn.begin():
        yield conn
