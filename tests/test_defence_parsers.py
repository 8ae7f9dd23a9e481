"""Every parser is bounded (issue #18): digits, JSON depth, size. Hostile input is a 422 that
names the field, never a 500.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from finguard.core import jsonsafe
from finguard.core.errors import InvalidInput
from tests.guard_helpers import transfer

DEEP = b"[" * 30_000 + b"]" * 30_000
MAX_ID = 2**63 - 1


def problem_fields(response: object) -> list[str]:
    return [p["field"] for p in response.json()["error"]["problems"]]  # type: ignore[attr-defined]


def test_a_5000_digit_amount_is_422_over_http(client: TestClient, admin_key: str) -> None:
    body = json.dumps(transfer("digits")).replace('"100.00"', "9" * 5000)
    r = client.post("/api/v1/guard/events", content=body, headers={"X-API-Key": admin_key, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["body"]


def test_a_5000_digit_amount_as_a_string_is_422_naming_the_amount(client: TestClient, admin_key: str) -> None:
    r = client.post("/api/v1/guard/events", json=transfer("digits", amount="9" * 5000), headers={"X-API-Key": admin_key})
    assert r.status_code == 422 and "amount" in problem_fields(r)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/guard/events", "/api/v1/check", "/api/v1/public/check", "/api/v1/check/batch", "/api/v1/screening/name"],
)
def test_a_30000_deep_json_body_is_422(client: TestClient, admin_key: str, path: str) -> None:
    r = client.post(path, content=DEEP, headers={"X-API-Key": admin_key, "Content-Type": "application/json"})
    public = path.startswith("/api/v1/public")
    assert r.status_code == (413 if public else 422), (path, r.status_code, r.text[:200])  # the public check takes 4 KiB
    assert problem_fields(r) == ["body"]
    # Anonymous, the public check takes 4 KiB at most: 1,500 levels fit in that.
    r = client.post(path, content=b"[" * 1500 + b"]" * 1500, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 if public else r.status_code in (401, 422)


def test_an_entry_id_of_2_to_the_63_is_422_in_a_path_and_in_a_body(client: TestClient, admin_key: str) -> None:
    h = {"X-API-Key": admin_key}
    assert client.get(f"/api/v1/entries/{2**63}", headers=h).status_code == 422
    r = client.post("/api/v1/parties/p1/decisions", json={"entry_id": 2**63, "decision": "confirmed", "reason": "x"}, headers=h)
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["entry_id"]
    client.post("/api/v1/parties/screen", json={"key": "p1", "name": "Li Si"}, headers=h)
    r = client.post("/api/v1/parties/p1/decisions", json={"entry_id": MAX_ID, "decision": "confirmed", "reason": "x"}, headers=h)
    assert r.status_code == 404, r.text  # in range, just not there


def test_an_id_of_2_to_the_63_in_any_route_is_422(client: TestClient, admin_key: str) -> None:
    """A route that does not bound its id itself (found by the fuzz test on the credit API)."""
    r = client.get(f"/api/v1/credit/applications/{2**63}", headers={"X-API-Key": admin_key})
    assert r.status_code in (404, 422), r.text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_the_guarded_parser_reads_what_json_reads_within_its_bounds(value: object) -> None:
    raw = json.dumps(value).encode()
    try:
        assert jsonsafe.loads(raw, exact=False) == value
    except InvalidInput as exc:
        if "surrogate" in exc.problems[0].problem:  # half a surrogate pair is no text: refused, named where
            assert not _encodes(value)
            return
        assert exc.problems[0].field == "body"
        assert jsonsafe.json_depth(raw) > jsonsafe.MAX_JSON_DEPTH or any(
            len(t) > jsonsafe.MAX_NUMBER_CHARS for t in raw.decode().replace('"', " ").split()
        )


def _encodes(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_half_a_surrogate_pair_is_refused_naming_where_and_a_whole_pair_is_read() -> None:
    """JSON may escape half a surrogate pair (\\ud800), which parses into text no store, stream or
    response can write as UTF-8: found publishing a JSONL file to the guard's stream (a crash
    mid-publish, not a refusal)."""
    assert jsonsafe.loads(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    for raw, where in [
        (b'{"payee": {"name": "Zhang\\ud800San"}}', "payee.name"),
        (b'["ok", "\\udfff"]', "[1]"),
        (b'"\\uD800"', "body"),
        (b'{"\\ud800": 1}', "\\ud800"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            jsonsafe.loads(raw)
        assert exc.value.problems[0].field == where and "surrogate" in exc.value.problems[0].problem
        exc.value.problems[0].field.encode("utf-8")  # the answer itself can be written


def test_a_half_surrogate_is_422_over_http_naming_the_field(client: TestClient, admin_key: str) -> None:
    body = json.dumps(transfer("sur", at=datetime.now(UTC))).replace('"Zhang San"', '"Zhang\\ud800San"')
    assert "ud800" in body
    r = client.post("/api/v1/guard/events", content=body, headers={"X-API-Key": admin_key, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["payee.name"]


def test_a_jsonl_line_with_a_half_surrogate_is_refused_before_publishing(tmp_path: Path) -> None:
    from finguard.guard.service.stream import read_jsonl

    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(transfer("a")) + "\n" + json.dumps(transfer("b")).replace('"Zhang San"', '"\\udc00"') + "\n")
    with pytest.raises(InvalidInput) as exc:
        read_jsonl(path)
    assert [(p.field, p.line) for p in exc.value.problems] == [("line", 2)] and "surrogate" in exc.value.problems[0].problem
    rows, skipped = read_jsonl(path, skip_bad=True)
    assert [line for line, _ in rows] == [1] and [p.line for p in skipped] == [2]


def test_depth_ignores_brackets_inside_strings() -> None:
    assert jsonsafe.json_depth(b'{"a": "[[[[\\"[[[", "b": [1, [2]]}') == 3
    assert jsonsafe.json_depth(b"7") == 0


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/api/v1/lists", {"code": "nul", "name": "a\u0000b", "kind": "internal", "owner": "bank"}),
        ("POST", "/api/v1/parties/screen", {"key": "p\u0000", "name": "Li\u0000 Si"}),
        ("GET", "/api/v1/lists/a%00b", None),
        ("GET", "/api/v1/entries?id_type=account&value=62%0022", None),
    ],
)
def test_a_nul_character_is_422_naming_where_it_was(client: TestClient, admin_key: str, method: str, path: str, body: object) -> None:
    """PostgreSQL text cannot hold U+0000: found by schemathesis as a psycopg DataError (a 500)."""
    r = client.request(method, path, json=body, headers={"X-API-Key": admin_key})
    assert r.status_code == 422, r.text
    assert problem_fields(r)[0] in ("body", "path", "query")
