"""``POST /api/v1/guard/events`` through the app's fast route (#19) answers exactly as the
documented FastAPI route does: the same status, headers and body for decisions, replays,
conflicts and every error, the same audit records, with admission control still outermost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.admission import AdmissionControl
from finguard.guard.http.routes import _EventRoute
from finguard.guard.provider import make_guard
from tests.guard_helpers import Clock, transfer
from tests.route_parity import answer, assert_same_answers, assert_same_unexpected_error, without_route

PATH = "/api/v1/guard/events"


@pytest.fixture
def apps(platform: Platform) -> Iterator[tuple[TestClient, TestClient]]:
    platform.guard = make_guard(platform.engine, platform.checker, clock=Clock())  # type: ignore[attr-defined]
    with (
        TestClient(create_app(platform), raise_server_exceptions=False) as fast,
        TestClient(without_route(create_app(platform), _EventRoute), raise_server_exceptions=False) as plain,
    ):
        yield fast, plain


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_the_fast_route_is_first_and_admission_control_stays_outermost(platform: Platform) -> None:
    app = create_app(platform)
    assert any(isinstance(r, _EventRoute) for r in app.router.routes[:2])  # ahead of every other route
    assert app.user_middleware[0].cls is AdmissionControl
    assert PATH in app.openapi()["paths"]  # still documented (by the FastAPI route)


def test_every_answer_is_the_documented_routes(apps: tuple[TestClient, TestClient], platform: Platform, analyst_key: str) -> None:
    fast, plain = apps
    key = {"X-API-Key": analyst_key}
    as_json = {**key, "Content-Type": "application/json"}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", PATH, {"json": transfer(amount="1.001", occurred_at="yesterday"), "headers": key}),
        ("POST", PATH, {"content": b"{not json", "headers": as_json}),
        ("POST", PATH, {"content": b"{not json", "headers": key}),
        ("POST", PATH, {"content": b"", "headers": as_json}),
        ("POST", PATH, {"json": [1, 2], "headers": key}),
        ("POST", PATH, {"json": {"event_id": "x"}, "headers": key}),
        ("POST", PATH, {"content": _deep(70), "headers": as_json}),
        ("POST", PATH, {"content": _deep(70), "headers": {**key, "Content-Type": "text/plain"}}),
        ("POST", PATH, {"content": b'{"amount": ' + b"1" * 50 + b"}", "headers": {**key, "Content-Type": "text/plain"}}),
        ("POST", PATH, {"content": json.dumps(transfer(memo="x" * 70_000)).encode(), "headers": as_json}),
        ("POST", PATH, {"content": json.dumps(transfer(memo="x" * 70_000)).encode(), "headers": {**key, "Content-Type": "text/plain"}}),
        ("POST", PATH, {"content": b'{"event_id": "a\\u0000"}', "headers": as_json}),
        ("POST", PATH, {"json": transfer()}),
        ("POST", PATH, {"json": transfer(), "headers": {"X-API-Key": ""}}),
        ("POST", PATH, {"json": transfer(), "headers": {"X-API-Key": "fg_not-a-key"}}),
        ("GET", PATH, {"headers": key}),
        ("PUT", PATH, {"json": transfer(), "headers": key}),
        ("POST", PATH + "/", {"json": transfer(), "headers": key}),
        ("POST", PATH + "?x=1", {"json": transfer(amount="-1"), "headers": key}),
    ]
    statuses = assert_same_answers(fast, plain, platform, cases)
    assert {401, 405, 422} <= set(statuses), statuses


def test_decisions_replays_and_conflicts_are_the_same(apps: tuple[TestClient, TestClient], analyst_key: str) -> None:
    fast, plain = apps
    key = {"X-API-Key": analyst_key}
    # decided by one route, replayed by the other, each way round; then the same id with another body
    for first, second, event_id in ((fast, plain, "e1"), (plain, fast, "e2")):
        decided = answer(first, "POST", PATH, json=transfer(event_id), headers=key)
        assert decided[0] == 200
        assert answer(second, "POST", PATH, json=transfer(event_id), headers=key) == decided
        assert answer(first, "POST", PATH, json=transfer(event_id), headers=key) == decided
        conflict = answer(first, "POST", PATH, json=transfer(event_id, amount="2.00"), headers=key)
        assert conflict[0] == 409
        assert answer(second, "POST", PATH, json=transfer(event_id, amount="2.00"), headers=key) == conflict
    body = json.loads(answer(fast, "POST", PATH, json=transfer("e3", amount="1234.56"), headers=key)[2])
    assert body["event_id"] == "e3" and body["outcome"]


def test_an_unexpected_error_is_500_and_logged_with_the_routes_template(
    apps: tuple[TestClient, TestClient],
    platform: Platform,
    analyst_key: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, plain = apps

    def broken(event: Any, loop: Any) -> Any:
        raise RuntimeError("6222000011112222")

    monkeypatch.setattr(platform.guard.batcher, "submit_async", broken)
    assert_same_unexpected_error(fast, plain, caplog, PATH, "6222000011112222", json=transfer(), headers={"X-API-Key": analyst_key})


def test_the_body_limit_remembers_route_limits_without_changing_them() -> None:
    from finguard.app.http import BODY_LIMITS
    from finguard.core.edge import BodyLimits

    fresh = BodyLimits(routes=BODY_LIMITS.routes, default=BODY_LIMITS.default, anonymous=BODY_LIMITS.anonymous)
    for method, path in [("POST", PATH), ("POST", "/api/v1/ledger/import"), ("GET", "/api/v1/ledger/import"), ("POST", "/check")]:
        for credentialed in (True, False):
            first = BODY_LIMITS.for_request(method, path, credentialed)
            assert first == BODY_LIMITS.for_request(method, path, credentialed)  # remembered
            fresh._seen.clear()
            assert first == fresh.for_request(method, path, credentialed)
    for i in range(3000):  # paths full of ids do not grow the memory past its bound
        BODY_LIMITS.for_request("GET", f"/api/v1/guard/decisions/{i}", True)
    assert len(BODY_LIMITS._seen) <= 1024
