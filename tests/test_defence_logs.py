"""Error lines name no customer (issue #18): no phone number, account number, email or name
from a request's path or body, and never the query string."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.http_errors import redact

ACCOUNT = "6222021001122334455"
PHONE = "13912345678"
NAME = "Zhang San"
MAIL = "zhang.san@example.cn"


def test_a_5xx_log_line_names_the_route_template_and_masks_what_the_error_quotes(
    admin_key: str, platform: Platform, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError(f"cannot read {args[0] if args else ''} for {NAME}, phone {PHONE}, mail {MAIL}")

    monkeypatch.setattr(platform.ledger, "account_transfers", broken)
    with TestClient(create_app(platform), raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        r = client.get(f"/api/v1/ledger/accounts/{ACCOUNT}/transfers?name=Zhang%20San&phone={PHONE}", headers={"X-API-Key": admin_key})
    assert r.status_code == 500
    text = "\n".join(rec.getMessage() + (rec.exc_text or "") for rec in caplog.records)
    assert "/api/v1/ledger/accounts/{account}/transfers" in text
    assert "ValueError" in text
    for secret in (ACCOUNT, PHONE, "zhang.san@", "Zhang"):
        assert secret not in text, secret


def test_redact_masks_identifier_like_numbers_and_emails() -> None:
    line = f"account {ACCOUNT}, phone +86 139-1234-5678, id 11010519491231002X, mail a.b@example.cn, 2026 rows"
    out = redact(line)
    assert ACCOUNT not in out and "139-1234-5678" not in out and "11010519491231002X" not in out and "a.b@" not in out
    assert "2026 rows" in out and "622" in out and "4455" in out
