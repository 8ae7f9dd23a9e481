"""Admission control (#19): past the bound on work in flight, a fast 503 with Retry-After.

A process working on its bound of requests refuses the next at once (it does not queue it);
anonymous public requests have a lower bound, so they are refused first; health checks never are.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from finguard.core.admission import AdmissionControl


def _app(release: asyncio.Event) -> AdmissionControl:
    async def slow(request: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    inner = Starlette(routes=[Route("/api/v1/check", slow, methods=["POST"]), Route("/api/v1/public/check", slow, methods=["POST"]),
                              Route("/healthz", slow)])
    return AdmissionControl(inner, max_in_flight=3, max_public_in_flight=1, retry_after_seconds=2)


async def _scenario() -> tuple[list[int], int, str, dict[str, object]]:
    release = asyncio.Event()
    app = _app(release)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first_public = asyncio.create_task(c.post("/api/v1/public/check"))
        staff = [asyncio.create_task(c.post("/api/v1/check")) for _ in range(2)]
        await asyncio.sleep(0.05)
        second_public = await c.post("/api/v1/public/check")  # public bound (1) reached
        third_staff = await c.post("/api/v1/check")  # total bound (3) reached
        health = asyncio.create_task(c.get("/healthz"))
        await asyncio.sleep(0.05)
        release.set()
        done = [r.status_code for r in await asyncio.gather(first_public, *staff, health)]
    assert second_public.status_code == 503
    return done, third_staff.status_code, third_staff.headers["retry-after"], third_staff.json()


def test_past_the_bound_requests_are_refused_at_once_and_admitted_ones_complete() -> None:
    done, refused, retry_after, body = asyncio.run(_scenario())
    assert done == [200, 200, 200, 200]  # the admitted requests and the health check
    assert refused == 503 and retry_after == "2"
    assert body["error"]["code"] == "overloaded"  # type: ignore[index]
