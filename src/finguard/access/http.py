"""The staff API's authentication: an ``X-API-Key`` header checked against the stored keys."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from finguard.access.service.keys import ApiKey, KeyService

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A staff API key (finguard keys create).")


def key_service(request: Request) -> KeyService:
    """The platform's key service (what a staff route depends on to know its caller)."""
    service: KeyService = request.app.state.platform.keys
    return service


def staff(permission: str) -> Callable[..., ApiKey]:
    def _dep(request: Request, key: str | None = Depends(api_key_header)) -> ApiKey:
        service = key_service(request)
        found = service.authenticate(key)
        service.authorize(found, permission)
        return found

    return _dep
