"""API keys for integrators: created once (shown once), stored as a SHA-256 hash, revocable.

Verified keys are cached for ``cache_seconds``; when the database cannot be read, a key verified
in the last ``stale_seconds`` is still accepted, so an authenticated caller gets the check's own
``unavailable`` answer rather than an error, and an unknown one gets 503 ``unavailable``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from finguard.access.model import Principal, Role
from finguard.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def principal(self) -> Principal:
        return Principal("key", self.name, self.role)


class AuditSink(Protocol):
    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, *, sync: bool = False) -> None: ...


class KeyStore(Protocol):
    def add_key(self, key: ApiKey, key_hash: str) -> None: ...
    def key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    def revoke_key(self, name: str, at: datetime) -> bool: ...
    def all_keys(self) -> list[ApiKey]: ...


def hash_key(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough; a slow KDF guards low-entropy passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


# Which roles may make which kind of call. "write" only opens the door: which lists a role may
# write is decided per list kind (lists.model.authority), and a change that can lower an outcome
# becomes a pending change that a second person approves ("approve"; the role that may approve
# depends on the change).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset(Role),
    "check": frozenset(Role),
    "write": frozenset(Role),
    "approve": frozenset({Role.SUPERVISOR, Role.POLICE, Role.COMPLIANCE}),
    "admin": frozenset({Role.ADMIN}),
}


def check_permission(role: Role, permission: str) -> None:
    if role not in PERMISSIONS[permission]:
        raise Forbidden(f"role {role.value!r} may not make this call (needs {permission})")


class KeyService:
    """``cache_seconds``: how long a verified key is trusted without asking the store again. A
    revocation in this process applies at once; in another process within that time."""

    def __init__(
        self,
        store: KeyStore,
        clock: Callable[[], datetime],
        cache_seconds: float = 2.0,
        *,
        stale_seconds: float = 300.0,
        audit: AuditSink | None = None,
        on_revoke: Callable[[str, str], object] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.stale_seconds = stale_seconds
        self.audit = audit
        self.on_revoke = on_revoke
        self._cache: dict[str, tuple[ApiKey, float]] = {}

    def create(self, name: str, role: str, *, actor: str) -> tuple[ApiKey, str]:
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
        if self.audit is not None:
            self.audit.record(actor, "key.create", f"key {name}", {"role": key_role.value, "prefix": key.prefix}, sync=True)
        return key, secret

    def revoke(self, name: str, *, actor: str) -> None:
        if not self.store.revoke_key(name, self.clock()):
            raise NotFound(f"no active key named {name!r}")
        self._cache.clear()
        if self.audit is not None:
            self.audit.record(actor, "key.revoke", f"key {name}", {}, sync=True)
        if self.on_revoke is not None:
            self.on_revoke(name, actor)

    def cached(self, secret: str | None) -> ApiKey | None:
        """The key for ``secret`` if it was verified within ``cache_seconds``, else ``None``
        (then :meth:`authenticate` asks the store). No I/O: safe to call on an event loop."""
        if not secret:
            return None
        cached = self._cache.get(hash_key(secret))
        return cached[0] if cached is not None and cached[1] > time.monotonic() else None

    def authenticate(self, secret: str | None) -> ApiKey:
        if not secret:
            raise Unauthorized("this endpoint needs an API key (header X-API-Key)")
        digest = hash_key(secret)
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            key = self.store.key_by_hash(digest)
        except Exception as exc:  # the database is down: a recently verified key still counts
            if cached is not None and cached[1] + self.stale_seconds > now:
                return cached[0]
            raise Unavailable("the key store cannot be read just now; try again shortly") from exc
        if key is None or key.revoked_at is not None:
            self._cache.pop(digest, None)
            raise Unauthorized("the API key is unknown or revoked")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (key, now + self.cache_seconds)
        return key

    @staticmethod
    def authorize(key: ApiKey, permission: str) -> None:
        check_permission(key.role, permission)

    def all_keys(self) -> list[ApiKey]:
        return self.store.all_keys()
