"""The daily settlement report: cases opened, closed (by disposition) and past their SLA, and alerts
by source, for one China-time day, as CSV (the summary) and XLSX (the summary and the cases);
beside it the day's account filing (settlement accounts opened, changed and closed, from the
ledger's account register) as CSV and XLSX. Every text cell goes through
``core.exports.safe_cell``. Layout: docs/robots.md."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from openpyxl import Workbook

from finguard.alerts.model.cases import alert_queue
from finguard.core.exports import safe_cell
from finguard.ledger.model import ACCOUNT_TYPE_LABELS, EVENT_LABELS, ID_TYPE_LABELS, AccountEvent, AccountEventKind
from finguard.robots.model import CASE_COLUMNS, REPORT_COLUMNS, CaseLine, DayReport, china_day, day_report, parse_day, today
from finguard.robots.service.runner import Context

KIND = "settlement"
ACCOUNTS_KIND = "accounts"  # the PBOC account-management filing: the day's opened / changed / closed accounts
ACCOUNT_COLUMNS = ("report_day", "seq", "event", "event_name", "event_date", "account", "account_type",
                   "account_type_name", "holder_name", "id_type", "id_type_name", "id_number", "branch_code", "reason")
TOTAL_COLUMNS = ("report_day", "event", "account_type", "account_type_name", "count")


class ReportStore(Protocol):
    def case_lines(self, start: datetime, end: datetime) -> list[CaseLine]: ...
    def account_events(self, day: date) -> list[AccountEvent]: ...
    def alert_kinds(self, start: datetime, end: datetime) -> dict[str, int]: ...
    def save(self, kind: str, day: date, final: bool, rows: int, csv: bytes, xlsx: bytes, run_id: int | None,
             now: datetime) -> tuple[Any, bool]: ...
    def reports(self, limit: int, kind: str) -> list[Any]: ...
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


def account_cells(day: date, events: list[AccountEvent]) -> list[list[Any]]:
    """The filing's rows: one per event of the day, in the order they were recorded."""
    return [[day.isoformat(), i, e.event.value, EVENT_LABELS[e.event], e.event_date.isoformat(), safe_cell(e.account),
             e.account_type.value, ACCOUNT_TYPE_LABELS[e.account_type][0], safe_cell(e.holder_name), e.id_type.value,
             ID_TYPE_LABELS[e.id_type][0], safe_cell(e.id_number), safe_cell(e.branch_code), safe_cell(e.reason)]
            for i, e in enumerate(events, 1)]


def account_totals(day: date, events: list[AccountEvent]) -> list[list[Any]]:
    counts: dict[tuple[str, str], int] = {}
    for e in events:
        counts[(e.event.value, e.account_type.value)] = counts.get((e.event.value, e.account_type.value), 0) + 1
    order = {k.value: i for i, k in enumerate(AccountEventKind)}
    types = {t.value: t for t in ACCOUNT_TYPE_LABELS}
    return [[day.isoformat(), ev, at, ACCOUNT_TYPE_LABELS[types[at]][0], n]
            for (ev, at), n in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


def accounts_csv(day: date, events: list[AccountEvent]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(ACCOUNT_COLUMNS)
    w.writerows(account_cells(day, events))
    return buf.getvalue().encode("utf-8-sig")  # with a BOM: Excel on a Chinese desktop reads it as UTF-8


def accounts_xlsx(day: date, events: list[AccountEvent]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "accounts"
    sheet.append(list(ACCOUNT_COLUMNS))
    for row in account_cells(day, events):
        sheet.append(row)
    totals = wb.create_sheet("totals")
    totals.append(list(TOTAL_COLUMNS))
    for row in account_totals(day, events):
        totals.append(row)
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
    events = store.account_events(day)
    filed, _ = store.save(ACCOUNTS_KIND, day, report.final, len(events), accounts_csv(day, events),
                          accounts_xlsx(day, events), ctx.run.id, now)
    ctx.progress("collect", 1, 1)
    return {"day": day.isoformat(), "final": report.final, "rows": len(report.rows), "cases": len(report.cases),
            "report_id": stored.id, "written": written, "accounts": len(events), "accounts_report_id": filed.id}
