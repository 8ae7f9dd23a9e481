"""Request helpers shared by the API and the pages: the platform and the client identity."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request


def platform(request: Request) -> Any:
    """The composed platform (``finguard.app.platform.Platform``) the app put in its state."""
    return request.app.state.platform


def client_id(request: Request) -> str:
    """A salted hash of the client address: enough to rate-limit and review abuse, not to identify."""
    p = platform(request)
    host = request.client.host if request.client else "unknown"
    if p.settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            host = forwarded.split(",")[0].strip()
    return hashlib.sha256(f"finguard:{host}".encode()).hexdigest()[:16]
