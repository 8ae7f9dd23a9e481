"""``POST /api/v1/check`` through the app's fast route (#19) answers exactly as the documented
FastAPI route does: the same status, headers and body for checks with and without hits, and for
every malformed or unauthorised request (those go on to the documented route itself), the same
audit records, with admission control still outermost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.admission import AdmissionControl
from finguard.lists.http.routes import _CheckRoute
from tests.route_parity import answer, assert_same_answers, assert_same_unexpected_error, without_route

PATH = "/api/v1/check"
UNIQUE = ("check_id", "checked_at")  # each check has its own


@pytest.fixture
def apps(platform: Platform) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(create_app(platform), raise_server_exceptions=False) as fast,
        TestClient(without_route(create_app(platform), _CheckRoute), raise_server_exceptions=False) as plain,
    ):
        yield fast, plain


def _answer(client: TestClient, method: str, path: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
    return answer(client, method, path, unique=UNIQUE, **kw)


def _listed(client: TestClient, admin_key: str) -> None:
    key = {"X-API-Key": admin_key}
    body = {"code": "mule", "name": "Mule", "kind": "internal", "owner": "ops", "default_level": "critical"}
    assert client.post("/api/v1/lists", json=body, headers=key).status_code == 201
    entry = {"key": "m1", "identifiers": [{"type": "account", "value": "6222000011112222"}], "name": "张三", "reason": "mule"}
    assert client.post("/api/v1/lists/mule/entries", json=entry, headers=key).status_code == 201, "entry"


def test_the_fast_route_is_first_and_admission_control_stays_outermost(platform: Platform) -> None:
    app = create_app(platform)
    assert any(isinstance(r, _CheckRoute) for r in app.router.routes[:2])  # ahead of every other route
    assert app.user_middleware[0].cls is AdmissionControl
    assert PATH in app.openapi()["paths"]  # still documented (by the FastAPI route)


def test_every_answer_is_the_documented_routes(
    apps: tuple[TestClient, TestClient], platform: Platform, analyst_key: str, admin_key: str
) -> None:
    fast, plain = apps
    _listed(plain, admin_key)
    key = {"X-API-Key": analyst_key}
    as_json = {**key, "Content-Type": "application/json"}
    deep = b'{"a":' * 70 + b"1" + b"}" * 70
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", PATH, {"json": {"account": "6222 0000 1111 2222"}, "headers": key}),  # a hit
        ("POST", PATH, {"json": {"account": "6222000011119999"}, "headers": key}),
        ("POST", PATH, {"json": {"account": "6222000011112222", "name": "张三", "amount": 1.10}, "headers": key}),
        ("POST", PATH, {"json": {"name": "Zhang San", "amount": "12.50", "channel": "mobile"}, "headers": key}),
        ("POST", PATH, {"json": {"phone": "138 0013 8000"}, "headers": key}),
        ("POST", PATH, {"json": {"card": "4111111111111111"}, "headers": key}),
        ("POST", PATH, {"json": {"card": "4111111111111112"}, "headers": key}),  # fails Luhn
        ("POST", PATH, {"json": {}, "headers": key}),
        ("POST", PATH, {"json": {"account": 6222000011112222}, "headers": key}),
        ("POST", PATH, {"json": {"account": "1", "extra": 1}, "headers": key}),
        ("POST", PATH, {"json": {"amount": -1, "account": "6222000011112222"}, "headers": key}),
        ("POST", PATH, {"json": {"amount": 1.001, "account": "6222000011112222"}, "headers": key}),
        ("POST", PATH, {"json": [1, 2], "headers": key}),
        ("POST", PATH, {"content": b'{"account": "6222000011112222", "account": "1"}', "headers": as_json}),  # last wins
        ("POST", PATH, {"content": b'{"account": "6222000011112222", "amount": NaN}', "headers": as_json}),
        ("POST", PATH, {"content": b'{"account": "6222000011112222", "amount": 1e400}', "headers": as_json}),
        ("POST", PATH, {"content": b'{"name": "a\\ud800"}', "headers": as_json}),
        ("POST", PATH, {"content": b'{"name": "a\\u0000"}', "headers": as_json}),
        ("POST", PATH, {"content": b"{not json", "headers": as_json}),
        ("POST", PATH, {"content": b"{not json", "headers": key}),
        ("POST", PATH, {"content": b"", "headers": as_json}),
        ("POST", PATH, {"content": deep, "headers": as_json}),
        ("POST", PATH, {"content": b"[" * 200_000 + b"]" * 200_000, "headers": {**key, "Content-Type": "Application/JSON ;x=1"}}),
        ("POST", PATH, {"content": b"[" * 200_000 + b"]" * 200_000, "headers": {**key, "Content-Type": "application/x+json"}}),
        ("POST", PATH, {"content": b'{"account": "6222000011112222"}', "headers": key}),  # no content type
        ("POST", PATH, {"content": b'{"account": "6222000011112222"}', "headers": {**key, "Content-Type": "text/plain"}}),
        (
            "POST",
            PATH,
            {"content": b'{"account": "6222000011112222"}', "headers": {**key, "Content-Type": "application/json; charset=utf-8"}},
        ),
        ("POST", PATH, {"content": b'{"account": "6222000011112222"}', "headers": {**key, "Content-Type": "Application/JSON"}}),
        ("POST", PATH, {"content": b'{"account": "6222000011112222"}', "headers": {**key, "Content-Type": "application/vnd.x+json"}}),
        ("POST", PATH, {"content": '{"name": "张三"}'.encode("utf-16"), "headers": as_json}),
        ("POST", PATH, {"content": json.dumps({"name": "x" * 300}).encode(), "headers": as_json}),
        ("POST", PATH, {"content": json.dumps({"name": "x" * 3_000_000}).encode(), "headers": as_json}),  # past the body limit
        ("POST", PATH, {"content": json.dumps({"name": "x" * 3_000_000}).encode(), "headers": {"Content-Type": "application/json"}}),
        ("POST", PATH, {"json": {"account": "6222000011112222"}}),
        ("POST", PATH, {"json": {"account": "6222000011112222"}, "headers": {"X-API-Key": ""}}),
        ("POST", PATH, {"json": {"account": "6222000011112222"}, "headers": {"X-API-Key": "fg_not-a-key"}}),
        ("POST", PATH, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),  # no key, bad JSON
        ("POST", PATH, {"json": {"account": 1}}),  # no key, bad field
        ("GET", PATH, {"headers": key}),
        ("PUT", PATH, {"json": {"account": "6222000011112222"}, "headers": key}),
        ("POST", PATH + "/", {"json": {"account": "6222000011112222"}, "headers": key}),
        ("POST", PATH + "?x=1", {"json": {"account": "6222000011112222"}, "headers": key}),
    ]
    statuses = assert_same_answers(fast, plain, platform, cases, unique=UNIQUE)
    assert {200, 401, 405, 422} <= set(statuses), statuses
    assert 500 not in statuses  # a body nested past Python's recursion limit, whatever its media type's spelling
    hit = _answer(fast, "POST", PATH, json={"account": "6222000011112222"}, headers=key)
    assert hit[0] == 200 and hit[2]["outcome"] != "pass" and hit[2]["hits"]
    batch = fast.post(PATH + "/batch", json={"items": [{"account": "6222000011112222"}]}, headers=key)  # not this route's
    assert batch.status_code == 200 and batch.json()["results"][0]["result"]["outcome"] == "block"


def test_an_unexpected_error_is_500_and_logged_with_the_routes_template(
    apps: tuple[TestClient, TestClient],
    platform: Platform,
    analyst_key: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, plain = apps

    def broken(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("6222000011112222")

    monkeypatch.setattr(platform.checker, "check_in_memory", broken)
    assert_same_unexpected_error(
        fast, plain, caplog, PATH, "6222000011112222", json={"account": "6222000011112222"}, headers={"X-API-Key": analyst_key}
    )
