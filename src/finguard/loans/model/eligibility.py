"""Eligibility for relief by category, every decision explained in Chinese and English.

A policy is a list of categories, tried in order. A category states who qualifies (industries
affected, firm sizes, the single-borrower credit ceiling of CNY 10 m, a documented impact, the
days past due at the start) and what relief it grants. A borrower gets the first category whose
every rule passes; each rule's outcome is kept with its reason, so a refusal can be explained to
the customer and a grant defended to an auditor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import format_yuan
from finguard.loans.model.relief import Change, Deferral, Extension, Grace, Treatment

SINGLE_BORROWER_CAP_FEN = 10_000_000 * 100  # CNY 10 m


class FirmSize(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    INDIVIDUAL = "individual"  # 个体工商户 and personal business loans


SIZE_ZH = {FirmSize.MICRO: "微型企业", FirmSize.SMALL: "小型企业", FirmSize.MEDIUM: "中型企业", FirmSize.LARGE: "大型企业",
           FirmSize.INDIVIDUAL: "个体工商户/个人经营"}


@dataclass(frozen=True, slots=True)
class Borrower:
    loan_id: str
    customer_id: str
    industry: str  # a code of the bank's choosing, e.g. GB/T 4754 section "H" (accommodation and catering)
    firm_size: FirmSize
    total_credit_fen: int  # all credit granted to this borrower by the bank
    impact_documented: bool
    days_past_due: int  # at the start of the relief

    @staticmethod
    def parse(data: dict[str, Any], line: int | None = None) -> Borrower:
        problems: list[FieldProblem] = []

        def text(name: str) -> str:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                problems.append(FieldProblem(name, "must be a non-empty text of at most 100 characters", line))
                return ""
            return value.strip()

        def integer(name: str) -> int:
            value = data.get(name)
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(FieldProblem(name, "must be a whole number >= 0", line))
                return 0
            return value

        loan_id, customer_id, industry = text("loan_id"), text("customer_id"), text("industry")
        size = data.get("firm_size")
        if size not in {s.value for s in FirmSize}:
            problems.append(FieldProblem("firm_size", f"must be one of {', '.join(s.value for s in FirmSize)}", line))
        impact = data.get("impact_documented")
        if isinstance(impact, str) and impact.lower() in {"true", "false", "yes", "no", "1", "0"}:
            impact = impact.lower() in {"true", "yes", "1"}
        if not isinstance(impact, bool):
            problems.append(FieldProblem("impact_documented", "must be true or false", line))
        credit, dpd = integer("total_credit_fen"), integer("days_past_due")
        if problems:
            raise InvalidInput("invalid borrower", problems=problems)
        return Borrower(loan_id, customer_id, industry, FirmSize(str(size)), credit, bool(impact), dpd)


@dataclass(frozen=True, slots=True)
class ReliefOffer:
    """What a category grants, starting at the borrower's next instalment."""

    kind: str  # deferral | grace | extension
    months: int
    treatment: Treatment = Treatment.INTEREST_FREE
    principal_only: bool = False

    def change(self, start: int) -> Change:
        if self.kind == "deferral":
            return Deferral(start, self.months, self.treatment)
        if self.kind == "grace":
            return Grace(start, self.months, self.principal_only)
        return Extension(start, self.months)

    def describe(self) -> tuple[str, str]:
        if self.kind == "deferral":
            zh_t = {Treatment.CAPITALISE: "利息计入本金", Treatment.INTEREST_FREE: "利息延后支付、不计复利", Treatment.WAIVE: "利息减免"}
            en_t = self.treatment.value.replace("_", " ")
            return f"延期还款 {self.months} 个月（{zh_t[self.treatment]}）", f"deferral of {self.months} months ({en_t})"
        if self.kind == "grace":
            if self.principal_only:
                return f"宽限期 {self.months} 个月（只付息）", f"grace of {self.months} months (interest only)"
            return f"宽限期 {self.months} 个月（不计罚息、不报逾期）", f"grace of {self.months} months (no penalty, not reported overdue)"
        return f"展期 {self.months} 个月", f"extension of {self.months} months"


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    offer: ReliefOffer
    industries: frozenset[str] = frozenset()  # empty: any industry
    firm_sizes: frozenset[FirmSize] = frozenset({FirmSize.MICRO, FirmSize.SMALL, FirmSize.MEDIUM, FirmSize.INDIVIDUAL})
    max_credit_fen: int = SINGLE_BORROWER_CAP_FEN
    require_impact: bool = True
    max_days_past_due: int = 0


@dataclass(frozen=True, slots=True)
class Policy:
    code: str
    version: int
    categories: tuple[Category, ...]


@dataclass(frozen=True, slots=True)
class Check:
    category: str
    rule: str
    passed: bool
    zh: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "rule": self.rule, "passed": self.passed, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class Decision:
    loan_id: str
    customer_id: str
    policy: str
    policy_version: int
    eligible: bool
    category: str | None
    offer: ReliefOffer | None
    checks: tuple[Check, ...] = field(default=())

    def summary(self) -> tuple[str, str]:
        if self.offer is not None:
            zh, en = self.offer.describe()
            return f"符合类别 {self.category}：{zh}", f"eligible under category {self.category}: {en}"
        failed = [c for c in self.checks if not c.passed]
        return "不符合任何类别：" + "；".join(c.zh for c in failed), "not eligible under any category: " + "; ".join(c.en for c in failed)

    def as_dict(self) -> dict[str, Any]:
        zh, en = self.summary()
        return {
            "loan_id": self.loan_id,
            "customer_id": self.customer_id,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "eligible": self.eligible,
            "category": self.category,
            "offer": None if self.offer is None else {
                "kind": self.offer.kind, "months": self.offer.months, "treatment": self.offer.treatment.value,
                "principal_only": self.offer.principal_only,
            },
            "summary_zh": zh,
            "summary_en": en,
            "checks": [c.as_dict() for c in self.checks],
        }


Rule = Callable[[Category, Borrower], Check]


def _industry(c: Category, b: Borrower) -> Check:
    if not c.industries:
        return Check(c.code, "industry", True, "不限行业", "any industry")
    listed = "、".join(sorted(c.industries))
    ok = b.industry in c.industries
    if ok:
        return Check(c.code, "industry", True, f"行业 {b.industry} 属于受影响行业（{listed}）",
                     f"industry {b.industry} is affected ({listed})")
    return Check(c.code, "industry", False, f"行业 {b.industry} 不在受影响行业（{listed}）之列",
                 f"industry {b.industry} is not among the affected ({listed})")


def _size(c: Category, b: Borrower) -> Check:
    ok = b.firm_size in c.firm_sizes
    allowed_en = ", ".join(sorted(s.value for s in c.firm_sizes))
    allowed_zh = "、".join(SIZE_ZH[s] for s in sorted(c.firm_sizes))
    verb_zh, verb_en = ("属于", "is among") if ok else ("不属于", "is not among")
    return Check(c.code, "firm_size", ok, f"{SIZE_ZH[b.firm_size]}{verb_zh}适用对象（{allowed_zh}）",
                 f"firm size {b.firm_size.value} {verb_en} those covered ({allowed_en})")


def _credit(c: Category, b: Borrower) -> Check:
    ok = b.total_credit_fen <= c.max_credit_fen
    sign_zh, sign_en = ("未超过", "<=") if ok else ("超过", ">")
    return Check(c.code, "single_borrower_credit", ok,
                 f"单户授信 {format_yuan(b.total_credit_fen)} 元{sign_zh}上限 {format_yuan(c.max_credit_fen)} 元",
                 f"single-borrower credit CNY {format_yuan(b.total_credit_fen)} {sign_en} the cap of CNY {format_yuan(c.max_credit_fen)}")


def _impact(c: Category, b: Borrower) -> Check:
    if not c.require_impact:
        return Check(c.code, "impact", True, "无需受影响证明", "no proof of impact required")
    if b.impact_documented:
        return Check(c.code, "impact", True, "已提供受影响的证明材料", "the impact is documented")
    return Check(c.code, "impact", False, "未提供受影响的证明材料", "the impact is not documented")


def _arrears(c: Category, b: Borrower) -> Check:
    ok = b.days_past_due <= c.max_days_past_due
    sign_zh, sign_en = ("未超过", "<=") if ok else ("超过", ">")
    return Check(c.code, "days_past_due", ok, f"申请时逾期 {b.days_past_due} 天，{sign_zh}上限 {c.max_days_past_due} 天",
                 f"{b.days_past_due} days past due at the start, {sign_en} the limit of {c.max_days_past_due}")


RULES: tuple[Rule, ...] = (_industry, _size, _credit, _impact, _arrears)


def evaluate(policy: Policy, borrower: Borrower) -> Decision:
    """The first category whose every rule passes, with all its checks; else every category's checks."""
    tried: list[Check] = []
    for category in policy.categories:
        checks = [rule(category, borrower) for rule in RULES]
        if all(c.passed for c in checks):
            return Decision(borrower.loan_id, borrower.customer_id, policy.code, policy.version, True, category.code,
                            category.offer, tuple(checks))
        tried.extend(checks)
    return Decision(borrower.loan_id, borrower.customer_id, policy.code, policy.version, False, None, None, tuple(tried))


def evaluate_many(policy: Policy, borrowers: Sequence[Borrower]) -> list[Decision]:
    return [evaluate(policy, b) for b in borrowers]


def policy_from_dict(data: dict[str, Any]) -> Policy:
    """A policy from JSON/TOML-shaped data; every bad field is reported at once."""
    problems: list[FieldProblem] = []
    code = data.get("code")
    version = data.get("version", 1)
    if not isinstance(code, str) or not code.strip():
        problems.append(FieldProblem("code", "must be a non-empty text"))
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(FieldProblem("version", "must be a whole number >= 1"))
    raw = data.get("categories")
    if not isinstance(raw, list) or not raw:
        problems.append(FieldProblem("categories", "must be a non-empty list"))
        raw = []
    categories: list[Category] = []
    for i, item in enumerate(raw):
        where = f"categories[{i}]"
        try:
            offer_data = item["offer"]
            offer = ReliefOffer(
                kind=offer_data["kind"],
                months=int(offer_data["months"]),
                treatment=Treatment(offer_data.get("treatment", "interest_free")),
                principal_only=bool(offer_data.get("principal_only", False)),
            )
            if offer.kind not in ("deferral", "grace", "extension") or not 1 <= offer.months <= 60:
                raise ValueError("offer")
            categories.append(Category(
                code=str(item["code"]),
                name_zh=str(item.get("name_zh", item["code"])),
                name_en=str(item.get("name_en", item["code"])),
                offer=offer,
                industries=frozenset(str(x) for x in item.get("industries", [])),
                firm_sizes=frozenset(FirmSize(x) for x in item.get("firm_sizes", ["micro", "small", "medium", "individual"])),
                max_credit_fen=int(item.get("max_credit_fen", SINGLE_BORROWER_CAP_FEN)),
                require_impact=bool(item.get("require_impact", True)),
                max_days_past_due=int(item.get("max_days_past_due", 0)),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(FieldProblem(where, f"a category needs code and offer {{kind: deferral|grace|extension, months: 1-60}}; "
                                                f"firm_sizes among {', '.join(s.value for s in FirmSize)} ({exc})"))
    if problems:
        raise InvalidInput("invalid relief policy", problems=problems)
    return Policy(str(code), int(version), tuple(categories))


EPIDEMIC_2020 = Policy(
    code="epidemic-2020",
    version=1,
    categories=(
        Category(
            code="A",
            name_zh="受疫情影响较大行业的中小微企业",
            name_en="small firms in the hardest-hit industries",
            offer=ReliefOffer("deferral", 6, Treatment.INTEREST_FREE),
            industries=frozenset({"H", "G", "L", "R", "C"}),  # GB/T 4754: catering/lodging, transport, leasing, culture, manufacturing
        ),
        Category(
            code="B",
            name_zh="暂时困难的个体工商户与小微企业",
            name_en="sole traders and small firms in temporary difficulty",
            offer=ReliefOffer("grace", 3),
            firm_sizes=frozenset({FirmSize.MICRO, FirmSize.INDIVIDUAL}),
            max_days_past_due=30,
        ),
        Category(
            code="C",
            name_zh="经营受影响、需拉长期限的企业",
            name_en="firms that need a longer term",
            offer=ReliefOffer("extension", 6),
            max_days_past_due=0,
        ),
    ),
)
