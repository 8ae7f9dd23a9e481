"""Request-scoped helpers: the caller's key and role (the platform and client come from web.context)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from finguard.domain.errors import InvalidInput
from finguard.services.keys import ApiKey
from finguard.web.context import client_id, platform

__all__ = ["api_key_header", "client_id", "platform", "read_body", "save_body", "staff"]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A staff API key (finguard keys create).")


# SQL OFFSET is a signed 64-bit integer: anything larger is refused as input, not by the database.
MAX_OFFSET = 2**63 - 1


def staff(permission: str) -> Callable[..., ApiKey]:
    def _dep(request: Request, key: str | None = Depends(api_key_header)) -> ApiKey:
        p = platform(request)
        found = p.keys.authenticate(key)
        p.keys.authorize(found, permission)
        return found

    return _dep


async def _body_chunks(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, refused (422 naming ``body``) past ``limit`` bytes: by
    its declared length before any of it is read, and for a chunked upload, which declares none,
    once the chunks pass it, so no request makes the server hold more than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = InvalidInput.for_field("body", f"is larger than {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        yield chunk


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (see :func:`_body_chunks`)."""
    return b"".join([chunk async for chunk in _body_chunks(request, limit)])


async def save_body(request: Request, path: Path, limit: int) -> int:
    """Write the request body to ``path`` as it arrives, at most ``limit`` bytes, refused when
    empty; return its size."""
    size = 0
    with path.open("wb") as out:
        async for chunk in _body_chunks(request, limit):
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        raise InvalidInput.for_field("body", "is empty; send the file as the request body")
    return size
