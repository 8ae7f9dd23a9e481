"""The credit policy: knock-out rules, the product (limits, cut-offs, price band) and the
working-capital need. One policy is one version; versions are append-only in the store and every
decision names the version it applied. The JSON form is ``policy_to_doc`` / ``parse_policy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.credit.model.taxdata import YUAN, Grade

WAN = 10_000 * YUAN  # 万元 in fen


@dataclass(frozen=True, slots=True)
class KnockoutRules:
    """Any one of these refuses an application before it is scored."""

    refused_grades: frozenset[Grade] = frozenset({Grade.C, Grade.D})
    refuse_abnormal_now: bool = True
    refuse_abnormal_36m: bool = True  # listed as 非正常户 at any time in the last 36 months
    max_arrears_outstanding_fen: int = 0
    max_missing_returns_24m: int = 0
    max_late_returns_24m: int = 3
    min_years_in_business: float = 2.0
    max_violations_24m: int = 1
    max_serious_violations_24m: int = 0


@dataclass(frozen=True, slots=True)
class PriceStep:
    min_score: float
    min_rate_bp: int  # annual rate, basis points
    max_rate_bp: int


@dataclass(frozen=True, slots=True)
class Product:
    code: str = "tax-loan"
    cap_fen: int = 300 * WAN
    min_line_fen: int = 1 * WAN
    max_term_months: int = 12
    line_step_fen: int = 1_000 * YUAN  # lines are rounded down to this
    tax_multiple: Mapping[Grade, int] = field(default_factory=lambda: {Grade.A: 10, Grade.B: 7, Grade.M: 5})
    refuse_below_score: float = 540.0
    reduce_below_score: float = 570.0
    reduce_factor_pct: int = 50
    # Referral to a person (a ``loan_approval`` case): an approval whose line is above
    # ``refer_above_fen`` or whose score is below ``refer_below_score`` waits for an analyst; 0 is off.
    refer_above_fen: int = 0
    refer_below_score: float = 0.0
    # A referred line at or above this takes two people (maker-checker) to approve or refuse.
    checker_above_fen: int = 100 * WAN
    price: tuple[PriceStep, ...] = (
        PriceStep(620, 330, 380),
        PriceStep(590, 380, 450),
        PriceStep(570, 450, 550),
        PriceStep(0, 550, 700),
    )


@dataclass(frozen=True, slots=True)
class NeedParams:
    """流动资金贷款管理暂行办法, annex: 营运资金量 = 上年度销售收入 x (1 - 上年度销售利润率) x
    (1 + 预计销售收入年增长率) / 营运资金周转次数; the new working-capital loan need is that less own
    funds, existing working-capital loans and working capital from other channels."""

    turnover: Mapping[str, float] = field(default_factory=lambda: {"C": 3.0, "F": 2.5, "G": 4.0, "H": 8.0, "I": 3.0, "L": 4.0, "M": 3.0})
    default_turnover: float = 3.0
    max_growth: float = 0.30  # the growth rate the formula may assume, however fast the firm grew
    min_growth: float = 0.0
    default_margin: float = 0.05  # when no income-tax return is on file
    own_funds_share: float = 0.30  # own funds assumed when the applicant declares none


@dataclass(frozen=True, slots=True)
class Policy:
    version: int = 1
    knockout: KnockoutRules = field(default_factory=KnockoutRules)
    product: Product = field(default_factory=Product)
    need: NeedParams = field(default_factory=NeedParams)


# ---- JSON form ---------------------------------------------------------------------------------


def policy_to_doc(p: Policy) -> dict[str, Any]:
    k, pr, n = p.knockout, p.product, p.need
    return {
        "version": p.version,
        "knockout": {
            **{f.name: getattr(k, f.name) for f in fields(k) if f.name != "refused_grades"},
            "refused_grades": sorted(g.value for g in k.refused_grades),
        },
        "product": {
            "code": pr.code,
            "cap_fen": pr.cap_fen,
            "min_line_fen": pr.min_line_fen,
            "max_term_months": pr.max_term_months,
            "line_step_fen": pr.line_step_fen,
            "tax_multiple": {g.value: m for g, m in pr.tax_multiple.items()},
            "refuse_below_score": pr.refuse_below_score,
            "reduce_below_score": pr.reduce_below_score,
            "reduce_factor_pct": pr.reduce_factor_pct,
            "refer_above_fen": pr.refer_above_fen,
            "refer_below_score": pr.refer_below_score,
            "checker_above_fen": pr.checker_above_fen,
            "price": [{"min_score": s.min_score, "min_rate_bp": s.min_rate_bp, "max_rate_bp": s.max_rate_bp} for s in pr.price],
        },
        "need": {
            "turnover": dict(n.turnover),
            "default_turnover": n.default_turnover,
            "max_growth": n.max_growth,
            "min_growth": n.min_growth,
            "default_margin": n.default_margin,
            "own_funds_share": n.own_funds_share,
        },
    }


def _num(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    kind: type,
    problems: list[FieldProblem],
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
) -> Any:
    if key not in obj:
        return default
    v = obj[key]
    ok = isinstance(v, bool) if kind is bool else (not isinstance(v, bool) and isinstance(v, (int, float) if kind is float else int))
    if not ok:
        problems.append(
            FieldProblem(f"{path}.{key}", f"must be {'true/false' if kind is bool else 'a number' if kind is float else 'a whole number'}")
        )
        return default
    if kind is not bool and ((lo is not None and v < lo) or (hi is not None and v > hi)):
        problems.append(FieldProblem(f"{path}.{key}", f"must be between {lo} and {hi}"))
        return default
    return kind(v)


def parse_policy(doc: Any, *, version: int) -> Policy:
    """A policy from its JSON form; fields left out keep the defaults. Every problem at once."""
    if not isinstance(doc, Mapping):
        raise InvalidInput.for_field("policy", "must be a JSON object")
    problems: list[FieldProblem] = []
    base = Policy()
    ko_doc = doc.get("knockout", {}) or {}
    pr_doc = doc.get("product", {}) or {}
    nd_doc = doc.get("need", {}) or {}
    for name, d in (("knockout", ko_doc), ("product", pr_doc), ("need", nd_doc)):
        if not isinstance(d, Mapping):
            problems.append(FieldProblem(name, "must be an object"))
    if problems:
        raise InvalidInput("the policy is not valid", problems=problems)
    ko = base.knockout
    grades = ko.refused_grades
    if "refused_grades" in ko_doc:
        raw = ko_doc["refused_grades"]
        try:
            grades = frozenset(Grade(str(g).upper()) for g in raw) if isinstance(raw, list) else None  # type: ignore[assignment]
        except ValueError:
            grades = None  # type: ignore[assignment]
        if grades is None:
            problems.append(FieldProblem("knockout.refused_grades", "must be a list of grades among A, B, M, C, D"))
            grades = ko.refused_grades
    known = {f.name for f in fields(KnockoutRules)}
    for key in ko_doc:
        if key not in known:
            problems.append(FieldProblem(f"knockout.{key}", f"is not a knock-out setting ({', '.join(sorted(known))})"))
    ko = KnockoutRules(
        refused_grades=grades,
        refuse_abnormal_now=_num(ko_doc, "refuse_abnormal_now", "knockout", bool, problems, ko.refuse_abnormal_now),
        refuse_abnormal_36m=_num(ko_doc, "refuse_abnormal_36m", "knockout", bool, problems, ko.refuse_abnormal_36m),
        max_arrears_outstanding_fen=_num(
            ko_doc, "max_arrears_outstanding_fen", "knockout", int, problems, ko.max_arrears_outstanding_fen, lo=0
        ),
        max_missing_returns_24m=_num(ko_doc, "max_missing_returns_24m", "knockout", int, problems, ko.max_missing_returns_24m, lo=0, hi=24),
        max_late_returns_24m=_num(ko_doc, "max_late_returns_24m", "knockout", int, problems, ko.max_late_returns_24m, lo=0, hi=24),
        min_years_in_business=_num(ko_doc, "min_years_in_business", "knockout", float, problems, ko.min_years_in_business, lo=0, hi=50),
        max_violations_24m=_num(ko_doc, "max_violations_24m", "knockout", int, problems, ko.max_violations_24m, lo=0),
        max_serious_violations_24m=_num(
            ko_doc, "max_serious_violations_24m", "knockout", int, problems, ko.max_serious_violations_24m, lo=0
        ),
    )
    pr = base.product
    multiple = pr.tax_multiple
    if "tax_multiple" in pr_doc:
        raw = pr_doc["tax_multiple"]
        try:
            multiple = {Grade(str(g).upper()): int(m) for g, m in raw.items() if not isinstance(m, bool) and int(m) >= 0}
        except (AttributeError, ValueError, TypeError):
            problems.append(FieldProblem("product.tax_multiple", "must map grades (A, B, M, C, D) to whole multiples >= 0"))
    price = pr.price
    if "price" in pr_doc:
        try:
            price = tuple(
                sorted(
                    (PriceStep(float(s["min_score"]), int(s["min_rate_bp"]), int(s["max_rate_bp"])) for s in pr_doc["price"]),
                    key=lambda s: -s.min_score,
                )
            )
            if not price or any(s.min_rate_bp > s.max_rate_bp or s.min_rate_bp < 0 for s in price):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            problems.append(FieldProblem("product.price", "must be a non-empty list of {min_score, min_rate_bp <= max_rate_bp}"))
            price = pr.price
    pr = replace(
        pr,
        code=str(pr_doc.get("code", pr.code)),
        cap_fen=_num(pr_doc, "cap_fen", "product", int, problems, pr.cap_fen, lo=0),
        min_line_fen=_num(pr_doc, "min_line_fen", "product", int, problems, pr.min_line_fen, lo=0),
        max_term_months=_num(pr_doc, "max_term_months", "product", int, problems, pr.max_term_months, lo=1, hi=120),
        line_step_fen=_num(pr_doc, "line_step_fen", "product", int, problems, pr.line_step_fen, lo=1),
        tax_multiple=multiple,
        price=price,
        refuse_below_score=_num(pr_doc, "refuse_below_score", "product", float, problems, pr.refuse_below_score),
        reduce_below_score=_num(pr_doc, "reduce_below_score", "product", float, problems, pr.reduce_below_score),
        reduce_factor_pct=_num(pr_doc, "reduce_factor_pct", "product", int, problems, pr.reduce_factor_pct, lo=0, hi=100),
        refer_above_fen=_num(pr_doc, "refer_above_fen", "product", int, problems, pr.refer_above_fen, lo=0),
        refer_below_score=_num(pr_doc, "refer_below_score", "product", float, problems, pr.refer_below_score, lo=0),
        checker_above_fen=_num(pr_doc, "checker_above_fen", "product", int, problems, pr.checker_above_fen, lo=0),
    )
    nd = base.need
    turnover = nd.turnover
    if "turnover" in nd_doc:
        raw = nd_doc["turnover"]
        if not isinstance(raw, Mapping) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in raw.values()):
            problems.append(FieldProblem("need.turnover", "must map industry letters to turnover times > 0"))
        else:
            turnover = {str(k).upper(): float(v) for k, v in raw.items()}
    nd = NeedParams(
        turnover=turnover,
        default_turnover=_num(nd_doc, "default_turnover", "need", float, problems, nd.default_turnover, lo=0.1, hi=365),
        max_growth=_num(nd_doc, "max_growth", "need", float, problems, nd.max_growth, lo=-1, hi=5),
        min_growth=_num(nd_doc, "min_growth", "need", float, problems, nd.min_growth, lo=-1, hi=5),
        default_margin=_num(nd_doc, "default_margin", "need", float, problems, nd.default_margin, lo=-1, hi=1),
        own_funds_share=_num(nd_doc, "own_funds_share", "need", float, problems, nd.own_funds_share, lo=0, hi=1),
    )
    if pr.reduce_below_score < pr.refuse_below_score:
        problems.append(FieldProblem("product.reduce_below_score", "must be at least refuse_below_score"))
    if problems:
        raise InvalidInput("the policy is not valid", problems=problems)
    return Policy(version=version, knockout=ko, product=pr, need=nd)
