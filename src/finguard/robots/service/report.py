"""The daily settlement report: cases opened, closed (by disposition) and past their SLA, and alerts
by source, for one China-time day, as CSV (the summary) and XLSX (the summary and the cases).
Every text cell goes through ``core.exports.safe_cell``. Layout: docs/robots.md."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from openpyxl import Workbook

from finguard.alerts.model.cases import alert_queue
from finguard.core.exports import safe_cell
from finguard.robots.model import CASE_COLUMNS, REPORT_COLUMNS, CaseLine, DayReport, china_day, day_report, parse_day, today
from finguard.robots.service.runner import Context

KIND = "settlement"


class ReportStore(Protocol):
    def case_lines(self, start: datetime, end: datetime) -> list[CaseLine]: ...
    def alert_kinds(self, start: datetime, end: datetime) -> dict[str, int]: ...
    def save(self, kind: str, day: date, final: bool, rows: int, csv: bytes, xlsx: bytes, run_id: int | None,
             now: datetime) -> tuple[Any, bool]: ...
    def reports(self, limit: int) -> list[Any]: ...
    def content(self, report_id: int, fmt: str) -> tuple[Any, bytes] | None: ...


def _case_cells(line: tuple[CaseLine, bool, bool, bool]) -> list[Any]:
    c, opened, closed, breached = line
    return [c.id, c.kind, c.severity, c.queue, c.state, safe_cell(c.subject), c.created_at.isoformat(),
            c.due_at.isoformat(), c.closed_at.isoformat() if c.closed_at else "", c.disposition or "",
            int(opened), int(closed), int(breached)]


def to_csv(report: DayReport) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPORT_COLUMNS)
    for section, group, n in report.rows:
        w.writerow([report.day.isoformat(), section, safe_cell(group), n])
    return buf.getvalue().encode("utf-8")


def to_xlsx(report: DayReport) -> bytes:
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "summary"
    summary.append(list(REPORT_COLUMNS))
    for section, group, n in report.rows:
        summary.append([report.day.isoformat(), section, safe_cell(group), n])
    cases = wb.create_sheet("cases")
    cases.append(list(CASE_COLUMNS))
    for line in report.cases:
        cases.append(_case_cells(line))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build(store: ReportStore, day: date, now: datetime) -> DayReport:
    start, end = china_day(day)
    return day_report(day, now, store.case_lines(start, end), store.alert_kinds(start, end), alert_queue)


def settlement_report(store: ReportStore, ctx: Context, before: Any = None) -> dict[str, Any]:
    """A scheduled run writes yesterday's report (final, written once); a run started by a person
    writes today's so far (partial, replaced by the next), or the day it is given."""
    if before is not None:
        before()  # bring the case queue up to date first (adopt alerts, escalate overdue cases)
    now = ctx.clock()
    raw = ctx.params.get("day")
    if raw:
        day = parse_day(str(raw))
    elif ctx.run.trigger.value == "schedule":
        day = today(now) - timedelta(days=1)
    else:
        day = today(now)
    ctx.progress("collect", 0, 1)
    report = build(store, day, now)
    stored, written = store.save(KIND, day, report.final, len(report.rows), to_csv(report), to_xlsx(report), ctx.run.id, now)
    ctx.progress("collect", 1, 1)
    return {"day": day.isoformat(), "final": report.final, "rows": len(report.rows), "cases": len(report.cases),
            "report_id": stored.id, "written": written}
