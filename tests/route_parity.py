"""Helpers for the tests that a fast route answers exactly as the documented FastAPI route does
(#19: ``POST /api/v1/guard/events``, ``POST /api/v1/check``)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from finguard.app.platform import Platform

HEADERS = ("content-type", "content-length", "allow", "retry-after", "location")


def without_route(app: FastAPI, kind: type) -> FastAPI:
    """The app with its fast route of this kind (one of the first two routes) taken out."""
    fast = [r for r in app.router.routes[:2] if isinstance(r, kind)]
    assert len(fast) == 1
    app.router.routes.remove(fast[0])
    return app


def answer(client: TestClient, method: str, path: str, *, unique: tuple[str, ...] = (), **kw: Any) -> tuple[int, dict[str, str], Any]:
    """Status, the headers that matter, and the body; a 200's JSON fields named in ``unique``
    (an id or a time each answer has its own of) left out."""
    r = client.request(method, path, **kw)
    headers = {k: v for k, v in r.headers.items() if k in HEADERS}
    body: Any = r.content
    if unique and r.status_code == 200:
        body = json.loads(r.content)
        for name in unique:
            body.pop(name, None)
    return r.status_code, headers, body


def audit(platform: Platform) -> list[tuple[str, str, str]]:
    platform.audit.flush()
    return [(e.actor, e.action, e.target) for _seq, e in platform.audit.recent(limit=1000)]


def assert_same_answers(
    fast: TestClient, plain: TestClient, platform: Platform, cases: list[tuple[str, str, dict[str, Any]]], unique: tuple[str, ...] = ()
) -> list[int]:
    """Each request sent to the plain app, then the fast one: the same answer and as many, the
    same, audit records. Returns the statuses."""
    statuses: list[int] = []
    for method, path, kw in cases:
        before = audit(platform)
        want = answer(plain, method, path, unique=unique, **kw)
        between = audit(platform)
        got = answer(fast, method, path, unique=unique, **kw)
        after = audit(platform)
        assert got == want, (method, path, kw.get("headers"))
        # the same audit records (newest first), as many
        assert after[: len(after) - len(between)] == between[: len(between) - len(before)], (method, path)
        statuses.append(want[0])
    return statuses


def assert_same_unexpected_error(
    fast: TestClient, plain: TestClient, caplog: pytest.LogCaptureFixture, path: str, secret: str, **kw: Any
) -> None:
    """With the service made to raise (its message holding ``secret``, an account number), both
    apps answer the same 500, and each logs the route's template without the secret."""
    answers = []
    for client in (plain, fast):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="finguard"):
            answers.append(answer(client, "POST", path, **kw))
        assert f"unhandled error on POST {path}" in caplog.text and secret not in caplog.text
    assert answers[0] == answers[1] and answers[0][0] == 500
