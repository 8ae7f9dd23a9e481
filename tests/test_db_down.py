"""The database goes away (#18): the staff check answers ``unavailable`` and nothing is dropped.

Defects: with the database down the staff check returned 500 (the API-key lookup needed the
database) and 84 of 85 check-log records of that time were lost. Now verified keys are trusted
for a while when the key store cannot be read, an unknown key gets 503 ``unavailable``, and
check-log and audit records wait in a spool file on disk until the database is back.

The platform reaches PostgreSQL through a TCP proxy the test cuts (tests/netproxy.py): the
machine's server keeps running for everyone else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from finguard.access.store.audit import audit_log
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
from finguard.lists.store.tables import check_log
from tests.conftest import make_settings
from tests.netproxy import Proxy

LISTED = "6222021001122334455"


# An unreachable database server is a PostgreSQL matter (SQLite is a local file): the module's tests
# run on PostgreSQL only.
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
def proxied(db_url: str) -> Iterator[tuple[str, Proxy]]:
    url = make_url(db_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield url.set(port=proxy.port).render_as_string(hide_password=False), proxy
    proxy.cut()


def count(p: Platform, table: object) -> int:
    with p.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_staff_check_answers_unavailable_and_every_record_waits_for_the_database(
    proxied: tuple[str, Proxy], tmp_path: Path
) -> None:
    url, proxy = proxied
    settings = make_settings(url, tmp_path, delta_screening=False, spool_dir=tmp_path / "spool", public_rate_burst=1000)
    with Platform(settings) as p:
        p.lists.create_list("mules", "Mules", "mule_account", "bank", "critical")
        p.lists.add_entry("mules", EntryDraft("m1", SubjectKind.IDENTIFIER, (Identifier.parse("account", LISTED),)), "t")
        key = p.keys.create("teller-1", "analyst", actor="test")[1]
        with TestClient(create_app(p)) as client:
            staff = {"X-API-Key": key}
            assert client.post("/api/v1/check", json={"account": LISTED}, headers=staff).json()["outcome"] == "block"
            p.check_log.flush()
            p.audit.flush()
            logged, audited = count(p, check_log), count(p, audit_log)

            proxy.cut()
            time.sleep(2.5)  # past the key cache's freshness: the key store is asked, and cannot answer
            outcomes = []
            for i in range(10):
                for account in (LISTED, f"62220000111122{i:05d}"):
                    r = client.post("/api/v1/check", json={"account": account}, headers=staff)
                    assert r.status_code == 200, r.text
                    outcomes.append((account == LISTED, r.json()["outcome"]))
                    public = client.post("/api/v1/public/check", json={"account": account})
                    assert public.status_code == 200 and public.json()["outcome"] != "pass"
            # The check's own answer: never a pass it cannot stand behind.
            assert {o for listed, o in outcomes if not listed} == {"unavailable"}
            assert {o for listed, o in outcomes if listed} <= {"block", "unavailable"}
            unknown = client.post("/api/v1/check", json={"account": LISTED}, headers={"X-API-Key": "fg_" + "x" * 43})
            assert unknown.status_code == 503 and unknown.json()["error"]["code"] == "unavailable"
            time.sleep(0.5)  # the writers have tried, failed and spooled
            assert (tmp_path / "spool" / "check_log.jsonl").stat().st_size > 0
            assert (tmp_path / "spool" / "audit_log.jsonl").stat().st_size > 0

            Proxy(proxy.upstream, proxy.port)  # the database is back, on the same address
            p.check_log.flush()
            p.audit.flush()
            assert count(p, check_log) == logged + 40  # 20 staff and 20 public checks: none dropped
            assert count(p, audit_log) == audited + 20  # every authenticated staff call
            assert (tmp_path / "spool" / "check_log.jsonl").stat().st_size == 0
            assert all(r.ok for r in p.verify_logs())
