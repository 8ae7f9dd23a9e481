"""Per-person staff accounts and server-side sessions (#18).

Defect: the staff session cookie was the raw API key, so a stolen cookie was a permanent key.
Now a person signs in with their own account (argon2id password hash); the cookie holds a
random session token whose hash alone is stored, with an expiry and a revocation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from finguard.access.pages import COOKIE, csrf_token
from finguard.access.service.keys import hash_key
from finguard.access.store.accounts import staff_session, staff_user
from finguard.app.platform import Platform
from tests.conftest import make_settings
from tests.test_web_staff import staff_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    platform.accounts.create_user("alice", "supervisor", PASSWORD, actor="os:root")
    with TestClient(staff_app(platform)) as c:
        yield c


def login(web: TestClient, user: str, password: str) -> int:
    r = web.post("/staff/login", data={"user": user, "password": password, "lang": "en"}, follow_redirects=False)
    return r.status_code


def test_a_person_signs_in_with_user_and_password_and_the_cookie_is_a_random_session(web: TestClient, platform: Platform) -> None:
    assert login(web, "alice", "wrong password!!") == 401
    assert login(web, "nobody", PASSWORD) == 401
    assert COOKIE not in web.cookies
    assert login(web, "alice", PASSWORD) == 303
    token = web.cookies[COOKIE]
    assert PASSWORD not in token and token.startswith("fgs_") and len(token) > 40
    page = web.get("/staff/?lang=en")
    assert page.status_code == 200 and "alice" in page.text
    with platform.engine.connect() as conn:
        (stored,) = conn.execute(select(staff_session.c.token_hash, staff_session.c.actor_name)).all()
        password_hash = conn.execute(select(staff_user.c.password_hash)).scalar_one()
    assert stored == (hash_key(token), "alice")  # only the token's hash is kept
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash
    # The session token is no API key.
    assert web.get("/api/v1/lists", headers={"X-API-Key": token}).status_code == 401


def test_a_stolen_cookie_dies_with_the_session(web: TestClient, platform: Platform) -> None:
    assert login(web, "alice", PASSWORD) == 303
    stolen = web.cookies[COOKIE]
    r = web.post("/staff/logout", data={"csrf": csrf_token(stolen), "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303
    with TestClient(staff_app(platform)) as thief:
        thief.cookies.set(COOKIE, stolen, path="/staff")
        assert thief.get("/staff/", follow_redirects=False).status_code == 303  # to the login page


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(web: TestClient, platform: Platform) -> None:
    assert login(web, "alice", PASSWORD) == 303
    assert web.get("/staff/", follow_redirects=False).status_code == 200
    platform.accounts.set_password("alice", "another long password", actor="os:root")
    assert web.get("/staff/", follow_redirects=False).status_code == 303
    assert login(web, "alice", PASSWORD) == 401
    assert login(web, "alice", "another long password") == 303
    platform.accounts.disable_user("alice", actor="os:root")
    assert web.get("/staff/", follow_redirects=False).status_code == 303
    assert login(web, "alice", "another long password") == 401
    actions = [e.action for _s, e in platform.audit.recent(limit=100, actor="os:root")]
    assert {"user.create", "user.password", "user.disable"} <= set(actions)


def test_a_session_expires(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path, session_hours=0.5 / 3600, delta_screening=False)) as p:
        p.accounts.create_user("bob", "analyst", PASSWORD, actor="os:root")
        with TestClient(staff_app(p)) as web:
            assert login(web, "bob", PASSWORD) == 303
            assert web.get("/staff/", follow_redirects=False).status_code == 200
            time.sleep(0.6)
            assert web.get("/staff/", follow_redirects=False).status_code == 303


def test_passwords_are_checked_for_length_and_accounts_named_once(platform: Platform) -> None:
    from finguard.core.errors import Conflict, InvalidInput

    with pytest.raises(InvalidInput) as short:
        platform.accounts.create_user("carol", "analyst", "short", actor="os:root")
    assert short.value.problems[0].field == "password"
    with pytest.raises(InvalidInput) as role:
        platform.accounts.create_user("carol", "teller", PASSWORD, actor="os:root")
    assert role.value.problems[0].field == "role"
    platform.accounts.create_user("carol", "analyst", PASSWORD, actor="os:root")
    with pytest.raises(Conflict):
        platform.accounts.create_user("carol", "admin", PASSWORD, actor="os:root")


def test_a_signed_in_person_s_page_views_are_audited(web: TestClient, platform: Platform) -> None:
    assert login(web, "alice", PASSWORD) == 303
    web.get("/staff/alerts?lang=en")
    events = [(e.action, e.target) for _s, e in platform.audit.recent(limit=50, actor="user:alice")]
    assert ("page.get", "/staff/alerts") in events and ("session.start", "") in events
