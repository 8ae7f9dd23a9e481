"""The public edge (issue #18): bodies bounded before parsing, the client taken only from trusted
proxies and hashed with a secret key, rate limits shared through Redis and recorded when they
refuse, and enumeration (many values, sweeps, many clients on one value) raising alerts.

Redis is the real one at ``FINGUARD_TEST_REDIS_URL`` (default 127.0.0.1:6379), each test under a
key prefix of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from finguard.alerts.store import alert
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.http_context import ClientHasher, forwarded_client, parse_networks, subnet_of
from finguard.lists.store.tables import check_log

from .conftest import make_settings

REDIS_URL = os.environ.get("FINGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PUBLIC = "/api/v1/public/check"


def account(n: int) -> str:
    return f"6222021001122{n:06d}"


@pytest.fixture
def prefix() -> Iterator[str]:
    import redis

    p = f"fgtest-edge-{uuid.uuid4().hex[:10]}"
    yield p
    r = redis.Redis.from_url(REDIS_URL)
    keys = list(r.scan_iter(f"{p}*"))
    if keys:
        r.delete(*keys)


def open_platform(db_url: str, tmp_path: Path, **overrides: Any) -> Platform:
    values: dict[str, Any] = {"client_hash_secret": SecretStr("test-secret"), "public_rate_limit": 6000, "public_rate_burst": 1000}
    values.update(overrides)
    return Platform(make_settings(db_url, tmp_path, **values))


def alerts_of(p: Platform, kind: str) -> list[Any]:
    with p.engine.connect() as conn:
        return list(conn.execute(select(alert).where(alert.c.kind == kind)))


# -- bodies bounded before parsing ---------------------------------------------------------------


def asgi_post(app: FastAPI, path: str, headers: dict[str, str], chunks: int, chunk: int = 64 * 1024) -> tuple[int, int]:
    """POST ``chunks`` chunks straight into the ASGI app; returns (status, bytes the app pulled)."""
    pulled = 0
    sent = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled, sent
        if sent >= chunks:
            await asyncio.sleep(3600)  # a client that keeps the connection open
        sent += 1
        pulled += chunk
        return {"type": "http.request", "body": b" " * chunk, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.9", 5000),
        "server": ("testserver", 80),
        "app": app,
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    return status, pulled


@pytest.fixture
def edge_app(platform: Platform) -> Iterator[FastAPI]:
    app = create_app(platform)
    with TestClient(app):
        yield app


@pytest.mark.parametrize("path", [PUBLIC, "/api/v1/check/batch", "/api/v1/lists/police/import", "/api/v1/ledger/import"])
def test_an_anonymous_200_mb_body_is_refused_unread(edge_app: FastAPI, path: str) -> None:
    headers = {"content-type": "application/json", "content-length": str(200 * 1024 * 1024)}
    status, pulled = asgi_post(edge_app, path, headers, chunks=3200)
    assert (status, pulled) == (413, 0)


@pytest.mark.parametrize("path,ctype", [("/api/v1/check/batch", "application/json"), ("/api/v1/lists/police/import", "text/csv")])
def test_an_anonymous_chunked_50_mb_body_is_cut_off_after_64_kib(edge_app: FastAPI, path: str, ctype: str) -> None:
    status, pulled = asgi_post(edge_app, path, {"content-type": ctype}, chunks=800)
    assert status == 413 or (status == 401 and "import" in path)  # an upload route asks for the key before reading
    assert pulled <= 2 * 64 * 1024


def test_a_made_up_api_key_earns_no_larger_body(edge_app: FastAPI) -> None:
    headers = {"content-type": "application/json", "content-length": str(8 * 1024 * 1024), "x-api-key": "made-up"}
    status, pulled = asgi_post(edge_app, "/api/v1/check/batch", headers, chunks=128)
    assert (status, pulled) == (413, 0)


def test_staff_bodies_keep_their_routes_own_limits(client: TestClient, admin_key: str, platform: Platform) -> None:
    big = b'{"account": "' + b"1" * (2 * 1024 * 1024) + b'"}'
    r = client.post("/api/v1/check", content=big, headers={"X-API-Key": admin_key, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["problems"][0]["field"] == "body"
    platform.lists.create_list("watch", "W", "internal", "bank", "medium")
    reason = "r" * 600
    rows = "key,id_type,id_value,reason\n" + "".join(f"k{i},account,{account(i)},{reason}\n" for i in range(2000))
    assert len(rows) > 1024 * 1024  # over the default limit, under the import route's
    r = client.post("/api/v1/lists/watch/import?format=csv", content=rows.encode(), headers={"X-API-Key": admin_key})
    assert r.status_code == 200, r.text


def test_routes_that_take_large_bodies_still_take_them(client: TestClient, admin_key: str) -> None:
    """Two 3 MB pictures for the face check pass the edge; the route judges them (not a 413)."""
    big = b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)
    files = {"photo": ("p.jpg", big, "image/jpeg"), "capture": ("c.jpg", big, "image/jpeg")}
    r = client.post("/api/v1/identity/face", files=files, headers={"X-API-Key": admin_key})
    assert r.status_code != 413, r.text[:300]
    loans = {"loans": [{"loan_id": f"L{i}", "note": "x" * 200} for i in range(6000)]}  # ~1.5 MB of JSON
    r = client.post("/api/v1/loans/import", json=loans, headers={"X-API-Key": admin_key})
    assert r.status_code != 413, r.text[:300]


# -- the client: trusted proxies, keyed hashes ---------------------------------------------------


def test_forwarded_for_is_read_right_to_left_and_only_from_trusted_proxies() -> None:
    proxies = parse_networks(["10.0.0.0/8", "127.0.0.1"])
    spoofed = "1.1.1.1, 2.2.2.2, 198.51.100.7, 10.0.0.3"
    assert forwarded_client("10.0.0.2", spoofed, proxies) == "198.51.100.7"  # left of it: written by the client
    assert forwarded_client("198.51.100.7", "1.1.1.1", proxies) == "198.51.100.7"  # not a proxy: its header is ignored
    assert forwarded_client("127.0.0.1", "9.9.9.9", ()) == "127.0.0.1"  # nothing configured: nothing believed
    assert forwarded_client("10.0.0.2", None, proxies) == "10.0.0.2"
    assert subnet_of("198.51.100.7") == "198.51.100.0/24" and subnet_of("2001:db8:1:2::5") == "2001:db8:1::/48"


def test_spoofed_forwarded_for_from_a_loopback_peer_does_not_make_a_new_client(db_url: str, tmp_path: Path) -> None:
    """The reported bypass: every request with a new X-Forwarded-For was a new client."""
    p = open_platform(db_url, tmp_path, public_rate_limit=3, public_rate_burst=3)
    try:
        app = create_app(p)
        with TestClient(app, client=("127.0.0.1", 4000)) as c:
            h = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(6)]
            codes = [c.post(PUBLIC, json={"account": account(1)}, headers=h[i]).status_code for i in range(6)]
        assert codes == [200, 200, 200, 429, 429, 429]
    finally:
        p.close()


def test_behind_a_trusted_proxy_the_client_controlled_part_is_ignored(db_url: str, tmp_path: Path) -> None:
    p = open_platform(db_url, tmp_path, public_rate_limit=3, public_rate_burst=3, trusted_proxies=["127.0.0.1"])
    try:
        with TestClient(create_app(p), client=("127.0.0.1", 4000)) as c:

            def ask(xff: str) -> int:
                return c.post(PUBLIC, json={"account": account(1)}, headers={"X-Forwarded-For": xff}).status_code

            assert [ask(f"10.9.9.{i}, 198.51.100.7") for i in range(4)] == [200, 200, 200, 429]
            assert ask("198.51.100.8") == 200  # another real client
    finally:
        p.close()


def test_serve_turns_uvicorns_proxy_headers_off_unless_proxies_are_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from finguard.app.cli import app as cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("FINGUARD_DATABASE_URL", f"sqlite:///{tmp_path}/s.db")
    monkeypatch.setenv("FINGUARD_DEMO_ON_FIRST_START", "false")
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert seen["proxy_headers"] is False
    monkeypatch.setenv("FINGUARD_TRUSTED_PROXIES", '["10.0.0.1"]')
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.1"


def test_client_hashes_are_keyed_and_rotate_daily() -> None:
    ip = "198.51.100.7"
    day = date(2026, 12, 5)
    a = ClientHasher(b"secret-a", today=lambda: day)
    assert a.hash(ip) == ClientHasher(b"secret-a", today=lambda: day).hash(ip)
    assert a.hash(ip) != ClientHasher(b"secret-b", today=lambda: day).hash(ip)
    assert a.hash(ip) != ClientHasher(b"secret-a", today=lambda: date(2026, 12, 6)).hash(ip)
    # the old constant salt: anyone could hash the IPv4 space and read the check log
    assert hashlib.sha256(f"finguard:{ip}".encode()).hexdigest()[:16] not in a.hash(ip)


def test_the_check_log_records_the_keyed_hash_not_the_constant_salt_one(client: TestClient, platform: Platform) -> None:
    assert client.post(PUBLIC, json={"account": account(2)}).status_code == 200
    platform.check_log.flush()
    with platform.engine.connect() as conn:
        clients = [r.client for r in conn.execute(select(check_log.c.client).where(check_log.c.view == "public"))]
    assert len(clients) == 1
    assert clients[0] != hashlib.sha256(b"finguard:testclient").hexdigest()[:16]


# -- shared rate limits --------------------------------------------------------------------------


def test_two_app_instances_share_one_limit_through_redis(
    db_url: str, tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    shared = {"public_rate_limit": 4, "public_rate_burst": 4, "rate_limit_redis_url": REDIS_URL, "rate_limit_key_prefix": prefix}
    p1 = open_platform(db_url, tmp_path / "1", **shared)
    p2 = Platform(p1.settings)
    try:
        app1, app2 = create_app(p1), create_app(p2)
        with TestClient(app1) as c1, TestClient(app2) as c2, caplog.at_level(logging.WARNING):
            codes = [(c1 if i % 2 else c2).post(PUBLIC, json={"account": account(3)}).status_code for i in range(6)]
            assert codes == [200, 200, 200, 200, 429, 429]
            assert app1.state.public_edge.limiter.refused + app2.state.public_edge.limiter.refused == 2
        refusals = [r.getMessage() for r in caplog.records if "rate limit refused" in r.getMessage()]
        assert len(refusals) == 2
        assert all("testclient" not in m for m in refusals)
    finally:
        p2.close()
        p1.close()


def test_without_a_configured_secret_processes_share_one_through_redis(db_url: str, tmp_path: Path, prefix: str) -> None:
    shared = {"public_rate_limit": 2, "public_rate_burst": 2, "rate_limit_redis_url": REDIS_URL, "rate_limit_key_prefix": prefix}
    p1 = open_platform(db_url, tmp_path / "1", client_hash_secret=None, **shared)
    p2 = Platform(p1.settings)
    try:
        with TestClient(create_app(p1)) as c1, TestClient(create_app(p2)) as c2:
            codes = [c.post(PUBLIC, json={"account": account(6)}).status_code for c in (c1, c2, c1)]
        assert codes == [200, 200, 429]
    finally:
        p2.close()
        p1.close()


def test_without_redis_the_limit_is_per_process(db_url: str, tmp_path: Path) -> None:
    p = open_platform(db_url, tmp_path, public_rate_limit=2, public_rate_burst=2)
    try:
        with TestClient(create_app(p)) as c1, TestClient(create_app(p)) as c2:
            assert [c1.post(PUBLIC, json={"account": account(4)}).status_code for _ in range(3)] == [200, 200, 429]
            assert c2.post(PUBLIC, json={"account": account(4)}).status_code == 200
    finally:
        p.close()


def test_a_redis_that_cannot_be_reached_still_limits_in_process(db_url: str, tmp_path: Path) -> None:
    p = open_platform(db_url, tmp_path, public_rate_limit=2, public_rate_burst=2, rate_limit_redis_url="redis://127.0.0.1:1/0")
    try:
        with TestClient(create_app(p)) as c:
            assert [c.post(PUBLIC, json={"account": account(5)}).status_code for _ in range(3)] == [200, 200, 429]
            assert b'finguard_public_refused_total{tightened="no"}' in c.get("/metrics").content
    finally:
        p.close()


# -- enumeration ----------------------------------------------------------------------------------


def enum_platform(db_url: str, tmp_path: Path, prefix: str, **over: Any) -> Platform:
    values: dict[str, Any] = {
        "rate_limit_redis_url": REDIS_URL,
        "rate_limit_key_prefix": prefix,
        "enumeration_sweep": 10,
        "enumeration_distinct_per_client": 30,
        "enumeration_distinct_per_subnet": 40,
        "enumeration_clients_per_value": 8,
        "enumeration_tightened_rate": 2,
        "trusted_proxies": ["127.0.0.1"],
    }
    values.update(over)
    return open_platform(db_url, tmp_path, **values)


def test_a_sequential_sweep_raises_one_alert_and_tightens_the_clients_limit(db_url: str, tmp_path: Path, prefix: str) -> None:
    p = enum_platform(db_url, tmp_path, prefix)
    try:
        with TestClient(create_app(p), client=("127.0.0.1", 1)) as c:
            h = {"X-Forwarded-For": "198.51.100.7"}
            codes = [c.post(PUBLIC, json={"account": account(i)}, headers=h).status_code for i in range(14)]
            assert codes[:10] == [200] * 10
            assert codes[10:] == [200, 200, 429, 429]  # tightened to 2 a minute after the 10th
            assert c.post(PUBLIC, json={"account": account(1)}, headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 200
        (row,) = alerts_of(p, "public_enumeration_sweep")
        assert row.details["sequential_values"] == 10 and row.status == "open"
        assert "198.51.100.7" not in str(row.details) and "6222021001122" not in str(row.details)
    finally:
        p.close()


def test_many_values_from_one_subnet_raise_an_alert(db_url: str, tmp_path: Path, prefix: str) -> None:
    p = enum_platform(db_url, tmp_path, prefix, enumeration_sweep=1000)
    try:
        with TestClient(create_app(p), client=("127.0.0.1", 1)) as c:
            for i in range(40):  # one value per address, every address in 198.51.100.0/24
                r = c.post(PUBLIC, json={"account": f"6{i:03d}00011122233"}, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
                assert r.status_code == 200
        assert len(alerts_of(p, "public_enumeration_subnet")) == 1
        assert alerts_of(p, "public_enumeration_client") == []
    finally:
        p.close()


def test_many_distinct_values_from_one_client_raise_an_alert(db_url: str, tmp_path: Path, prefix: str) -> None:
    p = enum_platform(db_url, tmp_path, prefix, enumeration_sweep=1000)
    try:
        with TestClient(create_app(p), client=("127.0.0.1", 1)) as c:
            for i in range(30):
                c.post(PUBLIC, json={"account": f"6{i:03d}00011122233"}, headers={"X-Forwarded-For": "203.0.113.50"})
        assert len(alerts_of(p, "public_enumeration_client")) == 1
    finally:
        p.close()


def test_many_clients_probing_one_value_raise_an_alert_naming_it_masked(db_url: str, tmp_path: Path, prefix: str) -> None:
    p = enum_platform(db_url, tmp_path, prefix)
    try:
        with TestClient(create_app(p), client=("127.0.0.1", 1)) as c:
            for i in range(8):
                c.post(PUBLIC, json={"account": account(77)}, headers={"X-Forwarded-For": f"192.0.{i}.9"})
        (row,) = alerts_of(p, "public_enumeration_value")
        assert row.details["distinct_clients"] == 8 and row.details["value"] != account(77)
        assert row.details["value"].endswith(account(77)[-4:])
    finally:
        p.close()
