"""The trace (#5): attribution methods, conservation, cycles, bounds, backward tracing.

Each case is a tiny ledger written as ``src -> dst amount @ hour``; terminal accounts are named
by kind. Amounts are yuan, stored as fen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from finguard.core.db import make_engine, upgrade
from finguard.core.errors import InvalidInput, NotFound
from finguard.ledger.model import AccountDraft, AccountKind, Direction, EndReason, Method, Trace, TraceParams, TransferDraft
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService, ParsedTransfer
from finguard.ledger.service.render import render_png, render_svg
from finguard.ledger.service.summary import summarize
from finguard.ledger.service.trace import draw, split_proportional

T0 = datetime(2024, 3, 1, tzinfo=UTC)
KINDS = {"shop": AccountKind.MERCHANT, "atm": AccountKind.CASH, "wechat": AccountKind.WALLET, "other_bank": AccountKind.EXTERNAL}


@pytest.fixture
def ledger(db_url: str) -> Iterator[LedgerService]:
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        yield make_ledger(engine)
    finally:
        engine.dispose()


def load(ledger: LedgerService, spec: str) -> dict[str, int]:
    """Rows ``name: src -> dst amount @hour``; returns transfer ids by name."""
    rows = []
    for i, line in enumerate(s for s in spec.strip().splitlines() if s.strip()):
        name, rest = line.split(":")
        flow, when = rest.split("@")
        src, _, dst_amount = flow.partition("->")
        dst, amount = dst_amount.split()
        src, dst = src.strip(), dst.strip()
        draft = TransferDraft(
            name.strip(), src, dst, round(float(amount) * 100), "CNY", T0 + timedelta(hours=float(when)), memo=name.strip()
        )
        accounts = tuple(AccountDraft(a, KINDS.get(a, AccountKind.CUSTOMER)) for a in (src, dst))
        rows.append(ParsedTransfer(i + 1, draft=draft, accounts=accounts))
    ledger.import_rows("test", rows)
    ids = {}
    for side in ("out", "in"):
        for acct in {r.draft.src_account for r in rows if r.draft} | {r.draft.dst_account for r in rows if r.draft}:
            for t in ledger.account_transfers(acct, side, limit=1000):
                ids[t.draft.external_id] = t.id
    return ids


def ends(trace: Trace) -> dict[tuple[str, str], int]:
    return {(e.account, e.reason.value): e.amount_fen for e in trace.ends}


def conserved(trace: Trace) -> None:
    assert sum(e.amount_fen for e in trace.ends) == trace.amount_fen
    for edge in trace.edges:
        assert 0 < edge.carried_fen <= edge.amount_fen
        assert sum(f for _e, f in edge.parents) == edge.carried_fen
        assert all(p < edge.index for p, _f in edge.parents)


MIXED = """
t1: alice -> bob 100 @1
t2: xavier -> bob 300 @2
t3: bob -> shop 150 @3
t4: bob -> atm 250 @4
"""


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # FIFO: alice's 100 arrived first, so it leaves first: all of it in the 150 to the shop.
        (Method.FIFO, {("shop", "terminal"): 10000}),
        # LIFO: the 150 to the shop takes xavier's newer money; alice's 100 leaves in the 250 to the ATM.
        (Method.LIFO, {("atm", "terminal"): 10000}),
        # Proportional: the 150 carries 100/400 of it (37.50); the 250 empties the account (62.50).
        (Method.PROPORTIONAL, {("shop", "terminal"): 3750, ("atm", "terminal"): 6250}),
    ],
)
def test_methods_differ_and_conserve(ledger: LedgerService, method: Method, expected: dict[tuple[str, str], int]) -> None:
    ids = load(ledger, MIXED)
    trace = ledger.trace(TraceParams("alice", start_transfer=ids["t1"], method=method))
    assert ends(trace) == expected
    assert trace.amount_fen == 10000
    conserved(trace)
    assert not trace.truncated


def test_proportional_rounding_is_exact_and_deterministic() -> None:
    assert split_proportional(100, [100, 100, 100]) == [34, 33, 33]
    assert split_proportional(10, [3, 3, 3, 1]) == [3, 3, 3, 1]
    assert split_proportional(7, [5, 5]) == [4, 3]
    for amount in range(0, 32):
        shares = split_proportional(amount, [7, 11, 13])
        assert sum(shares) == amount
        assert all(0 <= s <= lot for s, lot in zip(shares, [7, 11, 13], strict=True))


def test_proportional_odd_amounts_conserve_every_fen(ledger: LedgerService) -> None:
    ids = load(
        ledger,
        """
        a: src -> mid 100.01 @1
        b: noise -> mid 33.33 @2
        c: mid -> p1 33.34 @3
        d: p1 -> shop 10.01 @4
        e: mid -> p2 0.07 @5
        f: mid -> other_bank 99.93 @6
        g: p2 -> wechat 0.05 @7
        """,
    )
    trace = ledger.trace(TraceParams("src", start_transfer=ids["a"], method=Method.PROPORTIONAL))
    conserved(trace)
    assert trace.amount_fen == 10001


def test_amount_held_lifo_vs_fifo(ledger: LedgerService) -> None:
    """An amount held at a time (no start transfer): later untraced money competes."""
    load(ledger, "a: alice -> shop 50 @2\nb: payer -> alice 50 @1.5\nc: alice -> atm 50 @3")
    at = T0 + timedelta(hours=1)
    fifo = ledger.trace(TraceParams("alice", amount_fen=5000, at=at, method=Method.FIFO))
    lifo = ledger.trace(TraceParams("alice", amount_fen=5000, at=at, method=Method.LIFO))
    assert ends(fifo) == {("shop", "terminal"): 5000}
    assert ends(lifo) == {("atm", "terminal"): 5000}


def test_everything_that_left_when_no_amount(ledger: LedgerService) -> None:
    load(ledger, "a: alice -> bob 10 @1\nb: alice -> shop 20 @2\nc: bob -> atm 10 @3")
    trace = ledger.trace(TraceParams("alice"))
    assert trace.amount_fen == 3000
    assert ends(trace) == {("shop", "terminal"): 2000, ("atm", "terminal"): 1000}
    conserved(trace)


def test_money_left_in_an_account_remains(ledger: LedgerService) -> None:
    ids = load(ledger, "a: alice -> bob 100 @1\nb: bob -> shop 40 @2")
    trace = ledger.trace(TraceParams("alice", start_transfer=ids["a"]))
    assert ends(trace) == {("bob", "remains"): 6000, ("shop", "terminal"): 4000}


def test_cycles_terminate(ledger: LedgerService) -> None:
    """Money going round a -> b -> c -> a many times stops at the hop limit, never loops."""
    spec = "\n".join(f"t{i}: {'abc'[i % 3]} -> {'abc'[(i + 1) % 3]} 10 @{i + 1}" for i in range(60))
    ids = load(ledger, spec)
    trace = ledger.trace(TraceParams("a", start_transfer=ids["t0"], hops=7))
    assert ends(trace) == {("b", "hop_limit"): 1000}
    assert [e.hop for e in trace.edges] == list(range(1, 8))
    conserved(trace)
    everything = ledger.trace(TraceParams("a", hops=20))  # all that left a: returns count as returned
    conserved(everything)
    assert {e.reason for e in everything.ends} <= {EndReason.RETURNED, EndReason.HOP_LIMIT, EndReason.REMAINS}


def test_same_time_transfers_are_ordered_by_id(ledger: LedgerService) -> None:
    ids = load(ledger, "a: a -> b 10 @1\nb: b -> c 10 @1\nc: c -> a 10 @1\nd: a -> shop 10 @1")
    trace = ledger.trace(TraceParams("a", start_transfer=ids["a"], hops=10))
    conserved(trace)
    assert ends(trace) == {("shop", "terminal"): 1000}


def test_busy_account_is_truncated_with_reason(ledger: LedgerService) -> None:
    spec = "a: alice -> hub 100 @0\n" + "\n".join(f"p{i}: hub -> r{i} 1 @{1 + i / 100}" for i in range(120))
    ids = load(ledger, spec)
    trace = ledger.trace(TraceParams("alice", start_transfer=ids["a"], max_per_node=50))
    assert trace.truncated
    assert any("hub" in r and "50" in r for r in trace.truncated_reasons)
    assert ends(trace)[("hub", "truncated")] == 5000
    conserved(trace)
    few = ledger.trace(TraceParams("alice", start_transfer=ids["a"], max_edges=10))
    assert few.truncated and len(few.edges) == 10
    assert "max_edges" in few.truncated_reasons[0]
    conserved(few)


def test_horizon_limits_time(ledger: LedgerService) -> None:
    ids = load(ledger, "a: alice -> bob 100 @0\nb: bob -> shop 100 @72")
    assert ends(ledger.trace(TraceParams("alice", start_transfer=ids["a"], horizon_days=2))) == {("bob", "remains"): 10000}
    assert ends(ledger.trace(TraceParams("alice", start_transfer=ids["a"], horizon_days=4))) == {("shop", "terminal"): 10000}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # FIFO: the 120 that left bob was alice's 100 (first in) and 20 of xavier's 50.
        (Method.FIFO, {("alice", "remains"): 10000, ("xavier", "remains"): 2000}),
        # LIFO: xavier's 50 (last in) and 70 of alice's.
        (Method.LIFO, {("alice", "remains"): 7000, ("xavier", "remains"): 5000}),
        (Method.PROPORTIONAL, {("alice", "remains"): 8000, ("xavier", "remains"): 4000}),
    ],
)
def test_backward_matches_forward(ledger: LedgerService, method: Method, expected: dict[tuple[str, str], int]) -> None:
    ids = load(ledger, "a: alice -> bob 100 @1\nb: xavier -> bob 50 @2\nc: bob -> carol 120 @3")
    back = ledger.trace(TraceParams("carol", direction=Direction.BACKWARD, start_transfer=ids["c"], method=method))
    assert ends(back) == expected
    conserved(back)
    forward = ledger.trace(TraceParams("alice", start_transfer=ids["a"], method=method))
    assert forward.amount_fen - ends(forward).get(("bob", "remains"), 0) == expected[("alice", "remains")]


def test_backward_stops_at_cash_deposit_and_hop_limit(ledger: LedgerService) -> None:
    ids = load(ledger, "a: atm -> m1 100 @1\nb: m1 -> m2 100 @2\nc: m2 -> m3 100 @3\nd: m3 -> boss 100 @4")
    back = ledger.trace(TraceParams("boss", direction=Direction.BACKWARD, start_transfer=ids["d"]))
    assert ends(back) == {("atm", "terminal"): 10000}
    assert max(e.hop for e in back.edges) == 4
    short = ledger.trace(TraceParams("boss", direction=Direction.BACKWARD, start_transfer=ids["d"], hops=2))
    assert ends(short) == {("m2", "hop_limit"): 10000}
    held = ledger.trace(TraceParams("boss", direction=Direction.BACKWARD, amount_fen=5000, at=T0 + timedelta(hours=5)))
    assert ends(held) == {("atm", "terminal"): 5000}


def test_bad_trace_requests(ledger: LedgerService) -> None:
    ids = load(ledger, "a: alice -> bob 100 @1")
    with pytest.raises(NotFound):
        ledger.trace(TraceParams("nobody"))
    with pytest.raises(NotFound):
        ledger.trace(TraceParams("alice", start_transfer=999999))
    with pytest.raises(InvalidInput):
        ledger.trace(TraceParams("bob", start_transfer=ids["a"]))  # does not leave bob
    with pytest.raises(InvalidInput):
        ledger.trace(TraceParams("alice", start_transfer=ids["a"], amount_fen=10001))
    with pytest.raises(InvalidInput):
        TraceParams("alice", hops=0)
    with pytest.raises(NotFound):
        ledger.trace(TraceParams("bob"))  # bob never paid anything out


def test_json_summary_and_picture(ledger: LedgerService, tmp_path: Path) -> None:
    ids = load(ledger, MIXED)
    trace = ledger.trace(TraceParams("alice", start_transfer=ids["t1"], method=Method.PROPORTIONAL))
    data = trace.as_dict()
    assert data["amount_fen"] == 10000 and data["method"] == "proportional"
    assert {e["account"] for e in data["ends"]} == {"shop", "atm"}
    en, zh = summarize(trace, "en"), summarize(trace, "zh")
    assert en.startswith("Of the 100 yuan transferred on 2024-03-01 from account alice, 62.50 yuan went to atm (cash withdrawal)")
    assert "37.50 yuan went to shop (merchant payment)" in en
    assert zh.startswith("账户alice于2024年3月1日转出的100元中，62.50元于2024年3月1日转入atm（取现）")
    svg = render_svg(trace)
    assert svg.startswith("<svg") and "62.50" in svg and "37.50" in svg
    png = render_png(svg)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_takes_from_the_right_end() -> None:
    from finguard.ledger.service.trace import Lot

    queue = [Lot(5, 1, 1), Lot(5, 2, 1)]
    assert draw(queue, 7, Method.FIFO) == [(1, 1, 5), (2, 1, 2)]
    queue = [Lot(5, 1, 1), Lot(5, 2, 1)]
    assert draw(queue, 7, Method.LIFO) == [(2, 1, 5), (1, 1, 2)]
