"""The staff API's authentication: an ``X-API-Key`` header checked against the stored keys.

Every authenticated staff call is written to the audit log (who, method, path and query): the
record of every staff action and of every read of a customer's data made through the API.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from finguard.access.service.keys import ApiKey, KeyService

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A staff API key (finguard keys create).")


# Where the body limit at the edge (``app.http._known_key``) leaves the key it found in the key
# cache for this request's secret: ``(secret, ApiKey)``. The same cache's answer moments earlier,
# so the key check below spares hashing the secret again (#19); authorisation is still checked.
KEY_SEEN = "finguard.key_seen"


def key_service(request: Request) -> KeyService:
    """The platform's key service (what a staff route depends on to know its caller)."""
    service: KeyService = request.app.state.platform.keys
    return service


# A path made only of these reads the same in ``request.url.path`` (#19: building the URL, which
# parses the Host header and splits the whole URL again, was a tenth of the guard route's audit
# and key check).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.:~-]*")


def audit_call(request: Request, actor: str, kind: str = "api") -> None:
    scope = request.scope
    path = scope["path"]
    if scope.get("query_string") or not _PLAIN_PATH.fullmatch(path):
        url = request.url
        path = url.path
        detail = {"query": url.query[:1000]} if url.query else {}
    else:
        detail = {}
    request.app.state.platform.audit.record(actor, f"{kind}.{request.method.lower()}", path, detail)


def staff(permission: str) -> Callable[..., Awaitable[ApiKey]]:
    # Async, with the key cache read inline: a plain ``def`` dependency would cost a worker-thread
    # hand-off on every call. Only a key not verified recently goes to a thread (a store read).
    async def _dep(request: Request, key: str | None = Depends(api_key_header)) -> ApiKey:
        service = key_service(request)
        seen = request.scope.get(KEY_SEEN)
        found = seen[1] if seen is not None and seen[0] == key else service.cached(key)
        if found is None:
            found = await run_in_threadpool(service.authenticate, key)
        audit_call(request, found.principal.actor)
        service.authorize(found, permission)
        return found

    return _dep
