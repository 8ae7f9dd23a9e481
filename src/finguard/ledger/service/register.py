"""The account register (#13): record settlement accounts opened, changed and closed, one by one
(the API) or from a CSV file, all or nothing: any bad row refuses the whole file, each problem
naming its line and field (an ID number is never echoed back, in an error or a log)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from finguard.core.csvheader import not_csv
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.exports import unsafe_cell
from finguard.ledger.model import AccountEvent, parse_account_event

# The CSV's columns (docs/robots.md): the codes, or their Chinese headings.
COLUMNS = ("account", "event", "event_date", "account_type", "holder_name", "id_type", "id_number", "branch_code", "reason")
HEADINGS_ZH = {
    "账号": "account",
    "事件": "event",
    "日期": "event_date",
    "账户类型": "account_type",
    "户名": "holder_name",
    "证件类型": "id_type",
    "证件号码": "id_number",
    "开户网点": "branch_code",
    "网点代码": "branch_code",
    "原因": "reason",
}
MAX_ROWS = 200_000
MAX_PROBLEMS = 100


class RegisterStore(Protocol):
    def record(self, events: list[AccountEvent], actor: str, source: str, now: datetime) -> int: ...
    def on_day(self, day: date) -> list[AccountEvent]: ...
    def of_account(self, account: str, limit: int = 200) -> list[AccountEvent]: ...


@dataclass(frozen=True, slots=True)
class RegisterReport:
    rows: int
    added: int
    already_recorded: int


class AccountRegister:
    def __init__(self, store: RegisterStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def record(self, raw: list[dict[str, object]], actor: str, source: str = "api") -> RegisterReport:
        problems: list[FieldProblem] = []
        events: list[AccountEvent] = []
        for i, item in enumerate(raw, 1):
            try:
                events.append(parse_account_event(item))
            except InvalidInput as exc:
                problems.extend(FieldProblem(f"events[{i - 1}].{p.field}", p.problem, i) for p in exc.problems)
        if problems:
            raise InvalidInput(
                f"{len(problems)} problem(s); nothing was recorded. First: {problems[0].field}: {problems[0].problem}",
                problems=problems[:MAX_PROBLEMS],
            )
        if not events:
            raise InvalidInput.for_field("events", "is empty")
        added = self.store.record(events, actor, source, self.clock())
        return RegisterReport(len(events), added, len(events) - added)

    def import_csv(self, data: bytes, actor: str, source: str) -> RegisterReport:
        """A CSV (UTF-8, or GB18030 as Chinese spreadsheets save it) with the columns of
        ``COLUMNS`` (or their Chinese headings) in any order."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise InvalidInput.for_field("file", "is neither UTF-8 nor GB18030 text; nothing was recorded") from None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            return self._import_rows(reader, actor, source)
        except csv.Error as exc:  # a field over csv.field_size_limit, say: named, nothing recorded
            raise not_csv("file", exc, max(reader.line_num, 1)) from None

    def _import_rows(self, reader: Any, actor: str, source: str) -> RegisterReport:
        header = next(reader, None)
        if header is None:
            raise InvalidInput.for_field("file", "is empty; nothing was recorded")
        names = [HEADINGS_ZH.get(h.strip(), h.strip().lower()) for h in header]
        missing = [c for c in COLUMNS if c not in names and c != "reason"]
        if missing:
            raise InvalidInput.for_field("header", f"missing column(s): {', '.join(missing)}; nothing was recorded")
        problems: list[FieldProblem] = []
        events: list[AccountEvent] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(events) + len(problems) >= MAX_ROWS:
                raise InvalidInput.for_field("file", f"has more than {MAX_ROWS} rows; split it")
            if len(row) != len(names):
                problems.append(FieldProblem("columns", f"expected {len(names)} columns, found {len(row)}", line))
                continue
            if nul := next((n for n, v in zip(names, row, strict=True) if "\x00" in v), None):  # PostgreSQL cannot store it
                problems.append(FieldProblem(nul, "holds a NUL character", line))
                continue
            try:
                events.append(parse_account_event({n: unsafe_cell(v) for n, v in zip(names, row, strict=True)}))
            except InvalidInput as exc:
                problems.extend(FieldProblem(p.field, p.problem, line) for p in exc.problems)
        if problems:
            first = problems[0]
            raise InvalidInput(
                f"{len(problems)} problem(s); nothing was recorded. First: line {first.line}: {first.field}: {first.problem}",
                problems=problems[:MAX_PROBLEMS],
            )
        if not events:
            raise InvalidInput.for_field("file", "holds no rows; nothing was recorded")
        added = self.store.record(events, actor, source, self.clock())
        return RegisterReport(len(events), added, len(events) - added)

    def on_day(self, day: date) -> list[AccountEvent]:
        return self.store.on_day(day)

    def of_account(self, account: str) -> list[AccountEvent]:
        return self.store.of_account(account)
