"""API keys for staff: created once (shown once), stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from finguard.access.model import Role
from finguard.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class KeyStore(Protocol):
    def add_key(self, key: ApiKey, key_hash: str) -> None: ...
    def key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    def revoke_key(self, name: str, at: datetime) -> bool: ...
    def all_keys(self) -> list[ApiKey]: ...


def hash_key(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough; a slow KDF guards low-entropy passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


# Which roles may make which kind of call.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset({Role.ADMIN, Role.ANALYST}),
    "check": frozenset({Role.ADMIN, Role.ANALYST}),
    "write": frozenset({Role.ADMIN, Role.ANALYST}),
    "admin": frozenset({Role.ADMIN}),
}


class KeyService:
    """``cache_seconds``: how long a verified key is trusted without asking the store again. A
    revocation in this process applies at once; in another process within that time."""

    def __init__(self, store: KeyStore, clock: Callable[[], datetime], cache_seconds: float = 2.0) -> None:
        self.store = store
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[ApiKey, float]] = {}

    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """Create a key; the secret is returned once and never stored."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput.for_field("name", "must be 1 to 100 characters of letters, digits, '_', '.' or '-'")
        try:
            key_role = Role(role)
        except ValueError:
            raise InvalidInput.for_field("role", f"unknown role {role!r}; accepted: {', '.join(Role)}") from None
        secret = "fg_" + secrets.token_urlsafe(32)
        key = ApiKey(name, key_role, secret[:8], self.clock())
        self.store.add_key(key, hash_key(secret))
        return key, secret

    def revoke(self, name: str) -> None:
        if not self.store.revoke_key(name, self.clock()):
            raise NotFound(f"no active key named {name!r}")
        self._cache.clear()

    def authenticate(self, secret: str | None) -> ApiKey:
        if not secret:
            raise Unauthorized("this endpoint needs an API key (header X-API-Key)")
        digest = hash_key(secret)
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        key = self.store.key_by_hash(digest)
        if key is None or key.revoked_at is not None:
            self._cache.pop(digest, None)
            raise Unauthorized("the API key is unknown or revoked")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (key, now + self.cache_seconds)
        return key

    @staticmethod
    def authorize(key: ApiKey, permission: str) -> None:
        if key.role not in PERMISSIONS[permission]:
            raise Forbidden(f"role {key.role.value!r} may not make this call (needs {permission})")

    def all_keys(self) -> list[ApiKey]:
        return self.store.all_keys()
