"""``finguard robots ...``: the jobs, running one now or every one that is due (with a progress
bar), the run history, list freshness and periods, and the stored reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError
from finguard.robots.model import CHINA, Outcome, Run, Trigger
from finguard.robots.service.robots import RobotService

app = typer.Typer(help="Robots: scheduled jobs (bank-card due diligence, list freshness and refresh, the settlement report, the case SLA).",
                  no_args_is_help=True)

T = TypeVar("T")


@contextmanager
def _service() -> Iterator[tuple[RobotService, str]]:
    with open_platform() as p:
        yield p.robots, p.cli_principal().actor


def _call(work: Callable[[RobotService, str], T]) -> T:
    with _service() as (s, actor):
        try:
            return work(s, actor)
        except FinguardError as exc:
            _fail(exc)
            raise typer.Exit(2) from exc


def _china(value: Any) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "-"


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def _runs_table(runs: list[Run]) -> Table:
    table = Table("run", "robot", "trigger", "who", "started (China)", "seconds", "outcome", "counts")
    for r in runs:
        table.add_row(str(r.id), r.robot, r.trigger.value, escape(r.actor), _china(r.started_at),
                      f"{r.seconds:.1f}" if r.seconds is not None else "-", r.outcome.value, escape(_counts(r.counts)))
    return table


@contextmanager
def _bar() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar per stage of the run, on standard error."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def show(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, done, 1))

        yield show


def _report(run: Run) -> None:
    out.print(_runs_table([run]))
    if run.outcome is not Outcome.OK:
        err.print(f"[bold red]{run.outcome.value}[/]: {escape(run.message)}")
        raise typer.Exit(1)


@app.command("list")
def robots_list() -> None:
    """Every robot: its schedule, when it is next due, whether a process holds it, its last run."""
    def work(s: RobotService, _actor: str) -> list[tuple[Any, Any, Run | None]]:
        return [(spec, job, s.runner.store.run(job.last_run_id) if job.last_run_id else None) for spec, job in s.runner.jobs()]

    table = Table("robot", "schedule", "enabled", "next due (China)", "held by", "last run", "outcome")
    for spec, job, last in _call(work):
        sched = spec.schedule.describe()
        table.add_row(spec.name, f"daily {sched['daily_at']}" if "daily_at" in sched else f"every {sched['every_minutes']} min",
                      "yes" if job.enabled else "no", _china(job.next_due_at), escape(job.lock_owner or "-"),
                      _china(last.started_at) if last else "-", last.outcome.value if last else "-")
    out.print(table)


@app.command("run")
def robots_run(
    name: Annotated[str, typer.Argument(help="new_listings, list_freshness, list_refresh, settlement_report or case_sla")],
    day: Annotated[str | None, typer.Option(help="settlement_report: the China-time day, YYYY-MM-DD (default: today so far).")] = None,
    list_code: Annotated[str | None, typer.Option(
        "--list", help="list_refresh: only this list (default: every configured source).")] = None,
) -> None:
    """Run one robot now, here, with a progress bar (409 if another process is running it)."""
    params: dict[str, Any] = {"day": day} if day else {}
    if list_code:
        params["list"] = list_code
    with _service() as (s, actor):
        try:
            with _bar() as show:
                run = s.runner.run(name, trigger=Trigger.MANUAL, actor=actor, params=params, listener=show)
        except FinguardError as exc:
            _fail(exc)
            return
    _report(run)


@app.command("run-due")
def robots_run_due() -> None:
    """Run every enabled robot that is due (what a cron job or `finguard robots serve` calls)."""
    with _service() as (s, _actor), _bar() as show:
        runs = s.runner.run_due(listener=show)
    if not runs:
        out.print("nothing is due")
        return
    out.print(_runs_table(runs))
    if any(r.outcome is not Outcome.OK for r in runs):
        raise typer.Exit(1)


@app.command("serve")
def robots_serve(
    interval: Annotated[float, typer.Option(min=1, help="Seconds between looks at the job table.")] = 30.0,
    rounds: Annotated[int, typer.Option(min=0, help="Stop after this many rounds (0: run until stopped).")] = 0,
) -> None:
    """A scheduler process: run due robots until stopped (several may run; leases keep each job in one)."""
    n = 0
    with _service() as (s, _actor):
        while True:
            for r in s.runner.run_due():
                out.print(f"{_china(r.started_at)} {r.robot} {r.outcome.value} {escape(_counts(r.counts))}")
            n += 1
            if rounds and n >= rounds:
                return
            time.sleep(interval)


@app.command("runs")
def robots_runs(robot: Annotated[str | None, typer.Option(help="Only this robot's runs.")] = None,
                limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The run history, newest first: who or what started each run, when, what it counted, how it ended."""
    out.print(_runs_table(_call(lambda s, _a: s.runner.runs(robot, limit))))


@app.command("enable")
def robots_enable(name: str) -> None:
    _call(lambda s, _a: s.runner.set_enabled(name, True))
    out.print(f"{name} enabled")


@app.command("disable")
def robots_disable(name: str) -> None:
    """Stop scheduling a robot (it can still be run by hand)."""
    _call(lambda s, _a: s.runner.set_enabled(name, False))
    out.print(f"{name} disabled")


@app.command("lists")
def robots_lists() -> None:
    """Each list's "as of", its source date, and whether it is past its refresh period (or its
    last refresh failed)."""
    table = Table("list", "kind", "as of (China)", "source date (China)", "age (h)", "period (h)", "state")
    for f in _call(lambda s, _a: s.freshness()):
        state = "current" if not f.stale else "[red]stale[/]" + (f": {escape(f.refresh_error[:80])}" if f.refresh_error else "")
        table.add_row(f.list_code, f.kind, _china(f.as_of), _china(f.source_date), f"{f.age.total_seconds() / 3600:.1f}",
                      f"{f.max_age.total_seconds() / 3600:.0f}", state)
    out.print(table)


@app.command("refresh")
def robots_refresh(
    list_code: Annotated[str | None, typer.Argument(help="Only this list (default: every configured source).")] = None,
) -> None:
    """Fetch the configured lists' official files now and apply what changed (the list_refresh robot)."""
    robots_run("list_refresh", None, list_code)


@app.command("period")
def robots_period(
    list_code: str,
    hours: Annotated[float | None, typer.Argument(help="Whole hours; leave out with --default.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Back to FINGUARD_LIST_MAX_AGE_HOURS.")] = False,
) -> None:
    """Set how often a list must be refreshed before it counts as stale."""
    if hours is None and not default:
        err.print("error (invalid_input): give the hours or --default")
        raise typer.Exit(2)
    f = _call(lambda s, actor: s.set_period(list_code, None if default else hours, actor))
    out.print(f"{f.list_code}: period {f.max_age.total_seconds() / 3600:.0f} h, {'stale' if f.stale else 'current'}")


@app.command("reports")
def robots_reports(limit: Annotated[int, typer.Option(min=1, max=1000)] = 30) -> None:
    """Stored settlement reports, newest day first."""
    table = Table("id", "day", "final", "rows", "written (China)")
    for r in _call(lambda s, _a: s.reports(limit)):
        table.add_row(str(r.id), r.day.isoformat(), "yes" if r.final else "so far", str(r.rows), _china(r.created_at))
    out.print(table)


@app.command("report")
def robots_report(
    report_id: int,
    path: Annotated[Path, typer.Argument(help="Where to write it.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
) -> None:
    """Write a stored report to a file."""
    name, body, _media = _call(lambda s, _a: s.report_file(report_id, fmt))
    path.write_bytes(body)
    out.print(f"wrote {name} to {path}")
