"""The identity API (#17): numbers answer with named problems; uploads are bounded and checked.

The face route gets two real London-set pictures (``tests/data/faces``); every bad upload is a
422 naming its part, and nothing is audited for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.identity.http import router
from finguard.identity.provider import identity_for

ZHANG = "11010519491231002X"


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform)
    app.include_router(router)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def key(platform: Platform) -> dict[str, str]:
    return {"X-API-Key": platform.keys.create("teller-7", "analyst", actor="test")[1]}


@pytest.fixture(scope="module")
def pictures(shared_data: Path) -> dict[str, bytes]:
    root = shared_data / "faces" / "london-set"
    return {"photo": (root / "neutral" / "001.jpg").read_bytes(), "capture": (root / "smiling" / "001.jpg").read_bytes()}


def test_a_resident_id_number_is_checked_and_its_facts_returned(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/api/v1/identity/id-number", json={"number": ZHANG, "at": "2026-12-05"}, headers=key)
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] and body["facts"]["age"] == "76" and body["facts"]["gender"] == "female"


def test_a_wrong_check_digit_is_an_answer_naming_the_problem(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/api/v1/identity/id-number", json={"number": "110105194912310021"}, headers=key)
    assert r.status_code == 200
    [problem] = r.json()["problems"]
    assert problem["code"] == "check_digit" and "expected X" in problem["message"] and problem["message_zh"]


def test_other_documents_by_kind(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/api/v1/identity/id-number", json={"number": "91350100M000100Y43", "kind": "uscc"}, headers=key)
    assert r.json()["valid"]
    r = api.post("/api/v1/identity/id-number", json={"number": "H1234567", "kind": "hk_macao_resident_permit"}, headers=key)
    assert [p["code"] for p in r.json()["problems"]] == ["format"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"number": ZHANG, "kind": "driving_licence"}, "kind"), ({"number": ""}, "number"), ({"number": ZHANG, "at": "5/12/2026"}, "at")],
)
def test_an_unreadable_request_is_422_naming_the_field(api: TestClient, key: dict[str, str], body: dict[str, str], field: str) -> None:
    r = api.post("/api/v1/identity/id-number", json=body, headers=key)
    assert r.status_code == 422
    assert field in str(r.json())


def test_the_routes_need_a_staff_key(api: TestClient) -> None:
    assert api.post("/api/v1/identity/id-number", json={"number": ZHANG}).status_code == 401


def test_name_check_without_a_registry_is_unavailable(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/api/v1/identity/name", json={"name": "张三", "id_number": ZHANG}, headers=key)
    assert r.status_code == 200 and r.json()["outcome"] == "unavailable"


def test_a_face_is_verified_and_audited_without_the_picture(
    api: TestClient, key: dict[str, str], platform: Platform, pictures: dict[str, bytes]
) -> None:
    files = {"photo": ("photo.jpg", pictures["photo"], "image/jpeg"), "capture": ("capture.jpg", pictures["capture"], "image/jpeg")}
    r = api.post("/api/v1/identity/face", files=files, headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["verdict"], body["reason"], body["masked"]) == ("match", "same_person", False)
    assert body["reason_text"]["zh"] and body["capture"]["faces"] == 1
    [(_, entry)] = identity_for(platform).log.recent(5)
    assert (entry.kind, entry.outcome, entry.actor) == ("face", "match", "teller-7")
    assert "embedding" not in str(entry.detail) and len(str(entry.detail)) < 2000


def test_bad_uploads_are_422_naming_the_part_and_nothing_is_audited(
    api: TestClient, key: dict[str, str], platform: Platform, pictures: dict[str, bytes]
) -> None:
    photo = ("photo.jpg", pictures["photo"], "image/jpeg")
    cases = [
        ({"photo": photo}, "capture"),
        ({"photo": photo, "capture": ("c.pdf", b"%PDF-1.4", "application/pdf")}, "capture"),
        ({"photo": photo, "capture": ("c.jpg", b"", "image/jpeg")}, "capture"),
        ({"photo": ("p.jpg", pictures["photo"], "text/html"), "capture": photo}, "photo"),
        ({"photo": photo, "capture": ("c.jpg", b"\xff\xd8\xff" + b"\x00" * 100, "image/jpeg")}, "capture"),
    ]
    for files, field in cases:
        r = api.post("/api/v1/identity/face", files=files, headers=key)
        assert r.status_code == 422, (field, r.text)
        assert field in [p["field"] for p in r.json()["error"]["problems"]]
    r = api.post("/api/v1/identity/face", json={"photo": "x"}, headers=key)
    assert r.status_code == 422
    assert identity_for(platform).log.recent(5) == []


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(
    api: TestClient, key: dict[str, str], monkeypatch: pytest.MonkeyPatch, pictures: dict[str, bytes]
) -> None:
    monkeypatch.setenv("FINGUARD_IDENTITY_MAX_IMAGE_BYTES", "20000")
    files = {"photo": ("p.jpg", pictures["photo"], "image/jpeg"), "capture": ("c.jpg", pictures["capture"], "image/jpeg")}
    r = api.post("/api/v1/identity/face", files=files, headers=key)
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["error"]["problems"]} <= {"body", "photo", "capture"}
