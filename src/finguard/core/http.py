"""Request helpers every capability's routes share: bounded bodies, paging limits, the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request

from finguard.core.errors import InvalidInput
from finguard.core.http_context import client_id, platform

__all__ = ["MAX_OFFSET", "client_id", "platform", "read_body", "save_body"]

# SQL OFFSET is a signed 64-bit integer: anything larger is refused as input, not by the database.
MAX_OFFSET = 2**63 - 1


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
