"""Integer columns out of a query, by the fastest honest path of each database.

The pattern monitors read millions of rows of a few integers; the SQLAlchemy row machinery
costs more than the database itself. This module is the one place that knows how each dialect
hands them over quickly:

* SQLite: the raw DB-API cursor, ``fetchmany`` of ``arraysize`` rows, flattened by
  ``np.fromiter`` (the tuples are made by the driver in C; no per-row Python code of ours).
* PostgreSQL: ``COPY (SELECT array_agg(c1), array_agg(c2), ... FROM (query)) TO STDOUT (FORMAT
  binary)`` through psycopg, one statement per chunk of ``chunk_by`` (e.g. a million ids), each
  array parsed with one NumPy dtype. A plain binary COPY sends one message per row and psycopg
  hands each to Python (~1.6 µs a row); one aggregated row per chunk costs the server about as
  much as COPY itself and the client nothing. Two connections share the work (the second
  imports the first one's snapshot, ``pg_export_snapshot``), so the server scans on both cores.

Every selected column must be a non-NULL integer whose PostgreSQL type (``int4`` / ``int8``)
matches the NumPy dtype asked for (int32 / int64); a NULL or another width raises. Bound values
are rendered into the statement (COPY takes no parameters), so only integers are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, ClauseElement, ColumnElement, Connection, Integer, Select, cast, func, select, text

from finguard.core.db import is_sqlite

SQLITE_ARRAYSIZE = 65_536
PG_CHUNK = 1 << 20  # rows (values of ``chunk_by``) per statement
PG_WORKERS = 2
PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
PG_WIDTH = {np.dtype(np.int32): 4, np.dtype(np.int64): 8}
PG_TYPE = {np.dtype(np.int32): Integer(), np.dtype(np.int64): BigInteger()}


def read_int_columns(
    conn: Connection, query: Select[Any], dtypes: Mapping[str, Any], chunk_by: ColumnElement[int], *, workers: int = PG_WORKERS
) -> dict[str, np.ndarray]:
    """Run ``query`` and return its columns as arrays, named and typed by ``dtypes`` (in the
    order the query selects them), in no particular row order.

    ``chunk_by`` is an indexed integer column of the query's table (its primary key) that splits
    the work on PostgreSQL. ``conn`` must be in a transaction that sees one snapshot
    (``db.snapshot_connection``)."""
    names = [c.name for c in query.selected_columns]
    if names != list(dtypes):
        raise ValueError(f"the query selects {names}, the dtypes name {list(dtypes)}")
    compiled = query.compile(dialect=conn.dialect)
    bad = [k for k, v in compiled.params.items() if type(v) is not int]
    if bad:
        raise ValueError(f"only integer parameters can be rendered into the statement: {bad}")
    sql = _literal(conn, query)
    columns = [(name, np.dtype(dtype)) for name, dtype in dtypes.items()]
    if is_sqlite(conn):
        return _sqlite(conn, sql, columns)
    return _postgres(conn, query, columns, chunk_by, workers)


def _empty(columns: Sequence[tuple[str, np.dtype[Any]]]) -> dict[str, np.ndarray]:
    return {name: np.zeros(0, dtype=dtype) for name, dtype in columns}


def _sqlite(conn: Connection, sql: str, columns: Sequence[tuple[str, np.dtype[Any]]]) -> dict[str, np.ndarray]:
    width = len(columns)
    parts: list[list[np.ndarray]] = [[] for _ in columns]
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.arraysize = SQLITE_ARRAYSIZE
        cur.execute(sql)
        while rows := cur.fetchmany():
            flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width).reshape(len(rows), width)
            for i, (_, dtype) in enumerate(columns):
                parts[i].append(flat[:, i].astype(dtype))
    finally:
        cur.close()
    return {name: np.concatenate(p) if p else np.zeros(0, dtype) for (name, dtype), p in zip(columns, parts, strict=True)}


def _literal(conn: Connection, query: ClauseElement) -> str:
    return str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _postgres(
    conn: Connection, query: Select[Any], columns: Sequence[tuple[str, np.dtype[Any]]], chunk_by: ColumnElement[int], workers: int
) -> dict[str, np.ndarray]:
    lo, hi = conn.execute(query.with_only_columns(func.min(chunk_by), func.max(chunk_by))).one()
    if lo is None:
        return _empty(columns)
    inner = query.subquery()
    aggregated = select(*[func.array_agg(cast(inner.c[name], PG_TYPE[dtype])) for name, dtype in columns])
    chunks = []
    for start in range(int(lo) - 1, int(hi), PG_CHUNK):
        part = aggregated.select_from(inner).where(inner.c[chunk_by.name] > start, inner.c[chunk_by.name] <= start + PG_CHUNK)
        chunks.append(_literal(conn, part))
    main = conn.connection.dbapi_connection
    if workers < 2 or len(chunks) < 2:
        results = [_copy_arrays(main, sql, columns) for sql in chunks]
    else:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        helper = conn.engine.raw_connection()
        try:
            helper_conn = helper.driver_connection
            _import_snapshot(helper_conn, snapshot)
            lanes = [main, helper_conn]
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(_lane, lanes[k], chunks[k::2], columns) for k in range(2)]
                by_lane = [f.result() for f in futures]
            results = [r for lane in by_lane for r in lane]
        finally:
            helper.rollback()
            helper.driver_connection.isolation_level = None  # type: ignore[union-attr]
            helper.close()
    return {
        name: np.concatenate([r[i] for r in results]).astype(dtype, copy=False) if results else np.zeros(0, dtype)
        for i, (name, dtype) in enumerate(columns)
    }


def _import_snapshot(dbapi_conn: Any, snapshot: str) -> None:
    """Start a transaction on ``dbapi_conn`` that sees exactly the exported ``snapshot``."""
    import psycopg
    from psycopg import sql as pgsql

    dbapi_conn.rollback()
    dbapi_conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    # SET TRANSACTION SNAPSHOT must be the first statement of the (repeatable read) transaction.
    dbapi_conn.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(snapshot)))


def _lane(dbapi_conn: Any, chunks: Sequence[str], columns: Sequence[tuple[str, np.dtype[Any]]]) -> list[list[np.ndarray]]:
    return [_copy_arrays(dbapi_conn, sql, columns) for sql in chunks]


def _copy_arrays(dbapi_conn: Any, sql: str, columns: Sequence[tuple[str, np.dtype[Any]]]) -> list[np.ndarray]:
    """Run one aggregated statement through binary COPY; return its arrays (big-endian views)."""
    from psycopg import sql as pgsql

    buf = bytearray()
    with dbapi_conn.cursor() as cur, cur.copy(pgsql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(pgsql.SQL(sql))) as copy:
        for data in copy:
            buf += data
    view = memoryview(buf)
    if bytes(view[:11]) != PG_SIGNATURE:
        raise ValueError("not a binary COPY stream")
    off = 19 + int.from_bytes(view[15:19], "big")
    if int.from_bytes(view[off : off + 2], "big", signed=True) != len(columns):
        raise ValueError("binary COPY row has an unexpected number of fields")
    off += 2
    out: list[np.ndarray] = []
    for name, dtype in columns:
        length = int.from_bytes(view[off : off + 4], "big", signed=True)
        off += 4
        if length < 0:  # array_agg over no rows is NULL
            out.append(np.zeros(0, dtype))
            continue
        out.append(_array(view[off : off + length], name, dtype))
        off += length
    return out


def _array(data: memoryview, name: str, dtype: np.dtype[Any]) -> np.ndarray:
    """A one-dimensional binary PostgreSQL array without NULLs: header, then (length, value) pairs."""
    ndim, has_null, _oid = np.frombuffer(data, ">i4", 3)
    if ndim == 0:
        return np.zeros(0, dtype)
    if ndim != 1 or has_null:
        raise ValueError(f"column {name} holds NULL")
    size = int(np.frombuffer(data, ">i4", 1, 12)[0])
    width = PG_WIDTH[dtype]
    pairs = np.frombuffer(data, np.dtype([("len", ">i4"), ("v", f">i{width}")]), size, 20)
    if not (pairs["len"] == width).all():
        raise ValueError(f"column {name} holds a value of another width")
    return pairs["v"].astype(dtype)
