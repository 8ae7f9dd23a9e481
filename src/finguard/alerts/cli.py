"""Alerts from the command line."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from finguard.alerts.model.cases import Case, CaseFilter, format_confirmation
from finguard.alerts.service.cases import BulkResult, CaseService
from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError


def alerts_command(
    status: Annotated[str, typer.Option(help="open, closed or all.")] = "open",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List alerts, newest first."""
    with open_platform() as p:
        try:
            found = p.diligence.alerts(None if status == "all" else status, limit)
        except FinguardError as exc:
            _fail(exc)
    table = Table("id", "created", "kind", "severity", "subject", "summary")
    for a in found:
        table.add_row(str(a.id), a.created_at.isoformat(timespec="seconds"), a.kind, a.severity, a.subject, a.summary)
    out.print(table)


# -- finguard cases ... (#13) --------------------------------------------------------------------

cases_app = typer.Typer(help="Cases: alerts, complaints and special-service requests, worked to a close.", no_args_is_help=True)

Actor = Annotated[str, typer.Option("--as", help="Who does it (the audit trail's actor); default: your login name.")]


def _actor(given: str) -> str:
    return given or f"os:{getpass.getuser()}"


def _table(found: list[Case], now: datetime) -> Table:
    table = Table("id", "kind", "state", "severity", "queue", "assignee", "due", "sla", "subject", "summary")
    for c in found:
        table.add_row(str(c.id), c.kind.value, c.state.value, c.severity, c.queue, c.assignee or "-",
                      c.due_at.isoformat(timespec="minutes"), c.sla_state(now), escape(c.subject), escape(c.summary[:80]))
    return table


T = TypeVar("T")


def _run(work: Callable[[CaseService], T]) -> T:
    with open_platform() as p:
        try:
            return work(p.cases)
        except FinguardError as exc:
            _fail(exc)
            raise typer.Exit(2) from exc  # fail() exits; this line tells the type checker so


@cases_app.command("list")
def cases_list(
    state: Annotated[str, typer.Option(help="open (every open state), all, new, assigned, in_review, escalated, closed")] = "open",
    kind: Annotated[str | None, typer.Option(help="alert, complaint or service")] = None,
    severity: Annotated[str | None, typer.Option()] = None,
    queue: Annotated[str | None, typer.Option()] = None,
    assignee: Annotated[str | None, typer.Option()] = None,
    sla: Annotated[str | None, typer.Option(help="breached, due_soon or ok")] = None,
    q: Annotated[str | None, typer.Option(help="Text in the subject, summary or confirmation number.")] = None,
    limit: Annotated[int, typer.Option()] = 50,
    offset: Annotated[int, typer.Option()] = 0,
) -> None:
    """Cases, soonest due first (new alerts are adopted and overdue cases escalated first)."""
    found, total, now = _run(lambda s: (*s.find(CaseFilter(state, kind, severity, queue, assignee, sla, q, limit, offset)), s.clock()))
    out.print(_table(found, now))
    out.print(f"{len(found)} of {total}")


@cases_app.command("show")
def cases_show(case_id: int) -> None:
    """A case and its audit trail."""
    case, events = _run(lambda s: s.show(case_id))
    out.print(f"#{case.id} {case.kind.value} {case.state.value} severity={case.severity} queue={case.queue} "
              f"assignee={case.assignee or '-'} due={case.due_at.isoformat(timespec='minutes')}")
    if case.reference:
        out.print(f"confirmation {format_confirmation(case.reference)}")
    out.print(escape(f"{case.subject}: {case.summary}"))
    if case.pending_disposition:
        out.print(f"close proposed by {case.pending_by}: {case.pending_disposition} (needs a second person: finguard cases confirm)")
    table = Table("at", "actor", "action", "from", "to", "reason")
    for e in events:
        table.add_row(e.at.isoformat(timespec="seconds"), escape(e.actor), e.action, e.from_state or "-", e.to_state or "-",
                      escape(e.reason))
    out.print(table)


@cases_app.command("assign")
def cases_assign(ids: Annotated[list[int], typer.Argument(help="One or more case ids.")],
                 to: Annotated[str, typer.Option("--to", help="The assignee.")], actor: Actor = "") -> None:
    """Assign cases (each on its own; a failure is reported and the others go on)."""
    results = _run(lambda s: s.bulk_assign(ids, to, _actor(actor)))
    _report(results)


@cases_app.command("comment")
def cases_comment(case_id: int, text: str, actor: Actor = "") -> None:
    _run(lambda s: s.comment(case_id, _actor(actor), text))
    out.print(f"commented on #{case_id}")


@cases_app.command("close")
def cases_close(ids: Annotated[list[int], typer.Argument(help="One or more case ids.")],
                disposition: Annotated[str, typer.Option(help="alerts: true_positive, false_positive, duplicate, "
                                                         "no_action_needed; complaints: upheld, partly_upheld, not_upheld, "
                                                         "withdrawn; service: completed, cancelled, no_show")],
                reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")], actor: Actor = "") -> None:
    """Close cases; a high or critical case waits for a second person (finguard cases confirm)."""
    _report(_run(lambda s: s.bulk_close(ids, _actor(actor), disposition, reason)))


@cases_app.command("confirm")
def cases_confirm(case_id: int, actor: Actor = "",
                  reject: Annotated[str | None, typer.Option(help="Send the proposed close back, with this reason.")] = None) -> None:
    """The checker's answer to a proposed close (maker-checker)."""
    case = _run(lambda s: s.confirm(case_id, _actor(actor), approve=reject is None, reason=reject or ""))
    out.print(f"#{case.id} {case.state.value}")


@cases_app.command("export")
def cases_export(
    path: Annotated[Path, typer.Argument(help="CSV file to write (XLSX when it ends in .xlsx); - for standard output.")],
    state: Annotated[str, typer.Option()] = "all",
    kind: Annotated[str | None, typer.Option()] = None,
    queue: Annotated[str | None, typer.Option()] = None,
    sla: Annotated[str | None, typer.Option(help="breached, due_soon or ok")] = None,
    age: Annotated[str | None, typer.Option(help="lt1d, 1to3d, 3to7d or gt7d")] = None,
) -> None:
    """Every selected case as CSV or XLSX (cells that a spreadsheet would run as a formula are neutralised)."""
    f = CaseFilter(state, kind, None, queue, sla=sla, age=age)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(_run(lambda s: s.export_xlsx(f)))
        out.print(f"wrote {path}")
        return
    chunks = _run(lambda s: list(s.export_csv(f)))
    if str(path) == "-":
        sys.stdout.write("".join(chunks))
        return
    path.write_text("".join(chunks), encoding="utf-8")
    out.print(f"wrote {path}")


@cases_app.command("sync")
def cases_sync() -> None:
    """Adopt new alerts as cases and escalate those past their SLA (what a scheduled job runs)."""
    adopted, escalated = _run(lambda s: s.sync())
    out.print(f"adopted {adopted} alerts, escalated {escalated} cases")


def _report(results: list[BulkResult]) -> None:
    for r in results:
        if r.ok:
            out.print(f"#{r.case_id} done: {r.state}" + (" (close awaits a second person: finguard cases confirm)" if r.pending else ""))
        else:
            err.print(f"#{r.case_id}: {escape(r.error)}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
