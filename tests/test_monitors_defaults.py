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


def test_structuring_and_slow_rings_at_the_defaults_but_not_ordinary_shopping() -> None:
    """At the defaults: a payer paying rent of 3,000 yuan monthly and buying 20-400 yuan of
    groceries most days buys twice the same day at one shop (in habit: not structuring), and pays
    its landlord twice one month (the usual amount: routine). Four payers with a habit of about
    300 yuan each send one hub five 3-4 yuan pieces on one day (structuring), and a ring of
    11.51 yuan hops booked on days 75, 160, 107 and 127 comes back to where it started."""
    rng = np.random.default_rng(1)
    shopper = [("S", f"shop{d % 4}", int(rng.integers(20, 400)), d + 0.5) for d in range(70, 160)]
    shopper += [("S", "shop1", 55, 90.6), ("S", "shop1", 60, 90.7), ("S", "landlord", 3_000, 100), ("S", "landlord", 3_000, 100.2)]
    shopper += [("S", "landlord", 3_000, d) for d in (70, 130, 160)]
    payers = [(f"p{k}", f"m{i}", 300 + k, 70 + 5 * i + k / 10) for k in range(4) for i in range(6)]
    pieces = [(f"p{k}", "hub", 3 + j / 5, 110 + 7 * k + j / 100) for k in range(4) for j in range(5)]
    members = [(f"r{k}", f"m{i}", 280 + k, 70 + 5 * i + k / 10) for k in range(4) for i in range(6)]
    hops = [("r0", "r1", 11.51, 75), ("r1", "r2", 11.51, 160), ("r2", "r3", 11.51, 107), ("r3", "r0", 11.51, 127)]
    cols = columns(shopper + payers + pieces + members + hops)
    run = run_monitors(cols, default_config())
    mine = {a.typology: a for a in run.alerts if a.typology in (Typology.STRUCTURING, Typology.SLOW_CYCLE)}
    assert [a.typology for a in run.alerts if run.account_id(a.subject) == "S" or "S" in {run.account_id(c) for c in a.accounts}] == []
    assert set(mine) == {Typology.STRUCTURING, Typology.SLOW_CYCLE}
    assert run.account_id(mine[Typology.STRUCTURING].subject) == "hub" and mine[Typology.STRUCTURING].measure == 4
    assert {run.account_id(c) for c in mine[Typology.SLOW_CYCLE].accounts} == {"r0", "r1", "r2", "r3"}
    assert sum(a.typology is Typology.STRUCTURING for a in run.alerts) == 1
