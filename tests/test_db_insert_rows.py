"""``core.db.insert_rows`` (#19): SQLite writes many rows as multi-row ``INSERT ... VALUES``
statements (``core.db.values_insert``), not ``executemany``, whose per-row GIL hand-off convoyed
behind a busy server thread. Whatever the path, the stored values are those SQLAlchemy's own
INSERT stores: the same text on SQLite (a timestamp as naive UTC text with microseconds; the
generic type's processor had left it to the sqlite3 module, which wrote ``+00:00`` text that
sorts apart), the same values read back, a naive time refused, a Python-side default applied.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select, text

from finguard.alerts.store import alert
from finguard.core.db import begin_write, insert_rows, is_sqlite, values_insert
from finguard.lists.store.tables import risk_list

AT = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)


def _rows(n: int, tag: str) -> list[dict[str, object]]:
    return [
        {
            "kind": "test",
            "subject": f"{tag}:{i}",
            "severity": "high",
            "status": "open",
            "summary": f'line\n{i} 警报 "q"\r',
            "details": {"i": i, "zh": "风险", "none": None},
            "created_at": AT.replace(microsecond=i % 3),
            "source_seq": i if i % 2 else None,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 2, 700])
def test_insert_rows_stores_what_an_insert_stores(engine: Engine, n: int) -> None:
    with begin_write(engine) as conn:
        conn.execute(insert(alert), _rows(n, "orm"))
        insert_rows(conn, alert, _rows(n, "bulk"))
    with engine.connect() as conn:
        got = {tag: [r._mapping for r in conn.execute(select(alert).where(alert.c.subject.like(f"{tag}:%")).order_by(alert.c.id))]
               for tag in ("orm", "bulk")}  # fmt: skip
        raw = {
            tag: conn.execute(
                text("SELECT CAST(created_at AS TEXT), CAST(details AS TEXT) FROM alert WHERE subject LIKE :p ORDER BY id"),
                {"p": f"{tag}:%"},
            ).all()
            for tag in ("orm", "bulk")
        }
    assert len(got["bulk"]) == n
    skip = {"id", "subject"}
    assert [{k: v for k, v in r.items() if k not in skip} for r in got["bulk"]] == [
        {k: v for k, v in r.items() if k not in skip} for r in got["orm"]
    ]
    assert raw["bulk"] == raw["orm"]  # the very text, so SQLite's text comparisons order them alike
    if is_sqlite(engine):
        assert raw["bulk"][0][0] == "2026-12-06 08:30:00.000000"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # values_insert serves SQLite
def test_values_insert_binds_as_the_dialect_does(engine: Engine) -> None:
    with begin_write(engine) as conn:
        values_insert(conn, alert, _rows(2, "vi"))
        stamps = conn.execute(text("SELECT created_at FROM alert WHERE subject LIKE 'vi:%' ORDER BY id")).scalars().all()
    assert stamps == ["2026-12-06 08:30:00.000000", "2026-12-06 08:30:00.000001"]


def test_a_naive_time_is_refused_and_a_python_default_applies(engine: Engine) -> None:
    rows = _rows(3, "naive")
    rows[2]["created_at"] = datetime(2026, 12, 6, 8, 30)
    with pytest.raises(Exception, match="naive datetime"), begin_write(engine) as conn:
        insert_rows(conn, alert, rows)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert WHERE subject LIKE 'naive:%'")).scalar_one() == 0
    lists = [{"code": f"l{i}", "name": "L", "kind": "internal", "owner": "bank", "default_level": 3, "created_at": AT} for i in range(3)]
    with begin_write(engine) as conn:  # "description" is left out: its default is SQLAlchemy's (a raw INSERT stores NULL)
        insert_rows(conn, risk_list, lists)
    with engine.connect() as conn:
        assert conn.execute(select(risk_list.c.description).where(risk_list.c.code.like("l%"))).scalars().all() == ["", "", ""]
