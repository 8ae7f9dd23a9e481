"""Over-financing (过度融资): a firm's credit across banks against what its business needs.

Input: the firm's tax record (for the working-capital need) and its facilities at every lender
from a credit-bureau style file (docs/credit.md, "Credit-bureau input"): ``uscc, lender, kind,
limit, outstanding, opened_on, joint``. The ceiling is the annex formula's working capital less
own funds (as in the decision), or, for a micro firm (sales below ``micro_sales_fen``), a share of
its last 12 months' sales. Flags, each with a reason in Chinese and English:

* ``OVER_FINANCED``: working-capital credit outstanding at all lenders above ``max_ratio`` x ceiling;
* ``MANY_LENDERS``: more lenders than ``max_lenders``;
* ``JOINT_CREDIT``: lenders and total credit at or above the 联合授信 thresholds while the
  facilities are not (all) under a joint-credit arrangement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import parse_money
from finguard.credit.model.decision import Reason, yuan
from finguard.credit.model.features import TaxFacts
from finguard.credit.model.policy import WAN, NeedParams
from finguard.credit.model.taxdata import normalise_uscc

KINDS = ("working_capital", "term", "bill", "other")
WORKING_CAPITAL_KINDS = frozenset({"working_capital", "bill"})


@dataclass(frozen=True, slots=True)
class Facility:
    uscc: str
    lender: str
    kind: str
    limit_fen: int
    outstanding_fen: int
    opened_on: date
    joint: bool  # under a 联合授信 arrangement


@dataclass(frozen=True, slots=True)
class OverFinanceParams:
    max_ratio: float = 1.0
    max_lenders: int = 3
    micro_sales_fen: int = 300 * WAN  # below this, the sales-based ceiling applies
    micro_ceiling_share: float = 0.25
    joint_credit_lenders: int = 3
    joint_credit_total_fen: int = 5_000 * WAN
    need: NeedParams = field(default_factory=NeedParams)


@dataclass(frozen=True, slots=True)
class Finding:
    uscc: str
    flags: tuple[Reason, ...]
    ceiling_fen: int
    ceiling_basis: str  # annex | micro_sales
    wc_outstanding_fen: int
    total_limit_fen: int
    lenders: tuple[str, ...]
    ratio: float | None

    def as_details(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc, "flags": [r.code for r in self.flags], "ceiling_fen": self.ceiling_fen, "ceiling_basis": self.ceiling_basis,
            "wc_outstanding_fen": self.wc_outstanding_fen, "total_limit_fen": self.total_limit_fen, "lenders": list(self.lenders),
            "ratio": self.ratio, "reason": {"zh": " ".join(r.zh for r in self.flags), "en": " ".join(r.en for r in self.flags)},
        }  # fmt: skip


def parse_facilities(rows: Sequence[Mapping[str, str]]) -> list[Facility]:
    """Bureau rows (header is line 1); every bad row reported with its line, nothing kept."""
    out: list[Facility] = []
    problems: list[FieldProblem] = []
    for i, row in enumerate(rows, start=2):
        bad = len(problems)
        try:
            uscc = normalise_uscc(str(row.get("uscc") or ""))
        except InvalidInput as exc:
            problems.append(FieldProblem("uscc", exc.problems[0].problem, i))
            uscc = ""
        lender = str(row.get("lender") or "").strip()
        if not lender:
            problems.append(FieldProblem("lender", "is required", i))
        kind = str(row.get("kind") or "").strip().lower()
        if kind not in KINDS:
            problems.append(FieldProblem("kind", f"must be one of {', '.join(KINDS)}", i))
        amounts = []
        for name in ("limit", "outstanding"):
            try:
                amounts.append(parse_money(row.get(name), name, allow_zero=True).minor)
            except InvalidInput as exc:
                problems.append(FieldProblem(name, exc.problems[0].problem, i))
                amounts.append(0)
        try:
            opened = date.fromisoformat(str(row.get("opened_on") or "").strip())
        except ValueError:
            problems.append(FieldProblem("opened_on", "must be a date YYYY-MM-DD", i))
            opened = date(1970, 1, 1)
        joint = str(row.get("joint") or "").strip().lower()
        if joint not in {"", "0", "1", "true", "false"}:
            problems.append(FieldProblem("joint", "must be true or false", i))
        if len(problems) == bad:
            out.append(Facility(uscc, lender, kind, amounts[0], amounts[1], opened, joint in {"1", "true"}))
    if problems:
        raise InvalidInput("the credit-bureau file is not valid", problems=problems)
    return out


def financing_ceiling(f: TaxFacts, industry: str, p: OverFinanceParams) -> tuple[int, str]:
    """What the business can justify borrowing for working capital, and on which basis. A firm in
    business for less than a year has its sales annualised over the months it has traded (the
    annex formula reads a year's sales)."""
    months = max(1, min(12, int(f.years_in_business * 12)))
    sales = Decimal(f.sales_12m_fen) * 12 / months
    if sales < p.micro_sales_fen:
        share = Decimal(str(p.micro_ceiling_share))
        return int((sales * share).to_integral_value(ROUND_FLOOR)), "micro_sales"
    n = p.need
    margin = Decimal(str(round(f.profit_margin if f.profit_margin is not None else n.default_margin, 6)))
    growth = Decimal(str(round(min(n.max_growth, max(n.min_growth, f.sales_growth)), 6)))
    turnover = Decimal(str(n.turnover.get(industry, n.default_turnover)))
    wc = sales * (1 - margin) * (1 + growth) / turnover
    ceiling = wc * (1 - Decimal(str(n.own_funds_share)))
    return max(0, int(ceiling.to_integral_value(ROUND_FLOOR))), "annex"


def assess(f: TaxFacts, uscc: str, industry: str, facilities: Sequence[Facility], p: OverFinanceParams) -> Finding | None:
    """The firm's finding, or None when nothing is flagged."""
    ceiling, basis = financing_ceiling(f, industry, p)
    wc = sum(x.outstanding_fen for x in facilities if x.kind in WORKING_CAPITAL_KINDS)
    total = sum(x.limit_fen for x in facilities)
    lenders = tuple(sorted({x.lender for x in facilities}))
    ratio = wc / ceiling if ceiling > 0 else None
    basis_zh = f"近12个月销售额的{p.micro_ceiling_share:.0%}" if basis == "micro_sales" else "按流动资金贷款管理暂行办法测算的营运资金需求"
    basis_en = (
        f"{p.micro_ceiling_share:.0%} of the last 12 months' sales"
        if basis == "micro_sales"
        else "the working-capital need (annex formula)"
    )
    flags = []
    if wc > 0 and (ratio is None or ratio > p.max_ratio):
        times = f"{ratio:.1f}" if ratio is not None else "∞"
        flags.append(Reason("OVER_FINANCED", "alert",
                            f"各行流动资金类融资余额合计{yuan(wc)}元，为{basis_zh}（{yuan(ceiling)}元）的{times}倍。",
                            f"Working-capital credit outstanding at all lenders is CNY {yuan(wc)}, {times} times {basis_en} "
                            f"(CNY {yuan(ceiling)})."))  # fmt: skip
    if len(lenders) > p.max_lenders:
        flags.append(Reason("MANY_LENDERS", "alert", f"企业在{len(lenders)}家机构有融资，超过{p.max_lenders}家。",
                            f"The firm borrows from {len(lenders)} lenders (more than {p.max_lenders})."))  # fmt: skip
    if len(lenders) >= p.joint_credit_lenders and total >= p.joint_credit_total_fen and not all(x.joint for x in facilities):
        flags.append(Reason("JOINT_CREDIT", "alert",
                            f"企业在{len(lenders)}家机构授信合计{yuan(total)}元，达到联合授信标准，但尚未纳入联合授信。",
                            f"The firm has CNY {yuan(total)} of credit at {len(lenders)} lenders, at the joint-credit (联合授信) "
                            "threshold, without a joint-credit arrangement."))  # fmt: skip
    if not flags:
        return None
    return Finding(uscc, tuple(flags), ceiling, basis, wc, total, lenders, ratio)
