"""The API's batcher (#19): concurrent single decisions decided by one decide_many, each answered alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from finguard.app.platform import Platform
from finguard.core import http_errors as errors
from finguard.core.db import make_engine, upgrade
from finguard.core.errors import Conflict, InvalidInput, NotFound
from finguard.guard.http.routes import router
from finguard.guard.model.controls import ChannelLimit, ControlSettings, Limits
from finguard.guard.model.decision import Decision
from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.batcher import DecisionBatcher
from finguard.guard.service.engine import GuardConfig, GuardService
from finguard.guard.service.rule_pack import STARTER_PACK
from finguard.guard.service.velocity import Features, MemoryBackend, Velocity
from finguard.lists.model.check import CheckRequest, parse_request
from finguard.lists.service.checking import _from_parsed, _quick_parse
from tests.conftest import pg_schema
from tests.guard_helpers import T0, Clock, transfer


@pytest.fixture
def other_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty store on the same backend (the one-by-one twin of the batched guard)."""
    if db_url.startswith("sqlite"):
        e = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
        upgrade(e)
        yield e
        e.dispose()
        return
    with pg_schema() as url:
        e = make_engine(url)
        try:
            upgrade(e)
            yield e
        finally:
            e.dispose()


def configured(engine: Engine, clock: Clock) -> GuardService:
    guard = make_guard(engine, None, clock=clock)
    guard.rules.install(STARTER_PACK, "t")
    guard.rules.save(Rule("r.count", "vel.account_out_count_1h >= 3", "fourth transfer in an hour", score=40), "t")
    guard.rules.save(Rule("r.payees", "vel.account_out_payees_24h >= 2", "a second payee today", score=20), "t")
    limits = Limits(channels=(ChannelLimit("mobile", single=None, daily=Decimal("5000")),))
    for c in ("c1", "c2"):
        guard.controls.set(c, ControlSettings(limits=limits), actor="t", channel="counter", at_branch=True)
    return guard


def stream(clock: Clock) -> list[Event]:
    """Payments of two customers that cross the daily limit and trip velocity rules, replays included."""
    bodies = []
    for i in range(24):
        customer = "c1" if i % 3 else "c2"
        account = "6222000011112222" if customer == "c1" else "6222000033334444"
        payee = {"account": f"62280000999988{i % 4:02d}", "name": "Zhang San"}
        bodies.append(
            transfer(
                f"b{i}", at=T0 + timedelta(minutes=i), amount=f"{400 + 150 * i}.00", customer_id=customer, account=account, payee=payee
            )
        )
    bodies.insert(10, dict(bodies[2]))  # the same event again: its stored decision
    bodies.insert(15, dict(bodies[5]))
    return [parse_event(b, clock()) for b in bodies]


def same(d: Decision) -> Decision:
    return replace(d, decision_id="")


def test_batched_decisions_are_those_of_one_decide_after_another(engine: Engine, other_engine: Engine) -> None:
    one_clock, batch_clock = Clock(T0 + timedelta(minutes=30)), Clock(T0 + timedelta(minutes=30))
    one, batched = configured(other_engine, one_clock), configured(engine, batch_clock)
    events = stream(one_clock)
    expected = [one.decide(e) for e in events]
    batcher = DecisionBatcher(batched, max_batch=8, window=0.05)
    try:
        futures = [batcher.submit(e) for e in events]  # in order, as concurrent requests would queue
        got = [f.result(timeout=60) for f in futures]
    finally:
        batcher.close()
    assert batcher.batches < len(events)  # they were batched
    assert [same(d) for d in got] == [same(d) for d in expected]
    assert len({d.outcome for d in got}) >= 2  # the daily limit and the rules change outcomes along the stream
    assert got[10].decision_id == got[2].decision_id and got[15].decision_id == got[5].decision_id


class FailingVelocity(Velocity):
    """The real velocity, failing (not as I/O) for the one event named ``poison``."""

    def observe(self, event: Event) -> Features:
        if event.event_id == "poison":
            raise RuntimeError("this event breaks the velocity")
        return super().observe(event)


def test_one_requests_fault_or_conflict_never_fails_another(engine: Engine) -> None:
    clock = Clock()
    guard = make_guard(engine, None, clock=clock, velocity=FailingVelocity(MemoryBackend()))
    first = guard.decide(parse_event(transfer("x1"), clock()))
    batcher = DecisionBatcher(guard, max_batch=16, window=0.05)
    try:
        bodies = [
            transfer("x2", at=T0 + timedelta(minutes=1)),
            transfer("x1", amount="999.00"),  # the id of x1 with another body: 409 for this one alone
            transfer("poison", at=T0 + timedelta(minutes=2)),
            transfer("x1"),  # a replay: x1's decision
            transfer("x3", at=T0 + timedelta(minutes=3)),
        ]
        futures: list[Future[Decision]] = [batcher.submit(parse_event(b, clock())) for b in bodies]
        outcomes = [f.exception(timeout=60) or f.result() for f in futures]
    finally:
        batcher.close()
    assert isinstance(outcomes[0], Decision) and outcomes[0].event_id == "x2"
    assert isinstance(outcomes[1], Conflict)
    assert isinstance(outcomes[2], RuntimeError)
    assert outcomes[3] == first
    assert isinstance(outcomes[4], Decision) and outcomes[4].event_id == "x3"
    assert guard.decision_for_event("x2") == outcomes[0] and guard.decision_for_event("x3") == outcomes[4]


def test_a_closed_batcher_decides_what_it_holds_and_refuses_more(engine: Engine) -> None:
    clock = Clock()
    guard = make_guard(engine, None, clock=clock)
    batcher = DecisionBatcher(guard, window=0.2)
    futures = [batcher.submit(parse_event(transfer(f"q{i}", at=T0 + timedelta(minutes=i)), clock())) for i in range(5)]
    batcher.close()
    assert [f.result(timeout=1).event_id for f in futures] == [f"q{i}" for i in range(5)]
    with pytest.raises(RuntimeError):
        batcher.submit(parse_event(transfer("late"), clock()))


def test_concurrent_api_requests_each_get_their_own_answer(platform: Platform, analyst_key: str) -> None:
    platform.guard = make_guard(platform.engine, platform.checker, clock=Clock(T0 + timedelta(minutes=20)))  # type: ignore[attr-defined]
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.state.platform = platform
    headers = {"X-API-Key": analyst_key}
    with TestClient(app) as api:
        first = api.post("/api/v1/guard/events", json=transfer("h0"), headers=headers)
        assert first.status_code == 200, first.text
        bodies = [transfer(f"h{i}", at=T0 + timedelta(minutes=i)) for i in range(1, 13)]
        bodies += [transfer("h0", amount="5.00"), {**transfer("bad"), "amount": "-1"}, transfer("h0")]
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda b: api.post("/api/v1/guard/events", json=b, headers=headers), bodies))
    assert [r.status_code for r in replies] == [200] * 12 + [409, 422, 200]
    assert [r.json()["event_id"] for r in replies[:12]] == [f"h{i}" for i in range(1, 13)]
    assert replies[-1].json() == first.json()
    assert "amount" in replies[13].text


@pytest.mark.parametrize(
    "request_",
    [
        CheckRequest(account="6228000099998888", name="Zhang San"),
        CheckRequest(account="6228000099998888", name="  Li Si  ", bank="ICBC", channel="mobile"),
        CheckRequest(account="6228000099998888", name="   "),
        CheckRequest(name="王 五"),
        CheckRequest(card="6222 0000 1111 2222", name="Zhao Liu"),
        CheckRequest(account="6228-0000-9999-8888", name="Zhao Liu"),
        CheckRequest(account="6228000099998888", name="x" * 201),
        CheckRequest(account="12", name="Zhang San"),
    ],
)
def test_the_quick_payee_parse_with_a_name_is_the_general_parse(request_: CheckRequest) -> None:
    """The guard's payee (a name beside its account) skips the general parser: same probes, same name."""
    quick = _quick_parse(request_)
    try:
        general = _from_parsed(parse_request(request_))
    except InvalidInput:
        assert quick is None  # errors are reported by the general parser alone
        return
    assert quick is None or quick == general


def test_submit_async_answers_each_event_on_its_loop(engine: Engine) -> None:
    """#19: an event loop's requests wait on asyncio futures, settled on the loop a batch at a time;
    a conflict is that event's alone, and an event whose future is cancelled before its batch
    starts is not decided."""
    import asyncio

    clock = Clock()
    guard = make_guard(engine, None, clock=clock)
    first = guard.decide(parse_event(transfer("a0"), clock()))
    batcher = DecisionBatcher(guard, window=0.2)  # the window gathers the events below into one batch

    async def run() -> list[object]:
        loop = asyncio.get_running_loop()
        futures = [batcher.submit_async(parse_event(transfer(f"a{i}", at=T0 + timedelta(minutes=i)), clock()), loop) for i in (1, 2)]
        futures.append(batcher.submit_async(parse_event(transfer("a0", amount="7.00"), clock()), loop))
        futures.append(batcher.submit_async(parse_event(transfer("a0"), clock()), loop))
        dropped = batcher.submit_async(parse_event(transfer("gone", at=T0 + timedelta(minutes=5)), clock()), loop)
        dropped.cancel()
        return list(await asyncio.gather(*futures, return_exceptions=True))

    try:
        outcomes = asyncio.run(run())
    finally:
        batcher.close()
    assert [o.event_id for o in outcomes if isinstance(o, Decision)] == ["a1", "a2", "a0"]
    assert isinstance(outcomes[2], Conflict)
    assert outcomes[3] == first
    with pytest.raises(NotFound):
        guard.decision_for_event("gone")
    assert batcher.batches == 1 and batcher.decided == 4


class GatedGuard:
    """A real guard whose first ``decide_many`` waits for a gate (the batcher busy meanwhile); the
    sizes of the batches it was given are recorded."""

    def __init__(self, guard: GuardService) -> None:
        self.guard = guard
        self.sizes: list[int] = []
        self.started = threading.Event()
        self.gate = threading.Event()

    def decide_many(self, events: list[Event]) -> list[Decision | Conflict]:
        self.sizes.append(len(events))
        self.started.set()
        assert self.gate.wait(30)
        return list(self.guard.decide_many(events))


def test_a_busy_batcher_waits_for_company_an_idle_one_does_not(engine: Engine) -> None:
    clock = Clock()
    gated = GatedGuard(make_guard(engine, None, clock=clock))
    events = [parse_event(transfer(f"w{i}", at=T0 + timedelta(minutes=i)), clock()) for i in range(5)]
    batcher = DecisionBatcher(gated, busy_window=20.0, busy_company=3)  # type: ignore[arg-type]
    try:
        gated.gate.set()
        assert batcher.submit(events[0]).result(timeout=10).event_id == "w0"  # idle: decided at once, no window
        gated.gate.clear()
        gated.started.clear()
        first = batcher.submit(events[1])
        assert gated.started.wait(10)  # the batcher is deciding w1 ...
        second = batcher.submit(events[2])  # ... when w2 comes: busy
        gated.gate.set()
        assert first.result(timeout=10).event_id == "w1"
        time.sleep(0.3)  # the batcher waits for company past its decision of w1
        later = [batcher.submit(e) for e in events[3:]]
        assert [f.result(timeout=10).event_id for f in (second, *later)] == ["w2", "w3", "w4"]
    finally:
        gated.gate.set()
        batcher.close()
    assert gated.sizes == [1, 1, 3]  # w2 waited for w3 and w4 (busy_company), not for the 20 s window


def test_the_busy_window_is_the_guards_setting(engine: Engine) -> None:
    guard = make_guard(engine, None, clock=Clock())
    try:
        assert guard.batcher.busy_window == guard.config.batch_busy_window == 0  # off by default
        assert guard.batcher.busy_company == guard.config.batch_company
    finally:
        guard.close()
    guard = make_guard(engine, None, clock=Clock(), config=GuardConfig(batch_busy_window=0.002, batch_company=8))
    try:
        assert (guard.batcher.busy_window, guard.batcher.busy_company) == (0.002, 8)
    finally:
        guard.close()
