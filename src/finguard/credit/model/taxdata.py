"""A firm's tax record as the tax bureau reports it (税务数据), and its documented JSON form.

Amounts are integer fen. On the wire (JSON and CSV, docs/credit-tax-data.md) an amount is a
decimal string of yuan (``"12345.67"``) or an integer; a JSON float is refused, since a binary
fraction cannot carry a fen exactly. Every parse problem names its field (and line in CSV).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import parse_money

YUAN = 100


class Grade(StrEnum):
    """纳税信用等级, best to worst. M is the grade of a new firm with no adverse record."""

    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"


GRADE_RANK = {Grade.A: 0, Grade.B: 1, Grade.M: 2, Grade.C: 3, Grade.D: 4}


class TaxpayerType(StrEnum):
    GENERAL = "general"  # 一般纳税人
    SMALL = "small"  # 小规模纳税人


@dataclass(frozen=True, slots=True)
class Firm:
    uscc: str  # 统一社会信用代码, GB 32100-2015, check digit verified
    name: str
    industry: str  # 国民经济行业分类 section letter (GB/T 4754), e.g. "C" manufacturing
    registered_on: date
    taxpayer_type: TaxpayerType


@dataclass(frozen=True, slots=True)
class GradeRecord:
    year: int
    grade: Grade


@dataclass(frozen=True, slots=True)
class VatReturn:
    """增值税申报: one period (a month, or a quarter for a small-scale taxpayer)."""

    period_start: date  # first day of the period
    months: int  # 1 or 3
    sales_fen: int
    tax_fen: int
    filed_on: date | None  # None: not filed


@dataclass(frozen=True, slots=True)
class IncomeTaxReturn:
    """企业所得税年度申报."""

    year: int
    revenue_fen: int
    profit_fen: int
    tax_fen: int


@dataclass(frozen=True, slots=True)
class TaxPayment:
    paid_on: date
    kind: str  # vat, cit, other
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Arrears:
    """欠税: outstanding until ``settled_on``."""

    since: date
    amount_fen: int
    settled_on: date | None


@dataclass(frozen=True, slots=True)
class Violation:
    """税务违法违章: ``serious`` for 重大税收违法失信."""

    on: date
    kind: str
    serious: bool
    penalty_fen: int


@dataclass(frozen=True, slots=True)
class AbnormalPeriod:
    """非正常户: a period the firm was listed as an abnormal taxpayer."""

    since: date
    lifted_on: date | None


@dataclass(frozen=True, slots=True)
class InvoiceMonth:
    """发票汇总: one month's issued and received invoices."""

    month: date  # first day of the month
    issued_count: int
    issued_fen: int
    received_fen: int
    voided_count: int
    red_count: int  # 红字发票 (credit notes)


@dataclass(frozen=True, slots=True)
class TaxRecord:
    """Everything the bank holds about one firm from one fetch of the tax feed."""

    firm: Firm
    as_of: date  # the feed's date: nothing after it is known
    source: str  # which feed said it (file path, bureau endpoint)
    grades: tuple[GradeRecord, ...] = ()
    vat_returns: tuple[VatReturn, ...] = ()
    income_tax: tuple[IncomeTaxReturn, ...] = ()
    payments: tuple[TaxPayment, ...] = ()
    arrears: tuple[Arrears, ...] = ()
    violations: tuple[Violation, ...] = ()
    abnormal: tuple[AbnormalPeriod, ...] = ()
    invoices: tuple[InvoiceMonth, ...] = field(default=())


# ---- parsing -----------------------------------------------------------------------------


def yuan_to_fen(value: str, field_name: str, *, allow_zero: bool = False) -> int:
    """An amount typed by a person ("500000", "1,234.50") in fen, through the one money parser."""
    return parse_money(value, field_name, allow_zero=allow_zero).minor


def normalise_uscc(value: str) -> str:
    """The 18-character USCC, upper case, check digit verified; InvalidInput otherwise."""
    try:
        return str(_uscc.validate(value))
    except ValidationError as exc:
        raise InvalidInput.for_field("uscc", f"not a valid unified social credit code ({exc})") from None


def make_uscc(registration: str) -> str:
    """A USCC from its first 17 characters (used by the generator)."""
    return registration + str(_uscc.calc_check_digit(registration))


class _Reader:
    """Collects every problem of one document before raising, so a caller sees them all."""

    def __init__(self, line: int | None = None) -> None:
        self.problems: list[FieldProblem] = []
        self.line = line

    def bad(self, name: str, problem: str) -> None:
        self.problems.append(FieldProblem(name, problem, self.line))

    def text(self, obj: Mapping[str, Any], key: str, name: str, *, required: bool = True) -> str:
        v = obj.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self.bad(name, "is required")
            return ""
        if not isinstance(v, str):
            self.bad(name, "must be a string")
            return ""
        return v.strip()

    def money(self, obj: Mapping[str, Any], key: str, name: str, *, required: bool = True, negative: bool = False) -> int:
        v = obj.get(key)
        if v is None or v == "":
            if required:
                self.bad(name, 'is required (yuan as a decimal string, e.g. "1234.50")')
            return 0
        try:
            return parse_money(v, name, allow_zero=True, allow_negative=negative).minor
        except InvalidInput as exc:
            self.bad(name, exc.problems[0].problem)
            return 0

    def count(self, obj: Mapping[str, Any], key: str, name: str) -> int:
        v = obj.get(key, 0)
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            self.bad(name, "must be a whole number >= 0")
            return 0
        return v

    def day(self, obj: Mapping[str, Any], key: str, name: str, *, required: bool = True) -> date | None:
        v = obj.get(key)
        if v is None or v == "":
            if required:
                self.bad(name, "is required (YYYY-MM-DD)")
            return None
        try:
            return date.fromisoformat(str(v).strip())
        except ValueError:
            self.bad(name, "must be a date YYYY-MM-DD")
            return None

    def month(self, obj: Mapping[str, Any], key: str, name: str) -> date | None:
        v = obj.get(key)
        s = str(v).strip() if v is not None else ""
        if not re.fullmatch(r"\d{4}-\d{2}", s) or not 1 <= int(s[5:]) <= 12:
            self.bad(name, "must be a month YYYY-MM")
            return None
        return date(int(s[:4]), int(s[5:]), 1)

    def year(self, obj: Mapping[str, Any], key: str, name: str) -> int:
        v = obj.get(key)
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())
        if isinstance(v, bool) or not isinstance(v, int) or not 1980 <= v <= 2100:
            self.bad(name, "must be a year between 1980 and 2100")
            return 0
        return v

    def flag(self, obj: Mapping[str, Any], key: str, name: str) -> bool:
        v = obj.get(key, False)
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in {"true", "false", "1", "0", "yes", "no", ""}:
            return v.strip().lower() in {"true", "1", "yes"}
        self.bad(name, "must be true or false")
        return False

    def choice(self, obj: Mapping[str, Any], key: str, name: str, options: type[StrEnum]) -> Any:
        v = self.text(obj, key, name)
        if not v:
            return None
        try:
            return options(v.upper() if options is Grade else v.lower())
        except ValueError:
            self.bad(name, f"must be one of {', '.join(o.value for o in options)}")
            return None


def parse_firm(obj: Mapping[str, Any], r: _Reader, prefix: str = "firm") -> Firm | None:
    raw = r.text(obj, "uscc", f"{prefix}.uscc")
    uscc = ""
    if raw:
        try:
            uscc = normalise_uscc(raw)
        except InvalidInput as exc:
            r.bad(f"{prefix}.uscc", exc.problems[0].problem)
    name = r.text(obj, "name", f"{prefix}.name")
    industry = r.text(obj, "industry", f"{prefix}.industry")
    if industry and not re.fullmatch(r"[A-T]", industry.upper()):
        r.bad(f"{prefix}.industry", "must be a GB/T 4754 section letter A-T")
    registered = r.day(obj, "registered_on", f"{prefix}.registered_on")
    ttype = r.choice(obj, "taxpayer_type", f"{prefix}.taxpayer_type", TaxpayerType)
    if not (uscc and name and industry and registered and ttype):
        return None
    return Firm(uscc, name, industry.upper(), registered, ttype)


def _items(obj: Mapping[str, Any], key: str, r: _Reader) -> list[tuple[str, Mapping[str, Any]]]:
    v = obj.get(key, [])
    if not isinstance(v, list):
        r.bad(key, "must be a list")
        return []
    out = []
    for i, item in enumerate(v):
        if not isinstance(item, Mapping):
            r.bad(f"{key}[{i}]", "must be an object")
            continue
        out.append((f"{key}[{i}]", item))
    return out


def parse_grade(item: Mapping[str, Any], r: _Reader, p: str) -> GradeRecord | None:
    y, g = r.year(item, "year", f"{p}.year"), r.choice(item, "grade", f"{p}.grade", Grade)
    return GradeRecord(y, g) if y and g else None


def parse_vat(item: Mapping[str, Any], r: _Reader, p: str) -> VatReturn | None:
    start = r.month(item, "period", f"{p}.period")
    months = r.count(item, "months", f"{p}.months") if "months" in item else 1
    if months not in (1, 3):
        r.bad(f"{p}.months", "must be 1 (monthly) or 3 (quarterly)")
    sales, tax = r.money(item, "sales", f"{p}.sales"), r.money(item, "tax", f"{p}.tax")
    filed = r.day(item, "filed_on", f"{p}.filed_on", required=False)
    return VatReturn(start, months, sales, tax, filed) if start and months in (1, 3) else None


def parse_cit(item: Mapping[str, Any], r: _Reader, p: str) -> IncomeTaxReturn:
    return IncomeTaxReturn(
        r.year(item, "year", f"{p}.year"),
        r.money(item, "revenue", f"{p}.revenue"),
        r.money(item, "profit", f"{p}.profit", negative=True),
        r.money(item, "tax", f"{p}.tax"),
    )


def parse_payment(item: Mapping[str, Any], r: _Reader, p: str) -> TaxPayment | None:
    d = r.day(item, "paid_on", f"{p}.paid_on")
    kind = r.text(item, "kind", f"{p}.kind", required=False) or "vat"
    amount = r.money(item, "amount", f"{p}.amount")
    return TaxPayment(d, kind, amount) if d else None


def parse_arrears(item: Mapping[str, Any], r: _Reader, p: str) -> Arrears | None:
    since = r.day(item, "since", f"{p}.since")
    amount = r.money(item, "amount", f"{p}.amount")
    settled = r.day(item, "settled_on", f"{p}.settled_on", required=False)
    return Arrears(since, amount, settled) if since else None


def parse_violation(item: Mapping[str, Any], r: _Reader, p: str) -> Violation | None:
    on = r.day(item, "on", f"{p}.on")
    kind = r.text(item, "kind", f"{p}.kind")
    serious = r.flag(item, "serious", f"{p}.serious")
    penalty = r.money(item, "penalty", f"{p}.penalty", required=False)
    return Violation(on, kind, serious, penalty) if on and kind else None


def parse_abnormal(item: Mapping[str, Any], r: _Reader, p: str) -> AbnormalPeriod | None:
    since = r.day(item, "since", f"{p}.since")
    lifted = r.day(item, "lifted_on", f"{p}.lifted_on", required=False)
    return AbnormalPeriod(since, lifted) if since else None


def parse_invoice(item: Mapping[str, Any], r: _Reader, p: str) -> InvoiceMonth | None:
    m = r.month(item, "month", f"{p}.month")
    inv = InvoiceMonth(
        m or date(1970, 1, 1),
        r.count(item, "issued_count", f"{p}.issued_count"),
        r.money(item, "issued", f"{p}.issued"),
        r.money(item, "received", f"{p}.received"),
        r.count(item, "voided_count", f"{p}.voided_count"),
        r.count(item, "red_count", f"{p}.red_count"),
    )
    return inv if m else None


SECTIONS: dict[str, Any] = {
    "grades": parse_grade,
    "vat_returns": parse_vat,
    "income_tax": parse_cit,
    "payments": parse_payment,
    "arrears": parse_arrears,
    "violations": parse_violation,
    "abnormal": parse_abnormal,
    "invoices": parse_invoice,
}


def parse_record(doc: Any, *, source: str) -> TaxRecord:
    """A tax record from its JSON document (docs/credit-tax-data.md); every problem at once."""
    r = _Reader()
    if not isinstance(doc, Mapping):
        raise InvalidInput("the tax record must be a JSON object", problems=[FieldProblem("$", "must be an object")])
    firm_obj = doc.get("firm")
    firm = parse_firm(firm_obj, r) if isinstance(firm_obj, Mapping) else None
    if not isinstance(firm_obj, Mapping):
        r.bad("firm", "is required (an object)")
    as_of = r.day(doc, "as_of", "as_of")
    parts: dict[str, list[Any]] = {}
    for key, fn in SECTIONS.items():
        parts[key] = [x for p, item in _items(doc, key, r) if (x := fn(item, r, p)) is not None]
    if r.problems or firm is None or as_of is None:
        raise InvalidInput("the tax record is not valid", problems=r.problems or [FieldProblem("firm", "is required")])
    return TaxRecord(firm=firm, as_of=as_of, source=source, **{k: tuple(v) for k, v in parts.items()})


def _money_out(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // YUAN}.{abs(fen) % YUAN:02d}"


def _d(d: date | None) -> str | None:
    return d.isoformat() if d else None


def record_to_doc(rec: TaxRecord) -> dict[str, Any]:
    """The JSON document of a record; ``parse_record(record_to_doc(r))`` gives ``r`` back."""
    f = rec.firm
    return {
        "as_of": rec.as_of.isoformat(),
        "firm": {
            "uscc": f.uscc,
            "name": f.name,
            "industry": f.industry,
            "registered_on": f.registered_on.isoformat(),
            "taxpayer_type": f.taxpayer_type.value,
        },
        "grades": [{"year": g.year, "grade": g.grade.value} for g in rec.grades],
        "vat_returns": [
            {
                "period": v.period_start.strftime("%Y-%m"),
                "months": v.months,
                "sales": _money_out(v.sales_fen),
                "tax": _money_out(v.tax_fen),
                "filed_on": _d(v.filed_on),
            }
            for v in rec.vat_returns
        ],
        "income_tax": [
            {"year": c.year, "revenue": _money_out(c.revenue_fen), "profit": _money_out(c.profit_fen), "tax": _money_out(c.tax_fen)}
            for c in rec.income_tax
        ],
        "payments": [{"paid_on": p.paid_on.isoformat(), "kind": p.kind, "amount": _money_out(p.amount_fen)} for p in rec.payments],
        "arrears": [
            {"since": a.since.isoformat(), "amount": _money_out(a.amount_fen), "settled_on": _d(a.settled_on)} for a in rec.arrears
        ],
        "violations": [
            {"on": v.on.isoformat(), "kind": v.kind, "serious": v.serious, "penalty": _money_out(v.penalty_fen)} for v in rec.violations
        ],
        "abnormal": [{"since": a.since.isoformat(), "lifted_on": _d(a.lifted_on)} for a in rec.abnormal],
        "invoices": [
            {
                "month": i.month.strftime("%Y-%m"),
                "issued_count": i.issued_count,
                "issued": _money_out(i.issued_fen),
                "received": _money_out(i.received_fen),
                "voided_count": i.voided_count,
                "red_count": i.red_count,
            }
            for i in rec.invoices
        ],
    }


# ---- CSV tables: one file per section, each row keyed by uscc ------------------------------

CSV_TABLES: dict[str, tuple[str, ...]] = {
    "firms": ("uscc", "name", "industry", "registered_on", "taxpayer_type", "as_of"),
    "grades": ("uscc", "year", "grade"),
    "vat_returns": ("uscc", "period", "months", "sales", "tax", "filed_on"),
    "income_tax": ("uscc", "year", "revenue", "profit", "tax"),
    "payments": ("uscc", "paid_on", "kind", "amount"),
    "arrears": ("uscc", "since", "amount", "settled_on"),
    "violations": ("uscc", "on", "kind", "serious", "penalty"),
    "abnormal": ("uscc", "since", "lifted_on"),
    "invoices": ("uscc", "month", "issued_count", "issued", "received", "voided_count", "red_count"),
}


def records_from_tables(tables: Mapping[str, Sequence[Mapping[str, str]]], *, source: str) -> list[TaxRecord]:
    """Records from CSV rows (``tables[name]`` = rows of ``name.csv``, header excluded).

    Line numbers in problems count the header as line 1. A section row whose uscc is not in
    ``firms`` is a problem, never silently dropped.
    """
    problems: list[FieldProblem] = []
    docs: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(tables.get("firms", ()), start=2):
        r = _Reader(i)
        firm = parse_firm(row, r, "firms")
        as_of = r.day(row, "as_of", "firms.as_of")
        problems += r.problems
        if firm and as_of:
            if firm.uscc in docs:
                problems.append(FieldProblem("firms.uscc", f"{firm.uscc} appears twice", i))
            docs[firm.uscc] = {"firm": firm, "as_of": as_of, **{k: [] for k in SECTIONS}}
    for key, fn in SECTIONS.items():
        for i, row in enumerate(tables.get(key, ()), start=2):
            r = _Reader(i)
            raw = str(row.get("uscc") or "").strip().upper()
            doc = docs.get(raw)
            if doc is None:
                problems.append(FieldProblem(f"{key}.uscc", f"{raw or '(empty)'} is not in firms.csv", i))
                continue
            item = fn(row, r, key)
            problems += r.problems
            if item is not None:
                doc[key].append(item)
    if problems:
        raise InvalidInput("the tax tables are not valid", problems=problems)
    return [TaxRecord(firm=d["firm"], as_of=d["as_of"], source=source, **{k: tuple(d[k]) for k in SECTIONS}) for d in docs.values()]


def records_to_tables(records: Sequence[TaxRecord]) -> dict[str, list[dict[str, Any]]]:
    """The CSV rows of records (the inverse of ``records_from_tables``)."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in CSV_TABLES}
    for rec in records:
        doc = record_to_doc(rec)
        out["firms"].append({**doc["firm"], "as_of": doc["as_of"]})
        for key in SECTIONS:
            for item in doc[key]:
                out[key].append({"uscc": rec.firm.uscc, **{k: ("" if v is None else v) for k, v in item.items()}})
    return out
