"""The identity staff page (#17): a number check, and two photos side by side with the verdict.

Pictures go in as multipart and come back only as ``data:`` thumbnails in this response.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.identity import pages


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    app = create_app(platform)
    staff = APIRouter(prefix="/staff")
    staff.include_router(pages.router)
    app.include_router(staff)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def csrf(web: TestClient, platform: Platform) -> str:
    secret = platform.keys.create("teller-3", "analyst", actor="test")[1]
    r = web.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    return csrf_token(web.cookies[COOKIE])  # the form token follows the session, not the key


@pytest.fixture(scope="module")
def pictures(shared_data: Path) -> dict[str, tuple[str, bytes, str]]:
    root = shared_data / "faces" / "london-set"
    return {
        "photo": ("photo.jpg", (root / "neutral" / "001.jpg").read_bytes(), "image/jpeg"),
        "capture": ("capture.jpg", (root / "smiling" / "001.jpg").read_bytes(), "image/jpeg"),
    }


def test_the_page_needs_a_signed_in_staff_member(web: TestClient) -> None:
    r = web.get("/staff/identity?lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


def test_the_page_offers_both_checks_in_both_languages(web: TestClient, csrf: str) -> None:
    en = web.get("/staff/identity?lang=en").text
    assert 'id="number-form"' in en and 'id="face-form"' in en and "Face comparison" in en
    assert "人脸比对" in web.get("/staff/identity?lang=zh").text


def test_a_number_check_shows_its_facts_and_joins_the_recent_checks(web: TestClient, csrf: str) -> None:
    r = web.post("/staff/identity/number?lang=zh", data={"csrf": csrf, "lang": "zh", "number": "11010519491231002X", "kind": "resident_id"})
    assert r.status_code == 200
    assert 'data-valid="true"' in r.text and "格式有效" in r.text and "1949-12-31" in r.text
    assert "1101**********002X" in r.text  # the recent checks show the number masked


def test_an_empty_number_is_named(web: TestClient, csrf: str) -> None:
    r = web.post("/staff/identity/number?lang=en", data={"csrf": csrf, "lang": "en", "number": ""})
    assert r.status_code == 422 and "Enter the document number." in r.text


def test_two_photos_are_shown_side_by_side_with_the_verdict(
    web: TestClient, csrf: str, pictures: dict[str, tuple[str, bytes, str]]
) -> None:
    r = web.post("/staff/identity/face?lang=en", data={"csrf": csrf, "lang": "en"}, files=pictures)
    assert r.status_code == 200, r.text
    assert 'data-verdict="match"' in r.text and "The face matches the photo." in r.text
    assert r.text.count('src="data:image/jpeg;base64,') == 2


def test_a_face_form_without_the_session_token_is_refused(web: TestClient, csrf: str, pictures: dict[str, tuple[str, bytes, str]]) -> None:
    r = web.post("/staff/identity/face?lang=en", data={"csrf": "forged", "lang": "en"}, files=pictures)
    assert r.status_code == 403


def test_a_file_that_is_not_a_picture_is_named(web: TestClient, csrf: str, pictures: dict[str, tuple[str, bytes, str]]) -> None:
    files = {"photo": pictures["photo"], "capture": ("c.pdf", b"%PDF-1.4", "application/pdf")}
    r = web.post("/staff/identity/face?lang=en", data={"csrf": csrf, "lang": "en"}, files=files)
    assert r.status_code == 422 and "The live capture cannot be used." in r.text
