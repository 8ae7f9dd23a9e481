"""The public edge: request bodies bounded before anything parses them.

:class:`BodyLimit` is a pure ASGI middleware, outermost in the app, so a body is refused before
routing, authentication, the rate limiter or a parser spends anything on it:

* a declared ``Content-Length`` over the route's limit is answered 413 at once, unread;
* a chunked body is counted as it arrives and refused once it passes the limit;
* a JSON body (on routes whose bodies are parsed in memory) is read, bounded, and its depth and
  number sizes checked (:mod:`finguard.core.jsonsafe`) before FastAPI's parser sees it: a
  30,000-deep document is a 422 naming ``body``, not a RecursionError.

A request that carries no credential (no API key header, no staff session cookie) is held to the
anonymous limit whatever its route: an anonymous 200 MB upload costs one header read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from finguard.core.errors import FieldProblem, FinguardError, InvalidInput
from finguard.core.http_errors import envelope
from finguard.core.jsonsafe import check_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KiB = 1024
MiB = 1024 * KiB
# JSON bodies up to this size are read and checked before parsing; larger limits are streaming uploads.
MAX_BUFFERED = 64 * MiB
# The scope key of the body :func:`check_json` passed here (``body`` field, default depth).
JSON_CHECKED = "finguard.json_checked"


class BodyTooLarge(FinguardError):
    status = 413
    code = "too_large"


def too_large(limit: int) -> BodyTooLarge:
    problem = f"is larger than {limit} bytes"
    return BodyTooLarge(f"body: {problem}", problems=[FieldProblem("body", problem)])


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """Per-route body limits: the first ``(method, path pattern, bytes)`` that matches, else ``default``;
    ``anonymous`` caps every request without a credential."""

    routes: tuple[tuple[str, str, int], ...] = ()
    default: int = 1 * MiB
    anonymous: int = 64 * KiB
    credential_headers: tuple[str, ...] = ("x-api-key",)
    credential_cookies: tuple[str, ...] = ()
    _compiled: tuple[tuple[str, re.Pattern[str], int], ...] = field(init=False, repr=False)
    # (method, path) -> the route's limit, kept for the paths seen last (#19: the patterns were
    # matched twice per request); cleared when full, so paths full of ids cannot grow it
    _seen: dict[tuple[str, str], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple((m, re.compile(p), n) for m, p, n in self.routes))
        object.__setattr__(self, "_seen", {})

    def for_request(self, method: str, path: str, credentialed: bool) -> int:
        limit = self._seen.get((method, path))
        if limit is None:
            limit = next((n for m, p, n in self._compiled if m == method and p.fullmatch(path)), self.default)
            if len(self._seen) >= 1024:
                self._seen.clear()
            self._seen[(method, path)] = limit
        return limit if credentialed else min(limit, self.anonymous)

    def credentialed(self, headers: dict[str, str]) -> bool:
        if any(headers.get(h) for h in self.credential_headers):
            return True
        cookie = headers.get("cookie", "")
        return any(f"{name}=" in cookie for name in self.credential_cookies)


KeyCheck = Callable[[Scope, str], bool]


class BodyLimit:
    """``verify_key(scope, secret)`` confirms an API key before a route's larger limit is granted
    (run in a worker thread): a made-up key header earns nothing. ``known_key(scope, secret)``,
    if given, answers from memory (a key verified moments ago) and spares that thread hand-off."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, verify_key: KeyCheck | None = None, known_key: KeyCheck | None = None) -> None:
        self.app = app
        self.limits = limits
        self.verify_key = verify_key
        self.known_key = known_key
        # The headers this layer reads; the others are not decoded (#19).
        names = ("content-length", "content-type", "cookie", *limits.credential_headers)
        self._wanted = frozenset(n.lower().encode("latin-1") for n in names)

    def _headers(self, scope: Scope) -> dict[str, str]:
        """The request headers this layer reads, by lower-case name (the last of a repeated one)."""
        wanted = self._wanted
        found: dict[str, str] = {}
        for k, v in scope.get("headers", ()):
            name = k.lower()
            if name in wanted:
                found[name.decode("latin-1")] = v.decode("latin-1")
        return found

    async def _credentialed(self, scope: Scope, headers: dict[str, str]) -> bool:
        if not self.limits.credentialed(headers):
            return False
        secret = next((headers[h] for h in self.limits.credential_headers if headers.get(h)), None)
        if secret is None or self.verify_key is None:
            return True  # a session cookie: the staff pages check it, and their forms are small
        if self.limits.for_request(scope["method"], scope["path"], True) <= self.limits.anonymous:
            return True  # nothing to grant: spare the key lookup
        if self.known_key is not None and self.known_key(scope, secret):
            return True
        return await anyio.to_thread.run_sync(self.verify_key, scope, secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers(scope)
        limit = self.limits.for_request(scope["method"], scope["path"], await self._credentialed(scope, headers))
        declared = headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, too_large(limit) if declared.isdigit() else InvalidInput.for_field("content-length", "is not a number"))
            return
        nul = _nul_in_url(scope)
        if nul is not None:
            await _refuse(send, nul)
            return
        ctype = headers.get("content-type", "").lower()  # media types are case-insensitive (RFC 9110), as FastAPI reads them
        json_body = "json" in ctype
        if (json_body or ctype.startswith(FORM)) and limit <= MAX_BUFFERED and scope["method"] in ("POST", "PUT", "PATCH"):
            try:
                body = await _read(receive, limit)
                _check_nul(body, json_body)
                if json_body:
                    check_json(body)
                    scope[JSON_CHECKED] = body  # a route parsing it may skip the same check (jsonsafe.loads)
            except FinguardError as exc:
                await _refuse(send, exc)
                return
            await self.app(scope, replay(body, receive), send)
            return
        await self.app(scope, _counting(receive, limit), send)


FORM = "application/x-www-form-urlencoded"
# No database text column can hold U+0000 (PostgreSQL refuses it outright): it is refused at the
# edge, naming where it was, instead of failing deep inside a write.
_NUL_PROBLEM = "contains a NUL character (U+0000), which no text field can hold"


def _nul_in_url(scope: Scope) -> InvalidInput | None:
    if "\x00" in scope["path"]:
        return InvalidInput.for_field("path", _NUL_PROBLEM)
    query = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return InvalidInput.for_field("query", _NUL_PROBLEM)
    return None


def _check_nul(body: bytes, json_body: bool) -> None:
    # JSON's escape is ``\u`` with four hex digits: ``\u0000`` (and the ``\U0000`` a lenient
    # reader might take), looked for without copying the body in lower case (#19).
    escaped = json_body and (b"\\u0000" in body or b"\\U0000" in body)
    if b"\x00" in body or escaped or (not json_body and b"%00" in body):
        raise InvalidInput.for_field("body", _NUL_PROBLEM)


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise InvalidInput.for_field("body", "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` (already read) first, then the connection's own messages."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as the server would

    return again


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise too_large(limit)  # the app's error handler answers 413 with the envelope
        return message

    return counted


async def _refuse(send: Send, exc: FinguardError) -> None:
    body = json.dumps(envelope(exc.status, exc.code, exc.message, exc.problems)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            # The unread body is not drained: the connection is closed after the answer.
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
