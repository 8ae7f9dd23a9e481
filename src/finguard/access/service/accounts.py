"""Per-person staff accounts (argon2id password hashes) and the staff pages' sessions.

A session is a random 256-bit token, given to the browser once in an HttpOnly cookie; the store
keeps only its SHA-256 hash, its expiry and its revocation. Neither a password nor an API key is
ever in a cookie, so a stolen cookie dies with its session (expiry, sign-out, revocation). Live
sessions are cached for ``cache_seconds`` and, while the database cannot be read, trusted for
``stale_seconds`` after they were last verified.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from finguard.access.model import Principal, Role, Session, StaffUser
from finguard.access.service.keys import hash_key
from finguard.core.errors import Conflict, InvalidInput, NotFound, Unauthorized, Unavailable

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
MIN_PASSWORD = 12
MAX_PASSWORD = 200


class AccountStore(Protocol):
    def add_user(self, user: StaffUser, password_hash: str) -> None: ...
    def user(self, name: str) -> tuple[StaffUser, str] | None: ...
    def set_password(self, name: str, password_hash: str) -> bool: ...
    def disable_user(self, name: str, at: datetime) -> bool: ...
    def all_users(self) -> list[StaffUser]: ...
    def add_session(self, session: Session) -> None: ...
    def session(self, token_hash: str) -> Session | None: ...
    def revoke_session(self, token_hash: str, at: datetime) -> bool: ...
    def revoke_sessions_of(self, actor: str, at: datetime) -> int: ...


class AuditSink(Protocol):
    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, *, sync: bool = False) -> None: ...


def _password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput.for_field("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput.for_field("password", f"must be at most {MAX_PASSWORD} characters")
    return password


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        clock: Callable[[], datetime],
        audit: AuditSink,
        *,
        session_hours: float = 12.0,
        cache_seconds: float = 2.0,
        stale_seconds: float = 300.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.audit = audit
        self.session_hours = session_hours
        self.cache_seconds = cache_seconds
        self.stale_seconds = stale_seconds
        self._hasher = PasswordHasher()  # argon2id with the library's current defaults
        # A hash to verify against when the user does not exist, so timing does not tell.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        self._cache: dict[str, tuple[Session, float]] = {}

    # -- accounts ----------------------------------------------------------------------------

    def create_user(self, name: str, role: str, password: str, *, actor: str) -> StaffUser:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput.for_field("name", "must be 1 to 100 characters of letters, digits, '_', '.' or '-'")
        try:
            user_role = Role(role)
        except ValueError:
            raise InvalidInput.for_field("role", f"unknown role {role!r}; accepted: {', '.join(Role)}") from None
        user = StaffUser(name, user_role, self.clock())
        if self.store.user(name) is not None:
            raise Conflict(f"a staff account named {name!r} already exists")
        self.store.add_user(user, self._hasher.hash(_password(password)))
        self.audit.record(actor, "user.create", f"user {name}", {"role": user_role.value}, sync=True)
        return user

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        if not self.store.set_password(name, self._hasher.hash(_password(password))):
            raise NotFound(f"no staff account named {name!r}")
        self.store.revoke_sessions_of(f"user:{name}", self.clock())
        self._cache.clear()
        self.audit.record(actor, "user.password", f"user {name}", {}, sync=True)

    def disable_user(self, name: str, *, actor: str) -> None:
        if not self.store.disable_user(name, self.clock()):
            raise NotFound(f"no active staff account named {name!r}")
        self.store.revoke_sessions_of(f"user:{name}", self.clock())
        self._cache.clear()
        self.audit.record(actor, "user.disable", f"user {name}", {}, sync=True)

    def users(self) -> list[StaffUser]:
        return self.store.all_users()

    def user(self, name: str) -> StaffUser | None:
        found = self.store.user(name)
        return found[0] if found else None

    def verify_password(self, name: str, password: str) -> Principal:
        """The account's principal if the password is right; one error for every failure."""
        wrong = Unauthorized("the user name or password is wrong, or the account is disabled")
        if not name or not password or len(password) > MAX_PASSWORD or len(name) > 100:
            raise wrong
        found = self.store.user(name)
        stored = found[1] if found else self._dummy
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            self.audit.record(f"user:{name[:100]}", "session.refused", "", {})
            raise wrong from None
        if found is None or found[0].disabled_at is not None:
            raise wrong
        user = found[0]
        if self._hasher.check_needs_rehash(stored):
            self.store.set_password(name, self._hasher.hash(password))
        return Principal("user", user.name, user.role)

    # -- sessions ----------------------------------------------------------------------------

    def start_session(self, who: Principal) -> str:
        """A new session for ``who``; returns the token (for the cookie), stores only its hash."""
        token = "fgs_" + secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(hash_key(token), who, now, now + timedelta(hours=self.session_hours))
        self.store.add_session(session)
        self.audit.record(who.actor, "session.start", "", {"expires_at": session.expires_at.isoformat()}, sync=True)
        return token

    def resolve(self, token: str | None) -> Principal:
        if not token or len(token) > 200:
            raise Unauthorized("no staff session; sign in")
        digest = hash_key(token)
        cached = self._cache.get(digest)
        mono = time.monotonic()
        if cached is not None and cached[1] > mono and cached[0].live(self.clock()):
            return cached[0].principal
        try:
            session = self.store.session(digest)
        except Exception as exc:  # the database is down: a recently verified session still counts
            if cached is not None and cached[1] + self.stale_seconds > mono and cached[0].live(self.clock()):
                return cached[0].principal
            raise Unavailable("sessions cannot be read just now; try again shortly") from exc
        if session is None or not session.live(self.clock()):
            self._cache.pop(digest, None)
            raise Unauthorized("the session has ended; sign in again")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (session, mono + self.cache_seconds)
        return session.principal

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        digest = hash_key(token)
        self._cache.pop(digest, None)
        session = self.store.session(digest)
        if session is not None and self.store.revoke_session(digest, self.clock()):
            self.audit.record(session.principal.actor, "session.end", "", {}, sync=True)

    def revoke_sessions(self, actor_of: str, *, actor: str) -> int:
        count = self.store.revoke_sessions_of(actor_of, self.clock())
        self._cache.clear()
        self.audit.record(actor, "session.revoke", actor_of, {"sessions": count}, sync=True)
        return count
