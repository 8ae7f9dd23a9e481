"""One JSON error envelope for every error path, mapped in one place.

``{"error": {"status": 422, "code": "invalid_identifier", "message": "...",
"problems": [{"field": "account", "problem": "..."}]}}``. Only 5xx are logged with a traceback.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from finguard.core.errors import FieldProblem, FinguardError
from finguard.core.identifiers import IdType, mask

log = logging.getLogger("finguard.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


def envelope(status: int, code: str, message: str, problems: list[FieldProblem] | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "problems": [p.as_dict() for p in problems or []]}}


def error_response(
    status: int, code: str, message: str, problems: list[FieldProblem] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(envelope(status, code, message, problems), status_code=status, headers=headers)


# Digit runs long enough to be an account, card, phone or ID number (separators allowed), and emails.
_NUMBER = re.compile(r"\+?\d[\d \-]{4,}\d[\dXx]?")
_EMAIL = re.compile(r"[^\s@'\"<>()]+@[^\s@'\"<>()]+")


def redact(text: str) -> str:
    """``text`` with every identifier-like digit run masked (first 3 and last 4 kept) and every
    email address reduced to its domain: what a log line may say about a customer."""
    text = _EMAIL.sub(lambda m: "***@" + m.group(0).rpartition("@")[2], text)
    return _NUMBER.sub(lambda m: mask(IdType.ACCOUNT, re.sub(r"[ \-]", "", m.group(0))), text)


def trace_without_messages(exc: BaseException) -> str:
    """The stack of ``exc`` and of the exceptions it chains, each ending in its type only: an
    exception's message can quote a request's values (a name, an account), so it is left out."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append("".join(traceback.format_tb(current.__traceback__)) + f"{type(current).__module__}.{type(current).__qualname__}\n")
        current = current.__cause__ or current.__context__
    return "".join(reversed(parts))


def _log_failure(request: Request, exc: BaseException) -> None:
    log.error("unhandled error on %s\n%s", route_of(request), redact(trace_without_messages(exc)))


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _problem(error: dict[str, Any]) -> FieldProblem:
    """One validation error as a field and its problem. A body that is not JSON is the body's problem (FastAPI
    locates it at the character where decoding failed: ``("body", 5)``, which is no field)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        at = loc[-1] if loc and isinstance(loc[-1], int) else None
        return FieldProblem("body", "is not valid JSON" + (f" (decoding failed at character {at})" if at is not None else ""))
    return FieldProblem(_field_name(loc), str(error.get("msg", "is invalid")))


def route_of(request: Request) -> str:
    """The route's template (``/api/v1/guard/customers/{customer_id}/controls``), never the path
    itself: paths hold customers' account numbers, phones and names, which logs must not."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', '(no route)')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(FinguardError)
    async def _finguard(request: Request, exc: FinguardError) -> JSONResponse:
        if exc.status >= 500 and exc.status != 503:
            _log_failure(request, exc)
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        return error_response(exc.status, exc.code, exc.message, exc.problems, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in exc.errors()]
        message = "; ".join(f"{p.field}: {p.problem}" for p in problems[:5]) or "invalid request"
        return error_response(422, "invalid_input", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the edge let through (a text it cannot hold, a number out
        # of its range): the caller's input, so a 422; the value is not echoed, the route is logged.
        log.warning("the database refused a value on %s: %s", route_of(request), type(exc.orig).__name__)
        problem = FieldProblem("body", "holds a value the database cannot store")
        return error_response(422, "invalid_input", "a value in the request cannot be stored", [problem])

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # A number past the store's 64 bits (an id of 2^63) that a route did not bound itself.
        log.warning("a number out of range on %s", route_of(request))
        problem = FieldProblem("body", "holds a number out of range (ids and counts are signed 64-bit)")
        return error_response(422, "invalid_input", "a number in the request is out of range", [problem])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log_failure(request, exc)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
