"""Schemathesis fuzzes every operation of the OpenAPI schema: no 5xx, and every 4xx is the envelope.

Runs against one SQLite platform with the demo lists (without the sanctions files) and an admin
key, so requests reach the handlers instead of stopping at authentication.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from finguard.app.http import create_app
from finguard.app.platform import Platform

from .conftest import make_settings

ENVELOPE_KEYS = {"status", "code", "message", "problems"}


@pytest.fixture(scope="module")
def fuzz_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    # A generous public rate limit, so public checks reach the checker rather than the limiter.
    p = Platform(make_settings(f"sqlite:///{tmp / 'fuzz.db'}", tmp, public_rate_limit=1_000_000, public_rate_burst=1_000_000))
    p.load_demo(sanctions=False)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(scope="module")
def admin_headers(fuzz_platform: Platform) -> dict[str, str]:
    return {"X-API-Key": fuzz_platform.keys.create("fuzz-admin", "admin", actor="test")[1]}


@pytest.fixture(scope="module")
def fuzz_app(fuzz_platform: Platform) -> FastAPI:
    return create_app(fuzz_platform)


# The schema does not depend on the database, so it is loaded eagerly from an app without one
# (schemathesis' lazy ``from_fixture`` loader does not work with pytest 9); each call is sent to
# the fixture's app, whose lifespan schemathesis starts.
schema = schemathesis.openapi.from_dict(create_app().openapi())


def assert_no_server_error_and_envelope(path: str, status: int, body: Any) -> None:
    if path == "/readyz" and status == 503:
        return
    assert status < 500, f"{status} from {path}: {body}"
    if 400 <= status < 500:
        assert isinstance(body, dict) and set(body) == {"error"}, body
        err = body["error"]
        assert set(err) == ENVELOPE_KEYS, err
        assert err["status"] == status
        assert isinstance(err["code"], str) and err["code"]
        assert isinstance(err["message"], str) and err["message"]
        assert isinstance(err["problems"], list)
        assert all(isinstance(p, dict) and {"field", "problem"} <= set(p) for p in err["problems"])


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_with_5xx_and_every_4xx_is_the_envelope(case: Any, fuzz_app: FastAPI, admin_headers: dict[str, str]) -> None:
    response = case.call(app=fuzz_app, headers=admin_headers)
    try:
        body = response.json()
    except ValueError:
        try:
            body = response.text
        except UnicodeDecodeError:  # a binary answer (an XLSX export)
            body = response.content
    assert_no_server_error_and_envelope(case.operation.path, response.status_code, body)
