"""The change feed's fallback to polling is said once and shown, never silent (both stores)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import finguard.app.platform as platform_module
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.db import NotAFileDatabase, SqliteVersionWaiter, redact_url
from finguard.core.identifiers import IdType
from finguard.lists.model.check import CheckRequest, Outcome
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind

from .conftest import make_settings

ACCOUNT = "62220000000055"


class _BrokenWaiter:
    """A notification waiter that cannot be set up (a refused LISTEN connection, an unreadable file)."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise OSError(f"could not open the notification connection for account {ACCOUNT}")


def test_a_waiter_that_cannot_start_is_said_once_and_shown(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sqlite = db_url.startswith("sqlite")
    monkeypatch.setattr(platform_module, "SqliteVersionWaiter" if sqlite else "PgNotifyWaiter", _BrokenWaiter)
    settings = make_settings(db_url, tmp_path, feed_poll_ms=10)
    caplog.set_level(logging.WARNING, logger="finguard")
    with Platform(settings) as writer, Platform(settings) as reader:
        fallback = reader.follower.fallback
        assert fallback is not None and ("data_version" in fallback if sqlite else "LISTEN" in fallback)
        assert reader.follower.poll_seconds == pytest.approx(0.01)  # the fallback's pace, not the woken one's
        warned = [r for r in caplog.records if r.name == "finguard.app.platform" and "polling the change log" in r.getMessage()]
        assert len(warned) == 2  # once for each of the two platforms, at start
        assert ACCOUNT not in caplog.text and ACCOUNT[-4:] in warned[0].getMessage()  # masked
        _ = reader.follower, reader.checker  # using the follower again says nothing more
        assert len([r for r in caplog.records if "polling the change log" in r.getMessage()]) == 2

        with TestClient(create_app(reader)) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200  # still current: polling keeps it so
            assert ready.json()["feed_fallback"] == fallback
            assert "finguard_feed_fallback 1.0" in client.get("/metrics").text

        # Still following, by polling.
        writer.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        writer.lists.add_entry("police", EntryDraft("a", SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, ACCOUNT),)), "t")
        deadline = time.monotonic() + 2
        while reader.checker.check(CheckRequest(account=ACCOUNT)).outcome is not Outcome.BLOCK and time.monotonic() < deadline:
            time.sleep(0.005)
        assert reader.checker.check(CheckRequest(account=ACCOUNT)).outcome is Outcome.BLOCK


def test_a_woken_follower_shows_no_fallback(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path)) as p, TestClient(create_app(p)) as client:
        assert p.follower.fallback is None
        assert client.get("/readyz").json()["feed_fallback"] is None
        assert "finguard_feed_fallback 0.0" in client.get("/metrics").text


def test_an_in_memory_sqlite_database_is_not_a_failed_file() -> None:
    with pytest.raises(NotAFileDatabase):
        SqliteVersionWaiter("sqlite://", 0.01)
    with pytest.raises(NotAFileDatabase):
        SqliteVersionWaiter("sqlite:///:memory:", 0.01)


def test_a_missing_sqlite_file_is_a_failure_not_a_memory_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        SqliteVersionWaiter(f"sqlite:///{tmp_path / 'absent.db'}", 0.01)
    assert not isinstance(caught.value, NotAFileDatabase)


def test_redact_url_hides_the_password_in_every_spelling() -> None:
    url = "postgresql+psycopg://app:p@ss w0rd@db.example:5432/finguard"
    message = 'missing "=" after "p@ss w0rd" in connection info string; postgresql://app:p%40ss%20w0rd@db.example; p%40ss+w0rd'
    redacted = redact_url(message, "postgresql+psycopg://app:p%40ss%20w0rd@db.example:5432/finguard")
    assert "w0rd" not in redacted and redacted.count("***") == 3
    assert redact_url("no secret here", url.replace(":p@ss w0rd", "")) == "no secret here"
