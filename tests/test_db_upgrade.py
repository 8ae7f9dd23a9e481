"""Commands skip Alembic when the database already stands at the newest revision (#10)."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from finguard.core.db import MIGRATIONS, at_head, head_revisions, make_engine, upgrade


def test_heads_read_from_the_files_agree_with_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(cfg).get_heads())
    assert len(head_revisions()) == 1, "two migration heads: chain the newest after the other"


def test_a_new_database_is_migrated_and_then_found_at_head(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
        upgrade(engine)  # the fast path: nothing to do
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not at_head(engine)  # an older stamp goes through Alembic again
    finally:
        engine.dispose()


def test_processes_starting_at_once_on_a_new_database_all_come_up(db_url: str) -> None:
    """`finguard serve --workers N` after an upgrade: every worker migrates at start. They take
    turns (PostgreSQL: an advisory lock; SQLite: the write lock at BEGIN), so the first migrates
    and the others find the database at head, instead of creating the same table twice."""
    import threading

    engines = [make_engine(db_url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def run(engine) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors[0]
        assert all(at_head(e) for e in engines)
    finally:
        for e in engines:
            e.dispose()
