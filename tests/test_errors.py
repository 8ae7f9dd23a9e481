"""Every error path answers with the one JSON envelope:
``{"error": {"status", "code", "message", "problems": [{"field", "problem"}, ...]}}``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform

LIST = {"code": "police", "name": "Police", "kind": "fraud_account", "owner": "PSB", "default_level": "critical"}


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is exactly the envelope, with this status and code; returns ``error``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert set(error) == {"status", "code", "message", "problems"}
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["problems"], list)
    for problem in error["problems"]:
        assert {"field", "problem"} <= set(problem) <= {"field", "problem", "line"}
    return error


def fields(error: dict[str, Any]) -> list[str]:
    return [p["field"] for p in error["problems"]]


def test_401_without_a_key(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/v1/lists"), 401, "unauthorized")
    assert "X-API-Key" in error["message"]


def test_401_with_an_unknown_key(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/lists", headers={"X-API-Key": "fg_not-a-real-key"}), 401, "unauthorized")


def test_403_when_an_analyst_creates_a_list(client: TestClient, analyst_key: str) -> None:
    error = assert_envelope(client.post("/api/v1/lists", json=LIST, headers={"X-API-Key": analyst_key}), 403, "forbidden")
    assert "analyst" in error["message"]


def test_404_for_an_unknown_route(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_404_for_an_unknown_list(client: TestClient, admin_key: str) -> None:
    error = assert_envelope(client.get("/api/v1/lists/missing", headers={"X-API-Key": admin_key}), 404, "not_found")
    assert "missing" in error["message"]


def test_404_for_an_unknown_entry(client: TestClient, admin_key: str) -> None:
    assert_envelope(client.get("/api/v1/entries/424242", headers={"X-API-Key": admin_key}), 404, "not_found")


def test_405_for_a_wrong_method(client: TestClient, admin_key: str) -> None:
    assert_envelope(client.delete("/api/v1/lists", headers={"X-API-Key": admin_key}), 405, "method_not_allowed")


def test_422_names_a_field_that_is_too_long(client: TestClient, admin_key: str) -> None:
    response = client.post("/api/v1/check", json={"account": "1" * 257}, headers={"X-API-Key": admin_key})
    error = assert_envelope(response, 422, "invalid_input")
    assert fields(error) == ["account"]
    assert error["message"].startswith("account: ")


def test_422_names_an_extra_field(client: TestClient, admin_key: str) -> None:
    response = client.post("/api/v1/check", json={"account": "6222021001122334455", "iban": "x"}, headers={"X-API-Key": admin_key})
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["iban"]


def test_422_names_a_nested_field(client: TestClient, admin_key: str) -> None:
    response = client.post("/api/v1/check/batch", json={"items": [{}, {"card": 5}]}, headers={"X-API-Key": admin_key})
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["items.1.card"]


def test_422_for_a_body_that_is_not_json(client: TestClient, admin_key: str) -> None:
    response = client.post("/api/v1/check", content=b"{oops", headers={"X-API-Key": admin_key, "Content-Type": "application/json"})
    error = assert_envelope(response, 422, "invalid_input")
    # the body is named, not the character where decoding failed (it was field "1": stop 26)
    assert fields(error) == ["body"]
    assert error["problems"][0]["problem"].startswith("is not valid JSON")
    assert error["message"].startswith("body: is not valid JSON")


def test_422_domain_validation_names_the_bad_identifier(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/api/v1/check", json={"account": "6222-ABCD-1001", "card": "4111111111111112"}, headers={"X-API-Key": admin_key}
    )
    error = assert_envelope(response, 422, "invalid_input")
    assert fields(error) == ["account", "card"]


def test_422_for_an_empty_check(client: TestClient, admin_key: str) -> None:
    assert fields(assert_envelope(client.post("/api/v1/check", json={}, headers={"X-API-Key": admin_key}), 422, "invalid_input")) == [
        "payee"
    ]


def test_422_for_an_unknown_identifier_type_in_a_search(client: TestClient, admin_key: str) -> None:
    response = client.get("/api/v1/entries", params={"id_type": "teleporter", "value": "1"}, headers={"X-API-Key": admin_key})
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["id_type"]


def test_422_not_500_for_ids_beyond_64_bits(client: TestClient, admin_key: str) -> None:
    """Regression: numbers the store cannot hold were a 500 (OverflowError / out of range)."""
    headers = {"X-API-Key": admin_key}
    client.post("/api/v1/lists", json=LIST, headers=headers)
    huge = str(2**63)
    assert fields(assert_envelope(client.get(f"/api/v1/entries/{huge}", headers=headers), 422, "invalid_input")) == ["entry_id"]
    response = client.patch(f"/api/v1/entries/{huge}", json={"risk_level": "low"}, headers=headers)
    assert_envelope(response, 422, "invalid_input")
    response = client.post(f"/api/v1/entries/{huge}/delist", json={"reason": "x"}, headers=headers)
    assert_envelope(response, 422, "invalid_input")
    response = client.get("/api/v1/lists/police/state", params={"seq": huge}, headers=headers)
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["seq"]
    assert fields(assert_envelope(client.get("/api/v1/changes", params={"since": huge}, headers=headers), 422, "invalid_input")) == [
        "since"
    ]
    response = client.get("/api/v1/lists/police/entries", params={"offset": huge}, headers=headers)
    assert_envelope(response, 422, "invalid_input")
    # Found by the OpenAPI fuzzer: offsets past 64 bits reached the database.
    for path in ("/api/v1/alerts", "/api/v1/monitors/results"):
        assert fields(assert_envelope(client.get(path, params={"offset": huge}, headers=headers), 422, "invalid_input")) == ["offset"]


def test_a_body_past_its_limit_is_refused_as_it_arrives(client: TestClient, admin_key: str) -> None:
    """A chunked upload declares no length: it is counted as it arrives and refused past the
    limit (the guard's events: 64 KiB), never read whole into memory first."""
    headers = {"X-API-Key": admin_key}

    def chunks(n: int) -> Iterator[bytes]:
        yield b'{"event_id": "'
        for _ in range(n):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/guard/events", content=chunks(100), headers={**headers, "content-type": "application/json"})
    error = assert_envelope(response, 422, "invalid_input")
    assert fields(error) == ["body"] and "larger than 65536 bytes" in error["problems"][0]["problem"]
    response = client.post("/api/v1/guard/events", content=b"x" * 70_000, headers=headers)  # with a Content-Length
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["body"]
    response = client.post("/api/v1/ledger/import", params={"format": "paysim"}, content=iter([b""]), headers=headers)
    assert fields(assert_envelope(response, 422, "invalid_input")) == ["body"]


def test_409_for_a_duplicate_list(client: TestClient, admin_key: str) -> None:
    headers = {"X-API-Key": admin_key}
    assert client.post("/api/v1/lists", json=LIST, headers=headers).status_code == 201
    assert_envelope(client.post("/api/v1/lists", json=LIST, headers=headers), 409, "conflict")


def test_429_when_the_public_rate_limit_is_exceeded(client: TestClient) -> None:
    statuses = [client.post("/api/v1/public/check", json={"account": "6222000011112222999"}) for _ in range(15)]
    limited = [r for r in statuses if r.status_code == 429]
    assert statuses[0].status_code == 200
    assert limited, [r.status_code for r in statuses]
    assert_envelope(limited[0], 429, "rate_limited")
    assert limited[0].headers["Retry-After"] == "60"


def test_500_is_the_envelope_and_reveals_nothing(platform: Platform) -> None:
    app = create_app(platform)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    error = assert_envelope(response, 500, "internal_error")
    assert error["problems"] == []
    assert "secret" not in response.text
