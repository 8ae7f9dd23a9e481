"""Relief as changes to a schedule's plan: deferral of debits (延期还款 / 延期待扣), grace
(宽限期), extension (展期), rate change, and prepayment; with the NPV cost of each.

Each change names the instalment it starts at (1-based, in the schedule as it stands before
the change). Changes are applied in version order to the base plan; a reversed event is simply
left out of the replay, so reversing never edits history (``events.py``).

The NPV loss of a change is the fall in the present value of the borrower's remaining payments,
both discounted at the loan's original contract rate and day count along its monthly grid
from the due date before the change starts. The EBA guidelines on default (EBA/GL/2016/07,
para. 49-51) call a restructuring *distressed* when that loss exceeds 1 % of the value before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Any

from finguard.core.errors import InvalidInput
from finguard.loans.model.daycount import add_months
from finguard.loans.model.money import round_decimal
from finguard.loans.model.schedule import (
    DEFERRED_MODES,
    LoanTerms,
    Method,
    Mode,
    Period,
    Plan,
    Schedule,
    _grid_days,
    _rate_parts,
    base_plan,
    compute,
)

DISTRESSED_LOSS = Decimal("0.01")


class Treatment(StrEnum):
    CAPITALISE = "capitalise"  # 利息计入本金
    INTEREST_FREE = "interest_free"  # 利息延后支付，不计复利
    WAIVE = "waive"  # 利息减免


_DEFER_MODE = {
    Treatment.CAPITALISE: Mode.DEFER_CAPITALISE,
    Treatment.INTEREST_FREE: Mode.DEFER_INTEREST_FREE,
    Treatment.WAIVE: Mode.DEFER_WAIVE,
}


class Term(StrEnum):
    """贷款通则 第九条: short-term up to 1 year, medium-term up to 5 years, long-term beyond."""

    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


def term_class(term_months: int) -> Term:
    if term_months <= 12:
        return Term.SHORT
    if term_months <= 60:
        return Term.MEDIUM
    return Term.LONG


def extension_cap_months(term_months: int) -> int:
    """贷款通则 第十二条: extensions in total at most the original term (short-term loans), half of
    it (medium-term), or three years (long-term)."""
    kind = term_class(term_months)
    if kind is Term.SHORT:
        return term_months
    if kind is Term.MEDIUM:
        return term_months // 2
    return 36


@dataclass(frozen=True, slots=True)
class Deferral:
    """No debit for ``months`` instalments from ``start``; the period's interest is treated as said.
    With ``shift_maturity`` the rest of the schedule moves ``months`` later; without, the
    deferred instalments are caught up over the unchanged maturity."""

    start: int
    months: int
    treatment: Treatment
    shift_maturity: bool = True
    kind: str = "deferral"


@dataclass(frozen=True, slots=True)
class Grace:
    """For ``months`` instalments from ``start``: with ``principal_only`` only interest is due
    (principal re-spread over the same maturity); otherwise the debits stay as they are but a
    late payment within ``months`` of its due date bears no penalty interest and is not reported
    overdue."""

    start: int
    months: int
    principal_only: bool = False
    kind: str = "grace"


@dataclass(frozen=True, slots=True)
class Extension:
    """展期: the maturity moves ``months`` later; the balance from ``start`` is spread over the longer term."""

    start: int
    months: int
    kind: str = "extension"


@dataclass(frozen=True, slots=True)
class RateChange:
    start: int
    annual_rate: Decimal
    kind: str = "rate_change"


@dataclass(frozen=True, slots=True)
class Prepayment:
    """``amount_fen`` paid with instalment ``start``; ``reduce`` the term (same instalment) or the payment."""

    start: int
    amount_fen: int
    reduce: str = "term"
    kind: str = "prepayment"


Change = Deferral | Grace | Extension | RateChange | Prepayment
KINDS = ("deferral", "grace", "extension", "rate_change", "prepayment")


def change_as_dict(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in change.__dataclass_fields__:
        value = getattr(change, name)
        out[name] = str(value) if isinstance(value, Decimal) else value.value if isinstance(value, StrEnum) else value
    return out


def change_from_dict(data: dict[str, Any]) -> Change:
    """The inverse of ``change_as_dict``; every bad field is reported (InvalidInput)."""
    kind = data.get("kind")

    def integer(name: str, low: int, high: int) -> int:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput.for_field(name, f"must be an integer between {low} and {high}")
        return value

    def flag(name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            raise InvalidInput.for_field(name, "must be true or false")
        return value

    if kind == "deferral":
        treatment = data.get("treatment")
        if treatment not in {t.value for t in Treatment}:
            raise InvalidInput.for_field("treatment", "must be one of capitalise, interest_free, waive")
        return Deferral(integer("start", 1, 600), integer("months", 1, 60), Treatment(treatment), flag("shift_maturity", True))
    if kind == "grace":
        return Grace(integer("start", 1, 600), integer("months", 1, 60), flag("principal_only", False))
    if kind == "extension":
        return Extension(integer("start", 1, 600), integer("months", 1, 600))
    if kind == "rate_change":
        raw = data.get("annual_rate")
        if isinstance(raw, float) or raw is None:
            raise InvalidInput.for_field("annual_rate", "must be a decimal string such as \"0.0385\" (a JSON float is refused)")
        try:
            rate = Decimal(str(raw))
        except ArithmeticError as exc:
            raise InvalidInput.for_field("annual_rate", "must be a decimal string such as \"0.0385\"") from exc
        if not rate.is_finite() or not Decimal(0) <= rate < 1:
            raise InvalidInput.for_field("annual_rate", "must be in [0, 1)")
        return RateChange(integer("start", 1, 600), rate)
    if kind == "prepayment":
        reduce = data.get("reduce", "term")
        if reduce not in ("term", "payment"):
            raise InvalidInput.for_field("reduce", "must be term or payment")
        return Prepayment(integer("start", 1, 600), integer("amount_fen", 1, 10**15), reduce)
    raise InvalidInput.for_field("kind", f"must be one of {', '.join(KINDS)}")


def _check_start(plan: Plan, start: int) -> None:
    if not 1 <= start <= len(plan):
        raise InvalidInput.for_field("start", f"instalment {start} does not exist: the schedule has instalments 1 to {len(plan)}")


def _shift(period: Period, months: int) -> Period:
    p = period
    return Period(p.start + months, p.end + months, p.mode, p.rate, p.reamortise, p.prepay_fen, p.grace_months)


def apply(terms: LoanTerms, plan: Plan, change: Change, extended_months: int = 0) -> Plan:
    """The plan after ``change``. ``extended_months``: the total of earlier extensions (for the cap)."""
    _check_start(plan, change.start)
    k = change.start - 1
    periods = list(plan)
    if isinstance(change, Deferral):
        if terms.method is Method.BULLET:
            raise InvalidInput.for_field("kind", "a bullet loan has no debits before maturity to defer; use an extension")
        mode = _DEFER_MODE[change.treatment]
        if change.shift_maturity:
            first = periods[k].start
            inserted = [Period(first + j, first + j + 1, mode, periods[k].rate) for j in range(change.months)]
            rest = [_shift(p, change.months) for p in periods[k:]]
            rest[0] = replace(rest[0], reamortise=True)
            return (*periods[:k], *inserted, *rest)
        if k + change.months >= len(periods):
            raise InvalidInput.for_field("months", "without moving the maturity at least one instalment must remain after the deferral")
        for j in range(k, k + change.months):
            periods[j] = replace(periods[j], mode=mode)
        periods[k + change.months] = replace(periods[k + change.months], reamortise=True)
        return tuple(periods)
    if isinstance(change, Grace):
        if k + change.months > len(periods):
            raise InvalidInput.for_field("months", f"the grace runs past the last instalment ({len(periods)})")
        if change.principal_only:
            if terms.method is Method.BULLET:
                raise InvalidInput.for_field("principal_only", "a bullet loan repays no principal before maturity")
            if k + change.months >= len(periods):
                raise InvalidInput.for_field("months", "at least one instalment must remain after an interest-only grace")
            for j in range(k, k + change.months):
                if periods[j].mode is Mode.AMORTISE:
                    periods[j] = replace(periods[j], mode=Mode.INTEREST_ONLY)
            periods[k + change.months] = replace(periods[k + change.months], reamortise=True)
            return tuple(periods)
        for j in range(k, k + change.months):
            periods[j] = replace(periods[j], grace_months=max(periods[j].grace_months, change.months - (j - k)))
        return tuple(periods)
    if isinstance(change, Extension):
        cap = extension_cap_months(terms.term_months)
        if extended_months + change.months > cap:
            kind = term_class(terms.term_months).value
            raise InvalidInput.for_field(
                "months",
                f"贷款通则 art. 12 caps extensions of a {kind}-term loan of {terms.term_months} months at {cap} months in total; "
                f"{extended_months} already granted",
            )
        if terms.method is Method.BULLET:
            periods[-1] = replace(periods[-1], end=periods[-1].end + change.months)
        else:
            tail = periods[-1]
            mode = Mode.INTEREST_ONLY if terms.method is Method.INTEREST_ONLY else Mode.AMORTISE
            periods[-1] = replace(tail, mode=mode if tail.mode is Mode.AMORTISE else tail.mode)
            periods.extend(Period(tail.end + j, tail.end + j + 1, mode, tail.rate) for j in range(change.months))
            periods[-1] = replace(periods[-1], mode=Mode.AMORTISE)
        periods[k] = replace(periods[k], reamortise=True)
        return tuple(periods)
    if isinstance(change, RateChange):
        for j in range(k, len(periods)):
            periods[j] = replace(periods[j], rate=change.annual_rate)
        periods[k] = replace(periods[k], reamortise=True)
        return tuple(periods)
    if periods[k].mode in DEFERRED_MODES:
        raise InvalidInput.for_field("start", "a prepayment cannot be made with a deferred instalment")
    periods[k] = replace(periods[k], prepay_fen=periods[k].prepay_fen + change.amount_fen)
    if change.reduce == "payment" and k + 1 < len(periods):
        periods[k + 1] = replace(periods[k + 1], reamortise=True)
    return tuple(periods)


def replay(terms: LoanTerms, changes: list[Change] | tuple[Change, ...]) -> list[Schedule]:
    """The schedule after each change in turn: ``[base, after 1st, after 2nd, ...]``."""
    plan = base_plan(terms)
    out = [compute(terms, plan)]
    extended = 0
    for change in changes:
        if change.start > len(out[-1].rows):
            repaid = len(out[-1].rows)
            raise InvalidInput.for_field("start", f"instalment {change.start} does not exist: the loan is repaid at instalment {repaid}")
        plan = apply(terms, plan, change, extended)
        if isinstance(change, Extension):
            extended += change.months
        out.append(compute(terms, plan, prior=out[-1], resume=change.start - 1))
    return out


class CreditReport(StrEnum):
    NORMAL = "normal"
    RELIEF_NOT_OVERDUE = "relief_not_overdue"
    EXTENDED = "extended"
    RESTRUCTURED = "restructured"


CREDIT_REPORT_TEXT = {
    CreditReport.NORMAL: ("正常报送", "reported as normal"),
    CreditReport.RELIEF_NOT_OVERDUE: (
        "按疫情期间延期还款政策报送，不作逾期记录，不计罚息",
        "reported under the relief notices: not overdue, no penalty interest",
    ),
    CreditReport.EXTENDED: ("报送展期", "reported as extended (展期)"),
    CreditReport.RESTRUCTURED: ("报送重组贷款（困境重组）", "reported as restructured (distressed restructuring)"),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    valuation_date: date
    value_before_fen: int
    value_after_fen: int
    loss_fen: int
    loss_ratio: Decimal  # loss / value before, 6 decimals
    distressed: bool
    credit_report: CreditReport

    def as_dict(self) -> dict[str, Any]:
        zh, en = CREDIT_REPORT_TEXT[self.credit_report]
        return {
            "valuation_date": self.valuation_date.isoformat(),
            "value_before_fen": self.value_before_fen,
            "value_after_fen": self.value_after_fen,
            "npv_loss_fen": self.loss_fen,
            "npv_loss_ratio": str(self.loss_ratio),
            "distressed": self.distressed,
            "credit_report": self.credit_report.value,
            "credit_report_zh": zh,
            "credit_report_en": en,
        }


def present_value(schedule: Schedule, from_index: int) -> Decimal:
    """The value at grid point ``from_index`` of the payments due after it, discounted at the
    loan's original rate and day count along its monthly grid."""
    terms = schedule.terms
    end = max(p.end for p in schedule.plan)
    months = _grid_days(terms.start, end, terms.day_count)
    rn, rd = _rate_parts(terms.annual_rate)
    with localcontext() as ctx:
        ctx.prec = 34
        factors = [Decimal(1)] * (end + 1)
        df = Decimal(1)
        for i in range(from_index + 1, end + 1):
            days, basis = months[i - 1]
            num, den = rn * days, rd * basis
            df = df * den / (den + num)
            factors[i] = df
        total = Decimal(0)
        for period, row in zip(schedule.plan, schedule.rows, strict=False):
            if period.end > from_index:
                total += row.payment_fen * factors[period.end]
        return total


def assess(before: Schedule, after: Schedule, change: Change) -> Assessment:
    start_index = before.plan[change.start - 1].start
    with localcontext() as ctx:
        ctx.prec = 34
        value_before = present_value(before, start_index)
        value_after = present_value(after, start_index)
        loss = value_before - value_after
        ratio = (loss / value_before).quantize(Decimal("0.000001")) if value_before else Decimal(0)
        ratio = abs(ratio) if ratio.is_zero() else ratio  # no "-0.000000" for a rounding-level gain
    distressed = ratio > DISTRESSED_LOSS
    if isinstance(change, Deferral | Grace):
        report = CreditReport.RELIEF_NOT_OVERDUE
    elif isinstance(change, Extension):
        report = CreditReport.RESTRUCTURED if distressed else CreditReport.EXTENDED
    else:
        report = CreditReport.RESTRUCTURED if distressed else CreditReport.NORMAL
    return Assessment(
        valuation_date=add_months(before.terms.start, start_index),
        value_before_fen=round_decimal(value_before),
        value_after_fen=round_decimal(value_after),
        loss_fen=round_decimal(loss),
        loss_ratio=ratio,
        distressed=distressed,
        credit_report=report,
    )
