"""A deterministic generator of small firms' tax records, with whether each defaulted after.

Each firm has a hidden health (a standard normal draw). Health drives what the tax record shows
(sales growth, noise, late filing, arrears, violations, abnormal status, grades, invoice quality)
and, with the shocks the record also shows and a share of luck, whether the firm defaults in
the 12 months after ``as_of``. The record never carries the health itself, so a scorecard must
read it back from the tax data, as a bank would.

Firm ``i`` of seed ``s`` is the same whatever ``n``: a portfolio can grow without changing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from finguard.credit.model.features import FILING_GRACE_DAYS, month_add
from finguard.credit.model.policy import NeedParams
from finguard.credit.model.taxdata import (
    YUAN,
    AbnormalPeriod,
    Arrears,
    Firm,
    Grade,
    GradeRecord,
    IncomeTaxReturn,
    InvoiceMonth,
    TaxpayerType,
    TaxPayment,
    TaxRecord,
    VatReturn,
    Violation,
    make_uscc,
)

# industry -> (weight, median monthly sales in yuan, seasonality over Jan..Dec, VAT burden general)
INDUSTRIES: dict[str, tuple[float, float, tuple[float, ...], float]] = {
    "C": (0.25, 600_000, (0.7, 0.6, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1, 1.2, 1.3), 0.035),  # manufacturing
    "F": (0.10, 800_000, (0.5, 0.4, 0.9, 1.0, 1.1, 1.1, 1.1, 1.1, 1.1, 1.2, 1.2, 1.4), 0.030),  # construction
    "G": (0.30, 400_000, (1.2, 1.1, 0.9, 0.9, 0.9, 1.0, 0.9, 0.9, 1.0, 1.0, 1.1, 1.3), 0.015),  # wholesale / retail
    "H": (0.10, 150_000, (1.3, 1.4, 0.9, 0.9, 1.0, 0.9, 1.1, 1.1, 0.9, 1.2, 0.8, 0.9), 0.020),  # hotels / catering
    "I": (0.10, 300_000, (0.9, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3), 0.045),  # software / IT
    "L": (0.10, 250_000, (0.9, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2), 0.040),  # business services
    "M": (0.05, 200_000, (0.8, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3), 0.045),  # research / tech
}
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "苏州", "宁波", "东莞", "佛山")
WORDS = ("华信", "鑫达", "恒泰", "远航", "金桥", "瑞丰", "宏图", "新源", "天成", "永盛", "博通", "嘉禾", "中瑞", "卓越")
SUFFIX = {"C": "制造", "F": "建设工程", "G": "商贸", "H": "餐饮管理", "I": "信息技术", "L": "企业管理咨询", "M": "科技"}
REGIONS = ("110105", "310115", "440106", "440305", "330106", "320102", "510107", "420106", "320505", "330203")
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DEFAULT_AS_OF = date(2026, 6, 30)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True, slots=True)
class SyntheticFirm:
    record: TaxRecord
    defaulted: bool  # defaulted within 12 months after as_of
    health: float  # hidden: for checking the generator, never a model input
    true_need_fen: int  # hidden: the working capital the business really needs (for planting over-financing)


def _pick_industry(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for code, (w, *_rest) in INDUSTRIES.items():
        acc += w
        if x < acc:
            return code
    return "G"


def synthetic_firm(seed: int, i: int, as_of: date, *, default_shift: float = 0.0) -> SyntheticFirm:
    """Firm ``i`` of ``seed``; ``default_shift`` moves every firm's default log-odds (a drift)."""
    rng = random.Random(seed * 1_000_003 + i)
    h = rng.gauss(0.0, 1.0)
    industry = _pick_industry(rng)
    _w, median, season, vat_burden = INDUSTRIES[industry]
    age_years = min(20.0, 0.6 + rng.expovariate(1 / 6.0))
    registered = as_of - timedelta(days=int(age_years * 365.25))
    base = median * math.exp(rng.gauss(0.0, 0.9))
    general = base * 12 > 5_000_000 or rng.random() < 0.3
    ttype = TaxpayerType.GENERAL if general else TaxpayerType.SMALL
    uscc = make_uscc("91" + rng.choice(REGIONS) + "".join(rng.choice(ORG_CHARS) for _ in range(9)))
    name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{SUFFIX[industry]}有限公司"
    firm = Firm(uscc, name, industry, registered, ttype)

    growth = 0.06 + 0.10 * h + rng.gauss(0.0, 0.08)
    noise = 0.12 + (0.12 if h < -0.5 else 0.0)
    first_month = date(as_of.year, as_of.month, 1)
    start = max(month_add(first_month, -36), month_add(date(registered.year, registered.month, 1), 1))
    n_months = (first_month.year - start.year) * 12 + first_month.month - start.month
    # shocks: a drop lasting a few months; distressed firms also fade at the end
    shock_at = rng.randrange(n_months) if n_months > 0 and rng.random() < 0.12 + (0.15 if h < -1 else 0.0) else -1
    shock_len, shock_depth = rng.randint(2, 6), rng.uniform(0.3, 0.8)
    fade = h < -1.0 and rng.random() < 0.6
    late_p = _sigmoid(-3.2 - 1.3 * h)
    miss_p = _sigmoid(-5.5 - 1.5 * h)
    burden = (vat_burden if general else 0.01) * math.exp(rng.gauss(0.12 * h, 0.15))
    void_p = 0.01 + 0.03 * _sigmoid(-1.5 * h)
    under_invoicing = 0.92 + 0.05 * math.tanh(h) + rng.gauss(0.0, 0.05)

    monthly: list[tuple[date, int]] = []
    invoices: list[InvoiceMonth] = []
    for k in range(n_months):
        m = month_add(start, k)
        t_years = (n_months - k) / 12
        level = base / (1 + growth) ** t_years * season[m.month - 1] * math.exp(rng.gauss(0.0, noise))
        if shock_at >= 0 and shock_at <= k < shock_at + shock_len:
            level *= 1 - shock_depth
        if fade and k >= n_months - 6:
            level *= 0.75 ** (k - n_months + 7)
        if h < -1.8 and rng.random() < 0.15:
            level = 0.0
        sales = int(level) * YUAN
        monthly.append((m, sales))
        count = max(0, int(sales / YUAN / rng.uniform(8_000, 30_000)))
        voided = sum(1 for _ in range(min(count, 60)) if rng.random() < void_p)
        invoices.append(
            InvoiceMonth(
                m,
                count,
                int(sales * max(0.3, under_invoicing + rng.gauss(0, 0.03))) // YUAN * YUAN,
                int(sales * rng.uniform(0.5, 0.8)) // YUAN * YUAN,
                voided,
                int(voided * rng.random() * 0.5),
            )
        )

    vat: list[VatReturn] = []
    payments: list[TaxPayment] = []
    step = 1 if general else 3
    k = 0
    while k < len(monthly):
        m0 = monthly[k][0]
        if step == 3 and (m0.month - 1) % 3 != 0:  # quarterly returns start at a quarter
            k += 1
            continue
        block = monthly[k : k + step]
        if len(block) < step:
            break
        sales = sum(s for _m, s in block)
        tax = int(sales * burden) // YUAN * YUAN
        due = month_add(m0, step) + timedelta(days=FILING_GRACE_DAYS - 1)
        filed: date | None = due - timedelta(days=rng.randint(0, 10))
        if rng.random() < miss_p:
            filed = None
        elif rng.random() < late_p:
            filed = due + timedelta(days=rng.randint(3, 60))
        if filed is not None and filed >= as_of:
            filed = None if due >= as_of else filed
        if filed is not None or due < as_of:
            vat.append(VatReturn(m0, step, sales, tax, filed))
        if filed is not None and filed < as_of and tax > 0:
            payments.append(TaxPayment(filed, "vat", tax))
        k += step

    cit: list[IncomeTaxReturn] = []
    for year in range(as_of.year - 3, as_of.year):
        rev = sum(s for m, s in monthly if m.year == year)
        if rev <= 0:
            continue
        margin = 0.05 + 0.04 * h + rng.gauss(0.0, 0.03)
        profit = int(rev * margin) // YUAN * YUAN
        tax = max(0, int(profit * (0.05 if profit < 300_000_000 else 0.25)) // YUAN * YUAN)
        cit.append(IncomeTaxReturn(year, rev, profit, tax))
        paid = date(year + 1, 5, 31)
        if tax > 0 and paid < as_of:
            payments.append(TaxPayment(paid, "cit", tax))

    arrears: list[Arrears] = []
    for _ in range(2):
        if rng.random() < _sigmoid(-3.6 - 1.4 * h):
            since = as_of - timedelta(days=rng.randint(10, 900))
            settled = None if rng.random() < _sigmoid(-1.0 - 1.0 * h) else since + timedelta(days=rng.randint(5, 90))
            arrears.append(Arrears(since, int(base * rng.uniform(0.005, 0.05)) * YUAN, settled if settled and settled < as_of else None))
    violations: list[Violation] = []
    for _ in range(3):
        if rng.random() < _sigmoid(-3.4 - 1.0 * h):
            on = as_of - timedelta(days=rng.randint(10, 1000))
            serious = rng.random() < _sigmoid(-2.5 - 1.0 * h)
            kind = "虚开发票" if serious else rng.choice(("逾期申报", "未按规定保管发票", "未按期办理登记"))
            violations.append(Violation(on, kind, serious, int(rng.uniform(200, 20_000)) * YUAN))
    abnormal: list[AbnormalPeriod] = []
    if rng.random() < _sigmoid(-6.0 - 1.8 * h):
        since = as_of - timedelta(days=rng.randint(20, 600))
        abnormal.append(AbnormalPeriod(since, None if rng.random() < 0.5 else since + timedelta(days=rng.randint(30, 120))))

    grades: list[GradeRecord] = []
    for year in range(as_of.year - 3, as_of.year):
        if year < registered.year + 1:
            continue
        g_lat = (
            h
            + rng.gauss(0.0, 0.6)
            - 0.6 * sum(1 for v in violations if v.on.year <= year)
            - 0.5 * sum(1 for a in arrears if a.since.year <= year)
        )
        if any(v.serious and v.on.year <= year for v in violations) or any(a.since.year <= year for a in abnormal):
            g = Grade.D
        elif year == registered.year + 1:
            g = Grade.M
        elif g_lat > 0.6:
            g = Grade.A
        elif g_lat > -0.8:
            g = Grade.B
        elif g_lat > -1.8:
            g = Grade.C
        else:
            g = Grade.D
        grades.append(GradeRecord(year, g))

    recent = [s for _m, s in monthly[-6:]]
    earlier = [s for _m, s in monthly[-18:-6]]
    drop = 1.0 if recent and earlier and sum(recent) / len(recent) < 0.6 * sum(earlier) / max(len(earlier), 1) else 0.0
    logit = -3.4 - 1.15 * h + 0.9 * drop + (0.5 if age_years < 3 else 0.0) + default_shift
    defaulted = rng.random() < _sigmoid(logit)

    record = TaxRecord(
        firm=firm,
        as_of=as_of,
        source=f"synthetic:{seed}:{i}",
        grades=tuple(grades),
        vat_returns=tuple(vat),
        income_tax=tuple(cit),
        payments=tuple(sorted(payments, key=lambda p: p.paid_on)),
        arrears=tuple(arrears),
        violations=tuple(violations),
        abnormal=tuple(abnormal),
        invoices=tuple(invoices),
    )
    need = NeedParams()
    true_wc = base * 12 * (1 - (0.05 + 0.04 * h)) * (1 + min(need.max_growth, max(0.0, growth))) / need.turnover.get(industry, 3.0)
    return SyntheticFirm(record, defaulted, h, int(true_wc * (1 - need.own_funds_share)) * YUAN)


def synthetic_portfolio(n: int, *, seed: int = 7, as_of: date = DEFAULT_AS_OF, default_shift: float = 0.0) -> Iterator[SyntheticFirm]:
    for i in range(n):
        yield synthetic_firm(seed, i, as_of, default_shift=default_shift)
