"""Each typology on the smallest ledger that shows it, with a near miss beside it.

Rows are ``(sender, receiver, yuan, hours after T0)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.monitors.model import DAY, MonitorConfig, PatternAlert, Typology, default_config, explain
from finguard.monitors.service import Transfers, affected, parse_config, parse_typologies, run_incremental, run_monitors
from finguard.monitors.service.index import unusual_rows

T0 = 1_700_000_000
H = 3600


def columns(rows: list[tuple[str, str, float, float]]) -> dict[str, Any]:
    names: dict[str, int] = {}
    for s, d, _, _ in rows:
        names.setdefault(s, len(names))
        names.setdefault(d, len(names))
    return {
        "src": np.asarray([names[r[0]] for r in rows], dtype=np.int32),
        "dst": np.asarray([names[r[1]] for r in rows], dtype=np.int32),
        "amount_fen": np.asarray([round(r[2] * 100) for r in rows], dtype=np.int64),
        "ts": np.asarray([T0 + round(r[3] * H) for r in rows], dtype=np.int64),
        "accounts": np.asarray(list(names), dtype=object),
    }


def found(rows: list[tuple[str, str, float, float]], typology: Typology, **overrides: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(subject, sorted accounts) of each alert of ``typology``."""
    cfg = MonitorConfig().with_overrides(overrides) if overrides else MonitorConfig()
    run = run_monitors(columns(rows), cfg, frozenset({typology}))
    return [(run.account_id(a.subject), sorted(run.account_id(c) for c in a.accounts)) for a in run.alerts]


def alerts(rows: list[tuple[str, str, float, float]], typology: Typology, **overrides: dict[str, Any]) -> list[PatternAlert]:
    cfg = MonitorConfig().with_overrides(overrides) if overrides else MonitorConfig()
    return run_monitors(columns(rows), cfg, frozenset({typology})).alerts


def fan_in(n: int, hours_apart: float) -> list[tuple[str, str, float, float]]:
    return [(f"s{i}", "hub", 9_000 + i, i * hours_apart) for i in range(n)]


def test_fan_in_five_senders_within_four_days() -> None:
    """s0..s4 -> hub, one every 12 hours: five distinct senders within 4 days."""
    assert found(fan_in(5, 12), Typology.FAN_IN) == [("hub", ["hub", "s0", "s1", "s2", "s3", "s4"])]


def test_fan_in_near_misses() -> None:
    """Four senders; or five spread over 10 days; or five payments from one sender."""
    assert found(fan_in(4, 12), Typology.FAN_IN) == []
    assert found(fan_in(5, 60), Typology.FAN_IN) == []
    assert found([("s0", "hub", 100, i) for i in range(5)], Typology.FAN_IN) == []


def test_fan_in_steady_busy_account_is_not_a_burst() -> None:
    """A shop paid by 5 customers every 4 days for 40 days is its normal traffic, not a burst."""
    shop = [(f"c{i}", "shop", 50, i * 19.2) for i in range(50)]
    assert found(shop, Typology.FAN_IN) == []
    assert found(shop, Typology.FAN_IN, fan_in={"min_burst": 0}) != []


def test_fan_out_mirror() -> None:
    rows = [("src", f"d{i}", 3_000, i * 6) for i in range(6)]
    assert found(rows, Typology.FAN_OUT) == [("src", ["d0", "d1", "d2", "d3", "d4", "d5", "src"])]
    assert found(rows[:4], Typology.FAN_OUT) == []


def test_fan_in_min_total_threshold() -> None:
    assert found(fan_in(5, 1), Typology.FAN_IN, fan_in={"min_total": 10_000_000}) == []


def test_cycle_time_ordered_decaying_amounts() -> None:
    """A -> B -> C -> A, 10 000 then 9 800 then 9 600 yuan, a day apart."""
    rows = [("A", "B", 10_000, 0), ("B", "C", 9_800, 24), ("C", "A", 9_600, 48)]
    (a,) = alerts(rows, Typology.CYCLE)
    assert a.measure == 3 and len(a.edges) == 3
    assert found(rows, Typology.CYCLE) == [("A", ["A", "B", "C"])]


@pytest.mark.parametrize(
    "rows",
    [
        [("A", "B", 10_000, 0), ("B", "C", 9_800, 24), ("C", "A", 5_000, 48)],  # amount halves on the way
        [("A", "B", 10_000, 48), ("B", "C", 9_800, 24), ("C", "A", 9_600, 0)],  # out of time order
        [("A", "B", 10_000, 0), ("B", "C", 9_800, 24), ("C", "D", 9_600, 48)],  # never comes back
    ],
)
def test_cycle_near_misses(rows: list[tuple[str, str, float, float]]) -> None:
    assert found(rows, Typology.CYCLE) == []


def test_cycle_length_bound() -> None:
    ring = [(f"n{i}", f"n{(i + 1) % 8}", 10_000 - i, i) for i in range(8)]
    assert found(ring, Typology.CYCLE) == []  # 8 hops > max_length 6
    assert len(found(ring, Typology.CYCLE, cycle={"max_length": 8})) == 1


def test_scatter_gather() -> None:
    """S splits 30 000 over M1..M3, each passes it on to T within a day."""
    rows = [("S", f"M{i}", 10_000, i) for i in range(3)] + [(f"M{i}", "T", 9_900, 10 + i) for i in range(3)]
    assert found(rows, Typology.SCATTER_GATHER) == [("S", ["M0", "M1", "M2", "S", "T"])]
    assert found(rows[:2] + rows[3:5], Typology.SCATTER_GATHER) == []  # two paths only


def test_gather_scatter() -> None:
    """Three senders pay H, then H pays three others within the window."""
    rows = [(f"i{i}", "H", 5_000, i) for i in range(3)] + [("H", f"o{i}", 4_900, 20 + i) for i in range(3)]
    assert found(rows, Typology.GATHER_SCATTER) == [("H", ["H", "i0", "i1", "i2", "o0", "o1", "o2"])]
    assert found(rows[:3] + rows[3:5], Typology.GATHER_SCATTER) == []


def test_pass_through() -> None:
    """M receives and sends on nearly the same amount within hours, twice."""
    rows = [("a", "M", 20_000, 0), ("M", "b", 19_900, 3), ("c", "M", 8_000, 30), ("M", "d", 7_950, 31)]
    assert found(rows, Typology.PASS_THROUGH) == [("M", ["M", "a", "b", "c", "d"])]
    slow = [("a", "M", 20_000, 0), ("M", "b", 19_900, 40), ("c", "M", 8_000, 30), ("M", "d", 7_950, 80)]
    assert found(slow, Typology.PASS_THROUGH) == []
    different = [("a", "M", 20_000, 0), ("M", "b", 12_000, 3), ("c", "M", 8_000, 30), ("M", "d", 4_000, 31)]
    assert found(different, Typology.PASS_THROUGH) == []


def test_stack_chain() -> None:
    """A -> B -> C -> D, each passing on slightly less within a day: three layers."""
    rows = [("A", "B", 10_000, 0), ("B", "C", 9_900, 10), ("C", "D", 9_800, 20)]
    assert found(rows, Typology.STACK) == [("A", ["A", "B", "C", "D"])]
    assert found(rows[:2], Typology.STACK) == []  # two hops < min_hops 3
    late = [("A", "B", 10_000, 0), ("B", "C", 9_900, 10), ("C", "D", 9_800, 200)]
    assert found(late, Typology.STACK) == []


def test_dormant_account_wakes_with_large_sum() -> None:
    """Small payments, a year of silence, then 200 000 yuan out."""
    rows = [("Z", "x", 100, 0), ("y", "Z", 200, 10), ("Z", "w", 200_000, 10 + 365 * 24)]
    assert found(rows, Typology.DORMANT) == [("Z", ["Z", "w"])]
    assert found([*rows[:2], ("Z", "w", 1000, 10 + 365 * 24)], Typology.DORMANT) == []
    assert found([*rows[:2], ("Z", "w", 200000, 10 + 30 * 24)], Typology.DORMANT) == []


def test_hub_work_is_bounded_and_flagged() -> None:
    """A hub relays to 300 receivers after each payment in: only max_branch are followed."""
    rows = [("s", "HUB", 1_000, 0)] + [("HUB", f"r{i}", 1_000, 1 + i / 100) for i in range(300)]
    cfg = MonitorConfig().with_overrides({"limits": {"max_branch": 10, "max_alert_edges": 5}})
    run = run_monitors(columns(rows), cfg, frozenset({Typology.PASS_THROUGH, Typology.FAN_OUT}))
    assert run.truncated["pass_through"] is True
    (fan,) = [a for a in run.alerts if a.typology is Typology.FAN_OUT]
    assert fan.truncated and len(fan.edges) == 5 and fan.measure == 300
    assert "partial" in explain(fan, "HUB")[0]


def test_self_transfers_and_non_positive_amounts_are_dropped_not_errors() -> None:
    rows = [*fan_in(5, 1), ("hub", "hub", 1000, 2), ("s9", "hub", 0, 3)]
    run = run_monitors(columns(rows), typologies=frozenset({Typology.FAN_IN}))
    assert (run.dropped_self, run.dropped_nonpositive) == (1, 1)
    assert run.alerts[0].measure == 5


def test_reasons_in_english_and_chinese() -> None:
    run = run_monitors(columns(fan_in(5, 12)), typologies=frozenset({Typology.FAN_IN}))
    en, zh = run.reason(run.alerts[0])
    assert en == "Account hub received 45,010.00 from 5 different accounts within 2 days."
    assert zh == "账户 hub 在 2 天 内收到 5 个不同账户转入，共 45,010.00 元。"


def test_bad_columns_name_the_field() -> None:
    cols = columns(fan_in(5, 1))
    cols["amount_fen"] = cols["amount_fen"].astype(float)
    with pytest.raises(InvalidInput) as exc:
        run_monitors(cols)
    assert exc.value.problems[0].field == "amount_fen"
    cols = columns(fan_in(5, 1))
    cols["dst"] = cols["dst"] + 100
    with pytest.raises(InvalidInput, match="invalid"):
        run_monitors(cols)
    del cols["ts"]
    with pytest.raises(InvalidInput):
        run_monitors(cols)


def test_empty_ledger() -> None:
    run = run_monitors(columns([]) | {"src": np.zeros(0, np.int32), "dst": np.zeros(0, np.int32)})
    assert run.alerts == []


def test_thresholds_overrides_and_errors() -> None:
    cfg = parse_config("[fan_in]\nwindow = 86400\nmin_counterparties = 7\n")
    # A file sets what it names; the rest keeps the documented defaults (#12: DEFAULTS, not the building blocks).
    assert cfg.fan_in.window == DAY and cfg.fan_in.min_counterparties == 7 and cfg.fan_out == default_config().fan_out
    with pytest.raises(InvalidInput) as exc:
        MonitorConfig().with_overrides({"fan_in": {"windw": 1, "min_burst": -1}, "nope": {}})
    fields = sorted(p.field for p in exc.value.problems)
    assert fields == ["fan_in.min_burst", "fan_in.windw", "nope"]
    with pytest.raises(InvalidInput):
        MonitorConfig().with_overrides({"cycle": {"max_length": 1}})
    with pytest.raises(InvalidInput):
        parse_config("not toml [")
    assert parse_typologies(["fan-in", "CYCLE"]) == {Typology.FAN_IN, Typology.CYCLE}
    with pytest.raises(InvalidInput):
        parse_typologies(["smurfing"])


# -- first contacts, amount baselines, rings -------------------------------------------------

NOVELTY = {"lookback": 60 * DAY, "min_age": 10 * DAY}


def history(pairs: list[tuple[str, str]], before_hours: float = 30 * 24) -> list[tuple[str, str, float, float]]:
    """An old payment for each pair, ``before_hours`` before T0, and a marker 61 days before T0
    so the ledger's history is longer than the look-back."""
    return [("old1", "old2", 10, -61 * 24)] + [(s, d, 50, -before_hours) for s, d in pairs]


def test_first_contacts_only_strangers_count_in_a_fan_in() -> None:
    """hub is paid by s0..s4 in one day; s0..s2 have paid hub before (a month ago), so with the
    novelty test only two first contacts remain: no fan-in of 3."""
    rows = history([("s0", "hub"), ("s1", "hub"), ("s2", "hub")]) + fan_in(5, 4)
    cfg = {"novelty": NOVELTY, "fan_in": {"min_counterparties": 3}}
    assert found(rows, Typology.FAN_IN, fan_in={"min_counterparties": 3}) != []
    assert found(rows, Typology.FAN_IN, **cfg) == []
    strangers = history([]) + fan_in(5, 4)
    assert found(strangers, Typology.FAN_IN, **cfg) == [("hub", ["hub", "s0", "s1", "s2", "s3", "s4"])]


def test_first_contacts_contacts_younger_than_min_age_are_not_a_relationship() -> None:
    """A -> B then B -> A a day later: the first payment does not make the return familiar, so
    the two-hop ring is found; a payment between them 30 days earlier does."""
    ring = [("A", "B", 10_000, 0), ("B", "A", 9_700, 30)]
    cfg: dict[str, Any] = {"novelty": NOVELTY, "cycle": {"min_length": 2}}
    assert len(found(history([]) + ring, Typology.CYCLE, **cfg)) == 1
    assert found(history([("A", "B")]) + ring, Typology.CYCLE, **cfg) == []


def test_first_contacts_need_history_longer_than_the_lookback() -> None:
    """Without 60 days of history nothing can be told a first contact: no novelty alerts."""
    assert found(fan_in(5, 4), Typology.FAN_IN, novelty=NOVELTY) == []


def test_first_contacts_in_incremental_runs_see_the_whole_history() -> None:
    """The last fan-in payment arrives alone; its run still knows s0 paid hub a month ago."""
    rows = history([("s0", "hub")]) + fan_in(4, 4)
    cfg = MonitorConfig().with_overrides({"novelty": NOVELTY, "fan_in": {"min_counterparties": 3}})
    cols = columns(rows)
    batch = run_monitors(cols, cfg)
    new = np.asarray([len(rows) - 1])
    inc = run_incremental(cols, new, cfg)
    assert sorted(a.key() for a in inc.alerts) == sorted(a.key() for a in affected(batch.alerts, Transfers.from_columns(cols), new))
    (a,) = [a for a in batch.alerts if a.typology is Typology.FAN_IN]
    assert a.measure == 3  # s1..s3 are first contacts, s0 is not


def test_baseline_prefilter_keeps_amounts_unusual_for_the_sender() -> None:
    """A pays 100 yuan five times and once 3 yuan; only the 3 yuan payment is analysed."""
    rows = [("A", f"x{i}", 100, i) for i in range(5)] + [("A", "y", 3, 10), ("B", "z", 70, 11)]
    t = Transfers.from_columns(columns(rows))
    assert unusual_rows(t, 1.01, 1).tolist() == [5]
    assert unusual_rows(t, 1.01, 2).tolist() == [5, 6]  # B has one payment: no baseline, kept
    two = [("A", f"x{i}", 100, i) for i in range(5)] + [("A", "y", 3, 10), ("B", "y", 4, 11)]
    assert found(two, Typology.FAN_IN, fan_in={"min_counterparties": 2, "min_burst": 0}) != []
    cfg: dict[str, Any] = {"fan_in": {"min_counterparties": 2, "min_burst": 0}, "baseline": {"min_ratio": 1.01, "min_history": 1}}
    assert found(two, Typology.FAN_IN, **cfg) == []  # B's only payment is its usual amount


def test_ring_booked_out_of_order_within_the_slack() -> None:
    """A -> B -> C -> A where C pays A a day before B pays C: a ring with cycle.slack >= 1 day."""
    rows = [("A", "B", 10_000, 0), ("C", "A", 9_600, 24), ("B", "C", 9_800, 48)]
    assert found(rows, Typology.CYCLE) == []
    assert found(rows, Typology.CYCLE, cycle={"slack": DAY}) == [("A", ["A", "B", "C"])]


def test_ring_has_its_own_amount_floor() -> None:
    rows = [("A", "B", 300, 0), ("B", "C", 290, 24), ("C", "A", 280, 48)]
    assert found(rows, Typology.CYCLE, relay={"min_amount": 100_000}) == [("A", ["A", "B", "C"])]
    assert found(rows, Typology.CYCLE, relay={"min_amount": 100_000}, cycle={"min_amount": 100_000}) == []


def test_ring_run_twice_is_two_alerts() -> None:
    """The same two accounts round-trip money twice, a week apart: one alert per run."""
    rows = [("A", "B", 10_000, 0), ("B", "A", 9_800, 20), ("A", "B", 5_000, 170), ("B", "A", 4_900, 190)]
    assert len(alerts(rows, Typology.CYCLE, cycle={"min_length": 2})) == 2


def test_gather_scatter_may_pay_back_its_senders() -> None:
    """i0, i1 pay H; H pays the money back out to i0 and i1 (AMLworld's gather-scatter)."""
    rows = [("i0", "H", 5_000, 0), ("i1", "H", 5_000, 1), ("H", "i0", 4_900, 20), ("H", "i1", 4_900, 21)]
    assert found(rows, Typology.GATHER_SCATTER, gather_scatter={"min_in": 2, "min_out": 2}) == [("H", ["H", "i0", "i1"])]
    assert found(rows, Typology.GATHER_SCATTER, gather_scatter={"min_in": 2, "min_out": 2, "min_total": 2_000_000}) == []


def test_new_thresholds_refuse_bad_values() -> None:
    with pytest.raises(InvalidInput) as exc:
        MonitorConfig().with_overrides({"novelty": {"lookback": DAY, "min_age": 2 * DAY, "relay_legs": 3}, "baseline": {"min_ratio": 0.5}})
    fields = {p.field for p in exc.value.problems}
    assert fields == {"novelty.min_age", "novelty.relay_legs", "baseline.min_ratio"}


small_ledgers = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 500), st.integers(0, 40)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(small_ledgers, st.integers(1, 30), st.integers(0, 10))
def test_first_contacts_match_their_definition(rows: list[tuple[int, int, int, int]], lookback_days: int, age_days: int) -> None:
    """Vectorised first contacts == the definition checked pair by pair."""
    from finguard.monitors.service.index import first_contacts

    cols = {
        "src": np.asarray([r[0] for r in rows], dtype=np.int32),
        "dst": np.asarray([r[1] for r in rows], dtype=np.int32),
        "amount_fen": np.asarray([r[2] for r in rows], dtype=np.int64),
        "ts": np.asarray([r[3] * DAY for r in rows], dtype=np.int64),
        "accounts": np.asarray([str(i) for i in range(6)], dtype=object),
    }
    lookback, min_age = lookback_days * DAY, min(age_days, lookback_days - 1) * DAY
    got = first_contacts(Transfers.from_columns(cols), lookback, min_age)
    t0 = min(r[3] for r in rows) * DAY
    for i, (s, d, _, t) in enumerate(rows):
        ts = t * DAY
        known = any({s2, d2} == {s, d} and ts - lookback <= t2 * DAY <= ts - max(min_age, 1) for s2, d2, _, t2 in rows)
        assert got[i] == (not known and ts >= t0 + lookback), (i, rows[i])


@settings(max_examples=200, deadline=None)
@given(small_ledgers, st.floats(1.01, 5), st.integers(1, 4))
def test_unusual_rows_match_their_definition(rows: list[tuple[int, int, int, int]], ratio: float, min_history: int) -> None:
    cols = {
        "src": np.asarray([r[0] for r in rows], dtype=np.int32),
        "dst": np.asarray([r[1] for r in rows], dtype=np.int32),
        "amount_fen": np.asarray([r[2] for r in rows], dtype=np.int64),
        "ts": np.asarray([r[3] for r in rows], dtype=np.int64),
        "accounts": np.asarray([str(i) for i in range(6)], dtype=object),
    }
    got = set(unusual_rows(Transfers.from_columns(cols), ratio, min_history).tolist())
    for i, (s, _, amount, _) in enumerate(rows):
        mine = sorted(r[2] for r in rows if r[0] == s)
        median = mine[len(mine) // 2]
        expect = len(mine) < min_history or amount > median * ratio or amount * ratio < median
        assert (i in got) == expect


# -- payer habits, structuring and slow cycles (#12) ---------------------------------------------


def habits(payers: list[str], days: int = 6, yuan: float = 300) -> list[tuple[str, str, float, float]]:
    """Each payer pays its own fixed amount to a shop on ``days`` days: an established habit."""
    return [(p, f"shop{i % 3}", yuan + 10 * k, (i * 24 + 9) * 1.0) for k, p in enumerate(payers) for i in range(days)]


def test_structuring_pieces_out_of_habit_from_two_payers() -> None:
    """p0 and p1 each pay 300-310 yuan on six days; on day 10 each sends hub five pieces of 3-4
    yuan the same day: two structured payers, one alert on the payee."""
    pieces = [(p, "hub", 3 + 0.2 * j, 240 + k * 30 + j) for k, p in enumerate(("p0", "p1")) for j in range(5)]
    got = alerts(habits(["p0", "p1"]) + pieces, Typology.STRUCTURING)
    assert len(got) == 1 and got[0].measure == 2 and len(got[0].edges) == 10
    run = run_monitors(columns(habits(["p0", "p1"]) + pieces), typologies=frozenset({Typology.STRUCTURING}))
    assert run.account_id(got[0].subject) == "hub"
    en, zh = run.reason(run.alerts[0])
    assert en.startswith("Account hub received 34.00 from 2 account(s) in 10 payments cut into pieces on the same day")
    assert zh.startswith("账户 hub 在")


def test_structuring_near_misses() -> None:
    """One piece a day is not a sum cut into pieces; pieces at the payer's usual amount are in
    habit; a payer with two days of history has no habit to break; min_pieces 0 is off."""
    spread = [("p0", "hub", 3.0, 240 + 30 * j) for j in range(5)]
    assert alerts(habits(["p0"]) + spread, Typology.STRUCTURING) == []
    usual = [("p0", "hub", 300 + j, 240 + j) for j in range(5)]
    assert alerts(habits(["p0"]) + usual, Typology.STRUCTURING) == []
    young = [("p0", "hub", 3 + 0.2 * j, 240 + j) for j in range(5)]
    assert alerts(habits(["p0"], days=2) + young, Typology.STRUCTURING) == []
    assert len(alerts(habits(["p0"]) + young, Typology.STRUCTURING)) == 1
    assert alerts(habits(["p0"]) + young, Typology.STRUCTURING, structuring={"min_pieces": 0}) == []
    assert alerts(habits(["p0"]) + young, Typology.STRUCTURING, structuring={"min_payers": 2}) == []


def test_structuring_stretches_split_at_the_window() -> None:
    """Structured payments to one payee 100 days apart are two alerts (window 90 days)."""
    first = [("p0", "hub", 3 + 0.2 * j, 240 + j) for j in range(3)]
    later = [("p1", "hub", 4 + 0.2 * j, 240 + 100 * 24 + j) for j in range(3)]
    got = alerts(habits(["p0", "p1"]) + first + later, Typology.STRUCTURING)
    assert sorted(a.measure for a in got) == [1, 1]
    assert len(alerts(habits(["p0", "p1"]) + first + later, Typology.STRUCTURING, structuring={"window": 120 * DAY})) == 1


def ring(days: list[float], amounts: list[float]) -> list[tuple[str, str, float, float]]:
    names = [f"r{i}" for i in range(len(days))]
    return [(names[i], names[(i + 1) % len(names)], a, d * 24) for i, (d, a) in enumerate(zip(days, amounts, strict=True))]


def test_slow_cycle_booked_in_any_order() -> None:
    """AMLSim's ring: five hops of 11.51 yuan on days 18, 103, 50, 127 and 70, each payer paying
    about 300 yuan otherwise. The money never goes round in booking order, so the relay-built
    cycle monitor cannot see it; the slow-cycle monitor does."""
    rows = habits([f"r{i}" for i in range(5)], days=8) + ring([18, 103, 50, 127, 70], [11.51] * 5)
    got = alerts(rows, Typology.SLOW_CYCLE)
    assert len(got) == 1 and got[0].measure == 5 and (got[0].end - got[0].start) == (127 - 18) * DAY
    assert alerts(rows, Typology.CYCLE, cycle={"window": 180 * DAY, "max_hop_delay": 180 * DAY}) == []
    run = run_monitors(columns(rows), typologies=frozenset({Typology.SLOW_CYCLE}))
    assert run.reason(run.alerts[0])[0].startswith("Money left account r0 and came back to it through 5 transfers at similar amounts")


def test_slow_cycle_near_misses() -> None:
    """A hop 3 times the one before breaks the ring; more than the window apart; hops in habit;
    a two-account exchange is below min_length."""
    payers = habits([f"r{i}" for i in range(4)], days=8)
    assert alerts(payers + ring([18, 50, 70, 103], [11.51, 11.51, 34.53, 11.51]), Typology.SLOW_CYCLE) == []
    assert alerts(payers + ring([18, 50, 70, 200], [11.51] * 4), Typology.SLOW_CYCLE) == []
    assert len(alerts(payers + ring([18, 50, 70, 190], [11.51] * 4), Typology.SLOW_CYCLE)) == 1
    assert alerts(payers + ring([18, 50, 70, 103], [300.0, 310.0, 320.0, 330.0]), Typology.SLOW_CYCLE) == []
    pair = habits(["r0", "r1"], days=8) + ring([18, 50], [11.51, 11.51])
    assert alerts(pair, Typology.SLOW_CYCLE) == []
    assert len(alerts(pair, Typology.SLOW_CYCLE, slow_cycle={"min_length": 2})) == 1


def test_habit_thresholds_refuse_bad_values() -> None:
    with pytest.raises(InvalidInput) as exc:
        MonitorConfig().with_overrides(
            {
                "habit": {"min_ratio": 0.5},
                "structuring": {"min_pieces": 1, "min_payers": 0},
                "slow_cycle": {"max_length": 13, "tolerance": 1},
            }
        )
    fields = {p.field for p in exc.value.problems}
    assert fields == {
        "habit.min_ratio",
        "structuring.min_pieces",
        "structuring.min_payers",
        "slow_cycle.max_length",
        "slow_cycle.tolerance",
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5), st.integers(1, 5_000), st.integers(0, 8)), min_size=1, max_size=50),
    st.integers(1, 4),
    st.floats(0.5, 6),
    st.floats(1, 5),
)
def test_off_habit_matches_its_definition(rows: list[tuple[int, int, int, int]], min_days: int, z: float, ratio: float) -> None:
    """Vectorised habit == the definition: medians over the payer's day medians, in logarithms."""
    import math
    from statistics import median

    from finguard.monitors.service.index import off_habit

    cols = {
        "src": np.asarray([r[0] for r in rows], dtype=np.int32),
        "dst": np.asarray([r[1] for r in rows], dtype=np.int32),
        "amount_fen": np.asarray([r[2] for r in rows], dtype=np.int64),
        "ts": np.asarray([r[3] * DAY + 60 * i for i, r in enumerate(rows)], dtype=np.int64),
        "accounts": np.asarray([str(i) for i in range(6)], dtype=object),
    }
    got = off_habit(Transfers.from_columns(cols), min_days, z, ratio)
    for i, (s, d, amount, _) in enumerate(rows):
        if s == d:
            assert not got[i]  # a self-transfer moves no money: never out of habit
            continue
        mine = [r for r in rows if r[0] == s and r[0] != r[1]]
        days = sorted({r[3] for r in mine})
        values = [median([math.log(r[2]) for r in mine if r[3] == day]) for day in days]
        usual = median(values)
        spread = median([abs(v - usual) for v in values])
        deviation = abs(math.log(amount) - usual)
        threshold = max(z * spread / 0.6745, math.log(ratio))
        if abs(deviation - threshold) < 1e-6 * max(threshold, 1):
            continue  # on the boundary floating point may go either way
        assert got[i] == (len(days) >= min_days and deviation > threshold), (i, rows[i])
