"""Admission control (#19): past the bound on work in flight, a fast 503 with Retry-After.

A process working on its bound of requests refuses the next at once (it does not queue it);
anonymous public requests have a lower bound, so they are refused first; health checks never are.
"""

from __future__ import annotations

import asyncio
import time

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


def _lag_app() -> AdmissionControl:
    async def busy(request: Request) -> PlainTextResponse:
        time.sleep(0.02)  # CPU work on the loop itself (as an in-memory check is): the loop falls behind
        return PlainTextResponse("done")

    async def quick(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/api/v1/check", busy, methods=["POST"]), Route("/api/v1/quick", quick, methods=["POST"]),
                              Route("/healthz", quick)])
    return AdmissionControl(inner, max_in_flight=1000, max_public_in_flight=1000, max_loop_lag=0.025, min_queue=16)


async def _line_forms() -> tuple[list[int], list[int], list[int]]:
    app = _lag_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        # one at a time: each call holds the loop 20 ms, yet no line forms, so nothing is refused
        alone = [(await c.post("/api/v1/check")).status_code for _ in range(5)]
        await asyncio.sleep(0.05)
        # 60 at once: a line forms behind the busy loop and the later arrivals are refused
        burst = await asyncio.gather(*(c.post("/api/v1/check") for _ in range(60)), c.get("/healthz"))
        codes = [r.status_code for r in burst]
        await asyncio.sleep(0.2)
        after = [(await c.post("/api/v1/quick")).status_code for _ in range(3)]
    return alone, codes, after


def test_a_line_in_front_of_the_event_loop_is_refused_fast_and_one_slow_call_is_not() -> None:
    alone, codes, after = asyncio.run(_line_forms())
    assert alone == [200] * 5
    assert codes[-1] == 200  # health is never refused
    served, refused = codes[:-1].count(200), codes[:-1].count(503)
    assert refused > 0 and served > 0 and served + refused == 60
    assert after == [200] * 3  # once the line has drained, requests are served again


def test_the_tasks_waiting_are_counted_at_most_once_per_interval() -> None:
    """Counting walks every task on the loop, so under overload it is kept for ``count_every``."""
    from finguard.core.admission import LoopLag

    async def scenario() -> tuple[int, int, int]:
        gate = asyncio.Event()
        kept, fresh = LoopLag(count_every=3600.0), LoopLag(count_every=0.0)
        first = [asyncio.create_task(gate.wait()) for _ in range(5)]
        await asyncio.sleep(0)
        before = kept.waiting()
        more = [asyncio.create_task(gate.wait()) for _ in range(7)]
        await asyncio.sleep(0)
        counts = (before, kept.waiting(), fresh.waiting())
        gate.set()
        await asyncio.gather(*first, *more)
        return counts

    before, kept, fresh = asyncio.run(scenario())
    assert kept == before  # within the interval: the count kept
    assert fresh == before + 7  # counted again
