"""A loan on the book: its terms and the borrower facts the relief policies look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import parse_money
from finguard.loans.model.daycount import DayCount
from finguard.loans.model.eligibility import Borrower, FirmSize
from finguard.loans.model.money import parse_rate
from finguard.loans.model.schedule import LoanTerms, Method

LOAN_FIELDS = ("loan_id", "customer_id", "branch", "principal", "annual_rate", "term_months", "start", "method", "day_count",
               "industry", "firm_size", "total_credit", "impact_documented", "days_past_due")


@dataclass(frozen=True, slots=True)
class Loan:
    loan_id: str
    customer_id: str
    branch: str
    terms: LoanTerms
    industry: str
    firm_size: FirmSize
    total_credit_fen: int
    impact_documented: bool
    days_past_due: int

    def borrower(self) -> Borrower:
        return Borrower(self.loan_id, self.customer_id, self.industry, self.firm_size, self.total_credit_fen,
                        self.impact_documented, self.days_past_due)

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        return {
            "loan_id": self.loan_id, "customer_id": self.customer_id, "branch": self.branch, "principal_fen": t.principal_fen,
            "annual_rate": str(t.annual_rate), "term_months": t.term_months, "start": t.start.isoformat(), "method": t.method.value,
            "day_count": t.day_count.value, "industry": self.industry, "firm_size": self.firm_size.value,
            "total_credit_fen": self.total_credit_fen, "impact_documented": self.impact_documented, "days_past_due": self.days_past_due,
        }


def _text(data: dict[str, Any], name: str, problems: list[FieldProblem], line: int | None, limit: int = 64) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        problems.append(FieldProblem(name, f"must be a non-empty text of at most {limit} characters", line))
        return ""
    return value.strip()


def _amount(data: dict[str, Any], name: str, problems: list[FieldProblem], line: int | None) -> int:
    """Yuan as a decimal string ("1234.56"), or ``<name>_fen`` as a whole number of fen. Never a float."""
    fen = data.get(f"{name}_fen")
    if fen is not None:
        if isinstance(fen, str) and fen.strip().isdigit():
            return int(fen)
        if isinstance(fen, int) and not isinstance(fen, bool) and fen >= 0:
            return fen
        problems.append(FieldProblem(f"{name}_fen", "must be a whole number of fen >= 0", line))
        return 0
    raw = data.get(name)
    if not isinstance(raw, str):
        problems.append(FieldProblem(name, "must be an amount in yuan as text, e.g. \"1234.56\" (a JSON number is refused)", line))
        return 0
    try:
        return parse_money(raw, name, "CNY", allow_zero=name != "principal").minor
    except InvalidInput as exc:
        problems.extend(FieldProblem(p.field, p.problem, line) for p in exc.problems)
        return 0


def parse_terms(data: dict[str, Any], line: int | None = None, problems: list[FieldProblem] | None = None) -> LoanTerms | None:
    """Loan terms from text fields (amounts in yuan or ``principal_fen``, rates as text); bad
    fields are added to ``problems`` (or raised as InvalidInput when none is given)."""
    raise_now = problems is None
    found: list[FieldProblem] = [] if problems is None else problems
    before = len(found)
    principal = _amount(data, "principal", found, line)
    rate = Decimal(0)
    raw_rate = data.get("annual_rate")
    if isinstance(raw_rate, str):
        try:
            rate = parse_rate(raw_rate)
        except ValueError as exc:
            found.append(FieldProblem("annual_rate", str(exc), line))
    else:
        found.append(FieldProblem("annual_rate", "must be text: \"0.0435\" or \"4.35%\" (a JSON number is refused)", line))
    term = data.get("term_months")
    if isinstance(term, str) and term.strip().isdigit():
        term = int(term)
    if isinstance(term, bool) or not isinstance(term, int):
        found.append(FieldProblem("term_months", "must be a whole number of months", line))
        term = 0
    start = date(1970, 1, 1)
    try:
        start = date.fromisoformat(str(data.get("start", "")))
    except ValueError:
        found.append(FieldProblem("start", "must be a date YYYY-MM-DD", line))
    method = data.get("method", Method.EQUAL_INSTALMENT.value)
    if method not in {m.value for m in Method}:
        found.append(FieldProblem("method", f"must be one of {', '.join(m.value for m in Method)}", line))
    day_count = data.get("day_count", DayCount.THIRTY_360.value)
    if day_count not in {d.value for d in DayCount}:
        found.append(FieldProblem("day_count", f"must be one of {', '.join(d.value for d in DayCount)}", line))
    terms = None
    if len(found) == before:
        try:
            terms = LoanTerms(principal, rate, term, start, Method(method), DayCount(day_count))
        except InvalidInput as exc:
            names = {"principal_fen": "principal"}
            found.extend(FieldProblem(names.get(p.field, p.field), p.problem, line) for p in exc.problems)
    if raise_now and (terms is None or len(found) > before):
        raise InvalidInput("invalid loan terms", problems=found)
    return terms


def terms_from(data: dict[str, Any]) -> LoanTerms:
    """Loan terms from text fields, or InvalidInput naming every bad field."""
    problems: list[FieldProblem] = []
    terms = parse_terms(data, None, problems)
    if problems or terms is None:
        raise InvalidInput("invalid loan terms", problems=problems)
    return terms


def parse_loan(data: dict[str, Any], line: int | None = None) -> Loan:
    """A loan from a CSV row or a JSON object; every bad field is reported at once (InvalidInput)."""
    problems: list[FieldProblem] = []
    loan_id = _text(data, "loan_id", problems, line)
    customer_id = _text(data, "customer_id", problems, line)
    branch = _text(data, "branch", problems, line)
    industry = _text(data, "industry", problems, line, 16)
    terms = parse_terms(data, line, problems)
    credit = _amount(data, "total_credit", problems, line) if ("total_credit" in data or "total_credit_fen" in data) else None
    size = data.get("firm_size")
    if size not in {s.value for s in FirmSize}:
        problems.append(FieldProblem("firm_size", f"must be one of {', '.join(s.value for s in FirmSize)}", line))
    impact = data.get("impact_documented", False)
    if isinstance(impact, str) and impact.strip().lower() in {"true", "false", "yes", "no", "1", "0", ""}:
        impact = impact.strip().lower() in {"true", "yes", "1"}
    if not isinstance(impact, bool):
        problems.append(FieldProblem("impact_documented", "must be true or false", line))
    dpd = data.get("days_past_due", 0)
    if isinstance(dpd, str) and dpd.strip().isdigit():
        dpd = int(dpd)
    if isinstance(dpd, bool) or not isinstance(dpd, int) or dpd < 0:
        problems.append(FieldProblem("days_past_due", "must be a whole number >= 0", line))
        dpd = 0
    if problems or terms is None:
        raise InvalidInput("invalid loan", problems=problems)
    total_credit = terms.principal_fen if credit is None else credit
    return Loan(loan_id, customer_id, branch, terms, industry, FirmSize(str(size)), total_credit, bool(impact), dpd)
