"""``core.db.insert_ids`` (#19): the ids of rows inserted in bulk, on SQLite and PostgreSQL.

Many rows on PostgreSQL take reserved ids and COPY; few rows, and SQLite, one INSERT ... RETURNING.
Either way every row reads back as written, under the id returned for it, in order, text needing
COPY's escapes and JSON included, and the table's own sequence goes on after them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from finguard.alerts.store import alert
from finguard.core.db import COPY_FROM, begin_write, insert_ids

AT = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)


def _rows(n: int, tag: str) -> list[dict[str, object]]:
    return [
        {
            "kind": "test",
            "subject": f"{tag}:{i}\t\\N",
            "severity": "high",
            "status": "open",
            "summary": f"line\n{i} \\. 警报 \"q\"\r",
            "details": {"i": i, "note": "tab\there\\", "zh": "风险"},
            "created_at": AT,
            "source_seq": i if i % 2 else None,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 3, COPY_FROM + 7])
def test_rows_read_back_under_the_ids_returned_in_order(engine: Engine, n: int) -> None:
    rows = _rows(n, f"n{n}")
    with begin_write(engine) as conn:
        ids = insert_ids(conn, alert, rows)
    assert len(ids) == n and len(set(ids)) == n
    with engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(select(alert).where(alert.c.kind == "test", alert.c.subject.like(f"n{n}:%")))}
    assert sorted(stored) == sorted(ids)
    for new_id, row in zip(ids, rows, strict=True):
        got = stored[new_id]
        assert {k: getattr(got, k) for k in row} == row
    with begin_write(engine) as conn:  # the sequence goes on past the ids used
        later = insert_ids(conn, alert, _rows(1, f"after{n}"))
    assert not ids or later[0] > max(ids)
