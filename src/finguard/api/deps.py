"""Request-scoped helpers: the caller's key and role (the platform and client come from web.context)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from finguard.services.keys import ApiKey
from finguard.web.context import client_id, platform

__all__ = ["api_key_header", "client_id", "platform", "staff"]

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
