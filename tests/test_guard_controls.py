"""Customer controls, operator conditions and the precedence that combines reasons."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from finguard.core.errors import InvalidInput
from finguard.guard.model.conditions import Condition, ConditionDraft, ConditionKind, SubjectType, matching, reasons
from finguard.guard.model.controls import (
    ChannelLimit,
    ControlContext,
    ControlSettings,
    CoolingOff,
    CustomerControls,
    Limits,
    LockMode,
    NightLock,
    RegionLock,
    apply_change,
    checkup,
    controls_from_dict,
    controls_to_dict,
    evaluate,
    settings_from_dict,
)
from finguard.guard.model.decision import Outcome, Reason, ReasonKind, Thresholds, resolve
from finguard.guard.model.events import EventType, parse_event
from tests.guard_helpers import T0, transfer

NIGHT = NightLock(True, time(0, 0), time(6, 0), "Asia/Shanghai")


def controls(**settings: object) -> CustomerControls:
    return apply_change(CustomerControls("c1"), ControlSettings(**settings), T0 - timedelta(days=2))  # type: ignore[arg-type]


def codes(c: CustomerControls | None, data: dict, ctx: ControlContext = ControlContext(Decimal(0), T0 - timedelta(days=9))) -> dict:
    return {r.code: r.outcome for r in evaluate(c, parse_event(data, None), ctx)}


# -- night lock ------------------------------------------------------------------------------


def test_night_lock_blocks_in_the_window_in_the_customers_time_zone() -> None:
    """02:00 Beijing = 18:00 UTC the day before: inside 00:00-06:00 Asia/Shanghai."""
    c = controls(night_lock=NIGHT)
    assert codes(c, transfer(at=T0 - timedelta(hours=8))) == {"night_lock": Outcome.BLOCK}
    assert codes(c, transfer(at=T0)) == {}  # 10:00 Beijing


def test_night_lock_cap_blocks_only_above_the_cap() -> None:
    c = controls(night_lock=NightLock(True, time(22, 0), time(6, 0), "Asia/Shanghai", LockMode.CAP, Decimal("500")))
    night = T0 - timedelta(hours=11)  # 23:00 Beijing, the window wraps midnight
    assert codes(c, transfer(at=night, amount="500.00")) == {}
    assert codes(c, transfer(at=night, amount="500.01")) == {"night_lock_cap": Outcome.BLOCK}


def test_night_lock_leaves_incoming_and_logins_alone() -> None:
    c = controls(night_lock=NIGHT)
    at = T0 - timedelta(hours=8)
    assert codes(c, transfer(at=at, direction="in")) == {}
    login = {"event_id": "l1", "type": "login", "occurred_at": at.isoformat(), "customer_id": "c1", "channel": "mobile"}
    assert codes(c, login) == {}


# -- region lock -----------------------------------------------------------------------------


def test_region_lock_allows_provinces_of_an_allowed_country_and_blocks_elsewhere() -> None:
    c = controls(region_lock=RegionLock(True, ("CN",), Outcome.HOLD))
    assert codes(c, transfer(region="CN-GD")) == {}
    assert codes(c, transfer(region="KH")) == {"region_lock": Outcome.BLOCK}
    body = transfer()
    del body["region"]
    assert codes(c, body) == {"region_lock_unknown": Outcome.HOLD}


def test_region_lock_applies_to_logins_and_allows_unknown_when_set() -> None:
    c = controls(region_lock=RegionLock(True, ("CN-GD",), Outcome.ALLOW))
    login = {"event_id": "l1", "type": "login", "occurred_at": T0.isoformat(), "customer_id": "c1", "channel": "web", "region": "CN-BJ"}
    assert codes(c, login) == {"region_lock": Outcome.BLOCK}
    del login["region"]
    assert codes(c, login) == {}


# -- limits ----------------------------------------------------------------------------------


def test_single_and_daily_limits_per_channel() -> None:
    c = controls(limits=Limits((ChannelLimit("mobile", Decimal("5000"), Decimal("20000")),)))
    assert codes(c, transfer(amount="5000.01")) == {"single_limit": Outcome.BLOCK}
    assert codes(c, transfer(amount="5000"), ControlContext(Decimal("15000"), T0 - timedelta(days=9))) == {}
    assert codes(c, transfer(amount="4000"), ControlContext(Decimal("16000.01"), T0 - timedelta(days=9))) == {"daily_limit": Outcome.BLOCK}
    assert codes(c, transfer(amount="9000", channel="web")) == {}  # no limit on web


def test_daily_limit_with_an_unknown_total_asks_for_review() -> None:
    c = controls(limits=Limits((ChannelLimit("mobile", None, Decimal("20000")),)))
    assert codes(c, transfer(), ControlContext(None, None)) == {"daily_limit_unknown": Outcome.REVIEW}


# -- cooling-off -----------------------------------------------------------------------------


def test_cooling_off_holds_payments_to_a_new_payee_above_the_cap() -> None:
    c = controls(cooling_off=CoolingOff(True, 24, Decimal("1000")))
    first_now = ControlContext(Decimal(0), T0)
    assert codes(c, transfer(amount="1000.01"), first_now) == {"cooling_off": Outcome.HOLD}
    assert codes(c, transfer(amount="1000.00"), first_now) == {}
    assert codes(c, transfer(amount="5000"), ControlContext(Decimal(0), T0 - timedelta(hours=23))) == {"cooling_off": Outcome.HOLD}
    assert codes(c, transfer(amount="5000"), ControlContext(Decimal(0), T0 - timedelta(hours=24))) == {}


# -- switching off is delayed --------------------------------------------------------------


def test_switching_a_protection_off_waits_24_hours() -> None:
    on = controls(night_lock=NIGHT)
    off = apply_change(on, ControlSettings(), T0)
    assert off.night_lock.current == NIGHT and off.night_lock.pending == NightLock()
    assert off.night_lock.pending_off_until == T0 + timedelta(hours=24)
    night = T0 + timedelta(hours=14)  # 00:00 Beijing next day: still locked
    assert codes(off, transfer(at=night)) == {"night_lock": Outcome.BLOCK}
    assert codes(off, transfer(at=night + timedelta(days=1))) == {}
    # asking again does not restart the clock
    assert apply_change(off, ControlSettings(), T0 + timedelta(hours=3)).night_lock.pending_off_until == T0 + timedelta(hours=24)


def test_switching_off_at_a_branch_is_immediate_and_tightening_always_is() -> None:
    on = controls(night_lock=NIGHT)
    assert apply_change(on, ControlSettings(), T0, at_branch=True).night_lock.current == NightLock()
    wider = NightLock(True, time(22, 0), time(7, 0), "Asia/Shanghai")
    assert apply_change(on, ControlSettings(night_lock=wider), T0).night_lock.current == wider


@pytest.mark.parametrize(
    "looser",
    [
        ControlSettings(night_lock=NightLock(True, time(1, 0), time(6, 0), "Asia/Shanghai")),
        ControlSettings(night_lock=NightLock(True, time(0, 0), time(6, 0), "Asia/Shanghai", LockMode.CAP, Decimal(100))),
        ControlSettings(night_lock=NightLock(True, time(0, 0), time(6, 0), "Europe/London")),
    ],
)
def test_narrowing_or_softening_a_lock_is_a_loosening(looser: ControlSettings) -> None:
    on = controls(night_lock=NIGHT)
    assert apply_change(on, looser, T0).night_lock.current == NIGHT


def test_raising_a_limit_or_adding_a_region_is_a_loosening() -> None:
    c = controls(limits=Limits((ChannelLimit("mobile", Decimal("5000")),)), region_lock=RegionLock(True, ("CN",)))
    raised = apply_change(
        c, ControlSettings(limits=Limits((ChannelLimit("mobile", Decimal("50000")),)), region_lock=RegionLock(True, ("CN", "KH"))), T0
    )
    assert raised.limits.current == c.limits.current and raised.limits.pending is not None
    assert raised.region_lock.current == c.region_lock.current and raised.region_lock.pending is not None


def test_checkup_lists_what_is_off_and_pending_switch_offs() -> None:
    assert [a.code for a in checkup(None, T0)] == ["night_lock", "region_lock", "limits", "cooling_off"]
    c = controls(
        night_lock=NIGHT, region_lock=RegionLock(True), limits=Limits((ChannelLimit("mobile", Decimal(1)),)), cooling_off=CoolingOff(True)
    )
    assert checkup(c, T0) == []
    advice = checkup(
        apply_change(
            c,
            ControlSettings(night_lock=NightLock(), region_lock=RegionLock(True), limits=c.limits.current, cooling_off=CoolingOff(True)),
            T0,
        ),
        T0,
    )
    assert [a.code for a in advice] == ["pending"] and "96110" in advice[0].zh and "96110" in advice[0].en


def test_controls_round_trip_through_json_and_bad_settings_are_named() -> None:
    c = apply_change(controls(night_lock=NIGHT), ControlSettings(), T0)
    assert controls_from_dict("c1", controls_to_dict(c), c.version, c.updated_at) == c
    for data, field in [
        ({"night_lock": {"timezone": "Mars/Base"}}, "night_lock.timezone"),
        ({"night_lock": {"start": "25:00"}}, "night_lock.start"),
        ({"region_lock": {"allowed": ["China"]}}, "region_lock.allowed[0]"),
        ({"limits": {"channels": [{"channel": "mobile", "single": "-5"}]}}, "limits.channels[0].single"),
        ({"cooling_off": {"hours": 0}}, "cooling_off.hours"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            settings_from_dict(data)
        assert exc.value.problems[0].field == field


# -- operator conditions and precedence ------------------------------------------------------


def cond(
    kind: ConditionKind, subject_type: SubjectType = SubjectType.ACCOUNT, subject: str = "6228000099998888", **kw: object
) -> Condition:
    draft = ConditionDraft(kind, subject_type, subject, f"test {kind}", kw.pop("starts_at", T0 - timedelta(days=1)), **kw)  # type: ignore[arg-type]
    return Condition(1, draft, "ops", T0 - timedelta(days=1))


def test_conditions_match_the_payee_account_the_device_and_the_customer() -> None:
    e = parse_event(transfer(), None)
    assert matching([cond(ConditionKind.HOLD)], e)
    assert matching([cond(ConditionKind.HOLD, SubjectType.DEVICE, "dev-0001")], e)
    assert matching([cond(ConditionKind.HOLD, SubjectType.CUSTOMER, "c1")], e)
    assert not matching([cond(ConditionKind.HOLD, SubjectType.CUSTOMER, "c2")], e)


def test_conditions_respect_start_expiry_revocation_and_event_types() -> None:
    e = parse_event(transfer(), None)
    assert not matching([cond(ConditionKind.HOLD, starts_at=T0 + timedelta(minutes=1))], e)
    assert not matching([cond(ConditionKind.HOLD, expires_at=T0)], e)
    assert matching([cond(ConditionKind.HOLD, expires_at=T0 + timedelta(seconds=1))], e)
    revoked = Condition(1, cond(ConditionKind.HOLD).draft, "ops", T0, revoked_at=T0 - timedelta(seconds=1))
    assert not matching([revoked], e)
    assert not matching([cond(ConditionKind.HOLD, event_types=(EventType.REMITTANCE,))], e)


TH = Thresholds()


def rule(score: float = 0, outcome: Outcome | None = None, enforced: bool = True) -> Reason:
    return Reason(ReasonKind.RULE, "r", "rule", outcome, score, {}, enforced)


def with_conditions(*kinds: ConditionKind, extra: tuple[Reason, ...] = ()) -> Outcome:
    return resolve([*reasons([cond(k) for k in kinds]), *extra], TH)[0]


def test_precedence_hard_block_beats_override() -> None:
    assert with_conditions(ConditionKind.HARD_BLOCK, ConditionKind.ALLOW_OVERRIDE) is Outcome.BLOCK


def test_precedence_override_beats_soft_block_hold_and_rules() -> None:
    assert (
        with_conditions(ConditionKind.ALLOW_OVERRIDE, ConditionKind.SOFT_BLOCK, ConditionKind.HOLD, extra=(rule(500, Outcome.BLOCK),))
        is Outcome.ALLOW
    )


def test_precedence_soft_block_beats_rules() -> None:
    assert with_conditions(ConditionKind.SOFT_BLOCK, extra=(rule(40),)) is Outcome.BLOCK
    assert with_conditions(ConditionKind.HOLD, extra=(rule(0, Outcome.REVIEW),)) is Outcome.HOLD


def test_override_does_not_lift_customer_controls_nor_errors() -> None:
    control = Reason(ReasonKind.CONTROL, "night_lock", "night", Outcome.BLOCK)
    error = Reason(ReasonKind.ERROR, "velocity_unavailable", "down", Outcome.REVIEW)
    assert with_conditions(ConditionKind.ALLOW_OVERRIDE, extra=(control,)) is Outcome.BLOCK
    assert with_conditions(ConditionKind.ALLOW_OVERRIDE, extra=(error,)) is Outcome.REVIEW


def test_scores_add_up_to_thresholds_and_shadow_reasons_do_not_count() -> None:
    assert resolve([rule(30), rule(20)], TH) == (Outcome.REVIEW, 50)
    assert resolve([rule(70)], TH)[0] is Outcome.HOLD
    assert resolve([rule(60), rule(40)], TH)[0] is Outcome.BLOCK
    shadow = [rule(200, Outcome.BLOCK, enforced=False)]
    assert resolve(shadow, TH) == (Outcome.ALLOW, 0)
    assert resolve(shadow, TH, enforced_only=False)[0] is Outcome.BLOCK


def test_outcomes_are_ordered() -> None:
    assert [o.rank for o in (Outcome.ALLOW, Outcome.REVIEW, Outcome.HOLD, Outcome.BLOCK)] == [0, 1, 2, 3]
    assert Outcome.most_severe([Outcome.REVIEW, Outcome.HOLD, Outcome.ALLOW]) is Outcome.HOLD
