"""A velocity backend's fault (not an outage) still reads as "unavailable", and is logged loudly (#19 review)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from finguard.guard.model.events import parse_event
from finguard.guard.service.velocity import MemoryBackend, Read, Update, Velocity, VelocityUnavailable
from tests.guard_helpers import T0, transfer


class _Broken(MemoryBackend):
    def apply(self, event_id: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        raise TypeError("a bug, not an outage")


def test_backend_fault_is_unavailable_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    velocity = Velocity(_Broken())
    event = parse_event(transfer("e-fault-1"), T0)
    with caplog.at_level(logging.ERROR, logger="finguard.guard.service.velocity"), pytest.raises(VelocityUnavailable, match="TypeError"):
        velocity.observe(event)
    assert any("fault" in r.getMessage() and r.exc_info for r in caplog.records)
