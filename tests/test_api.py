"""The HTTP API: roles, the staff and public checks, batches, imports, entries, the feed and ops."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform

from .conftest import make_settings

ACCOUNT = "6222021001122334455"
OTHER_ACCOUNT = "6222021001122339999"
CLEAN = "6222000011112222999"
CSV = """key,id_type,id_value,risk_level,reason
k1,account,6222 0210 0112 2334 455,critical,telecom fraud
k2,phone,139 1234 5678,medium,fraud calls
k3,card,6228480402564890018,,mule card
"""


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def create_list(client: TestClient, key: str, code: str = "police", kind: str = "internal", level: str = "critical") -> None:
    """A list the bank's own staff write (police-reported and sanctions lists have their own
    writers: tests/test_authority.py)."""
    body = {"code": code, "name": code.title(), "kind": kind, "owner": "PSB", "default_level": level}
    response = client.post("/api/v1/lists", json=body, headers=h(key))
    assert response.status_code == 201, response.text


def add_account(client: TestClient, key: str, code: str, account: str, entry_key: str, reason: str = "telecom fraud") -> dict[str, Any]:
    body = {"key": entry_key, "identifiers": [{"type": "account", "value": account}], "reason": reason}
    response = client.post(f"/api/v1/lists/{code}/entries", json=body, headers=h(key))
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


def import_csv(client: TestClient, key: str, code: str, text: str, **params: str) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/api/v1/lists/{code}/import", params={"format": "csv", **params}, content=text.encode(), headers=h(key)
    )
    return response


# --- roles ------------------------------------------------------------------------------------


def test_admin_can_create_lists_and_import(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    response = import_csv(client, admin_key, "police", CSV)
    assert response.status_code == 200, response.text


def test_analyst_can_check_read_and_add_entries_but_not_create_lists_or_write_police_lists(
    client: TestClient, admin_key: str, analyst_key: str
) -> None:
    create_list(client, admin_key)
    create_list(client, admin_key, code="psb", kind="fraud_account")
    analyst = h(analyst_key)
    assert client.post("/api/v1/check", json={"account": CLEAN}, headers=analyst).status_code == 200
    assert client.get("/api/v1/lists", headers=analyst).status_code == 200
    assert client.get("/api/v1/lists/police/entries", headers=analyst).status_code == 200
    assert client.get("/api/v1/changes", headers=analyst).status_code == 200
    add_account(client, analyst_key, "police", ACCOUNT, "a1")
    body = {"code": "mine", "name": "Mine", "kind": "internal", "owner": "me"}
    assert client.post("/api/v1/lists", json=body, headers=analyst).status_code == 403
    assert import_csv(client, analyst_key, "psb", CSV).status_code == 403
    body = {"key": "x", "identifiers": [{"type": "account", "value": ACCOUNT}]}
    assert client.post("/api/v1/lists/psb/entries", json=body, headers=analyst).status_code == 403


def test_a_revoked_key_is_unauthorized(client: TestClient, platform: Platform, analyst_key: str) -> None:
    assert client.get("/api/v1/lists", headers=h(analyst_key)).status_code == 200
    platform.keys.revoke("analyst-1", actor="test")
    response = client.get("/api/v1/lists", headers=h(analyst_key))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_public_check_needs_no_key(client: TestClient) -> None:
    assert client.post("/api/v1/public/check", json={"account": CLEAN}).json()["outcome"] == "pass"


# --- the check ---------------------------------------------------------------------------------


def test_staff_check_carries_hits_with_list_reason_and_sequence(client: TestClient, admin_key: str, platform: Platform) -> None:
    create_list(client, admin_key)
    entry = add_account(client, admin_key, "police", ACCOUNT, "a1", reason="涉电信诈骗")
    response = client.post("/api/v1/check", json={"account": "6222 0210-0112 2334 455"}, headers=h(admin_key))
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "block" and body["risk_level"] == "critical"
    assert body["seq"] == platform.list_store.head_seq() == entry["created_seq"]
    (hit,) = body["hits"]
    assert (hit["list_code"], hit["entry_id"], hit["entry_key"], hit["field"], hit["reason"]) == (
        "police",
        entry["id"],
        "a1",
        "account",
        "涉电信诈骗",
    )
    assert hit["matched_value"] == ACCOUNT


def test_public_check_reveals_only_the_outcome_and_advice(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key, code="secret-police-list")
    add_account(client, admin_key, "secret-police-list", ACCOUNT, "secret-entry-key", reason="secret reason")
    response = client.post("/api/v1/public/check", json={"account": ACCOUNT})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"check_id", "outcome", "advice_zh", "advice_en"}
    assert body["outcome"] == "block"
    for secret in ("secret-police-list", "secret-entry-key", "secret reason", "fraud_account", "critical"):
        assert secret not in response.text


def test_public_answers_are_identical_whatever_list_was_hit(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key, code="police")
    create_list(client, admin_key, code="sdn", kind="mule_account")
    add_account(client, admin_key, "police", ACCOUNT, "p1", reason="telecom fraud")
    add_account(client, admin_key, "sdn", OTHER_ACCOUNT, "s1", reason="sanctioned")
    a = client.post("/api/v1/public/check", json={"account": ACCOUNT}).json()
    b = client.post("/api/v1/public/check", json={"account": OTHER_ACCOUNT}).json()
    assert a.pop("check_id") != b.pop("check_id")
    assert a == b
    assert a["outcome"] == "block" and "96110" in a["advice_zh"]


def test_public_check_accepts_only_public_fields(client: TestClient) -> None:
    response = client.post("/api/v1/public/check", json={"account": CLEAN, "id_number": "11010519491231002X"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["problems"]] == ["id_number"]


def test_batch_of_10000_checks_each_item_and_reports_a_bad_one_alone(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    add_account(client, admin_key, "police", ACCOUNT, "a1")
    items = [{"account": f"62220000{i:08d}"} for i in range(10_000)]
    items[0] = {"account": ACCOUNT}
    items[7] = {"account": "not-an-account"}
    response = client.post("/api/v1/check/batch", json={"items": items}, headers=h(admin_key))
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["count"] == 10_000 == len(body["results"])
    assert [r["index"] for r in body["results"]] == list(range(10_000))
    assert body["results"][0]["result"]["outcome"] == "block"
    bad = body["results"][7]
    assert bad["result"] is None
    assert bad["error"]["status"] == 422 and [p["field"] for p in bad["error"]["problems"]] == ["account"]
    assert all(r["result"]["outcome"] == "pass" for i, r in enumerate(body["results"]) if i not in (0, 7))


def test_batch_of_10001_is_rejected(client: TestClient, admin_key: str) -> None:
    items = [{"account": CLEAN}] * 10_001
    response = client.post("/api/v1/check/batch", json={"items": items}, headers=h(admin_key))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["problems"]] == ["items"]


# --- import and export ------------------------------------------------------------------------


def test_import_csv_reports_counts_and_is_idempotent(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key, level="high")
    first = import_csv(client, admin_key, "police", CSV).json()
    assert (first["list_code"], first["rows"], first["added"], first["changed"], first["delisted"], first["rejected"]) == (
        "police",
        3,
        3,
        0,
        0,
        [],
    )
    assert first["first_seq"] < first["last_seq"]
    again = import_csv(client, admin_key, "police", CSV).json()
    assert (again["added"], again["unchanged"], again["first_seq"]) == (0, 3, None)
    check = client.post("/api/v1/check", json={"phone": "+86 139 1234 5678"}, headers=h(admin_key)).json()
    assert check["outcome"] == "warn"


MORE = "".join(f"m{i},account,62220000000{i:05d},high,mule\n" for i in range(20))
BAD_CSV = CSV + MORE + "k4,card,1234567890123,high,not luhn\nk5,teleporter,42,high,unknown type\n"


def test_import_with_a_bad_row_is_rejected_with_line_numbers(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    response = import_csv(client, admin_key, "police", BAD_CSV)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert [(p["line"], p["field"]) for p in error["problems"]] == [(25, "id_value"), (26, "id_type")]
    assert "line 25" in error["message"]
    assert client.get("/api/v1/changes", headers=h(admin_key)).json()["changes"] == []


def test_import_can_skip_bad_rows(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    response = import_csv(client, admin_key, "police", BAD_CSV, skip_bad_rows="true")
    assert response.status_code == 200
    report = response.json()
    assert report["added"] == 23
    assert [p["line"] for p in report["rejected"]] == [25, 26]


def test_import_refuses_to_wipe_a_list_unless_allowed(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    import_csv(client, admin_key, "police", CSV + MORE)
    wrong = import_csv(client, admin_key, "police", "colour,id_value\nred,1\n", skip_bad_rows="true")
    assert wrong.status_code == 422 and wrong.json()["error"]["problems"][0]["field"] == "header"
    mass = import_csv(client, admin_key, "police", CSV)
    assert mass.status_code == 422 and mass.json()["error"]["code"] == "mass_delist_refused"
    allowed = import_csv(client, admin_key, "police", CSV, allow_mass_delist="true")
    # allowed through the guard; delisting from a fraud list lowers outcomes, so it waits for a second person
    assert allowed.status_code == 200 and allowed.json()["delisted"] + allowed.json()["held"] == 20


def test_import_of_an_empty_body_or_unknown_list_is_an_error(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    empty = client.post("/api/v1/lists/police/import", content=b"", headers=h(admin_key))
    assert empty.status_code == 422 and empty.json()["error"]["problems"][0]["field"] == "body"
    assert import_csv(client, admin_key, "missing", CSV).status_code == 404


def test_export_csv_and_jsonl(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    import_csv(client, admin_key, "police", CSV)
    as_csv = client.get("/api/v1/lists/police/export", params={"format": "csv"}, headers=h(admin_key))
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="police.csv"' in as_csv.headers["content-disposition"]
    lines = as_csv.text.splitlines()
    assert lines[0].startswith("key,subject,id_type,id_value") and len(lines) == 4
    assert f"k1,identifier,account,{ACCOUNT}" in as_csv.text
    as_jsonl = client.get("/api/v1/lists/police/export", headers=h(admin_key))
    assert as_jsonl.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [r["key"] for r in records] == ["k1", "k2", "k3"]
    assert records[1]["identifiers"] == [{"type": "phone", "value": "+8613912345678"}]
    # The export re-imports without a change.
    report = client.post("/api/v1/lists/police/import", params={"format": "jsonl"}, content=as_jsonl.content, headers=h(admin_key)).json()
    assert (report["added"], report["changed"], report["delisted"], report["unchanged"]) == (0, 0, 0, 3)


# --- entries ----------------------------------------------------------------------------------


def approve(client: TestClient, key: str, pending: httpx.Response) -> dict[str, Any]:
    """A second person approves a change that waited (202) for approval."""
    assert pending.status_code == 202, pending.text
    response = client.post(f"/api/v1/approvals/{pending.json()['id']}/approve", json={"reason": "checked"}, headers=h(key))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    return dict(response.json())


def test_entry_lifecycle_add_get_modify_delist_and_search(
    client: TestClient, admin_key: str, analyst_key: str, supervisor_key: str
) -> None:
    create_list(client, admin_key)
    analyst = h(analyst_key)
    entry = add_account(client, analyst_key, "police", "6222 0210 0112 2334 455", "a1")
    assert entry["identifiers"] == [{"type": "account", "value": ACCOUNT}]
    assert (entry["version"], entry["risk_level"], entry["delisted_at"]) == (1, "critical", None)

    got = client.get(f"/api/v1/entries/{entry['id']}", headers=analyst).json()
    assert got == entry

    # Lowering a risk entry waits for a supervisor (tests/test_authority.py).
    approve(client, supervisor_key, client.patch(f"/api/v1/entries/{entry['id']}", json={"risk_level": "medium"}, headers=analyst))
    patched = client.get(f"/api/v1/entries/{entry['id']}", headers=analyst).json()
    assert (patched["risk_level"], patched["version"]) == ("medium", 2)
    assert patched["updated_seq"] > entry["updated_seq"]
    assert client.post("/api/v1/check", json={"account": ACCOUNT}, headers=analyst).json()["outcome"] == "warn"

    found = client.get("/api/v1/entries", params={"id_type": "account", "value": "6222-0210-0112-2334-455"}, headers=analyst).json()
    assert [e["id"] for e in found] == [entry["id"]]

    withdrawn = {"reason": "report withdrawn"}
    approve(client, supervisor_key, client.post(f"/api/v1/entries/{entry['id']}/delist", json=withdrawn, headers=analyst))
    delisted = client.get(f"/api/v1/entries/{entry['id']}", headers=analyst).json()
    assert delisted["delisted_at"] is not None and delisted["delist_reason"] == "report withdrawn"
    assert client.post("/api/v1/check", json={"account": ACCOUNT}, headers=analyst).json()["outcome"] == "pass"
    active = client.get("/api/v1/lists/police/entries", headers=analyst).json()
    assert active == []
    everything = client.get("/api/v1/lists/police/entries", params={"active_only": "false"}, headers=analyst).json()
    assert [e["id"] for e in everything] == [entry["id"]]


def test_adding_an_entry_with_a_bad_identifier_names_it(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    body = {"identifiers": [{"type": "card", "value": "4111111111111112"}]}
    response = client.post("/api/v1/lists/police/entries", json=body, headers=h(admin_key))
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["field"] == "identifiers[0]"


def test_a_delisting_needs_a_reason(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    entry = add_account(client, admin_key, "police", ACCOUNT, "a1")
    response = client.post(f"/api/v1/entries/{entry['id']}/delist", json={"reason": ""}, headers=h(admin_key))
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["field"] == "reason"


# --- the change feed and history --------------------------------------------------------------


def test_changes_feed_pages_with_since_and_next(client: TestClient, admin_key: str) -> None:
    create_list(client, admin_key)
    for i in range(5):
        add_account(client, admin_key, "police", f"6222000000000{i}", f"a{i}")
    first = client.get("/api/v1/changes", params={"since": 0, "limit": 3}, headers=h(admin_key)).json()
    seqs = [c["seq"] for c in first["changes"]]
    assert len(seqs) == 3 and seqs == sorted(set(seqs))
    assert (first["since"], first["next"]) == (0, seqs[-1])
    assert first["changes"][0]["op"] == "add" and first["changes"][0]["list_code"] == "police"
    rest = client.get("/api/v1/changes", params={"since": first["next"]}, headers=h(admin_key)).json()
    more = [c["seq"] for c in rest["changes"]]
    assert len(more) == 2 and more[0] > seqs[-1] and more == sorted(more)
    tail = client.get("/api/v1/changes", params={"since": rest["next"]}, headers=h(admin_key)).json()
    assert tail == {"since": rest["next"], "next": rest["next"], "changes": []}


def test_list_state_at_a_sequence(client: TestClient, admin_key: str, supervisor_key: str) -> None:
    create_list(client, admin_key)
    a = add_account(client, admin_key, "police", "62220000000001", "a")
    b = add_account(client, admin_key, "police", "62220000000002", "b")
    approve(client, supervisor_key, client.post(f"/api/v1/entries/{a['id']}/delist", json={"reason": "wrong"}, headers=h(admin_key)))

    def keys_at(seq: int) -> list[str]:
        response = client.get("/api/v1/lists/police/state", params={"seq": seq}, headers=h(admin_key))
        assert response.status_code == 200
        return [e["key"] for e in response.json()]

    assert keys_at(0) == []
    assert keys_at(a["created_seq"]) == ["a"]
    assert keys_at(b["created_seq"]) == ["a", "b"]
    assert keys_at(b["created_seq"] + 1) == ["b"]


# --- ops and docs -----------------------------------------------------------------------------


def test_health_readiness_and_metrics(client: TestClient, admin_key: str) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    create_list(client, admin_key)
    add_account(client, admin_key, "police", ACCOUNT, "a1")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["seq"] == 1 and ready.json()["identifiers"] == 1
    client.post("/api/v1/check", json={"account": ACCOUNT}, headers=h(admin_key))
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "finguard_checks_total" in metrics.text
    assert 'finguard_checks_total{outcome="block",view="staff"}' in metrics.text
    assert "finguard_list_seq 1.0" in metrics.text


def test_docs_and_openapi_load(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "finguard"
    assert {"/api/v1/check", "/api/v1/public/check", "/api/v1/check/batch", "/api/v1/changes"} <= set(spec["paths"])


# --- a stale process ----------------------------------------------------------------------------


@pytest.fixture
def stale_client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    p = Platform(make_settings(db_url, tmp_path, max_staleness_ms=50, feed_poll_ms=10))
    p.follower.stop()
    try:
        with TestClient(create_app(p)) as c:
            yield c
    finally:
        p.close()


def test_a_stale_process_is_not_ready_and_answers_unavailable(stale_client: TestClient) -> None:
    import time

    time.sleep(0.1)
    ready = stale_client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "stale"
    assert stale_client.post("/api/v1/public/check", json={"account": CLEAN}).json()["outcome"] == "unavailable"
