"""One JSON error envelope for every error path, mapped in one place.

``{"error": {"status": 422, "code": "invalid_identifier", "message": "...",
"problems": [{"field": "account", "problem": "..."}]}}``. Only 5xx are logged with a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from finguard.core.errors import FieldProblem, FinguardError

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


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def route_of(request: Request) -> str:
    """The route's template (``/api/v1/guard/customers/{customer_id}/controls``), never the path
    itself: paths hold customers' account numbers, phones and names, which logs must not."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', '(no route)')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(FinguardError)
    async def _finguard(request: Request, exc: FinguardError) -> JSONResponse:
        if exc.status >= 500 and exc.status != 503:
            log.error("internal error on %s", route_of(request), exc_info=exc)
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        return error_response(exc.status, exc.code, exc.message, exc.problems, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [FieldProblem(_field_name(tuple(e.get("loc", ()))), str(e.get("msg", "is invalid"))) for e in exc.errors()]
        message = "; ".join(f"{p.field}: {p.problem}" for p in problems[:5]) or "invalid request"
        return error_response(422, "invalid_input", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s", route_of(request), exc_info=exc)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
