"""The FastAPI application: API, OpenAPI docs at /docs, the public pages, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from finguard import __version__
from finguard.access.http.routes import router as access_router
from finguard.access.service.ratelimit import RateLimiter
from finguard.alerts import http as cases_http
from finguard.app.platform import Platform
from finguard.app.staff import router as staff_router
from finguard.core import http_errors as errors
from finguard.core import metrics
from finguard.core.admission import AdmissionControl
from finguard.core.settings import Settings
from finguard.core.web import router as web_router
from finguard.credit import http as credit_http
from finguard.guard.http.routes import router as guard_router
from finguard.identity import http as identity_http
from finguard.ledger.http import router as ledger_router
from finguard.lists.http.routes import router
from finguard.lists.pages import router as pages_router
from finguard.loans import http as loans_http
from finguard.loans import pages as loans_pages
from finguard.monitors.http import router as monitors_router
from finguard.screening.http.routes import router as screening_router

log = logging.getLogger("finguard")


def create_app(platform: Platform | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app. With no platform given, one is opened at start-up and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        p = platform or Platform(settings)
        if owned and p.settings.demo_on_first_start and p.is_empty():
            log.info("empty database: loading the demo lists")
            p.load_demo()
        app.state.platform = p
        app.state.public_limiter = RateLimiter(p.settings.public_rate_limit, p.settings.public_rate_burst)
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
    )
    errors.install(app)
    limits = platform.settings if platform is not None else (settings or Settings())
    app.add_middleware(
        AdmissionControl,
        max_in_flight=limits.max_in_flight,
        max_public_in_flight=limits.max_public_in_flight,
        retry_after_seconds=limits.retry_after_seconds,
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
    app.include_router(loans_pages.router)
    app.include_router(loans_pages.public_router)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: the lists are loaded and confirmed current")
    def readyz(request: Request) -> JSONResponse:
        p: Platform = request.app.state.platform
        current = p.follower.is_current()
        body = {"status": "ready" if current else "stale", "seq": p.follower.seq, "identifiers": len(p.index)}
        return JSONResponse(body, status_code=200 if current else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    def prom(request: Request) -> Response:
        p: Platform = request.app.state.platform
        return Response(metrics.render(p.follower.seq, p.follower.is_current(), len(p.index)), media_type=CONTENT_TYPE_LATEST)

    return app
