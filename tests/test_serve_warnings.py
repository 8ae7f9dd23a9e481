"""`finguard serve --workers N` names what is unsafe about several workers before it starts them."""

from __future__ import annotations

from pathlib import Path

from finguard.app.cli import serve_warnings
from tests.conftest import make_settings


def test_one_worker_needs_nothing_more(tmp_path: Path) -> None:
    assert serve_warnings(make_settings(f"sqlite:///{tmp_path / 'f.db'}", tmp_path), 1) == []


def test_several_workers_need_redis_a_session_secret_and_postgresql(tmp_path: Path) -> None:
    bare = serve_warnings(make_settings(f"sqlite:///{tmp_path / 'f.db'}", tmp_path, redis_url=None, session_secret=None), 4)
    assert [w.split(" ")[2] for w in bare] == ["without", "without", "on"]
    assert "FINGUARD_REDIS_URL" in bare[0] and "FINGUARD_SESSION_SECRET" in bare[1] and "SQLite" in bare[2]
    ready = make_settings("postgresql+psycopg://db/finguard", tmp_path, redis_url="redis://r:6379/0", session_secret="s" * 32)
    assert serve_warnings(ready, 4) == []
