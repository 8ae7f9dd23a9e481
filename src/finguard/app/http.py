"""The FastAPI application: API, OpenAPI docs at /docs, the public pages, health and metrics."""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from finguard import __version__
from finguard.access.http import KEY_SEEN
from finguard.access.http.routes import router as access_router
from finguard.access.pages import COOKIE
from finguard.access.service.enumeration import EnumerationDetector, MemoryCounters, RedisCounters, Thresholds
from finguard.access.service.public_edge import PublicEdge
from finguard.access.service.ratelimit import RateLimiter
from finguard.alerts import http as cases_http
from finguard.alerts.store import SqlAlertSink
from finguard.app.platform import Platform
from finguard.app.staff import router as staff_router
from finguard.core import http_errors as errors
from finguard.core import metrics
from finguard.core.admission import AdmissionControl
from finguard.core.clock import utcnow
from finguard.core.edge import BodyLimit, BodyLimits, KiB, MiB
from finguard.core.http_context import ClientHasher, hasher_for, parse_networks
from finguard.core.settings import Settings
from finguard.core.web import router as web_router
from finguard.credit import http as credit_http
from finguard.guard.http.routes import EventLane, event_route
from finguard.guard.http.routes import router as guard_router
from finguard.identity import http as identity_http
from finguard.ledger.http import router as ledger_router
from finguard.lists.http.routes import check_route, router
from finguard.lists.pages import router as pages_router
from finguard.loans import http as loans_http
from finguard.loans import pages as loans_pages
from finguard.monitors.http import router as monitors_router
from finguard.robots.http import router as robots_router
from finguard.screening.http.routes import router as screening_router

log = logging.getLogger("finguard")

# Body limits by route, checked before anything reads a body (core.edge). A request without an API
# key or a staff session is held to 64 KiB whatever the route; everything else not listed, 1 MiB.
BODY_LIMITS = BodyLimits(
    routes=(
        ("POST", r"/api/v1/lists/[^/]+/import", 256 * MiB),
        ("POST", r"/api/v1/ledger/import", 512 * MiB),
        ("POST", r"/api/v1/parties/screen/batch", 64 * MiB),
        ("POST", r"/api/v1/check/batch", 16 * MiB),
        ("POST", r"/api/v1/guard/events/iso20022", 5 * MiB),
        ("POST", r"/api/v1/guard/rules/backtest", 64 * KiB),
        ("POST", r"/api/v1/loans/(import|contacts)", 64 * MiB),  # up to 100,000 loans or contacts
        ("POST", r"/api/v1/loans/education/events", 16 * MiB),
        ("POST", r"/api/v1/identity/face", 24 * MiB),  # two pictures (the route holds each to its own bound)
        ("POST", r"/staff/identity/face", 24 * MiB),
        ("POST", r"/api/v1/public/check", 4 * KiB),
        ("POST", r"/check", 32 * KiB),
    ),
    default=1 * MiB,
    anonymous=64 * KiB,
    credential_headers=("x-api-key",),
    credential_cookies=(COOKIE,),
)


def _verify_key(scope: Any, secret: str) -> bool:
    """Whether an API key is real, for the body limit's larger staff allowances."""
    p = getattr(scope["app"].state, "platform", None)
    if p is None:
        return False
    try:
        p.keys.authenticate(secret)
    except Exception:  # unknown, revoked or unreadable: the anonymous limit applies
        return False
    return True


def _known_key(scope: Any, secret: str) -> bool:
    """Whether an API key was verified moments ago (the key cache; no I/O, so no thread hand-off).
    The key found is left in the scope (``access.http.KEY_SEEN``): the route's key check takes it
    from there instead of hashing the same secret again (#19)."""
    p = getattr(scope["app"].state, "platform", None)
    found = p.keys.cached(secret) if p is not None else None
    if found is None:
        return False
    scope[KEY_SEEN] = (secret, found)
    return True


def client_hasher(settings: Settings) -> ClientHasher:
    """The client hasher: keyed by FINGUARD_CLIENT_HASH_SECRET; without it, by a random secret
    shared through the rate limits' Redis (set once by the first process), so every process
    hashes a client alike and spends from one window; without either, a key of this process."""
    url = settings.rate_limit_redis_url or settings.redis_url
    if settings.client_hash_secret is None and url:
        import redis

        key = f"{settings.rate_limit_key_prefix}:client-hash-secret"
        try:
            r: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            r.set(key, os.urandom(32).hex(), nx=True)
            return ClientHasher(bytes.fromhex(r.get(key).decode()))
        except Exception as exc:  # Redis down at start-up: a key of this process, said in the log
            log.warning("cannot share the client hash secret through Redis: %s", type(exc).__name__)
    return hasher_for(settings)


def public_edge(settings: Settings, alerts: SqlAlertSink, hasher: ClientHasher) -> PublicEdge:
    """The public check's shared rate limit and enumeration detector (Redis when configured)."""
    redis_url = settings.rate_limit_redis_url or settings.redis_url
    prefix = settings.rate_limit_key_prefix
    limiter = RateLimiter(
        settings.public_rate_limit,
        settings.public_rate_burst,
        redis_url=redis_url,
        prefix=f"{prefix}:rl",
        tightened_per_minute=settings.enumeration_tightened_rate,
    )
    counters = RedisCounters(redis_url, prefix=f"{prefix}:enum:") if redis_url else MemoryCounters()
    thresholds = Thresholds(
        window=settings.enumeration_window_seconds,
        per_client=settings.enumeration_distinct_per_client,
        per_subnet=settings.enumeration_distinct_per_subnet,
        sweep=settings.enumeration_sweep,
        clients_per_value=settings.enumeration_clients_per_value,
    )
    return PublicEdge(limiter, EnumerationDetector(counters, alerts, hasher.hash, thresholds))


class ListDates:
    """How old the lists are, for the public page (``lists.pages`` finds this on
    ``app.state.list_dates``): ``robots.model.public_list_dates`` of the robots' freshness, read at
    most once a minute; a database that does not answer leaves the last answer (or none) rather
    than failing the page."""

    TTL = timedelta(seconds=60)

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._lock = threading.Lock()
        self._at: datetime | None = None
        self._rows: list[dict[str, Any]] = []

    def __call__(self) -> list[dict[str, Any]]:
        now = utcnow()
        with self._lock:
            if self._at is None or now - self._at > self.TTL:
                self._at = now
                try:
                    from finguard.robots.model import public_list_dates

                    self._rows = public_list_dates(self._platform.robots.freshness())
                except Exception:  # the page around the check must render with the database down
                    log.warning("list freshness unavailable for the public page", exc_info=True)
            return list(self._rows)


def _logs_behind(app: FastAPI) -> bool:
    p: Platform | None = getattr(app.state, "platform", None)
    return p is not None and p.logs_behind()


def create_app(platform: Platform | None = None, settings: Settings | None = None, *, freeze_gc: bool = False) -> FastAPI:
    """Build the app. With no platform given, one is opened at start-up and closed at shutdown.

    ``freeze_gc`` (the serving entry point, ``finguard.app.asgi``): once started, the objects built
    so far (lists, name index, models: millions) are moved out of the garbage collector's view
    (:func:`gc.freeze`), so a full collection no longer walks them and no longer stalls the event
    loop for tens of milliseconds under traffic. Not for a test process, which builds many apps."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        p = platform or Platform(settings)
        if owned and p.settings.demo_on_first_start and p.is_empty():
            log.info("empty database: loading the demo lists")
            p.load_demo()
        app.state.platform = p
        if p.settings.worker_threads:
            # Fewer threads for synchronous routes than AnyIO's 40: under overload the event loop
            # (which admits, refuses and answers) then competes for the GIL with a few threads,
            # not dozens, so a refusal stays fast; past the threads, admitted work waits its turn.
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = p.settings.worker_threads
        app.state.list_dates = ListDates(p)
        hasher = client_hasher(p.settings)
        app.state.client_identity = (hasher, parse_networks(p.settings.trusted_proxies))
        app.state.public_edge = public_edge(p.settings, SqlAlertSink(p.engine), hasher)
        if freeze_gc:
            gc.collect()
            gc.freeze()
        log.info("ready in %.2fs at change-log sequence %d (%d identifiers)", p.ready_seconds, p.follower.seq, len(p.index))
        try:
            yield
        finally:
            if owned:
                p.close()

    app = FastAPI(
        title="finguard",
        version=__version__,
        description="Risk lists and the payee check. Staff endpoints need an X-API-Key; /api/v1/public/* are anonymous.",
        lifespan=lifespan,
        # /docs is core.web's, from the packaged Swagger UI; FastAPI's own pages load their assets from
        # a CDN, which an intranet does not reach
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry bridge asks three global providers (and the environment) on
        # every request whether anyone configured them (#19: ~5 % of the guard route's loop CPU);
        # finguard's metrics are Prometheus's (/metrics), so the bridge is off and costs nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    limits = platform.settings if platform is not None else (settings or Settings())
    # Innermost: the guard's decisions go from the body limit straight to their handler (#19).
    app.add_middleware(EventLane)
    app.add_middleware(BodyLimit, limits=BODY_LIMITS, verify_key=_verify_key, known_key=_known_key)
    # Added last, so outermost: past capacity a request is refused before its body is read or its key looked up.
    app.add_middleware(
        AdmissionControl,
        max_in_flight=limits.max_in_flight,
        max_public_in_flight=limits.max_public_in_flight,
        retry_after_seconds=limits.retry_after_seconds,
        max_loop_lag=limits.max_loop_lag_ms / 1000,
        behind=lambda: _logs_behind(app),
    )
    app.include_router(router)
    app.include_router(access_router)
    app.include_router(screening_router)
    app.include_router(guard_router)
    app.include_router(monitors_router)
    app.include_router(ledger_router)
    app.include_router(pages_router)
    app.include_router(web_router)
    app.include_router(staff_router)
    app.include_router(loans_http.router)
    app.include_router(identity_http.router)
    app.include_router(credit_http.router)
    app.include_router(cases_http.router)
    app.include_router(robots_router)
    app.include_router(loans_pages.router)
    app.include_router(loans_pages.public_router)
    # POST /api/v1/guard/events first, past FastAPI's routing and dependency solving (#19); the
    # same handler, middleware and error answers (guard.http.routes._EventRoute).
    app.router.routes.insert(0, event_route())
    # POST /api/v1/check likewise for a well-formed check; anything else goes on to FastAPI's route
    # with the body already read (lists.http.routes._CheckRoute).
    app.router.routes.insert(0, check_route())

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: the lists are loaded and confirmed current")
    def readyz(request: Request) -> JSONResponse:
        p: Platform = request.app.state.platform
        current = p.follower.is_current()
        body = {
            "status": "ready" if current else "stale",
            "seq": p.follower.seq,
            "identifiers": len(p.index),
            # Why the change feed is polled rather than woken by changes (null: woken as designed).
            "feed_fallback": p.follower.fallback,
        }
        return JSONResponse(body, status_code=200 if current else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    def prom(request: Request) -> Response:
        p: Platform = request.app.state.platform
        body = metrics.render(
            p.follower.seq, p.follower.is_current(), len(p.index), p.follower.fallback is not None, backlog=p.log_backlog()
        )
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
