"""One multi-row INSERT on PostgreSQL, ``%s`` placeholders against ``$n`` (issue #19, stop 21).

The check log's and the audit log's writers send 500-row ``INSERT ... VALUES`` statements
(``finguard.core.db.execute_values``). psycopg's ordinary cursor rewrites ``%s`` into ``$n`` in
Python and caches that only for short statements; ``psycopg.RawCursor`` sends ``$n`` as it is.
Prints, for each, the client's milliseconds a statement and the garbage collections (by
generation) that 20 statements set off. ``python bench/scale/pg_values_gc.py URL`` (a libpq URL of
a database you own; a temporary table only).
"""

from __future__ import annotations

import datetime
import gc
import sys
import time
from typing import Any

import psycopg


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE TEMP TABLE t (a text, b timestamptz, c text, d text, e text, f text, g bigint)")
    now = datetime.datetime.now(datetime.UTC)
    rows = [(f"id{i}", now, "staff", "key:x", '{"account": "123"}', "pass", i) for i in range(500)]
    params = tuple(x for r in rows for x in r)
    one = "(" + ", ".join(["%s"] * 7) + ")"
    formatted = "INSERT INTO t VALUES " + ", ".join([one] * 500)
    native = "INSERT INTO t VALUES " + ", ".join("(" + ", ".join(f"${i * 7 + j + 1}" for j in range(7)) + ")" for i in range(500))
    counts: dict[int, int] = {}

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            counts[info["generation"]] = counts.get(info["generation"], 0) + 1

    gc.callbacks.append(callback)
    for name, run in [
        ("%s, psycopg.Cursor", lambda: conn.cursor().execute(formatted, params)),
        ("$n, psycopg.RawCursor", lambda: psycopg.RawCursor(conn).execute(native, params)),
    ]:
        for _ in range(3):
            run()
        counts.clear()
        started = time.perf_counter()
        for _ in range(20):
            run()
        took = (time.perf_counter() - started) / 20 * 1000
        print(f"{name}: {took:.2f} ms a 500-row statement; collections in 20 statements by generation {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
