"""Fixture policy.

* Real parts only: every store test runs once on SQLite and once on the local PostgreSQL
  (``FINGUARD_TEST_PG_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``),
  each test in a fresh schema. Our own store is never mocked.
* Smallest data that shows the point, built inline in the test. The real data sets are used
  where the test is about them: OFAC / UN from the product's own ``finguard/data``, AMLSim,
  AMLworld and PaySim from ``tests/data`` (``shared_data``).
* ``FINGUARD_TEST_DB=sqlite`` or ``=postgres`` limits the run to one database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, create_engine, text

import finguard.app.cli  # noqa: F401  (registers how capability commands open the platform)
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.db import make_engine, upgrade
from finguard.core.settings import Settings
from tests.browser import chromium

PG_URL = os.environ.get("FINGUARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]


def _backends() -> list[str]:
    only = os.environ.get("FINGUARD_TEST_DB")
    return [only] if only else ["sqlite", "postgres"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (``tests.browser.chromium``), one per test module."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets the tests use, copied into ``tests/data`` (see its PROVENANCE.md)."""
    env = os.environ.get("FINGUARD_SHARED_DATA")
    return Path(env) if env else REPO / "tests" / "data"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test: the URL that uses it; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'finguard.db'}"
        return
    with pg_schema() as url:
        yield url


def make_settings(db_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": db_url, "demo_on_first_start": False, "index_dir": tmp_path / "index"}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The store's database, migrated, without a Platform (for the repositories alone)."""
    e = make_engine(db_url)
    upgrade(e)
    try:
        yield e
    finally:
        e.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = Platform(settings)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def admin_key(platform: Platform) -> str:
    return platform.keys.create("admin-1", "admin", actor="test")[1]


@pytest.fixture
def analyst_key(platform: Platform) -> str:
    return platform.keys.create("analyst-1", "analyst", actor="test")[1]


@pytest.fixture
def supervisor_key(platform: Platform) -> str:
    return platform.keys.create("supervisor-1", "supervisor", actor="test")[1]


@pytest.fixture
def police_key(platform: Platform) -> str:
    return platform.keys.create("police-1", "police", actor="test")[1]
