"""Request helpers every capability's routes share: bounded bodies, paging limits, the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from finguard.core.errors import FieldProblem, InvalidInput, TooLarge
from finguard.core.http_context import client_id, platform, platform_dependency

__all__ = [
    "IMAGE_TYPES", "MAX_OFFSET", "body_too_large", "client_id", "platform", "platform_dependency",
    "read_body", "read_pictures", "read_upload", "save_body", "sniff",
]

# SQL OFFSET is a signed 64-bit integer: anything larger is refused as input, not by the database.
MAX_OFFSET = 2**63 - 1
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
FORM_OVERHEAD = 64_000  # multipart boundaries, headers and the small text fields


async def _body_chunks(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, refused (422 naming ``body``) past ``limit`` bytes: by
    its declared length before any of it is read, and for a chunked upload, which declares none,
    once the chunks pass it, so no request makes the server hold more than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        yield chunk


def body_too_large(limit: int) -> InvalidInput:
    """What :func:`read_body` raises for a body past ``limit`` bytes (422 naming ``body``)."""
    return InvalidInput.for_field("body", f"is larger than {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (see :func:`_body_chunks`; the same checks, here
    without the generator between, #19: every guard decision reads its body here)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


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


async def read_pictures(
    request: Request,
    limit: int,
    names: tuple[str, ...] = ("photo", "capture"),
    text_fields: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> tuple[dict[str, bytes], dict[str, str]]:
    """The named pictures of a multipart form, each at most ``limit`` bytes, JPEG / PNG / WebP,
    and the named short text fields (the staff page's csrf and lang). ``optional`` pictures may
    be left out; when sent they are checked like the others."""
    required = names
    names = (*names, *optional)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput.for_field("body", "send multipart/form-data with the parts " + " and ".join((*names, *optional)))
    try:
        body = await read_body(request, limit * len(names) + FORM_OVERHEAD)
    except ClientDisconnect:
        raise InvalidInput.for_field("body", "the upload was interrupted") from None
    request._body = body  # parse the bounded copy, never the stream again
    try:
        form = await request.form(max_files=len(names), max_fields=len(names) + 4, max_part_size=limit)
    except Exception as exc:  # Starlette raises HTTPException / MultiPartException for a malformed body
        raise InvalidInput.for_field("body", f"is not a readable multipart form: {exc}") from None
    out: dict[str, bytes] = {}
    problems: list[FieldProblem] = []
    for name in names:
        part = form.get(name)
        if not isinstance(part, UploadFile):
            if name in required:
                problems.append(FieldProblem(name, "is missing: attach it as a file part"))
            continue
        data = await part.read()
        kind = sniff(data)
        if len(data) > limit:
            problems.append(FieldProblem(name, f"is larger than {limit} bytes"))
        elif not data:
            problems.append(FieldProblem(name, "is empty"))
        elif kind is None:
            problems.append(FieldProblem(name, f"is not a JPEG, PNG or WebP picture (declared {part.content_type or 'no type'})"))
        elif part.content_type and part.content_type not in IMAGE_TYPES and part.content_type != "application/octet-stream":
            problems.append(FieldProblem(name, f"declares type {part.content_type}; accepted: {', '.join(sorted(IMAGE_TYPES))}"))
        else:
            out[name] = data
    fields = {name: value[:200] for name in text_fields if isinstance(value := form.get(name), str)}
    await form.close()
    if problems:
        raise InvalidInput("the pictures cannot be used", problems=problems)
    return out, fields


async def read_upload(
    request: Request, limit: int, name: str = "file", text_fields: tuple[str, ...] = ()
) -> tuple[str, bytes, dict[str, str]]:
    """One file part of a multipart form (its name as sent and its bytes) and the named short text
    fields. A body past ``limit`` plus the form's overhead is refused (``TooLarge``, 413, naming
    the file part) before it is read whole; the caller checks the file's own size and type."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput.for_field(name, "send multipart/form-data with the file as the part " + repr(name))
    try:
        body = await read_body(request, limit + FORM_OVERHEAD)
    except ClientDisconnect:
        raise InvalidInput.for_field(name, "the upload was interrupted") from None
    except InvalidInput:
        raise TooLarge(f"{name}: is larger than {limit} bytes", problems=[FieldProblem(name, f"is larger than {limit} bytes")]) from None
    request._body = body  # parse the bounded copy, never the stream again
    try:
        form = await request.form(max_files=1, max_fields=len(text_fields) + 4, max_part_size=64_000)
    except Exception as exc:  # Starlette raises HTTPException / MultiPartException for a malformed body
        raise InvalidInput.for_field("body", f"is not a readable multipart form: {exc}") from None
    try:
        fields = {f: value[:200] for f in text_fields if isinstance(value := form.get(f), str)}
        part = form.get(name)
        if not isinstance(part, UploadFile):
            raise InvalidInput.for_field(name, "is missing: attach it as a file part")
        return part.filename or "", await part.read(), fields
    finally:
        await form.close()


def sniff(data: bytes) -> str | None:
    """The picture type by its first bytes (the declared type alone is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
