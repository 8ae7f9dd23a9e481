"""The guard end to end on SQLite and PostgreSQL: idempotency, conflicts, controls, conditions,
the payee check, velocity faults, shadow rules, hot reload and backtests."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from finguard.alerts.store import alert
from finguard.app.platform import Platform
from finguard.core.db import make_engine
from finguard.core.errors import Conflict, InvalidInput
from finguard.core.identifiers import IdType
from finguard.guard.model.conditions import ConditionDraft, ConditionKind, SubjectType
from finguard.guard.model.controls import ChannelLimit, ControlSettings, CoolingOff, Limits, NightLock
from finguard.guard.model.decision import Decision, Outcome, ReasonKind
from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.rules import Rule, RuleMode
from finguard.guard.provider import make_guard
from finguard.guard.service.engine import GuardService
from finguard.guard.service.rule_pack import STARTER_PACK
from finguard.guard.service.velocity import KeyKind, Stage, Update, Velocity
from finguard.guard.service.velocity_redis import RedisBackend
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
from tests.guard_helpers import T0, Clock, transfer

REDIS_URL = os.environ.get("FINGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(engine: Engine, clock: Clock) -> GuardService:
    return make_guard(engine, None, clock=clock)


def alerts(engine: Engine, kind: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(alert).where(alert.c.kind == kind)).scalar_one())


def test_a_plain_transfer_is_allowed_and_stored(guard: GuardService, engine: Engine) -> None:
    d = guard.decide_raw(transfer())
    assert d.outcome is Outcome.ALLOW and d.rule_version == 0
    assert guard.get_decision(d.decision_id) == d
    assert guard.decisions_of("c1") == [d]
    assert alerts(engine, "guard_decision") == 0


def test_the_same_event_returns_the_same_decision_and_counts_once(guard: GuardService) -> None:
    guard.rules.save(Rule("r.count", "vel.account_out_count_1h >= 2", "second transfer in an hour", score=40), "t")
    first = guard.decide_raw(transfer("e1"))
    assert guard.decide_raw(transfer("e1")) == first
    second = guard.decide_raw(transfer("e2", at=T0 + timedelta(minutes=1)))
    assert second.outcome is Outcome.REVIEW
    assert [r.values["vel.account_out_count_1h"] for r in second.reasons if r.code == "r.count"] == [2]


def test_a_reused_id_with_another_body_is_refused_and_alerted(guard: GuardService, engine: Engine) -> None:
    guard.decide_raw(transfer("e1", amount="100.00"))
    with pytest.raises(Conflict, match="different body"):
        guard.decide_raw(transfer("e1", amount="999.00"))
    assert alerts(engine, "guard_duplicate_event") == 1


def test_an_invalid_event_is_refused_and_nothing_is_recorded(guard: GuardService) -> None:
    with pytest.raises(InvalidInput) as exc:
        guard.decide_raw(transfer(amount="-5", region="Mars"))
    assert {p.field for p in exc.value.problems} == {"amount", "region"}
    assert guard.decisions_of("c1") == []


def test_customer_controls_take_effect_on_the_next_event_and_are_audited(guard: GuardService, clock: Clock, engine: Engine) -> None:
    limits = ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("1000"), Decimal("1500")),)))
    guard.controls.set("c1", limits, actor="app", channel="mobile")
    d = guard.decide_raw(transfer("e1", amount="1000.01"))
    assert d.outcome is Outcome.BLOCK and [r.code for r in d.reasons] == ["single_limit"]
    assert alerts(engine, "guard_decision") == 1
    assert guard.decide_raw(transfer("e2", amount="1000.00")).outcome is Outcome.ALLOW
    d3 = guard.decide_raw(transfer("e3", amount="600.00", at=T0 + timedelta(minutes=1)))
    assert [r.code for r in d3.reasons] == ["daily_limit"] and d3.reasons[0].values["paid_24h"] == "1000.00"
    history = guard.controls.history("c1")
    assert len(history) == 1 and history[0].actor == "app" and history[0].before is None


def test_switching_the_night_lock_off_is_delayed_unless_at_a_branch(guard: GuardService, clock: Clock) -> None:
    guard.controls.set("c1", ControlSettings(night_lock=NightLock(True)), actor="app", channel="mobile")
    guard.controls.set("c1", ControlSettings(), actor="app", channel="mobile")
    night = T0 + timedelta(hours=16)  # 02:00 Beijing
    clock.now = night
    assert guard.decide_raw(transfer("e1", at=night)).outcome is Outcome.BLOCK
    assert [a.code for a in guard.controls.checkup("c1")][-1] == "pending"
    guard.controls.set("c1", ControlSettings(), actor="teller-7", channel="counter", at_branch=True)
    assert guard.decide_raw(transfer("e2", at=night)).outcome is Outcome.ALLOW


def test_cooling_off_holds_the_first_large_payment_to_a_payee(guard: GuardService, clock: Clock) -> None:
    guard.controls.set("c1", ControlSettings(cooling_off=CoolingOff(True, 24, Decimal("500"))), actor="app", channel="mobile")
    assert guard.decide_raw(transfer("e1", amount="2000")).outcome is Outcome.HOLD
    clock.advance(hours=25)
    assert guard.decide_raw(transfer("e2", amount="2000", at=clock.now)).outcome is Outcome.ALLOW


def test_conditions_by_precedence(guard: GuardService) -> None:
    def add(kind: ConditionKind, subject_type: SubjectType, subject: str) -> int:
        return guard.conditions.add(ConditionDraft(kind, subject_type, subject, "ops says", T0 - timedelta(hours=1)), "ops").id

    add(ConditionKind.SOFT_BLOCK, SubjectType.ACCOUNT, "6228000099998888")
    assert guard.decide_raw(transfer("e1")).outcome is Outcome.BLOCK
    override = add(ConditionKind.ALLOW_OVERRIDE, SubjectType.CUSTOMER, "c1")
    assert guard.decide_raw(transfer("e2")).outcome is Outcome.ALLOW
    add(ConditionKind.HARD_BLOCK, SubjectType.DEVICE, "dev-0001")
    assert guard.decide_raw(transfer("e3")).outcome is Outcome.BLOCK
    revoked = guard.conditions.revoke(override, "ops")
    assert revoked.revoked_by == "ops" and len(guard.conditions.list(active_only=True)) == 2
    with pytest.raises(Conflict):
        guard.conditions.revoke(override, "ops")


def test_shadow_rules_are_recorded_but_not_enforced(guard: GuardService) -> None:
    guard.rules.save(Rule("r.shadow", "event.amount >= 100", "shadow test", outcome=Outcome.BLOCK, mode=RuleMode.SHADOW), "t")
    d = guard.decide_raw(transfer())
    assert d.outcome is Outcome.ALLOW and d.shadow_outcome is Outcome.BLOCK
    assert [(r.code, r.enforced) for r in d.reasons] == [("r.shadow", False)]


def test_a_failing_rule_gives_review_never_allow(guard: GuardService) -> None:
    guard.rules.save(Rule("r.broken", "event.amount / vel.account_out_payees_24h / 0 > 1", "broken", score=10), "t")
    d = guard.decide_raw(transfer())
    assert d.outcome is Outcome.REVIEW and d.reasons[0].kind is ReasonKind.ERROR


def test_redis_down_gives_review_with_an_error_reason(engine: Engine, clock: Clock) -> None:
    g = make_guard(engine, None, clock=clock, velocity=Velocity(RedisBackend("redis://127.0.0.1:1/0", timeout=0.1)))
    d = g.decide_raw(transfer())
    assert d.outcome is Outcome.REVIEW and [r.code for r in d.reasons] == ["velocity_unavailable"]


def two_payments() -> list[Event]:
    """Two transfers of different customers and accounts: stored together, counted in one call."""
    second = transfer("e2", customer_id="c2", account="6222000033334444")
    return [parse_event(transfer("e1"), None), parse_event(second, None)]


def test_redis_down_the_batch_decisions_stand_and_each_payment_not_counted_is_a_warning(
    engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # A real outage (nothing listens on the port): VelocityUnavailable, counted as an outage.
    g = make_guard(engine, None, clock=clock, velocity=Velocity(RedisBackend("redis://127.0.0.1:1/0", timeout=0.1)))
    with caplog.at_level(logging.WARNING, logger="finguard.guard.service.engine"):
        got = g.decide_many(two_payments())
    assert [d.outcome for d in got if isinstance(d, Decision)] == [Outcome.REVIEW, Outcome.REVIEW]
    assert [g.get_decision(d.decision_id) for d in got if isinstance(d, Decision)] == got  # stored
    not_counted = [r for r in caplog.records if "not counted" in r.getMessage()]
    assert [(r.levelno, r.exc_info) for r in not_counted] == [(logging.WARNING, None)] * 2
    assert "e1" in not_counted[0].getMessage() and "e2" in not_counted[1].getMessage()


@pytest.mark.parametrize("batch", [1, 2])
def test_a_fault_counting_allowed_payments_is_an_error_with_its_traceback_and_the_decisions_stand(
    engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture, batch: int
) -> None:
    # A bug, not an outage: an allowed-stage update carrying a Decimal, which the Redis backend
    # cannot encode (TypeError). It is never reported as the store being down.
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    backend = RedisBackend(REDIS_URL, prefix=prefix)
    try:

        class Faulty(Velocity):  # a subclass, not an attribute set on the instance: compiled, Velocity has no __dict__
            def _updates(self, event: Event, stage: Stage, keys: dict[KeyKind, str | None] | None = None) -> list[Update]:
                updates = super()._updates(event, stage, keys)
                return [u._replace(value=Decimal(u.value)) for u in updates] if stage is Stage.ALLOWED else updates

        g = make_guard(engine, None, clock=clock, velocity=Faulty(backend))
        with caplog.at_level(logging.WARNING, logger="finguard.guard.service.engine"):
            got = g.decide_many(two_payments()[:batch])
        assert [d.outcome for d in got if isinstance(d, Decision)] == [Outcome.ALLOW] * batch
        assert [g.get_decision(d.decision_id) for d in got if isinstance(d, Decision)] == got  # stored
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(loud) == 1 and loud[0].levelno == logging.ERROR and "a fault counting" in loud[0].getMessage()
        assert loud[0].exc_info is not None and loud[0].exc_info[0] is TypeError
    finally:
        keys = list(backend.client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            backend.client.delete(*keys)
        backend.close()


def test_rules_hot_reload_across_processes_and_keep_every_version(engine: Engine, clock: Clock) -> None:
    a, b = make_guard(engine, None, clock=clock), make_guard(engine, None, clock=clock)
    assert b.decide_raw(transfer("e0")).outcome is Outcome.ALLOW
    a.rules.save(Rule("r.big", "event.amount >= 50", "big", score=40), "alice")
    d = b.decide_raw(transfer("e1"))  # b sees a's change through the version check
    assert d.outcome is Outcome.REVIEW and d.rule_version == 1
    a.rules.save(Rule("r.big", "event.amount >= 5000", "big", score=40), "alice")
    assert b.decide_raw(transfer("e2")).outcome is Outcome.ALLOW
    a.rules.disable("r.big", "bob")
    assert [(s.rule.version, s.set_version, s.actor, s.rule.enabled) for s in a.rules.history("r.big")] == [
        (1, 1, "alice", True),
        (2, 2, "alice", True),
        (3, 3, "bob", False),
    ]
    assert a.rules.at(1).rules[0].rule.expression == "event.amount >= 50"


def test_backtest_replays_a_rule_version_over_stored_events(guard: GuardService) -> None:
    for i, amount in enumerate(["100", "6000", "20000"]):
        guard.decide_raw(transfer(f"e{i}", amount=amount, at=T0 + timedelta(minutes=i)))
    v1 = guard.rules.save(Rule("r.big", "event.amount >= 5000", "big", score=40), "t")
    report = guard.rules.backtest(guard.store, guard.config.thresholds)
    assert (report.rule_version, report.evaluated, report.changed) == (1, 3, 2)
    assert report.transitions == {"allow->review": 2} and report.fired == {"r.big": 2}
    guard.rules.save(replace(v1, expression="vel.account_out_count_1h >= 3"), "t")
    later = guard.rules.backtest(guard.store, guard.config.thresholds)
    assert [c.event_id for c in later.changes] == ["e2"]  # the features stored with each decision are replayed
    assert guard.rules.backtest(guard.store, guard.config.thresholds, version=0).changed == 0


def test_starter_pack_new_payee_large_amount_at_night(guard: GuardService, clock: Clock) -> None:
    """23:30 Beijing, 30,000 yuan to a payee never paid before, by a customer who pays their usual
    payee 25,000 in the daytime: the pack holds it."""
    assert len(guard.rules.install(STARTER_PACK, "t")) == len(STARTER_PACK)
    assert guard.rules.install(STARTER_PACK, "t") == []
    for day in range(4):
        clock.now = T0 + timedelta(days=day)
        assert guard.decide_raw(transfer(f"h{day}", amount="25000", at=clock.now)).outcome is Outcome.ALLOW
    night = T0 + timedelta(days=4, hours=13, minutes=30)
    clock.now = night
    d = guard.decide_raw(transfer("n1", amount="30000", at=night, payee={"account": "6228000055556666"}))
    assert d.outcome is Outcome.HOLD and [r.code for r in d.reasons] == ["tf.new_payee_large_night"]
    # without a history, a payee is always new: no evidence
    d0 = guard.decide_raw(transfer("n0", amount="30000", at=night, customer_id="c9", account="6222000011119999"))
    assert d0.outcome is Outcome.ALLOW
    # a bound device then a transfer: flagged too
    bind = {
        "event_id": "b1",
        "type": "device_binding",
        "occurred_at": night.isoformat(),
        "customer_id": "c2",
        "channel": "mobile",
        "device": "dev-new1",
    }
    guard.decide_raw(bind)
    d2 = guard.decide_raw(transfer("n2", amount="8000", at=night, customer_id="c2", account="6222000011113333", device="dev-new1"))
    assert "tf.after_new_device" in [r.code for r in d2.reasons] and d2.outcome is Outcome.REVIEW


def test_the_payee_check_feeds_the_decision(platform: Platform, clock: Clock) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    draft = EntryDraft("m1", SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, "6228000099998888"),), reason="mule")
    platform.lists.add_entry("police", draft, "t")
    g = make_guard(platform.engine, platform.checker, clock=clock)
    d = g.decide_raw(transfer())
    assert d.outcome is Outcome.BLOCK and d.reasons[0].code == "payee_listed" and d.list_seq > 0
    assert d.reasons[0].values["hits"][0]["list"] == "police"
    platform.follower.max_staleness = -1.0  # the lists can no longer be confirmed current
    d2 = g.decide_raw(transfer("e2", payee={"account": "6228000011110000"}))
    assert d2.outcome is Outcome.REVIEW and [r.code for r in d2.reasons] == ["payee_check_unavailable"]


def test_a_payee_name_listed_after_it_was_screened_is_warned_at_the_next_decision(platform: Platform, clock: Clock) -> None:
    """#19: the payee's name screening keeps its answers; a list change still applies to the next decision."""
    from finguard.guard.model.events import parse_event
    from finguard.lists.model.lists import Party

    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    g = make_guard(platform.engine, platform.checker, clock=clock)

    def body(event_id: str) -> dict[str, object]:
        return transfer(event_id, payee={"account": "6228000099998888", "name": "Nicolas Maduro Moros"})

    assert g.decide_raw(body("k1")).outcome is Outcome.ALLOW
    assert g.decide_raw(body("k2")).outcome is Outcome.ALLOW  # the name's answer is kept now
    entry = platform.lists.add_entry("sdn", EntryDraft("m", SubjectKind.PERSON, party=Party(names=("MADURO MOROS, Nicolas",))), "t")
    d = g.decide_raw(body("k3"))
    assert d.outcome is Outcome.REVIEW and "payee_warned" in [r.code for r in d.reasons]
    (many,) = g.decide_many([parse_event(body("k4"), clock())])
    assert not isinstance(many, Conflict) and "payee_warned" in [r.code for r in many.reasons]
    platform.lists.delist(entry.id, "court order", "t")
    assert "payee_warned" not in [r.code for r in g.decide_raw(body("k5")).reasons]


# -- caches, throttled version checks and batches (issue #4 performance) -------------------------


def other_process(db_url: str, clock: Clock, **kw: float) -> tuple[GuardService, Engine]:
    """A guard on an engine of its own: it shares nothing in memory with the fixture's guard."""
    e = make_engine(db_url)
    return make_guard(e, None, clock=clock, **kw), e


def test_controls_and_conditions_changed_elsewhere_apply_within_the_check_interval(engine: Engine, db_url: str, clock: Clock) -> None:
    import time

    b = make_guard(engine, None, clock=clock, cache_check_seconds=0.3)
    a, a_engine = other_process(db_url, clock, cache_check_seconds=0.3)
    try:
        assert b.decide_raw(transfer("e0", amount="2000")).outcome is Outcome.ALLOW  # b caches c1's controls and conditions
        limits = ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("1000"), Decimal("50000")),)))
        a.controls.set("c1", limits, actor="app", channel="mobile")
        assert a.decide_raw(transfer("a1", amount="2000")).outcome is Outcome.BLOCK  # the same instance: at once
        time.sleep(0.35)
        assert b.decide_raw(transfer("e1", amount="2000")).outcome is Outcome.BLOCK  # another process: within the interval
        draft = ConditionDraft(ConditionKind.HARD_BLOCK, SubjectType.DEVICE, "dev-0001", "ops says", T0 - timedelta(hours=1))
        assert b.decide_raw(transfer("e2", amount="10")).outcome is Outcome.ALLOW
        cond = a.conditions.add(draft, "ops")
        assert a.decide_raw(transfer("a2", amount="10")).outcome is Outcome.BLOCK
        time.sleep(0.35)
        assert b.decide_raw(transfer("e3", amount="10")).outcome is Outcome.BLOCK
        a.conditions.revoke(cond.id, "ops")
        assert a.decide_raw(transfer("a3", amount="10")).outcome is Outcome.ALLOW
        time.sleep(0.35)
        assert b.decide_raw(transfer("e4", amount="10")).outcome is Outcome.ALLOW
    finally:
        a_engine.dispose()


def test_changes_through_this_process_apply_at_once_even_with_long_check_intervals(engine: Engine, clock: Clock) -> None:
    a = make_guard(engine, None, clock=clock, cache_check_seconds=3600, rules_check_seconds=3600)
    b = make_guard(engine, None, clock=clock, cache_check_seconds=3600, rules_check_seconds=3600)
    assert b.decide_raw(transfer("e0", amount="2000")).outcome is Outcome.ALLOW
    a.controls.set(
        "c1", ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("1000"), Decimal("50000")),))), actor="app", channel="mobile"
    )
    assert b.decide_raw(transfer("e1", amount="2000")).outcome is Outcome.BLOCK
    a.conditions.add(ConditionDraft(ConditionKind.ALLOW_OVERRIDE, SubjectType.CUSTOMER, "c1", "ops", T0 - timedelta(hours=1)), "ops")
    b.rules.save(Rule("r.small", "event.amount >= 1", "any", score=40), "t")
    d = a.decide_raw(transfer("e2", amount="10"))
    assert d.rule_version == 1 and "r.small" in [r.code for r in d.reasons]


def test_a_rule_saved_elsewhere_applies_after_the_rules_check(engine: Engine, db_url: str, clock: Clock) -> None:
    import time

    b = make_guard(engine, None, clock=clock, rules_check_seconds=0.3)
    a, a_engine = other_process(db_url, clock)
    try:
        assert b.decide_raw(transfer("e0")).rule_version == 0
        a.rules.save(Rule("r.big", "event.amount >= 50", "big", score=40), "alice")
        time.sleep(0.35)
        d = b.decide_raw(transfer("e1"))
        assert d.outcome is Outcome.REVIEW and d.rule_version == 1
    finally:
        a_engine.dispose()


def test_decide_many_stores_a_batch_idempotently_in_order(guard: GuardService, engine: Engine) -> None:
    from finguard.guard.model.events import parse_event

    guard.rules.save(Rule("r.count", "vel.account_out_count_1h >= 3", "third transfer in an hour", score=40), "t")
    done = guard.decide_raw(transfer("e0"))

    def ev(event_id: str, minute: int, **kw: str) -> object:
        return parse_event(transfer(event_id, at=T0 + timedelta(minutes=minute), **kw), T0)

    batch = [
        ev("e0", 0),  # decided before: the stored decision
        ev("x1", 1, customer_id="c7", account="6222000077770000"),
        ev("e1", 1),
        ev("e1", 1),  # the same event twice in one batch: one decision
        ev("e0", 0, amount="5.00"),  # a reused id with another body
        ev("e2", 2),
    ]
    out = guard.decide_many(batch)
    assert out[0] == done
    assert isinstance(out[1], type(done)) and out[1].customer_id == "c7"
    assert out[2] == out[3]
    assert isinstance(out[4], Conflict)
    last = out[5]
    assert not isinstance(last, Conflict) and "r.count" in [r.code for r in last.reasons]  # e0, e1, e2: counted once each
    assert alerts(engine, "guard_duplicate_event") == 1
    assert len(guard.decisions_of("c1")) == 3
    ids = [getattr(d, "decision_id", None) for d in out]
    assert [getattr(d, "decision_id", None) for d in guard.decide_many(batch)] == ids
    fresh = make_guard(engine, None, clock=guard.clock)  # no decision in memory: the ledger answers
    assert [getattr(d, "decision_id", None) for d in fresh.decide_many(batch)] == ids
    assert len(guard.decisions_of("c1")) == 3 and alerts(engine, "guard_duplicate_event") == 3


def test_decide_many_counts_earlier_allowed_payments_of_the_batch_in_the_daily_limit(guard: GuardService) -> None:
    from finguard.guard.model.events import parse_event

    limits = ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("1000"), Decimal("1500")),)))
    guard.controls.set("c1", limits, actor="app", channel="mobile")
    batch = [parse_event(transfer(f"e{i}", amount="600.00", at=T0 + timedelta(minutes=i)), T0) for i in range(3)]
    out = guard.decide_many(batch)
    assert [getattr(d, "outcome", None) for d in out] == [Outcome.ALLOW, Outcome.ALLOW, Outcome.BLOCK]
    assert [r.code for r in getattr(out[2], "reasons", ())] == ["daily_limit"]
    fresh = make_guard(guard.store.engine, None, clock=guard.clock)
    assert [fresh.decision_for_event(f"e{i}").outcome for i in range(3)] == [Outcome.ALLOW, Outcome.ALLOW, Outcome.BLOCK]


def test_a_payment_under_review_counts_against_the_daily_limit(guard: GuardService) -> None:
    """Review lets the money go (an analyst looks afterwards), so it is paid money: 900 under
    review, then 700 more the same day passes the 1,500 daily limit."""
    limits = ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("1000"), Decimal("1500")),)))
    guard.controls.set("c1", limits, actor="app", channel="mobile")
    guard.rules.save(Rule("r.big", "event.amount >= 800", "big", score=40), "alice")
    assert guard.decide_raw(transfer("e1", amount="900.00")).outcome is Outcome.REVIEW
    d = guard.decide_raw(transfer("e2", amount="700.00", at=T0 + timedelta(minutes=1)))
    assert d.outcome is Outcome.BLOCK and [r.code for r in d.reasons] == ["daily_limit"]
    assert d.reasons[0].values["paid_24h"] == "900.00"


def test_the_decision_checks_the_parsed_payee_as_it_is_with_the_same_answer(
    platform: Platform, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#19: the event parser normalised the payee; the payee check inside a decision takes it as it
    is (no second parse: a card's Luhn digit is not computed again) and answers as a check of the
    payee as sent does."""
    import finguard.lists.model.check as check_model
    import finguard.lists.service.checking as checking
    from finguard.guard.model.events import parse_event
    from finguard.lists.model.check import CheckRequest
    from tests.guard_helpers import luhn

    card = luhn("622202100112233")
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("police", EntryDraft("c", SubjectKind.IDENTIFIER, (Identifier(IdType.CARD, card),), reason="mule"), "t")
    platform.lists.add_entry(
        "police", EntryDraft("a", SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, "6228000099998888"),), reason="mule"), "t"
    )
    spaced_card = f"{card[:4]} {card[4:8]}-{card[8:12]} {card[12:]}"
    payees: list[dict[str, str]] = [
        {"card": spaced_card},
        {"card": card, "name": "  Zhang San "},
        {"account": "6228 0000 1111 0000", "card": spaced_card},
        {"account": "6228000099998888", "name": "Zhang San"},
        {"account": "6228-0000-1111-0000"},
        {"account": "6228000011110000", "card": luhn("622202100112299"), "name": "Li Si"},
    ]
    g = make_guard(platform.engine, platform.checker, clock=clock)
    events = [parse_event(transfer(f"p{i}", payee=p), clock()) for i, p in enumerate(payees)]

    def same(r: object) -> tuple[object, ...]:
        return tuple(getattr(r, f) for f in ("outcome", "risk_level", "hits", "seq", "reasons", "name_outcome"))

    expected = [platform.checker.check(CheckRequest(**p), view="guard", client="guard") for p in payees]
    parses: list[object] = []
    real = checking.normalize

    def counted(*args: object, **kwargs: object) -> str:
        parses.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(checking, "normalize", counted)
    monkeypatch.setattr(check_model, "normalize", counted)
    for event, want in zip(events, expected, strict=True):
        assert event.payee is not None
        got = platform.checker.check_normalised(event.payee.account, event.payee.card, event.payee.name, view="guard", client="guard")
        assert same(got) == same(want)
    decisions = g.decide_many(events)
    assert parses == []  # neither the check nor the decisions parsed the payee again
    codes = [[r.code for r in d.reasons if r.kind is ReasonKind.LIST] for d in decisions if not isinstance(d, Conflict)]
    assert codes == [["payee_listed"] if w.outcome.value == "block" else [] for w in expected]
    assert [w.outcome.value for w in expected] == ["block", "block", "block", "block", "pass", "pass"]
    # A payee built by hand, not in normal form, is parsed by the one general parser: the same answer.
    monkeypatch.setattr(checking, "normalize", real)
    monkeypatch.setattr(check_model, "normalize", real)
    by_hand = platform.checker.check_normalised("6228 0000 9999 8888", None, " Zhang San")
    assert same(by_hand) == same(platform.checker.check(CheckRequest(account="6228 0000 9999 8888", name=" Zhang San")))


def test_a_large_batch_is_stored_as_one_decides_each_and_answers_alike_from_the_ledger(guard: GuardService, engine: Engine) -> None:
    """A batch stored with PostgreSQL's one-statement inserts (``core.db.unnest_insert``), some of
    its events stored before: the same decisions and rows as one at a time."""
    from finguard.guard.model.events import parse_event

    guard.rules.save(Rule("r.big", "event.amount >= 500", "a large amount", score=40, outcome=Outcome.REVIEW), "t")

    def body(i: int) -> dict[str, object]:
        return transfer(
            f"b{i}", at=T0 + timedelta(seconds=i), customer_id=f"c{i}", account=f"62220000{i:08d}", amount="900.00" if i % 3 else "10.00"
        )

    early = [guard.decide_raw(body(i)) for i in range(0, 20, 5)]  # stored before the batch
    out = guard.decide_many([parse_event(body(i), T0) for i in range(20)])
    assert [out[i] for i in range(0, 20, 5)] == early
    assert all(not isinstance(d, Conflict) for d in out)
    assert [d.outcome for d in out] == [Outcome.ALLOW if i % 3 == 0 else Outcome.REVIEW for i in range(20)]  # type: ignore[union-attr]
    assert alerts(engine, "guard_decision") == sum(1 for i in range(20) if i % 3)
    for d in out:
        assert guard.get_decision(d.decision_id) == d  # type: ignore[union-attr]
    fresh = make_guard(engine, None, clock=guard.clock)  # no decision in memory: the ledger answers
    again = fresh.decide_many([parse_event(body(i), T0) for i in range(20)])
    assert again == out
    with engine.connect() as conn:
        from finguard.guard.store.tables import guard_event

        stored = conn.execute(select(guard_event.c.body).where(guard_event.c.event_id == "b7")).scalar_one()
    assert stored == parse_event(body(7), T0).to_record()
