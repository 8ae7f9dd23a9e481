"""Request-scoped helpers: the caller's key and role (the platform and client come from web.context)."""

from __future__ import annotations

from collections.abc import Callable
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


def _too_large(limit: int) -> InvalidInput:
    return InvalidInput.for_field("body", f"is larger than {limit} bytes")


def _declared_too_large(request: Request, limit: int) -> bool:
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (422 naming ``body``) past ``limit`` bytes: by its declared
    length before any of it is read, and for a chunked upload, which declares none, as it
    arrives, so no request makes the server hold more than ``limit`` bytes."""
    if _declared_too_large(request, limit):
        raise _too_large(limit)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise _too_large(limit)
    return bytes(buf)


async def save_body(request: Request, path: Path, limit: int) -> int:
    """Write the request body to ``path`` as it arrives, refused past ``limit`` bytes like
    :func:`read_body`, and refused when empty; return its size."""
    if _declared_too_large(request, limit):
        raise _too_large(limit)
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            out.write(chunk)
    if size == 0:
        raise InvalidInput.for_field("body", "is empty; send the file as the request body")
    return size
