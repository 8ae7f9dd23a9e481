"""Request helpers shared by the API and the pages: the platform and the client identity.

The client is the peer address, unless the peer is one of ``settings.trusted_proxies``: then
X-Forwarded-For is read right to left and the client is the first address that is not a trusted
proxy. Entries left of it were written by the client and are never believed.

Clients are recorded, rate-limited and watched as a keyed hash (HMAC-SHA256 under a key derived
from ``settings.client_hash_secret`` for each UTC day): without the secret no address can be
recovered by hashing the IPv4 space, and one day's hashes cannot be joined to the next day's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def platform(request: Request) -> Any:
    """The composed platform (``finguard.app.platform.Platform``) the app put in its state."""
    return request.app.state.platform


async def platform_dependency(request: Request) -> Any:
    """:func:`platform` as a FastAPI dependency. Async on purpose: FastAPI runs a plain ``def``
    dependency in a worker thread, and that hand-off cost more than many a route's own work."""
    return request.app.state.platform


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def forwarded_client(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client address: the right-most X-Forwarded-For entry that is not a trusted proxy, read
    only when the peer itself is one; the peer otherwise."""
    if not trusted or not forwarded_for or not _trusted(peer, trusted):
        return peer
    entries = [e.strip() for e in forwarded_for.split(",") if e.strip()]
    for entry in reversed(entries):
        if not _trusted(entry, trusted):
            return entry[:64]
    return entries[0][:64] if entries else peer


def subnet_of(address: str) -> str:
    """The /24 of an IPv4 address, the /48 of an IPv6 one; the text itself when it is no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass
class ClientHasher:
    """HMAC-SHA256 of a client address under a key for each UTC day, derived from the secret."""

    secret: bytes
    today: Callable[[], date] = lambda: datetime.now(UTC).date()

    def __post_init__(self) -> None:
        self._day: date | None = None
        self._key = b""
        self._lock = threading.Lock()

    def key(self) -> bytes:
        day = self.today()
        if day != self._day:
            with self._lock:
                self._key = hmac.new(self.secret, f"finguard-client:{day.isoformat()}".encode(), hashlib.sha256).digest()
                self._day = day
        return self._key

    def hash(self, text: str) -> str:
        return hmac.new(self.key(), text.encode(), hashlib.sha256).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Client:
    """A client as the edge sees it: its keyed hash and its subnet's, never the address."""

    id: str
    subnet: str


def hasher_for(settings: Any) -> ClientHasher:
    secret = settings.client_hash_secret
    if secret is None:
        log.warning("FINGUARD_CLIENT_HASH_SECRET is not set: client hashes use a random key of this process only")
        return ClientHasher(os.urandom(32))
    return ClientHasher(secret.get_secret_value().encode())


def _edge_state(request: Request) -> tuple[ClientHasher, tuple[Network, ...]]:
    state = request.app.state
    cached = getattr(state, "client_identity", None)
    if cached is None:
        settings = platform(request).settings
        cached = (hasher_for(settings), parse_networks(settings.trusted_proxies))
        state.client_identity = cached
    return cached


def client(request: Request) -> Client:
    hasher, trusted = _edge_state(request)
    peer = request.client.host if request.client else "unknown"
    address = forwarded_client(peer, request.headers.get("x-forwarded-for"), trusted)
    return Client(hasher.hash(address), hasher.hash(f"net:{subnet_of(address)}"))


def client_id(request: Request) -> str:
    """The keyed hash of the client address: enough to rate-limit and review abuse, not to identify."""
    return client(request).id
