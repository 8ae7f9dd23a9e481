"""The teller payee check and the lists console (#13): staff pages over the lists service, on
SQLite and PostgreSQL (the name search and an entry's history are new store reads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from tests.conftest import make_settings
from tests.test_cases_web import sign_in


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False)) as p:
        p.lists.create_list("mule-own", "Our mule accounts", "mule_account", "fraud team", "high")
        p.lists.create_list("police", "Police fraud accounts", "fraud_account", "police", "critical")
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def _draft(account: str, name: str | None = None) -> EntryDraft:
    party = Party(names=(name,)) if name else None
    return EntryDraft(f"account:{account}", SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, account),), party, reason="mule")


def test_the_store_finds_entries_by_name_words_and_reads_an_entrys_history(platform: Platform) -> None:
    a = platform.lists.add_entry("mule-own", _draft("6222020200001111", "MADURO MOROS, Nicolás"), "t")
    platform.lists.add_entry("mule-own", _draft("6222020200002222", "王强"), "t")
    assert [e.id for e in platform.lists.find_by_name("nicolas maduro")] == [a.id]
    assert [e.id for e in platform.lists.find_by_name("Maduro")] == [a.id]
    assert [e.draft.key for e in platform.lists.find_by_name("王强")] == ["account:6222020200002222"]
    assert platform.lists.find_by_name("100%_") == []  # LIKE wildcards are text, not patterns
    with pytest.raises(Exception, match="name"):
        platform.lists.find_by_name("  ,, ")
    platform.lists.delist(a.id, "court order lifted", "t")
    ops = [c.op.value for c in platform.list_store.changes_of_entry(a.id, 10)]
    assert ops == ["delist", "add"]


def test_a_teller_checks_a_payee_and_sees_every_hit(web: TestClient, platform: Platform, analyst_key: str) -> None:
    platform.lists.add_entry("police", _draft("6222020200003333"), "t")
    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/payee-check?lang=zh")
    assert page.status_code == 200 and "收款方核验" in page.text
    r = web.post("/staff/payee-check", data={"csrf": csrf, "lang": "zh", "account": "6222 0202 0000 3333"})
    assert r.status_code == 200 and 'data-outcome="block"' in r.text and "极高" in r.text and "涉诈账户" in r.text
    r = web.post("/staff/payee-check", data={"csrf": csrf, "lang": "en", "account": "x", "phone": "12"})
    assert r.status_code == 422 and 'data-field="account"' in r.text and 'data-field="phone"' in r.text
    r = web.post("/staff/payee-check", data={"csrf": csrf, "lang": "en"})
    assert r.status_code == 422 and 'data-field="payee"' in r.text


def test_staff_add_edit_and_delist_entries_and_the_next_check_sees_it(web: TestClient, platform: Platform,
                                                                      analyst_key: str, supervisor_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/lists?lang=en")
    assert page.status_code == 200 and 'data-code="mule-own"' in page.text and "As of" in page.text
    # Every bad field named at once.
    r = web.post("/staff/lists/entries", data={"csrf": csrf, "lang": "en", "list_code": "", "id_type": "account",
                                               "id_value": "", "risk_level": "severe", "reason": "", "expires_at": "soon"})
    fields = {"list_code", "id_value", "risk_level", "reason", "expires_at"}
    assert r.status_code == 422 and all(f'data-field="{f}"' in r.text for f in fields)
    r = web.post("/staff/lists/entries", data={"csrf": csrf, "lang": "en", "list_code": "mule-own", "id_type": "account",
                                               "id_value": "abc", "reason": "mule"})
    assert r.status_code == 422 and 'data-field="id_value"' in r.text
    # The police list is written by the police liaison only.
    r = web.post("/staff/lists/entries", data={"csrf": csrf, "lang": "en", "list_code": "police", "id_type": "account",
                                               "id_value": "6222020200004444", "reason": "mule"})
    assert r.status_code == 403 and 'id="forbidden"' in r.text
    r = web.post("/staff/lists/entries", data={"csrf": csrf, "lang": "en", "list_code": "mule-own", "id_type": "account",
                                               "id_value": "6222020200004444", "name": "张伟", "risk_level": "medium",
                                               "reason": "sold his card", "expires_at": "2099-01-01"}, follow_redirects=False)
    assert r.status_code == 303 and "/staff/lists/entries/" in r.headers["location"]
    entry_url = r.headers["location"].split("?")[0]
    entry_id = int(entry_url.rsplit("/", 1)[1])
    hit = web.post("/staff/payee-check", data={"csrf": csrf, "lang": "en", "account": "6222020200004444"})
    assert 'data-outcome="warn"' in hit.text  # the very next check sees the new entry
    found = web.get("/staff/lists?lang=en&id_type=account&value=6222020200004444")
    assert f'data-entry="{entry_id}"' in found.text
    assert f'data-entry="{entry_id}"' in web.get("/staff/lists?lang=en&q_name=张伟").text
    assert 'data-field="id_value"' in web.get("/staff/lists?lang=en&id_type=account&value=zz").text
    # Raising the level applies at once; the next check blocks.
    r = web.post(f"{entry_url}/edit", data={"csrf": csrf, "lang": "en", "risk_level": "high", "reason": "sold two cards"},
                 follow_redirects=False)
    assert r.status_code == 303
    assert 'data-outcome="block"' in web.post("/staff/payee-check", data={"csrf": csrf, "lang": "en",
                                                                          "account": "6222020200004444"}).text
    r = web.post(f"{entry_url}/edit", data={"csrf": csrf, "lang": "en", "risk_level": "x", "reason": "", "expires_at": "y"})
    assert r.status_code == 422 and all(f'data-field="{f}"' in r.text for f in ("risk_level", "reason", "expires_at"))
    # A delisting needs a reason, and (it can lower outcomes) a second person.
    r = web.post(f"{entry_url}/delist", data={"csrf": csrf, "lang": "en", "delist_reason": ""})
    assert r.status_code == 422 and 'data-field="delist_reason"' in r.text
    r = web.post(f"{entry_url}/delist", data={"csrf": csrf, "lang": "en", "delist_reason": "card returned"},
                 follow_redirects=False)
    assert r.status_code == 303 and "pending=" in r.headers["location"]
    pending = int(r.headers["location"].split("pending=")[1])
    assert platform.lists.get_entry(entry_id).delisted_at is None
    platform.approvals.approve(pending, platform.keys.authenticate(supervisor_key).principal, "checked the card")
    assert platform.lists.get_entry(entry_id).delist_reason == "card returned"
    assert 'data-outcome="pass"' in web.post("/staff/payee-check", data={"csrf": csrf, "lang": "en",
                                                                         "account": "6222020200004444"}).text
    entry = web.get(f"{entry_url}?lang=zh")
    assert 'data-status="delisted"' in entry.text and "移出" in entry.text and 'id="delist-form"' not in entry.text


def test_the_api_finds_entries_by_name(web: TestClient, platform: Platform, analyst_key: str) -> None:
    a = platform.lists.add_entry("mule-own", _draft("6222020200001111", "MADURO MOROS, Nicolás"), "t")
    h = {"X-API-Key": analyst_key}
    r = web.get("/api/v1/entries/search", params={"name": "nicolas maduro"}, headers=h)
    assert r.status_code == 200 and [e["id"] for e in r.json()] == [a.id]
    r = web.get("/api/v1/entries/search", params={"name": ",,"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "name"
    r = web.get("/api/v1/entries/search", params={"name": "x", "limit": 0}, headers=h)
    assert r.status_code == 422
    assert web.get(f"/api/v1/entries/{a.id}", headers=h).status_code == 200
