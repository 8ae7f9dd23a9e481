"""Schemathesis fuzzes every loans operation: no 5xx, and every 4xx is the error envelope.

The loans router is included here the way the app will include it; the book holds two loans
and one evaluated batch so requests reach the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.loans.http import router
from tests.conftest import make_settings
from tests.test_fuzz_api import assert_no_server_error_and_envelope
from tests.test_loans_api import LOANS


def loans_app(platform: Platform | None = None) -> FastAPI:
    app = create_app(platform)
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def fuzz_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp: Path = tmp_path_factory.mktemp("loans-fuzz")
    p = Platform(make_settings(f"sqlite:///{tmp / 'fuzz.db'}", tmp))
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(scope="module")
def admin_headers(fuzz_platform: Platform) -> dict[str, str]:
    return {"X-API-Key": fuzz_platform.keys.create("fuzz-admin", "admin", actor="test")[1]}


@pytest.fixture(scope="module")
def fuzz_app(fuzz_platform: Platform, admin_headers: dict[str, str]) -> FastAPI:
    app = loans_app(fuzz_platform)
    with TestClient(app) as c:
        c.post("/api/v1/loans/import", json={"loans": LOANS}, headers=admin_headers)
        c.post("/api/v1/loans/eligibility/batches", json={}, headers=admin_headers)
    return app


schema = schemathesis.openapi.from_dict(loans_app().openapi()).include(path_regex="^/api/v1/loans")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_loans_api_never_fails_with_5xx(case: Any, fuzz_app: FastAPI, admin_headers: dict[str, str]) -> None:
    response = case.call(app=fuzz_app, headers=admin_headers)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    assert_no_server_error_and_envelope(case.operation.path, response.status_code, body)
