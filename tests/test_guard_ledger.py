"""The guard's decided payments feed the fund-flow ledger (#5), on SQLite and PostgreSQL.

A payment the decision lets through (allow, review) becomes a transfer with source ``guard`` and
the event id as its id, in the transaction that stores the decision; hold and block write none.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from finguard.core.db import begin_write, is_sqlite
from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.engine import GuardService
from finguard.guard.store.tables import guard_decision, guard_event
from finguard.ledger.model import AccountDraft, AccountKind, EndReason, TraceParams, Transfer, TransferDraft
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService
from finguard.ledger.store.repo import insert_transfers
from finguard.ledger.store.tables import ledger_account
from finguard.ledger.store.tables import transfer as transfer_table
from tests.guard_helpers import T0, Clock, transfer

A = "6222000011112222"  # customer c1's account (guard_helpers.transfer)
P = "6228000099998888"  # its payee
Q = "6229000077776666"


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(hours=1))


@pytest.fixture
def guard(engine: Engine, clock: Clock) -> GuardService:
    return make_guard(engine, None, clock=clock)


@pytest.fixture
def ledger(engine: Engine) -> LedgerService:
    return make_ledger(engine)


def guard_transfers(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        q = select(transfer_table.c.external_id).where(transfer_table.c.source == "guard").order_by(transfer_table.c.external_id)
        return list(conn.execute(q).scalars())


def out_of(ledger: LedgerService, account: str) -> list[Transfer]:
    return ledger.account_transfers(account, "out")


def test_an_allowed_transfer_is_in_the_ledger_and_traced_onward(guard: GuardService, ledger: LedgerService) -> None:
    """c1 pays P 100.00; P (customer c2) passes 60.00 on to Q: the trace from c1's payment follows it."""
    paid = guard.decide_raw(transfer("e1", amount="100.00", payee={"account": P, "name": "Zhang San", "bank": "ICBC"}))
    passed = guard.decide_raw(
        transfer("e2", at=T0 + timedelta(minutes=20), amount="60.00", customer_id="c2", account=P, payee={"account": Q}, channel="web")
    )
    assert (paid.outcome, passed.outcome) == (Outcome.ALLOW, Outcome.ALLOW)
    [t] = out_of(ledger, A)
    d = t.draft
    assert (t.source, d.external_id, d.src_account, d.dst_account, d.amount_fen, d.currency) == ("guard", "e1", A, P, 10000, "CNY")
    assert (d.at, d.channel, d.dst_name, d.dst_bank, d.balance_after_fen) == (T0, "mobile", "Zhang San", "ICBC", None)
    assert d.memo == f"guard allow: transfer, decision {paid.decision_id}"
    payee = ledger.store.accounts([P])[P]
    assert (payee.kind, payee.name, payee.bank) == (AccountKind.CUSTOMER, "Zhang San", "ICBC")

    trace = ledger.trace(TraceParams(A, start_transfer=t.id))
    assert [(e.src, e.dst, e.carried_fen) for e in trace.edges] == [(A, P, 10000), (P, Q, 6000)]
    # P pays out through the guard: the ledger holds its history. Q only receives: the money left the view there (#12).
    assert {(e.account, e.amount_fen, e.reason) for e in trace.ends} == {(P, 4000, EndReason.REMAINS), (Q, 6000, EndReason.LEFT_VIEW)}


def test_review_moves_money_hold_and_block_do_not(guard: GuardService, engine: Engine, ledger: LedgerService) -> None:
    guard.rules.save(Rule("r.big", "event.amount >= 1000", "a large payment", score=40), "t")
    guard.rules.save(Rule("r.bigger", "event.amount >= 5000", "a larger payment", outcome=Outcome.HOLD), "t")
    guard.rules.save(Rule("r.huge", "event.amount >= 9000", "a payment too large", outcome=Outcome.BLOCK), "t")
    outcomes = [
        guard.decide_raw(transfer(f"e{i}", at=T0 + timedelta(minutes=i), amount=amount)).outcome
        for i, amount in enumerate(("10.00", "1000.00", "5000.00", "9000.00"))
    ]
    assert outcomes == [Outcome.ALLOW, Outcome.REVIEW, Outcome.HOLD, Outcome.BLOCK]
    assert guard_transfers(engine) == ["e0", "e1"]
    assert out_of(ledger, A)[1].draft.memo is not None and out_of(ledger, A)[1].draft.memo.startswith("guard review: transfer")


def test_the_same_event_twice_is_one_transfer(guard: GuardService, engine: Engine, clock: Clock) -> None:
    first = guard.decide_raw(transfer("e1"))
    assert guard.decide_raw(transfer("e1")) == first  # answered from memory
    fresh = make_guard(engine, None, clock=clock)  # another process: answered from the store
    assert fresh.decide_raw(transfer("e1")) == first
    results = fresh.decide_many([parse_event(transfer("e2"), clock()), parse_event(transfer("e2"), clock())])
    assert results[0] == results[1]
    assert guard_transfers(engine) == ["e1", "e2"]


def test_events_without_a_payee_account_or_incoming_or_moving_nothing_write_no_transfer(guard: GuardService, engine: Engine) -> None:
    """Decided and stored, but nothing to follow: a payee known by card only, money coming in, a
    login, a zero amount, a card payment without the customer's account."""
    card_payee = guard.decide_raw(transfer("by-card", payee={"card": "6222021234567890128", "name": "Li Si"}))
    incoming = guard.decide_raw(transfer("in", direction="in"))
    login = guard.decide_raw({k: v for k, v in transfer("login", type="login").items() if k not in ("amount", "payee", "account")})
    zero = guard.decide_raw(transfer("zero", amount="0.00"))
    card = {"type": "card_auth", "card": "6222021234567890128", "channel": "pos", "merchant": {"id": "M-1", "name": "Shop"}}
    no_account = guard.decide_raw({**{k: v for k, v in transfer("pos").items() if k not in ("payee", "account")}, **card})
    for d in (card_payee, incoming, login, zero, no_account):
        assert d.outcome.moves_money and guard.decision_for_event(d.event_id) == d
    assert guard_transfers(engine) == []


def test_a_card_payment_goes_to_the_merchant_and_a_remittance_leaves_the_ledger(
    guard: GuardService, engine: Engine, ledger: LedgerService
) -> None:
    card = {"type": "card_auth", "card": "6222021234567890128", "channel": "pos", "merchant": {"id": "M-1", "name": "Shop"}}
    guard.decide_raw({**{k: v for k, v in transfer("pos", amount="88.00").items() if k != "payee"}, **card})
    remit = transfer("rem", at=T0 + timedelta(minutes=1), type="remittance", currency="USD", payee={"account": Q, "country": "SG"})
    guard.decide_raw(remit)
    assert guard_transfers(engine) == ["pos", "rem"]
    accounts = ledger.store.accounts(["merchant:M-1", Q])
    assert (accounts["merchant:M-1"].kind, accounts["merchant:M-1"].name, accounts[Q].kind) == (
        AccountKind.MERCHANT,
        "Shop",
        AccountKind.EXTERNAL,
    )
    assert [(t.dst, t.amount_fen, t.draft.currency) for t in out_of(ledger, A)] == [("merchant:M-1", 8800, "CNY"), (Q, 10000, "USD")]


def test_decide_many_writes_its_whole_batch(guard: GuardService, engine: Engine, clock: Clock) -> None:
    """Different customers paying one payee: one transaction for the batch, every payment in it."""
    batch = [
        parse_event(transfer(f"b{i}", customer_id=f"c{i}", account=f"62220000{i:08d}", amount=f"{i + 1}.00"), clock()) for i in range(30)
    ]
    results = guard.decide_many(batch)
    assert all(not isinstance(r, Exception) and r.outcome is Outcome.ALLOW for r in results)
    assert guard_transfers(engine) == sorted(f"b{i}" for i in range(30))
    assert len(make_ledger(engine).account_transfers(P, "in", limit=100)) == 30


def test_a_decision_is_never_stored_without_its_transfer(guard: GuardService, engine: Engine) -> None:
    """The database refuses the transfer row (a trigger): the decision and its event are not stored
    either. Without the trigger, the same event is decided and stored with its transfer."""
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON transfer WHEN NEW.external_id = 'boom' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.external_id = 'boom' THEN "
                    "RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON transfer FOR EACH ROW EXECUTE FUNCTION refuse()"))
    with pytest.raises(DBAPIError, match="refused"):
        guard.decide_raw(transfer("boom"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(guard_event)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(guard_decision)).scalar_one() == 0
    assert guard_transfers(engine) == []
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse" if is_sqlite(engine) else "DROP TRIGGER refuse ON transfer"))
    assert guard.decide_raw(transfer("boom")).outcome is Outcome.ALLOW
    assert guard_transfers(engine) == ["boom"]


def test_a_payee_another_transaction_adds_meanwhile_is_merged_not_a_failure(engine: Engine) -> None:
    """Two decisions paying one new payee at once. PostgreSQL: the second finds the account missing,
    waits on the first's insert, skips it, and merges what it knows. SQLite: writers take turns
    (``BEGIN IMMEDIATE``), so the second waits at its start and finds the account stored. Either
    way the payment is stored and the payee merged, never a failed write."""
    first = engine.connect()
    tx = first.begin()
    first.execute(ledger_account.insert().values(account=P, kind="customer", name=None, bank=None, label_fraud=None))
    payment = TransferDraft("t2", A, P, 500, "CNY", T0)
    done: list[tuple[int, int]] = []
    worker = threading.Thread(
        target=lambda: done.append(_write(engine, payment, [AccountDraft(A), AccountDraft(P, AccountKind.EXTERNAL, "Wang Wu")]))
    )
    worker.start()
    time.sleep(0.5)  # the worker's insert now waits on ours
    assert worker.is_alive()
    tx.commit()
    first.close()
    worker.join(timeout=10)
    assert done == [(1, 0)]
    stored = make_ledger(engine).store.accounts([P])[P]
    assert (stored.kind, stored.name) == (AccountKind.EXTERNAL, "Wang Wu")


def _write(engine: Engine, draft: TransferDraft, accounts: list[AccountDraft]) -> tuple[int, int]:
    with begin_write(engine) as conn:
        result = insert_transfers(conn, "guard", [draft], accounts)
        return result.inserted, result.duplicates


def test_a_batchs_transfers_are_stored_in_its_order_with_every_column(guard: GuardService, engine: Engine, clock: Clock) -> None:
    """The guard's batch of transfers (on PostgreSQL one ``unnest`` INSERT, #19 stop 26): ids in the
    batch's order, the accounts' codes, the time and its epoch seconds, the memo, and the columns a
    guard payment leaves empty as NULL; a payee labelled as fraud keeps its label (read back as a boolean)."""
    with begin_write(engine) as conn:
        conn.execute(ledger_account.insert().values(account=P, kind="customer", name="Li Si", bank=None, label_fraud=True))
    batch = [
        parse_event(transfer(f"o{i}", customer_id=f"c{i}", account=f"62220000{i:08d}", amount=f"{i + 1}.25"), clock()) for i in range(7)
    ]
    results = guard.decide_many(batch)
    assert all(not isinstance(r, Exception) and r.outcome is Outcome.ALLOW for r in results)
    t = transfer_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(transfer_table).where(t.source == "guard").order_by(t.id)).all()
        codes = {int(c): a for c, a in conn.execute(text("SELECT code, account FROM ledger_account_code"))}
        payee = conn.execute(select(ledger_account).where(ledger_account.c.account == P)).one()
    assert [r.external_id for r in rows] == [f"o{i}" for i in range(7)]
    for i, (r, decided) in enumerate(zip(rows, results, strict=True)):
        assert not isinstance(decided, Exception)
        assert (r.src_account, r.dst_account, r.amount_fen, r.currency) == (f"62220000{i:08d}", P, 100 * i + 125, "CNY")
        assert (codes[r.src], codes[r.dst]) == (r.src_account, P)
        assert r.at.replace(tzinfo=None) == batch[i].occurred_at.astimezone(UTC).replace(tzinfo=None)
        assert r.ts == int(batch[i].occurred_at.timestamp())
        assert r.memo == f"guard allow: transfer, decision {decided.decision_id}"
        assert (r.src_name, r.balance_after_fen, r.label_laundering, r.typology) == (None, None, None, None)
    assert (payee.name, payee.label_fraud) == ("Li Si", True)
