"""Group commit for single decisions (#19): concurrent requests decided by one ``decide_many``.

Each HTTP request decides one event. Deciding them one transaction each spends most of a
decision on the commit (and, with a thread per request, on threads contending for the GIL and
the store). The batcher queues the events of concurrent requests; one worker thread takes every
event waiting (up to ``max_batch``) and decides them with one :meth:`GuardService.decide_many`
call, so the batch shares its transactions. A request arriving while a batch is being decided
waits for that batch to commit and goes into the next one; an idle batcher decides a lone event
at once (``window`` seconds of extra waiting for company, 0 by default).

Every event gets its own answer: its decision, or the exception :meth:`GuardService.decide`
would raise for it alone (a Conflict for an event id reused with another body). When a batch
fails as a whole, its events are decided again one by one, so one event's fault never becomes
another's. ``decide_many`` decides a batch exactly as one ``decide`` after the other would
(idempotency by event id, velocity, controls, explanations), so batching changes no decision.
"""

from __future__ import annotations

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


class BatcherClosed(RuntimeError):
    """The batcher was closed before this event was decided (the process is stopping)."""


class DecisionBatcher:
    def __init__(self, guard: GuardService, *, max_batch: int = 128, window: float = 0.0) -> None:
        self.guard = guard
        self.max_batch = max(1, max_batch)
        self.window = max(0.0, window)
        self._queue: deque[tuple[Event, Future[Decision]]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.batches = 0  # batches decided, and the events in them (for /metrics and tests)
        self.decided = 0
        self._thread = threading.Thread(target=self._run, name="finguard-guard-batcher", daemon=True)
        self._thread.start()

    def submit(self, event: Event) -> Future[Decision]:
        """Queue an event; the future holds its decision or the exception deciding it raised."""
        future: Future[Decision] = Future()
        with self._cond:
            if self._closed:
                raise BatcherClosed("the guard is stopping")
            self._queue.append((event, future))
            self._cond.notify()
        return future

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

    def _take(self) -> list[tuple[Event, Future[Decision]]] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            if self.window and len(self._queue) < self.max_batch and not self._closed:
                deadline = time.monotonic() + self.window
                while len(self._queue) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            n = min(self.max_batch, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            try:
                self._decide(batch)
            except BaseException as exc:  # never leave a request waiting for ever
                log.exception("guard batcher: a batch failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)

    def _decide(self, batch: list[tuple[Event, Future[Decision]]]) -> None:
        live = [(e, f) for e, f in batch if f.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results: list[Decision | BaseException] = list(self.guard.decide_many([e for e, _ in live]))
        except Exception as exc:
            if len(live) == 1:
                results = [exc]
            else:
                log.warning("guard batcher: a batch of %d failed (%s); deciding its events one by one", len(live), type(exc).__name__)
                results = [self._one(e) for e, _ in live]
        self.batches += 1
        self.decided += len(live)
        for (_, future), result in zip(live, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _one(self, event: Event) -> Decision | BaseException:
        try:
            result: Decision | Conflict = self.guard.decide_many([event])[0]
        except Exception as exc:
            return exc
        return result
