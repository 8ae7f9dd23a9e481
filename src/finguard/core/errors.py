"""The one error hierarchy. Each error carries its HTTP status and a stable code.

Adapters map these to the JSON error envelope in one place (``finguard.core.http_errors``)
and to exit codes in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one input field: which field, what is wrong, what is accepted."""

    field: str
    problem: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": self.problem}
        if self.line is not None:
            out["line"] = self.line
        return out


class FinguardError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[FieldProblem] = list(problems or [])


class InvalidInput(FinguardError):
    """The caller sent something malformed; nothing was changed."""

    status = 422
    code = "invalid_input"

    @classmethod
    def for_field(cls, field: str, problem: str) -> InvalidInput:
        return cls(f"{field}: {problem}", problems=[FieldProblem(field, problem)])


class TooLarge(InvalidInput):
    """An upload past its size limit (HTTP 413); nothing was stored."""

    status = 413
    code = "too_large"


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


class NotFound(FinguardError):
    status = 404
    code = "not_found"


class Conflict(FinguardError):
    status = 409
    code = "conflict"


class Unauthorized(FinguardError):
    status = 401
    code = "unauthorized"


class Forbidden(FinguardError):
    status = 403
    code = "forbidden"


class RateLimited(FinguardError):
    status = 429
    code = "rate_limited"


class Unavailable(FinguardError):
    """A dependency (database, change feed) cannot be reached or confirmed current."""

    status = 503
    code = "unavailable"


class ImportRejected(InvalidInput):
    """An all-or-nothing import found bad rows; nothing was applied. ``problems`` carry line numbers."""

    code = "import_rejected"
