"""The monitors at their defaults (#12): slow rings are found, routine payroll is not flagged.

Each ledger has 70 days of unrelated history first (first contacts, on by default, need it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from finguard.monitors.model import DAY, MonitorConfig, Typology, default_config
from finguard.monitors.service.runner import run_monitors

START = 1_700_000_000
YUAN = 100


def columns(rows: list[tuple[str, str, int, float]]) -> dict[str, Any]:
    """(payer, payee, yuan, day) rows, after 70 days of history between other accounts."""
    history = [(f"H{i}", f"H{i + 1}", 100 + i, i) for i in range(70)]
    rows = sorted(history + rows, key=lambda r: r[3])
    names = sorted({a for r in rows for a in r[:2]})
    code = {a: i for i, a in enumerate(names)}
    return {
        "src": np.array([code[r[0]] for r in rows], dtype=np.int32),
        "dst": np.array([code[r[1]] for r in rows], dtype=np.int32),
        "amount_fen": np.array([r[2] * YUAN for r in rows], dtype=np.int64),
        "ts": np.array([START + int(r[3] * DAY) for r in rows], dtype=np.int64),
        "accounts": np.array(names, dtype=object),
    }


def test_a_slow_ring_is_found_at_the_defaults() -> None:
    """A -> B on day 60, B -> C on day 80, C -> D on day 100, D -> A on day 125: 65 days round,
    50,000 yuan less a little each hop. The #5 window (10 days) and relay delay (2 days) cannot see it."""
    ring = [("A", "B", 50_000, 60), ("B", "C", 49_500, 80), ("C", "D", 49_000, 100), ("D", "A", 48_500, 125)]
    cols = columns(ring)
    rings = [a for a in run_monitors(cols, default_config()).alerts if a.typology is Typology.CYCLE]
    assert len(rings) == 1 and rings[0].measure == 4
    assert not [a for a in run_monitors(cols, MonitorConfig()).alerts if a.typology is Typology.CYCLE]


def test_payroll_is_routine_but_a_new_burst_of_payees_is_not() -> None:
    """An employer pays the same 8,000 yuan to ten staff every month (days 75, 105, 135) and on day
    135 to ten new staff too: first contacts, a burst, far above the floor, and yet ordinary
    repetitive traffic (the exact amount it pays every month). A fan-out of ten new payees at
    amounts it never paid before is flagged."""
    staff = [("E", f"S{i}", 8_000, day + i / 100) for day in (75, 105, 135) for i in range(10)]
    new = [("E", f"N{i}", 8_000, 135 + i / 100) for i in range(10)]
    cols = columns(staff + new)
    assert not [a for a in run_monitors(cols, default_config()).alerts if a.typology is Typology.FAN_OUT]
    no_routine = default_config().with_overrides({"baseline": {"routine_days": 0}})
    assert [a.typology for a in run_monitors(cols, no_routine).alerts if a.typology is Typology.FAN_OUT] == [Typology.FAN_OUT]
    odd = columns(staff + [("E", f"N{i}", 7_000 + 37 * i, 135 + i / 100) for i in range(10)])
    fans = [a for a in run_monitors(odd, default_config()).alerts if a.typology is Typology.FAN_OUT]
    assert len(fans) == 1 and fans[0].measure == 10
