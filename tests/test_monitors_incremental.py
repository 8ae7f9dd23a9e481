"""Incremental mode equals batch on what the new transfers can change."""

from __future__ import annotations

import numpy as np

from finguard.monitors.model import MonitorConfig, PatternAlert
from finguard.monitors.service import Transfers, affected, run_incremental, run_monitors

H = 3600


def ledger(seed: int = 3) -> dict[str, np.ndarray]:
    """400 accounts of random traffic over 30 days, with every typology planted twice."""
    rng = np.random.default_rng(seed)
    n, m = 400, 6000
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    amt = rng.lognormal(np.log(200_000), 1.0, m).astype(np.int64)
    ts = (rng.random(m) * 30 * 24 * H).astype(np.int64)
    rows = [list(x) for x in zip(src.tolist(), dst.tolist(), amt.tolist(), ts.tolist(), strict=True)]
    code = n
    for day in (5, 20):
        t = day * 24 * H
        a, b, c, hub, sink = code, code + 1, code + 2, code + 3, code + 4
        code += 5
        rows += [[a, b, 1_000_000, t], [b, c, 980_000, t + 5 * H], [c, a, 960_000, t + 9 * H]]  # cycle
        rows += [[int(rng.integers(n)), hub, 300_000 + i, t + i * H] for i in range(6)]  # fan-in
        rows += [[hub, sink, 1_700_000, t + 8 * H], [sink, int(rng.integers(n)), 1_690_000, t + 10 * H]]
        rows += [[int(rng.integers(n)), sink, 500_000, t + 11 * H], [sink, int(rng.integers(n)), 499_000, t + 12 * H]]
        # Structuring (#12): two payers with a habit of 2,000 yuan cut 30 yuan pieces to a payee.
        p0, p1, payee = code, code + 1, code + 2
        code += 3
        rows += [[p, int(rng.integers(n)), 200_000 + k, (d + 0.3 * k) * 24 * H] for k, p in enumerate((p0, p1)) for d in range(0, 30, 6)]
        rows += [[p, payee, 3_000 + 10 * j, t + (2 + k) * H + j * 60] for k, p in enumerate((p0, p1)) for j in range(4)]
        # A slow ring (#12): 50 yuan hops booked out of order over up to 15 days, the last on this day.
        r = [code, code + 1, code + 2]
        code += 3
        rows += [[m, int(rng.integers(n)), 150_000 + k, (d + 0.2 * k) * 24 * H] for k, m in enumerate(r) for d in range(1, 30, 7)]
        back = (15 if day > 15 else 4) * 24 * H
        rows += [[r[0], r[1], 5_000, t - back], [r[1], r[2], 5_000, t + 3 * H], [r[2], r[0], 5_000, t - 2 * 24 * H]]
    arr = np.asarray(rows, dtype=np.int64)
    return {
        "src": arr[:, 0].astype(np.int32),
        "dst": arr[:, 1].astype(np.int32),
        "amount_fen": arr[:, 2],
        "ts": arr[:, 3] + 1_700_000_000,
        "accounts": np.asarray([f"acc{i}" for i in range(code)], dtype=object),
    }


def shape(alerts: list[PatternAlert]) -> set[tuple[str, int, tuple[int, ...], int]]:
    return {(a.typology.value, a.subject, a.accounts, a.measure) for a in alerts}


def test_incremental_equals_batch_on_the_affected_accounts() -> None:
    cols = ledger()
    config = MonitorConfig().with_overrides({"stack": {"min_hops": 2}, "fan_in": {"min_counterparties": 4}})
    batch = run_monitors(cols, config)
    transfers = Transfers.from_columns(cols)
    # The "new" transfers: the last day of the planted shapes on day 20, plus random ones.
    t20 = 1_700_000_000 + 20 * 24 * 3600
    new = np.flatnonzero((cols["ts"] >= t20) & (cols["ts"] < t20 + 12 * H))
    inc = run_incremental(cols, new, config)
    want = affected(batch.alerts, transfers, new)
    assert want, "the planted shapes on day 20 must be among the affected alerts"
    assert shape(inc.alerts) == shape(want)
    assert {a.typology.value for a in want} >= {"cycle", "fan_in", "pass_through", "structuring", "slow_cycle"}


def test_incremental_with_nothing_new() -> None:
    inc = run_incremental(ledger(), [], MonitorConfig())
    assert inc.alerts == []


def test_incremental_only_looks_at_touched_accounts() -> None:
    cols = ledger()
    new = np.asarray([len(cols["src"]) - 1])
    inc = run_incremental(cols, new)
    touched = {int(cols["src"][-1]), int(cols["dst"][-1])}
    for a in inc.alerts:
        assert a.subject in touched or any(e.row == new[0] for e in a.edges)
