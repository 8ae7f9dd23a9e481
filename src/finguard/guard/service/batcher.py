"""Group commit for single decisions (#19): concurrent requests decided by one ``decide_many``.

Each HTTP request decides one event. Deciding them one transaction each spends most of a
decision on the commit (and, with a thread per request, on threads contending for the GIL and
the store). The batcher queues the events of concurrent requests; one worker thread takes every
event waiting (up to ``max_batch``) and decides them with one :meth:`GuardService.decide_many`
call, so the batch shares its transactions. A request arriving while a batch is being decided
waits for that batch to commit and goes into the next one; an idle batcher decides a lone event
at once (``window`` seconds of extra waiting for company, 0 by default).

A busy batcher can wait a little for company (``busy_window``, 0 by default: off; #19, guardhttp7): when
events arrived while it decided the previous batch (requests are coming faster than it idles)
and fewer than ``busy_company`` wait, it waits up to ``busy_window`` for more before taking
them. Over HTTP at 500/s the batches were ~3 events, and a batch's transaction (BEGIN, the
connection, the commit) was shared by too few; a lone event at a quiet moment is still decided
at once, so a quiet server's latency is unchanged. 2 ms measured no better than none over HTTP
(docs/capacity.md, "Stop 27: the guard over HTTP, compiled"): off until a quiet machine says otherwise.

Every event gets its own answer: its decision, or the exception :meth:`GuardService.decide`
would raise for it alone (a Conflict for an event id reused with another body). When a batch
fails as a whole, its events are decided again one by one, so one event's fault never becomes
another's. ``decide_many`` decides a batch exactly as one ``decide`` after the other would
(idempotency by event id, velocity, controls, explanations), so batching changes no decision.

An event loop's request waits on an asyncio future (:meth:`DecisionBatcher.submit_async`): the
worker hands a whole batch's answers to each loop in one ``call_soon_threadsafe`` (#19), instead
of a thread-safe future per event, each waking the loop on its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING

from finguard.core.errors import Conflict
from finguard.guard.model.decision import Decision
from finguard.guard.model.events import Event

if TYPE_CHECKING:
    from finguard.guard.service.engine import GuardService

log = logging.getLogger(__name__)

# An event, the future its answer goes to, and that future's event loop (None: a thread-safe future).
_Item = tuple[Event, "Future[Decision] | asyncio.Future[Decision]", "asyncio.AbstractEventLoop | None"]


class BatcherClosed(RuntimeError):
    """The batcher was closed before this event was decided (the process is stopping)."""


class DecisionBatcher:
    def __init__(
        self,
        guard: GuardService,
        *,
        max_batch: int = 128,
        window: float = 0.0,
        busy_window: float = 0.0,
        busy_company: int = 16,
    ) -> None:
        self.guard = guard
        self.max_batch = max(1, max_batch)
        self.window = max(0.0, window)
        self.busy_window = max(0.0, busy_window)
        self.busy_company = max(1, min(busy_company, self.max_batch))
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.batches = 0  # batches decided, and the events in them (for /metrics and tests)
        self.decided = 0
        self._thread = threading.Thread(target=self._run, name="finguard-guard-batcher", daemon=True)
        self._thread.start()

    def submit(self, event: Event) -> Future[Decision]:
        """Queue an event; the future holds its decision or the exception deciding it raised."""
        future: Future[Decision] = Future()
        self._put((event, future, None))
        return future

    def submit_async(self, event: Event, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Decision]:
        """:meth:`submit` for a coroutine on ``loop`` (the thread running it): the asyncio future is
        settled on the loop, with the rest of its batch's answers for that loop at once. A future
        cancelled before its batch starts is not decided (as :meth:`submit`'s)."""
        future: asyncio.Future[Decision] = loop.create_future()
        self._put((event, future, loop))
        return future

    def _put(self, item: _Item) -> None:
        with self._cond:
            if self._closed:
                raise BatcherClosed("the guard is stopping")
            self._queue.append(item)
            self._cond.notify()

    def decide(self, event: Event) -> Decision:
        """:meth:`GuardService.decide` through the batcher (blocks until the event's batch commits)."""
        return self.submit(event).result()

    def close(self, timeout: float = 10.0) -> None:
        """Decide what is queued, then stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout)

    # -- the worker ------------------------------------------------------------------------------

    def _take(self) -> list[_Item] | None:
        with self._cond:
            busy = bool(self._queue)  # events came while the previous batch was decided
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            if self.window and len(self._queue) < self.max_batch and not self._closed:
                deadline = time.monotonic() + self.window
                while len(self._queue) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            elif busy and self.busy_window and len(self._queue) < self.busy_company and not self._closed:
                deadline = time.monotonic() + self.busy_window
                while (
                    len(self._queue) < self.busy_company
                    and not self._closed
                    and (left := deadline - time.monotonic()) > 0
                ):
                    self._cond.wait(left)
            n = min(self.max_batch, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            try:
                self._decide(batch)
            except BaseException as exc:  # never leave a request waiting for ever
                log.exception("guard batcher: a batch failed")
                _settle([(item, exc) for item in batch])

    def _decide(self, batch: list[_Item]) -> None:
        live = [item for item in batch if _start(item)]
        if not live:
            return
        try:
            results: list[Decision | BaseException] = list(self.guard.decide_many([item[0] for item in live]))
        except Exception as exc:
            if len(live) == 1:
                results = [exc]
            else:
                log.warning("guard batcher: a batch of %d failed (%s); deciding its events one by one", len(live), type(exc).__name__)
                results = [self._one(item[0]) for item in live]
        self.batches += 1
        self.decided += len(live)
        _settle(list(zip(live, results, strict=True)))

    def _one(self, event: Event) -> Decision | BaseException:
        try:
            result: Decision | Conflict = self.guard.decide_many([event])[0]
        except Exception as exc:
            return exc
        return result


def _start(item: _Item) -> bool:
    """Whether the item's event is still wanted (its future not cancelled), marking a thread-safe
    future running. An asyncio future is only read here (its loop owns it): one cancelled after
    this look gets its event decided and the answer dropped, as a running future's would be."""
    _, future, loop = item
    if loop is None:
        return bool(future.set_running_or_notify_cancel())  # type: ignore[union-attr]
    return not future.done()


def _settle(answers: list[tuple[_Item, Decision | BaseException]]) -> None:
    """Give each future its answer: a thread-safe one here, the asyncio ones on their loops, one
    hand-off per loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Decision], Decision | BaseException]]] = {}
    for (_, future, loop), result in answers:
        if loop is None:
            if not future.done():  # done: a batch that failed after some of its answers were given
                _give(future, result)
        else:
            by_loop.setdefault(loop, []).append((future, result))  # type: ignore[arg-type]
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, pairs)
        except RuntimeError:  # the loop is closed: nobody waits for these answers any more
            log.debug("guard batcher: %d answers for a closed event loop dropped", len(pairs))


def _settle_on_loop(pairs: list[tuple[asyncio.Future[Decision], Decision | BaseException]]) -> None:
    for future, result in pairs:
        if not future.done():  # done: cancelled while its batch was decided
            _give(future, result)


def _give(future: Future[Decision] | asyncio.Future[Decision], result: Decision | BaseException) -> None:
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
