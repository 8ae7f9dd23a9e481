"""``core.db.unnest_insert`` (#19): PostgreSQL's one-statement insert of many rows, each column's
values as one array. Rows read back as an INSERT writes them (text needing escapes, JSON, NULLs,
times, ints in a float column); ``ON CONFLICT ... DO NOTHING RETURNING`` returns only the rows
added. SQLite never takes it (``unnest_worth``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from finguard.alerts.store import alert
from finguard.core.db import UNNEST_FROM, begin_write, is_sqlite, unnest_insert, unnest_worth
from finguard.guard.store.tables import guard_decision, guard_event

AT = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)


def _alerts(n: int) -> list[dict[str, object]]:
    return [
        {
            "kind": "unnest",
            "subject": f"s{i}\t\\N",
            "severity": "high",
            "status": "open",
            "summary": f'line\n{i} \\. 警报 "q"\r',
            "details": {"i": i, "note": 'tab\there\\ "x"', "zh": "风险", "none": None},
            "created_at": AT + timedelta(microseconds=i),
            "source_seq": i if i % 2 else None,
        }
        for i in range(n)
    ]


def test_only_postgresql_and_enough_values_take_it(engine: Engine) -> None:
    with engine.connect() as conn:
        few, many = _alerts(UNNEST_FROM - 1), _alerts(UNNEST_FROM)
        assert not unnest_worth(conn, [])
        assert not unnest_worth(conn, few)
        assert unnest_worth(conn, many) is (not is_sqlite(conn))


def test_rows_read_back_as_written(engine: Engine) -> None:
    if is_sqlite(engine):
        return  # PostgreSQL only (unnest_worth is False on SQLite: the test above)
    rows = _alerts(40)
    with begin_write(engine) as conn:
        assert unnest_insert(conn, alert, rows) == []
    with engine.connect() as conn:
        got = conn.execute(select(alert).where(alert.c.kind == "unnest").order_by(alert.c.id)).all()
    assert [{k: getattr(g, k) for k in rows[0]} for g in got] == rows


def test_conflicting_rows_are_skipped_and_the_added_returned(engine: Engine) -> None:
    if is_sqlite(engine):
        return

    def event(i: int) -> dict[str, object]:
        return {
            "event_id": f"u{i}",
            "customer_id": "c1",
            "type": "transfer",
            "occurred_at": AT,
            "body": {"event_id": f"u{i}", "amount": "1.00", "note": '"quoted" \\ 中文'},
            "body_hash": f"h{i}",
            "received_at": AT,
        }

    with begin_write(engine) as conn:
        first = unnest_insert(conn, guard_event, [event(i) for i in range(0, 20, 2)], conflict=("event_id",), returning="event_id")
    assert sorted(first) == sorted(f"u{i}" for i in range(0, 20, 2))
    with begin_write(engine) as conn:
        added = unnest_insert(conn, guard_event, [event(i) for i in range(20)], conflict=("event_id",), returning="event_id")
        decisions = [
            {
                "decision_id": f"d{i}",
                "event_id": f"u{i}",
                "customer_id": "c1",
                "event_type": "transfer",
                "outcome": "allow",
                "shadow_outcome": "allow",
                "score": i if i % 2 else i + 0.5,  # ints and floats in one float column
                "reasons": [{"code": "x", "values": {"n": i}}],
                "inputs": {},
                "rule_version": 1,
                "list_seq": 2**40 + i,
                "decided_at": AT,
            }
            for i in range(20)
        ]
        unnest_insert(conn, guard_decision, decisions)
    assert sorted(added) == sorted(f"u{i}" for i in range(1, 20, 2))
    with engine.connect() as conn:
        bodies = dict(conn.execute(select(guard_event.c.event_id, guard_event.c.body)).all())
        scores = dict(conn.execute(select(guard_decision.c.decision_id, guard_decision.c.score)).all())
    assert bodies["u3"] == event(3)["body"]
    assert scores == {f"d{i}": float(i if i % 2 else i + 0.5) for i in range(20)}
