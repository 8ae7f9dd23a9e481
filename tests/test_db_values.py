"""``core.db.execute_values`` / ``execute_values_returning`` on both stores (#19). On PostgreSQL
the statements carry ``$n`` placeholders through psycopg's ``RawCursor`` (stop 21: psycopg's own
``%s`` rewriting of a 500-row statement, in Python and uncached, fed full garbage collections):
the rows, a ``RETURNING`` tail, the caller's transaction and SQLAlchemy's errors stay as they were."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from finguard.core.db import VALUES_ROWS, begin_write, execute_values, execute_values_returning, is_sqlite, select_in


def _table(engine: Engine) -> None:
    with begin_write(engine) as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS values_probe")
        conn.exec_driver_sql("CREATE TABLE values_probe (k VARCHAR(40) PRIMARY KEY, n INTEGER, note VARCHAR(80))")


def _conflict(engine: Engine) -> tuple[str, str]:
    verb = "INSERT OR IGNORE" if is_sqlite(engine) else "INSERT"
    return f"{verb} INTO values_probe (k, n, note)", "" if is_sqlite(engine) else " ON CONFLICT (k) DO NOTHING"


def test_rows_of_several_statements_are_stored_in_order(engine: Engine) -> None:
    _table(engine)
    rows = [(f"k{i}", i, "风险 '$1' %s ?" if i % 2 else None) for i in range(2 * VALUES_ROWS + 7)]
    with begin_write(engine) as conn:
        assert execute_values(conn, "INSERT INTO values_probe (k, n, note)", rows) == len(rows)
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(text("SELECT k, n, note FROM values_probe ORDER BY n"))]
    assert got == rows


def test_returning_gives_the_rows_inserted(engine: Engine) -> None:
    _table(engine)
    head, tail = _conflict(engine)
    with begin_write(engine) as conn:
        execute_values(conn, head, [("a", 1, "x")], tail=tail)
    if is_sqlite(engine):
        tail = " ON CONFLICT (k) DO NOTHING"
        head = "INSERT INTO values_probe (k, n, note)"
    with begin_write(engine) as conn:
        added = execute_values_returning(conn, head, [("a", 1, "x"), ("b", 2, "y")], tail=tail + " RETURNING k")
    assert added == ["b"]


def test_a_duplicate_raises_sqlalchemys_integrity_error_and_rolls_back(engine: Engine) -> None:
    _table(engine)
    with pytest.raises(IntegrityError):
        with begin_write(engine) as conn:
            execute_values(conn, "INSERT INTO values_probe (k, n, note)", [("c", 1, None)])
            execute_values(conn, "INSERT INTO values_probe (k, n, note)", [("d", 2, None), ("d", 3, None)])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM values_probe")).scalar_one() == 0


def test_select_in_gives_the_rows_of_the_values_asked_across_statements(engine: Engine) -> None:
    """``select_in`` (#19, stop 26): the driver's rows of ``head WHERE column IN (...)``, more values
    than one statement takes included, in the caller's transaction (rows it has just written are seen)."""
    _table(engine)
    rows = [(f"k{i}", i, "风险 '$1' %s ?" if i % 2 else None) for i in range(VALUES_ROWS + 30)]
    wanted = [f"k{i}" for i in range(0, VALUES_ROWS + 60, 2)]  # some asked for are not stored
    with begin_write(engine) as conn:
        execute_values(conn, "INSERT INTO values_probe (k, n, note)", rows)
        got = select_in(conn, "SELECT k, n, note FROM values_probe", "k", wanted)
        assert select_in(conn, "SELECT k FROM values_probe", "k", []) == []
    assert sorted((tuple(r) for r in got), key=lambda r: r[1]) == [r for r in rows if r[1] % 2 == 0]
    assert all(type(r) is tuple for r in got)


def test_select_in_raises_sqlalchemys_error(engine: Engine) -> None:
    from sqlalchemy.exc import DBAPIError

    _table(engine)
    with pytest.raises(DBAPIError), begin_write(engine) as conn:
        select_in(conn, "SELECT nothing FROM values_probe", "k", ["a"])
