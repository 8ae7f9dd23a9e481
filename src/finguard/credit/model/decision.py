"""From an application and the firm's tax record to an explained decision and a credit line.

Order: knock-out rules (every one that fires is a reason) -> scorecard -> score cut-offs -> line
= min(product cap, k(grade) x average annual tax paid over 24 months, working-capital need,
amount asked) -> price band. Every refusal and every reduction carries a reason with a stable
code and a plain explanation in Chinese and English, with the figures that led to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import format_money
from finguard.credit.model.features import FEATURE_LABELS, TaxFacts, feature_vector
from finguard.credit.model.policy import Policy, PriceStep
from finguard.credit.model.scorecard import Scorecard, ScoreResult
from finguard.credit.model.taxdata import Grade, TaxRecord


class Outcome(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Application:
    uscc: str
    requested_fen: int
    term_months: int
    purpose: str
    own_funds_fen: int | None = None  # declared own working capital; None: assumed by policy
    other_wc_loans_fen: int = 0  # existing working-capital loans (declared or from the credit bureau)


def check_application(app: Application, policy: Policy) -> None:
    problems = []
    if app.requested_fen <= 0:
        problems.append(FieldProblem("amount", "must be more than 0"))
    if not 1 <= app.term_months <= policy.product.max_term_months:
        problems.append(FieldProblem("term_months", f"must be between 1 and {policy.product.max_term_months}"))
    if not app.purpose.strip():
        problems.append(FieldProblem("purpose", "is required (what the money is for)"))
    if app.own_funds_fen is not None and app.own_funds_fen < 0:
        problems.append(FieldProblem("own_funds", "must be 0 or more"))
    if app.other_wc_loans_fen < 0:
        problems.append(FieldProblem("other_wc_loans", "must be 0 or more"))
    if problems:
        raise InvalidInput("the application is not valid", problems=problems)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    kind: str  # refuse | reduce | info
    zh: str
    en: str


def yuan(fen: int) -> str:
    return format_money(fen)


def _ko_reasons(f: TaxFacts, p: Policy) -> list[Reason]:
    k = p.knockout
    out = []
    if f.grade in k.refused_grades:
        out.append(
            Reason(
                "KO_GRADE",
                "refuse",
                f"纳税信用等级为{f.grade.value}级，本产品不接受该等级。",
                f"Your tax-credit grade is {f.grade.value}; this product does not lend at that grade.",
            )
        )
    if k.refuse_abnormal_now and f.abnormal_now:
        out.append(
            Reason(
                "KO_ABNORMAL",
                "refuse",
                "企业目前被税务机关认定为非正常户。",
                "The tax bureau currently lists the firm as an abnormal taxpayer (非正常户).",
            )
        )
    elif k.refuse_abnormal_36m and f.abnormal_36m:
        out.append(
            Reason(
                "KO_ABNORMAL_PAST",
                "refuse",
                "企业近36个月内曾被认定为非正常户。",
                "The firm was listed as an abnormal taxpayer (非正常户) in the last 36 months.",
            )
        )
    if f.arrears_outstanding_fen > k.max_arrears_outstanding_fen:
        out.append(
            Reason(
                "KO_ARREARS",
                "refuse",
                f"企业尚有欠税{yuan(f.arrears_outstanding_fen)}元未缴清。",
                f"The firm owes CNY {yuan(f.arrears_outstanding_fen)} of unpaid tax.",
            )
        )
    if f.missing_returns_24m > k.max_missing_returns_24m:
        out.append(
            Reason(
                "KO_FILING_GAP",
                "refuse",
                f"近24个月有{f.missing_returns_24m}期纳税申报未提交。",
                f"{f.missing_returns_24m} tax return(s) due in the last 24 months were not filed.",
            )
        )
    if f.late_returns_24m > k.max_late_returns_24m:
        out.append(
            Reason(
                "KO_LATE_FILING",
                "refuse",
                f"近24个月有{f.late_returns_24m}期申报逾期，超过允许的{k.max_late_returns_24m}期。",
                f"{f.late_returns_24m} returns in the last 24 months were filed late (at most {k.max_late_returns_24m} allowed).",
            )
        )
    if f.years_in_business < k.min_years_in_business:
        out.append(
            Reason(
                "KO_YOUNG",
                "refuse",
                f"企业成立{f.years_in_business:.1f}年，未满{k.min_years_in_business:g}年。",
                f"The firm has been in business {f.years_in_business:.1f} years, less than {k.min_years_in_business:g}.",
            )
        )
    if f.serious_violations_24m > k.max_serious_violations_24m:
        out.append(
            Reason(
                "KO_SERIOUS_VIOLATION",
                "refuse",
                "企业近24个月有重大税收违法记录。",
                "The firm has a serious tax offence on record in the last 24 months.",
            )
        )
    elif f.violations_24m > k.max_violations_24m:
        out.append(
            Reason(
                "KO_VIOLATIONS",
                "refuse",
                f"企业近24个月有{f.violations_24m}次税务违章，超过允许的{k.max_violations_24m}次。",
                f"The firm has {f.violations_24m} tax violations in the last 24 months (at most {k.max_violations_24m} allowed).",
            )
        )
    return out


def _score_reasons(result: ScoreResult, kind: str) -> list[Reason]:
    out = []
    for c in result.shortfalls():
        zh, en = FEATURE_LABELS.get(c.feature, (c.feature, c.feature))
        out.append(
            Reason(
                f"SC_{c.feature.upper()}",
                kind,
                f"评分中「{zh}」一项扣分较多（少得{c.shortfall:.0f}分）。",
                f"Your {en} lowered the score ({c.shortfall:.0f} points below the best).",
            )
        )
    return out


def working_capital_need(f: TaxFacts, industry: str, app: Application, p: Policy) -> tuple[int, dict[str, Any]]:
    """The annex formula on tax data, in fen (never below 0), and the figures it used."""
    n = p.need
    sales = Decimal(f.sales_12m_fen)
    margin = Decimal(str(round(f.profit_margin if f.profit_margin is not None else n.default_margin, 6)))
    growth = Decimal(str(round(min(n.max_growth, max(n.min_growth, f.sales_growth)), 6)))
    turnover = Decimal(str(n.turnover.get(industry, n.default_turnover)))
    wc = sales * (1 - margin) * (1 + growth) / turnover
    own = Decimal(app.own_funds_fen) if app.own_funds_fen is not None else wc * Decimal(str(n.own_funds_share))
    need = wc - own - Decimal(app.other_wc_loans_fen)
    need_fen = max(0, int(need.to_integral_value(ROUND_FLOOR)))
    return need_fen, {
        "sales_fen": f.sales_12m_fen,
        "margin": float(margin),
        "growth": float(growth),
        "turnover": float(turnover),
        "working_capital_fen": int(wc),
        "own_funds_fen": int(own),
        "other_wc_loans_fen": app.other_wc_loans_fen,
    }


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    line_fen: int
    rate_band_bp: tuple[int, int] | None
    score: float | None
    pd: float | None
    grade: Grade
    reasons: tuple[Reason, ...]
    limits: dict[str, Any]  # the candidate limits and which one bound
    features: dict[str, float]
    policy_version: int
    model_version: str


def price_band(score: float, steps: tuple[PriceStep, ...]) -> tuple[int, int]:
    for s in sorted(steps, key=lambda s: -s.min_score):
        if score >= s.min_score:
            return s.min_rate_bp, s.max_rate_bp
    last = min(steps, key=lambda s: s.min_score)
    return last.min_rate_bp, last.max_rate_bp


def decide(app: Application, record: TaxRecord, facts: TaxFacts, scorecard: Scorecard, policy: Policy) -> Decision:
    """The decision for one application. Pure: the same inputs give the same decision."""
    features = feature_vector(facts)
    pr = policy.product
    ko = _ko_reasons(facts, policy)
    result = scorecard.score(features)

    def refuse(reasons: list[Reason], limits: dict[str, Any]) -> Decision:
        return Decision(
            Outcome.REFUSE,
            0,
            None,
            result.score,
            result.pd,
            facts.grade,
            tuple(reasons),
            limits,
            features,
            policy.version,
            scorecard.version,
        )

    if ko:
        return refuse(ko, {})
    if result.score < pr.refuse_below_score:
        low = Reason(
            "SCORE_LOW",
            "refuse",
            f"综合评分{result.score:.0f}分，低于准入分数{pr.refuse_below_score:.0f}分。",
            f"The credit score {result.score:.0f} is below the {pr.refuse_below_score:.0f} this product requires.",
        )
        return refuse([low, *_score_reasons(result, "refuse")], {})

    multiple = pr.tax_multiple.get(facts.grade, 0)
    tax_limit = multiple * facts.avg_annual_tax_fen
    need, need_figures = working_capital_need(facts, record.firm.industry, app, policy)
    candidates = {"requested": app.requested_fen, "product_cap": pr.cap_fen, "tax_multiple": tax_limit, "need": need}
    line = min(candidates.values())
    reasons: list[Reason] = []
    binding = min(candidates, key=lambda k: (candidates[k], k != "requested"))
    if binding == "product_cap":
        reasons.append(
            Reason(
                "LIMIT_PRODUCT_CAP",
                "reduce",
                f"本产品单户最高额度为{yuan(pr.cap_fen)}元。",
                f"This product lends at most CNY {yuan(pr.cap_fen)} to one firm.",
            )
        )
    elif binding == "tax_multiple":
        reasons.append(
            Reason(
                "LIMIT_TAX",
                "reduce",
                f"额度不超过近24个月年均纳税额{yuan(facts.avg_annual_tax_fen)}元的{multiple}倍（{facts.grade.value}级）。",
                f"The line is at most {multiple} times the average yearly tax paid over 24 months "
                f"(CNY {yuan(facts.avg_annual_tax_fen)}) for grade {facts.grade.value}.",
            )
        )
    elif binding == "need":
        reasons.append(
            Reason(
                "LIMIT_NEED",
                "reduce",
                f"按流动资金需求测算，新增流动资金贷款需求约为{yuan(need)}元。",
                f"The working-capital need worked out from the tax data is about CNY {yuan(need)}.",
            )
        )
    reduced = result.score < pr.reduce_below_score
    if reduced:
        line = line * pr.reduce_factor_pct // 100
        reasons.append(
            Reason(
                "SCORE_REDUCED",
                "reduce",
                f"综合评分{result.score:.0f}分，低于{pr.reduce_below_score:.0f}分，额度按{pr.reduce_factor_pct}%核定。",
                f"The credit score {result.score:.0f} is below {pr.reduce_below_score:.0f}, so the line is "
                f"{pr.reduce_factor_pct}% of what it would be.",
            )
        )
        reasons += _score_reasons(result, "reduce")
    line = line // pr.line_step_fen * pr.line_step_fen
    limits = {**candidates, "binding": binding, "reduced": reduced, "line": line, "need_figures": need_figures, "multiple": multiple}
    if line < pr.min_line_fen:
        small = Reason(
            "LINE_TOO_SMALL",
            "refuse",
            f"可核定额度{yuan(line)}元，低于本产品最低额度{yuan(pr.min_line_fen)}元。",
            f"The line we could offer (CNY {yuan(line)}) is below this product's minimum of CNY {yuan(pr.min_line_fen)}.",
        )
        return refuse([small, *reasons], limits)
    return Decision(
        Outcome.APPROVE,
        line,
        price_band(result.score, pr.price),
        result.score,
        result.pd,
        facts.grade,
        tuple(reasons),
        limits,
        features,
        policy.version,
        scorecard.version,
    )


def referral_reasons(d: Decision, policy: Policy) -> list[Reason]:
    """Why an approval waits for a person (empty: it does not). Refusals are never referred."""
    pr = policy.product
    if d.outcome is not Outcome.APPROVE:
        return []
    out = []
    if pr.refer_above_fen and d.line_fen > pr.refer_above_fen:
        out.append(Reason("REFER_LINE", "refer", f"额度{yuan(d.line_fen)}元超过自动审批上限{yuan(pr.refer_above_fen)}元，转人工审批。",
                          f"The line of CNY {yuan(d.line_fen)} is above the CNY {yuan(pr.refer_above_fen)} "
                          "decided automatically, so an analyst approves it."))  # fmt: skip
    if pr.refer_below_score and d.score is not None and d.score < pr.refer_below_score:
        out.append(Reason("REFER_SCORE", "refer", f"综合评分{d.score:.0f}分，低于自动审批分数{pr.refer_below_score:.0f}分，转人工审批。",
                          f"The credit score {d.score:.0f} is below the {pr.refer_below_score:.0f} approved "
                          "automatically, so an analyst approves it."))  # fmt: skip
    return out
