"""What a decision reads from a tax record: facts for the knock-out rules and scorecard features.

Everything is measured at the record's ``as_of`` and looks back over whole months before it, so
the same record always gives the same features (no clock). Amounts stay integer fen; ratios
are floats (they are not money).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from finguard.credit.model.taxdata import GRADE_RANK, Grade, TaxpayerType, TaxRecord

FILING_GRACE_DAYS = 15  # a return is due by the 15th of the month after its period


def month_add(d: date, months: int) -> date:
    m = d.year * 12 + d.month - 1 + months
    return date(m // 12, m % 12 + 1, 1)


def months_back(as_of: date, n: int) -> list[date]:
    """The first days of the ``n`` whole months before ``as_of``'s month, oldest first."""
    first = date(as_of.year, as_of.month, 1)
    return [month_add(first, -k) for k in range(n, 0, -1)]


def years_between(a: date, b: date) -> float:
    return (b - a).days / 365.25


@dataclass(frozen=True, slots=True)
class TaxFacts:
    """The facts the rules, the limit and the scorecard read."""

    as_of: date
    years_in_business: float
    grade: Grade  # the latest published grade (M when none)
    sales_12m_fen: int
    sales_prev_12m_fen: int
    tax_paid_24m_fen: int
    monthly_sales_fen: tuple[int, ...]  # the 24 months before as_of, oldest first
    missing_returns_24m: int  # periods due in the last 24 months with no return filed
    late_returns_24m: int
    arrears_outstanding_fen: int
    arrears_count_24m: int
    violations_24m: int
    serious_violations_24m: int
    abnormal_now: bool
    abnormal_36m: bool
    invoices_issued_12m_fen: int
    invoice_count_12m: int
    invoice_voided_12m: int
    invoice_red_12m: int
    profit_margin: float | None  # latest income-tax return
    general_taxpayer: bool

    @property
    def avg_annual_tax_fen(self) -> int:
        """Average annual tax paid over the last 24 months (the limit's base)."""
        return self.tax_paid_24m_fen // 2

    @property
    def sales_growth(self) -> float:
        if self.sales_prev_12m_fen <= 0:
            return 0.0
        return max(-1.0, min(5.0, self.sales_12m_fen / self.sales_prev_12m_fen - 1.0))


def _monthly_sales(rec: TaxRecord, months: list[date]) -> list[int]:
    index = {m: i for i, m in enumerate(months)}
    out = [0] * len(months)
    for v in rec.vat_returns:
        share, rest = divmod(v.sales_fen, v.months)
        for k in range(v.months):
            i = index.get(month_add(v.period_start, k))
            if i is not None:
                out[i] += share + (rest if k == 0 else 0)
    return out


def _filing(rec: TaxRecord, as_of: date) -> tuple[int, int]:
    """Missing and late returns among the periods due in the 24 months before ``as_of``."""
    window_start = month_add(date(as_of.year, as_of.month, 1), -24)
    quarterly = rec.firm.taxpayer_type is TaxpayerType.SMALL and any(v.months == 3 for v in rec.vat_returns)
    step = 3 if quarterly else 1
    by_start = {v.period_start: v for v in rec.vat_returns}
    # the first return is due for the first whole month (quarter) after registration
    start = max(window_start, month_add(date(rec.firm.registered_on.year, rec.firm.registered_on.month, 1), 1))
    if quarterly and (start.month - 1) % 3:
        start = month_add(start, 3 - (start.month - 1) % 3)
    missing = late = 0
    p = start
    while True:
        due = month_add(p, step) + timedelta(days=FILING_GRACE_DAYS - 1)
        if due >= as_of:
            break
        if p >= window_start:
            v = by_start.get(p)
            if v is None or v.filed_on is None or v.filed_on > as_of:
                missing += 1
            elif v.filed_on > due:
                late += 1
        p = month_add(p, step)
    return missing, late


def tax_facts(rec: TaxRecord) -> TaxFacts:
    as_of = rec.as_of
    months = months_back(as_of, 24)
    monthly = _monthly_sales(rec, months)
    since_24 = months[0]
    since_12 = months[12]
    since_36 = month_add(since_24, -12)
    past = [g for g in rec.grades if g.year < as_of.year]
    grade = max(past, key=lambda g: g.year).grade if past else Grade.M
    missing, late = _filing(rec, as_of)
    arrears_out = sum(a.amount_fen for a in rec.arrears if a.since <= as_of and (a.settled_on is None or a.settled_on > as_of))
    cit = [c for c in rec.income_tax if c.year < as_of.year]
    latest = max(cit, key=lambda c: c.year) if cit else None
    margin = latest.profit_fen / latest.revenue_fen if latest and latest.revenue_fen > 0 else None
    inv12 = [i for i in rec.invoices if since_12 <= i.month < date(as_of.year, as_of.month, 1)]
    return TaxFacts(
        as_of=as_of,
        years_in_business=years_between(rec.firm.registered_on, as_of),
        grade=grade,
        sales_12m_fen=sum(monthly[12:]),
        sales_prev_12m_fen=sum(monthly[:12]),
        tax_paid_24m_fen=sum(p.amount_fen for p in rec.payments if since_24 <= p.paid_on < as_of),
        monthly_sales_fen=tuple(monthly),
        missing_returns_24m=missing,
        late_returns_24m=late,
        arrears_outstanding_fen=arrears_out,
        arrears_count_24m=sum(1 for a in rec.arrears if since_24 <= a.since <= as_of),
        violations_24m=sum(1 for v in rec.violations if since_24 <= v.on <= as_of),
        serious_violations_24m=sum(1 for v in rec.violations if v.serious and since_24 <= v.on <= as_of),
        abnormal_now=any(a.since <= as_of and (a.lifted_on is None or a.lifted_on > as_of) for a in rec.abnormal),
        abnormal_36m=any(a.since <= as_of and (a.lifted_on is None or a.lifted_on >= since_36) for a in rec.abnormal),
        invoices_issued_12m_fen=sum(i.issued_fen for i in inv12),
        invoice_count_12m=sum(i.issued_count for i in inv12),
        invoice_voided_12m=sum(i.voided_count for i in inv12),
        invoice_red_12m=sum(i.red_count for i in inv12),
        profit_margin=margin,
        general_taxpayer=rec.firm.taxpayer_type is TaxpayerType.GENERAL,
    )


# The scorecard's features: name -> (Chinese, English) label. Order is the model's column order.
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "years_in_business": ("经营年限", "years in business"),
    "grade_rank": ("纳税信用等级", "tax-credit grade"),
    "log_sales_12m": ("近12个月销售规模", "sales over the last 12 months"),
    "sales_growth": ("销售同比增长", "sales growth on the year before"),
    "sales_cv": ("月度销售波动", "month-to-month swings in sales"),
    "zero_sales_months": ("零申报月数", "months with no sales declared"),
    "recent_trend": ("近3个月销售走势", "sales trend in the last 3 months"),
    "tax_burden": ("税负率", "tax paid relative to sales"),
    "late_returns": ("逾期申报次数", "returns filed late"),
    "arrears_count": ("欠税次数", "times in tax arrears"),
    "violations": ("税务违章次数", "tax violations"),
    "invoice_void_ratio": ("发票作废率", "share of invoices voided or credited"),
    "invoice_sales_ratio": ("开票与申报销售之比", "invoiced amount against declared sales"),
    "profit_margin": ("利润率", "profit margin"),
}
FEATURES: tuple[str, ...] = tuple(FEATURE_LABELS)


def feature_vector(f: TaxFacts) -> dict[str, float]:
    """The scorecard's inputs; every feature is defined for every record (no missing values)."""
    m12 = f.monthly_sales_fen[12:]
    mean12 = sum(m12) / 12
    sd = math.sqrt(sum((x - mean12) ** 2 for x in m12) / 12)
    prior9 = sum(m12[:9]) / 9
    last3 = sum(m12[9:]) / 3
    issued = max(f.invoice_count_12m, 1)
    return {
        "years_in_business": round(f.years_in_business, 2),
        "grade_rank": float(GRADE_RANK[f.grade]),
        "log_sales_12m": math.log10(1 + f.sales_12m_fen / 100),
        "sales_growth": f.sales_growth,
        "sales_cv": sd / mean12 if mean12 > 0 else 3.0,
        "zero_sales_months": float(sum(1 for x in m12 if x <= 0)),
        "recent_trend": min(3.0, last3 / prior9) if prior9 > 0 else (1.0 if last3 > 0 else 0.0),
        "tax_burden": min(0.5, f.tax_paid_24m_fen / 2 / f.sales_12m_fen) if f.sales_12m_fen > 0 else 0.0,
        "late_returns": float(f.late_returns_24m + f.missing_returns_24m),
        "arrears_count": float(f.arrears_count_24m),
        "violations": float(f.violations_24m),
        "invoice_void_ratio": (f.invoice_voided_12m + f.invoice_red_12m) / issued,
        "invoice_sales_ratio": min(3.0, f.invoices_issued_12m_fen / f.sales_12m_fen) if f.sales_12m_fen > 0 else 0.0,
        "profit_margin": max(-1.0, min(1.0, f.profit_margin)) if f.profit_margin is not None else 0.0,
    }
