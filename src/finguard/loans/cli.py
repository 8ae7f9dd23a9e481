"""``finguard loans ...``: schedules, the book of loans, relief and eligibility batches (#15)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.csvheader import read_dicts
from finguard.core.db import make_engine, upgrade
from finguard.core.errors import FinguardError, InvalidInput
from finguard.core.money import format_yuan
from finguard.core.settings import Settings
from finguard.loans.channels import CallListSender, SmtpSender, WebhookSender, dsn_receipts
from finguard.loans.chart import comparison_svg
from finguard.loans.model.eligibility import EPIDEMIC_2020, Policy, policy_from_dict
from finguard.loans.model.loan import terms_from
from finguard.loans.model.outreach import SEGMENT_TEMPLATE, Channel, Rules, Template
from finguard.loans.model.relief import change_from_dict
from finguard.loans.model.schedule import Schedule, compute
from finguard.loans.provider import china_today, make_education, make_loans, make_outreach
from finguard.loans.service import MAX_BATCH_APPROVAL, Comparison, LoanService
from finguard.loans.service.outreach import OutreachService

app = typer.Typer(help="Loans: repayment schedules, relief (延期还款, 宽限期, 展期) and eligibility by category.", no_args_is_help=True)

MODE_LABEL = {
    "amortise": "还本付息 amortise",
    "interest_only": "只付息 interest only",
    "defer_capitalise": "延期·计入本金 deferred, capitalised",
    "defer_interest_free": "延期·息后付 deferred, interest later",
    "defer_waive": "延期·免息 deferred, waived",
}
Actor = Annotated[str, typer.Option(help="who does this (recorded; an approver must differ from who ran the batch)")]


@contextmanager
def _service() -> Iterator[LoanService]:
    engine = make_engine(Settings().database_url)
    try:
        upgrade(engine)
        yield make_loans(engine)
    finally:
        engine.dispose()


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _schedule_table(schedule: Schedule, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col in (
        "#",
        "到期日 due",
        "方式 mode",
        "期初本金 opening",
        "利息 interest",
        "本金 principal",
        "延付利息 deferred",
        "还款额 payment",
        "期末本金 closing",
    ):
        table.add_column(col, justify="right" if col[0] not in "到方" else "left")
    for r in schedule.rows:
        deferred = r.deferred_fen + r.capitalised_fen + r.waived_fen - r.deferred_paid_fen
        table.add_row(
            str(r.number),
            r.due.isoformat() + (" ⏳" if r.grace_until else ""),
            MODE_LABEL[r.mode.value],
            format_yuan(r.opening_fen),
            format_yuan(r.interest_fen),
            format_yuan(r.principal_fen),
            format_yuan(deferred),
            format_yuan(r.payment_fen),
            format_yuan(r.closing_fen),
        )
    t = schedule.totals
    table.add_section()
    table.add_row(
        "", "合计 total", "", "", format_yuan(t["interest_fen"]), format_yuan(t["principal_fen"]), "", format_yuan(t["payment_fen"]), ""
    )
    return table


def _comparison(c: Comparison) -> None:
    table = Table(title=f"{escape(c.loan_id)}: before / after (变更前 / 变更后)")
    for col in ("到期日 due", "变更前 before", "变更后 after", ""):
        table.add_column(col, justify="right")
    for line in c.side_by_side():
        b, a = line["before"], line["after"]
        table.add_row(
            line["due"],
            format_yuan(b["payment_fen"]) if b else "—",
            format_yuan(a["payment_fen"]) if a else "—",
            "[yellow]*[/]" if line["changed"] else "",
        )
    out.print(table)
    cost = c.cost.as_dict()
    out.print(
        f"NPV at the original rate on {cost['valuation_date']}: before {format_yuan(c.cost.value_before_fen)}, "
        f"after {format_yuan(c.cost.value_after_fen)}; loss {format_yuan(c.cost.loss_fen)} ({c.cost.loss_ratio * 100:.4f} %)"
    )
    flag = "[bold red]distressed restructuring (EBA: NPV loss > 1 %)[/]" if c.cost.distressed else "not distressed (NPV loss <= 1 %)"
    out.print(f"{flag}; credit report: {cost['credit_report_zh']} / {cost['credit_report_en']}")


def _change(
    kind: str,
    start: int,
    months: int | None,
    treatment: str | None,
    rate: str | None,
    amount_fen: int | None,
    keep_maturity: bool,
    principal_only: bool,
    reduce: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": kind, "start": start}
    if months is not None:
        data["months"] = months
    if treatment is not None:
        data["treatment"] = treatment
    if rate is not None:
        data["annual_rate"] = rate
    if amount_fen is not None:
        data["amount_fen"] = amount_fen
    if kind == "deferral":
        data["shift_maturity"] = not keep_maturity
    if kind == "grace":
        data["principal_only"] = principal_only
    if kind == "prepayment":
        data["reduce"] = reduce
    return data


Kind = Annotated[str, typer.Option("--kind", help="deferral | grace | extension | rate_change | prepayment")]
Start = Annotated[int, typer.Option(help="the first instalment it applies to (1-based)")]
Months = Annotated[int | None, typer.Option(help="months of deferral, grace or extension")]
TreatmentOpt = Annotated[str | None, typer.Option(help="deferral: capitalise | interest_free | waive")]
RateOpt = Annotated[str | None, typer.Option("--rate", help="rate_change: the new annual rate, e.g. 3.85%")]
AmountOpt = Annotated[int | None, typer.Option("--amount-fen", help="prepayment: the amount in fen")]
KeepMaturity = Annotated[bool, typer.Option("--keep-maturity", help="deferral: catch up within the original term")]
PrincipalOnly = Annotated[bool, typer.Option("--principal-only", help="grace: interest only during the grace")]
Reduce = Annotated[str, typer.Option(help="prepayment: term | payment")]


@app.command("schedule")
def schedule_cmd(
    principal: Annotated[str, typer.Option(help="yuan, e.g. 1000000.00")],
    rate: Annotated[str, typer.Option(help="annual rate, e.g. 4.35% or 0.0435")],
    months: Annotated[int, typer.Option(help="term in months")],
    start: Annotated[str, typer.Option(help="start date YYYY-MM-DD")],
    method: Annotated[str, typer.Option(help="equal_instalment | equal_principal | interest_only | bullet")] = "equal_instalment",
    day_count: Annotated[str, typer.Option(help="30/360 | act/360 | act/365")] = "30/360",
    as_json: Annotated[bool, typer.Option("--json", help="print the schedule as JSON")] = False,
) -> None:
    """Compute and print a schedule (nothing is stored)."""
    try:
        terms = terms_from(
            {"principal": principal, "annual_rate": rate, "term_months": months, "start": start, "method": method, "day_count": day_count}
        )
        schedule = compute(terms)
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(schedule.as_dict(), ensure_ascii=False))
    else:
        out.print(_schedule_table(schedule, f"{format_yuan(terms.principal_fen)} at {terms.annual_rate * 100}% over {months} months"))


@app.command("import")
def import_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: loan_id, customer_id, branch, principal, annual_rate, term_months, start, "
            "method, day_count, industry, firm_size, total_credit, impact_documented, days_past_due"
        ),
    ],
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows")] = False,
    actor: Actor = "",
) -> None:
    """Add loans to the book: all or nothing unless --skip-bad-rows (every bad row named with its line)."""
    try:
        if not path.is_file():
            raise InvalidInput.for_field("path", f"{path} is not a readable file")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(enumerate(read_dicts(fh, "path", name=path.name), start=2))
        with _service() as svc:
            report = svc.import_loans(rows, actor or _default_actor(), skip_bad_rows=skip_bad_rows)
    except FinguardError as exc:
        _fail(exc)
    out.print(f"[bold green]imported[/] {report.added:,} new loans, {report.unchanged:,} already on the book")
    for p in report.skipped:
        err.print(f"  skipped line {p.line}: {escape(p.field)}: {escape(p.problem)}")


@app.command("show")
def show_cmd(loan_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A loan's schedule in force and its relief history."""
    try:
        with _service() as svc:
            loan, events, schedule = svc.schedule(loan_id)
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        out.print_json(
            json.dumps(
                {"loan": loan.as_dict(), "events": [e.as_dict() for e in events], "schedule": schedule.as_dict()}, ensure_ascii=False
            )
        )
        return
    out.print(_schedule_table(schedule, f"{escape(loan_id)} ({escape(loan.customer_id)}, branch {escape(loan.branch)})"))
    for e in events:
        what = f"reverses v{e.reverses}" if e.change is None else json.dumps(e.change_dict(), ensure_ascii=False)
        out.print(f"v{e.version} {e.at:%Y-%m-%d %H:%M} {escape(e.actor)}: {escape(what)} {escape(e.reason)}")


@app.command("preview")
def preview_cmd(
    loan_id: str,
    kind: Kind,
    start: Start,
    months: Months = None,
    treatment: TreatmentOpt = None,
    rate: RateOpt = None,
    amount_fen: AmountOpt = None,
    keep_maturity: KeepMaturity = False,
    principal_only: PrincipalOnly = False,
    reduce: Reduce = "term",
    svg: Annotated[Path | None, typer.Option(help="also write the before/after chart to this SVG file")] = None,
) -> None:
    """A change's schedule before/after and its NPV cost; nothing is stored."""
    try:
        change = change_from_dict(_change(kind, start, months, treatment, rate, amount_fen, keep_maturity, principal_only, reduce))
        with _service() as svc:
            comparison = svc.compare(loan_id, change)
    except FinguardError as exc:
        _fail(exc)
    _comparison(comparison)
    if svg is not None:
        svg.write_text(comparison_svg(comparison.before, comparison.after), encoding="utf-8")
        out.print(f"chart written to {escape(str(svg))}")


@app.command("apply")
def apply_cmd(
    loan_id: str,
    kind: Kind,
    start: Start,
    months: Months = None,
    treatment: TreatmentOpt = None,
    rate: RateOpt = None,
    amount_fen: AmountOpt = None,
    keep_maturity: KeepMaturity = False,
    principal_only: PrincipalOnly = False,
    reduce: Reduce = "term",
    reason: Annotated[str, typer.Option()] = "",
    actor: Actor = "",
) -> None:
    """Apply a change: a new version of the loan's relief."""
    try:
        change = change_from_dict(_change(kind, start, months, treatment, rate, amount_fen, keep_maturity, principal_only, reduce))
        with _service() as svc:
            applied = svc.apply(loan_id, change, actor or _default_actor(), reason)
    except FinguardError as exc:
        _fail(exc)
    assert applied.comparison is not None
    _comparison(applied.comparison)
    out.print(f"[bold green]applied[/] as version {applied.event.version}")


@app.command("reverse")
def reverse_cmd(loan_id: str, version: int, reason: Annotated[str, typer.Option()] = "", actor: Actor = "") -> None:
    """Reverse a change (a reversal is appended; history is kept)."""
    try:
        with _service() as svc:
            applied = svc.reverse(loan_id, version, actor or _default_actor(), reason)
    except FinguardError as exc:
        _fail(exc)
    out.print(f"[bold green]reversed[/] v{version} as version {applied.event.version}")


def _policy(path: Path | None) -> Policy:
    if path is None:
        return EPIDEMIC_2020
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput.for_field("policy", f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput.for_field("policy", "must be a JSON object")
    return policy_from_dict(data)


@app.command("evaluate")
def evaluate_cmd(
    policy: Annotated[Path | None, typer.Option(help="a policy as JSON; the built-in epidemic-2020 when omitted")] = None,
    branch: Annotated[str | None, typer.Option(help="only this branch's loans")] = None,
    actor: Actor = "",
) -> None:
    """Evaluate the book against a relief policy, with a progress bar; the decisions are stored as a batch."""
    try:
        chosen = _policy(policy)
        with (
            _service() as svc,
            Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=err
            ) as bar,
        ):
            task = bar.add_task(f"evaluating {chosen.code} v{chosen.version}", total=None)
            report = svc.evaluate(
                chosen, actor or _default_actor(), branch=branch, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    except FinguardError as exc:
        _fail(exc)
    out.print(
        f"batch [bold]{report.batch_id}[/]: {report.evaluated:,} loans, {report.eligible:,} eligible "
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(report.by_category.items()))
    )


@app.command("decisions")
def decisions_cmd(
    batch_id: str,
    eligible: Annotated[bool | None, typer.Option("--eligible/--ineligible", help="only one side")] = None,
    lang: Annotated[str, typer.Option(help="zh | en")] = "zh",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """A batch's decisions, each with its reasons."""
    try:
        if lang not in ("zh", "en"):
            raise InvalidInput.for_field("lang", "must be zh or en")
        with _service() as svc:
            found = svc.store.decisions(batch_id=batch_id, eligible=eligible, limit=limit)
    except FinguardError as exc:
        _fail(exc)
    table = Table(title=f"batch {escape(batch_id)}")
    for col in ("id", "loan", "category", "review", "explanation"):
        table.add_column(col)
    for d in found:
        zh, en = d.decision.summary()
        review = "" if d.review is None else f"{d.review.action} by {d.review.actor}"
        table.add_row(str(d.id), escape(d.decision.loan_id), d.decision.category or "—", escape(review), escape(zh if lang == "zh" else en))
    out.print(table)


@app.command("approve")
def approve_cmd(
    batch_id: Annotated[str, typer.Argument(help="approve every eligible, not yet reviewed decision of this batch")],
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    as_of: Annotated[str | None, typer.Option(help="relief starts after this date (YYYY-MM-DD; today)")] = None,
    reason: Annotated[str, typer.Option()] = "",
    actor: Actor = "",
) -> None:
    """Approve a batch's eligible decisions in bulk (maker-checker: not by who ran the batch)."""
    try:
        day = date.fromisoformat(as_of) if as_of else china_today()
    except ValueError:
        _fail(InvalidInput.for_field("as_of", "must be a date YYYY-MM-DD"))
    try:
        with _service() as svc:
            waiting = svc.store.decisions(batch_id=batch_id, eligible=True, category=category, limit=100_000)
            ids = [d.id for d in waiting if d.review is None]
            if not ids:
                raise InvalidInput.for_field("batch_id", "no eligible decision of this batch is waiting for review")
            applied = []
            for start in range(0, len(ids), MAX_BATCH_APPROVAL):  # each chunk all or nothing
                applied += svc.approve(ids[start : start + MAX_BATCH_APPROVAL], actor or _default_actor(), day, reason)
    except FinguardError as exc:
        _fail(exc)
    loss = sum(a.comparison.cost.loss_fen for a in applied if a.comparison)
    distressed = sum(1 for a in applied if a.comparison and a.comparison.cost.distressed)
    out.print(
        f"[bold green]approved[/] {len(applied):,} reliefs; NPV cost {format_yuan(loss)} yuan; {distressed:,} distressed restructurings"
    )


campaign_app = typer.Typer(help="Outreach: contacts, campaigns to a segment, sending, replies and opt-outs.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")


@contextmanager
def _outreach() -> Iterator[OutreachService]:
    engine = make_engine(Settings().database_url)
    try:
        upgrade(engine)
        yield make_outreach(engine)
    finally:
        engine.dispose()


@campaign_app.command("contacts")
def contacts_cmd(path: Annotated[Path, typer.Argument(help="CSV: customer_id, name, lang (zh|en), email, phone, wechat_openid")]) -> None:
    """Add or replace customers' contact details (all or nothing)."""
    try:
        if not path.is_file():
            raise InvalidInput.for_field("path", f"{path} is not a readable file")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(enumerate(read_dicts(fh, "path", name=path.name), start=2))
        with _outreach() as svc:
            n = svc.import_contacts(rows)
    except FinguardError as exc:
        _fail(exc)
    out.print(f"[bold green]saved[/] {n:,} contacts")


@campaign_app.command("create")
def campaign_create_cmd(
    campaign_id: str,
    batch_id: Annotated[
        str | None, typer.Option("--relief-batch", help="the relief segment: the eligible borrowers of this eligibility batch")
    ] = None,
    segment: Annotated[
        str,
        typer.Option(
            help="relief | elderly (aged --min-age or more, from the resident ID number) | "
            "weak_security (a protection off in the guard's security check-up)"
        ),
    ] = "relief",
    min_age: Annotated[int, typer.Option(help="the elderly segment's age")] = 60,
    codes: Annotated[
        str,
        typer.Option(
            help="weak_security: only these check-up findings, comma-separated (night_lock, "
            "region_lock, limits, cooling_off, pending); any when empty"
        ),
    ] = "",
    template: Annotated[
        Path | None,
        typer.Option(
            help="JSON: subject_zh, body_zh, subject_en, body_en with $name and the "
            "segment's figures (relief: $loan_id, $relief, $instalment_now, "
            "$instalment_after, $first_due; elderly: $age; weak_security: $advice); "
            "the segment's built-in message when omitted"
        ),
    ] = None,
    channel: Annotated[str, typer.Option(help="email | sms | wechat | call")] = "sms",
    name: Annotated[str, typer.Option()] = "",
    as_of: Annotated[
        str | None, typer.Option(help="relief from the first instalment after this date; the elderly's age on it (today)")
    ] = None,
    quiet: Annotated[str, typer.Option(help="quiet hours, China time, HH:MM-HH:MM (the same time twice: none)")] = "21:00-08:00",
    cap: Annotated[str, typer.Option(help="frequency cap: at most N messages in D days, all campaigns (N/D)")] = "3/7",
    actor: Actor = "",
) -> None:
    """Plan a campaign: one message per recipient, or the reason it is skipped (opt-out, no address, frequency cap)."""
    try:
        day = date.fromisoformat(as_of) if as_of else china_today()
    except ValueError:
        _fail(InvalidInput.for_field("as_of", "must be a date YYYY-MM-DD"))
    rules = _rules(quiet, cap)
    try:
        if channel not in {c.value for c in Channel}:
            raise InvalidInput.for_field("channel", "must be email, sms, wechat or call")
        if segment not in SEGMENT_TEMPLATE:
            raise InvalidInput.for_field("segment", "must be relief, elderly or weak_security")
        chosen = SEGMENT_TEMPLATE[segment] if template is None else _template(template)
        with _outreach() as svc, _security(svc, segment):
            svc.rules = rules
            recipients, described = svc.segment(
                segment, day, relief_batch=batch_id, min_age=min_age, codes=[c.strip() for c in codes.split(",") if c.strip()] or None
            )
            report = svc.create_campaign(
                campaign_id, name or campaign_id, Channel(channel), chosen, recipients, actor or _default_actor(), described
            )
    except FinguardError as exc:
        _fail(exc)
    out.print(f"[bold green]planned[/] {escape(campaign_id)}: {report['by_status']} skipped {report['skipped']}")


@contextmanager
def _security(svc: OutreachService, segment: str) -> Iterator[None]:
    """The weak-security segment reads the guard's check-up through the composed platform's seam
    (loans may not import the guard)."""
    if segment != "weak_security":
        yield
        return
    platform = open_platform()
    try:
        svc.security = platform.security_checkup
        yield
    finally:
        platform.close()


def _rules(quiet: str, cap: str) -> Rules:
    try:
        start, end = (time.fromisoformat(x.strip()) for x in quiet.split("-"))
    except ValueError:
        _fail(InvalidInput.for_field("quiet", "must be HH:MM-HH:MM, e.g. 21:00-08:00"))
    try:
        messages, days = (int(x) for x in cap.split("/"))
        if messages < 1 or days < 1:
            raise ValueError(cap)
    except ValueError:
        _fail(InvalidInput.for_field("cap", "must be N/D with N, D >= 1, e.g. 3/7"))
    return Rules(quiet_start=start, quiet_end=end, cap_messages=messages, cap_days=days)


def _template(path: Path) -> Template:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Template(str(data["subject_zh"]), str(data["body_zh"]), str(data["subject_en"]), str(data["body_en"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput.for_field("template", f"a JSON file with subject_zh, body_zh, subject_en, body_en ({exc})") from exc


@campaign_app.command("run")
def campaign_run_cmd(
    campaign_id: str,
    smtp_host: Annotated[str, typer.Option(envvar="FINGUARD_LOANS_SMTP_HOST")] = "127.0.0.1",
    smtp_port: Annotated[int, typer.Option(envvar="FINGUARD_LOANS_SMTP_PORT")] = 25,
    smtp_sender: Annotated[str, typer.Option(envvar="FINGUARD_LOANS_SMTP_SENDER")] = "noreply@bank.example",
    webhook_url: Annotated[str, typer.Option(envvar="FINGUARD_LOANS_WEBHOOK_URL", help="the SMS / WeChat gateway")] = "",
    call_list: Annotated[Path, typer.Option(envvar="FINGUARD_LOANS_CALL_LIST")] = Path("call-list.csv"),
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    lease_seconds: Annotated[int, typer.Option(min=0, help="a claim older than this, never finished, is in doubt")] = 120,
    connections: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=16,
            help="concurrent connections to the channel (default: 8 to a webhook, which de-duplicates; 1 otherwise, "
            "so a killed run leaves at most one e-mail uncertain; N leaves at most N)",
        ),
    ] = None,
    quiet: Annotated[
        str,
        typer.Option(
            help="quiet hours, China time, HH:MM-HH:MM: the run stops at them and what is left "
            "waits for their end (the same time twice: none)"
        ),
    ] = "21:00-08:00",
    cap: Annotated[str, typer.Option(help="frequency cap checked again before each message is sent (N/D)")] = "3/7",
) -> None:
    """Send what is due. Safe to kill and run again: nothing is sent twice (see docs/loans.md)."""
    rules = _rules(quiet, cap)
    senders: dict[Channel, Any] = {Channel.EMAIL: SmtpSender(smtp_host, smtp_port, smtp_sender), Channel.CALL: CallListSender(call_list)}
    if webhook_url:
        senders[Channel.SMS] = senders[Channel.WECHAT] = WebhookSender(webhook_url)
    try:
        with _outreach() as svc, Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err) as bar:
            task = bar.add_task(f"sending {campaign_id}", total=None)
            svc.rules = rules
            campaign = svc.store.campaign(campaign_id)
            chosen = senders.get(campaign.channel) if campaign else None
            report = svc.run(
                campaign_id,
                senders,
                limit=limit,
                lease=timedelta(seconds=lease_seconds),
                progress=lambda n: bar.update(task, description=f"sending {campaign_id}: {n:,}"),
                connections=connections or (8 if chosen is not None and chosen.idempotent else 1),
            )
    except FinguardError as exc:
        _fail(exc)
    finally:
        senders[Channel.EMAIL].close()
        if webhook_url:
            senders[Channel.SMS].close()
    counts = ", ".join(f"{k} {v:,}" for k, v in report.as_dict().items() if isinstance(v, int))
    paused = f"; quiet hours: the rest is due at {report.quiet_until.isoformat()}" if report.quiet_until else ""
    out.print(f"[bold green]done[/] {escape(campaign_id)}: {counts}{paused}")


@campaign_app.command("report")
def campaign_report_cmd(campaign_id: str) -> None:
    """Reach and response: messages by status, skips by reason, replies, and per day and channel."""
    try:
        with _outreach() as svc:
            report = svc.campaign_report(campaign_id)
    except FinguardError as exc:
        _fail(exc)
    out.print_json(json.dumps(report, ensure_ascii=False))


@campaign_app.command("reply")
def campaign_reply_cmd(key: str, text: str) -> None:
    """Record a customer's reply; 退订 / TD / STOP opts them out of the channel."""
    try:
        with _outreach() as svc:
            svc.reply(key, text)
    except FinguardError as exc:
        _fail(exc)
    out.print("[bold green]recorded[/]")


@campaign_app.command("bounces")
def campaign_bounces_cmd(
    paths: Annotated[list[Path], typer.Argument(help="bounce e-mails (.eml files, e.g. the bounce mailbox's maildir files)")],
) -> None:
    """Record SMTP bounces (delivery status notifications) of our e-mails as failed: each is read
    for our Message-ID; a bounce of another e-mail, or read twice, changes nothing."""
    receipts: list[dict[str, str]] = []
    for path in paths:
        try:
            receipts += dsn_receipts(path.read_bytes())
        except OSError as exc:
            _fail(InvalidInput.for_field("paths", f"{path}: {exc.strerror}"))
    try:
        with _outreach() as svc:
            ours = svc.store.messages([r["message_id"] for r in receipts])
            known = [r for r in receipts if r["message_id"] in ours]
            result = svc.receipts(known) if known else {"recorded": 0, "duplicates": 0, "opted_out": 0}
    except FinguardError as exc:
        _fail(exc)
    out.print(
        f"[bold green]read[/] {len(paths):,} file(s): {len(known):,} bounce(s) of our e-mails; "
        f"{result['recorded']:,} recorded, {result['duplicates']:,} already known"
    )


education_app = typer.Typer(help="Financial education: branches' field events and the public pages' views.", no_args_is_help=True)
app.add_typer(education_app, name="education")


@education_app.command("record")
def education_record_cmd(
    path: Annotated[Path, typer.Argument(help="CSV: branch, campaign, day, place, staff (a;b), leaflets, questions, photos (a;b)")],
    actor: Actor = "",
) -> None:
    """Record field events (all or nothing; every bad row named with its line)."""
    try:
        if not path.is_file():
            raise InvalidInput.for_field("path", f"{path} is not a readable file")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(enumerate(read_dicts(fh, "path", name=path.name), start=2))
        engine = make_engine(Settings().database_url)
        try:
            upgrade(engine)
            n = make_education(engine).record(rows, actor or _default_actor())
        finally:
            engine.dispose()
    except FinguardError as exc:
        _fail(exc)
    out.print(f"[bold green]recorded[/] {n:,} events")


@education_app.command("report")
def education_report_cmd(by: Annotated[str, typer.Option(help="branch | campaign")] = "branch") -> None:
    """Events, leaflets and questions answered by branch or campaign, and the public pages' views."""
    engine = make_engine(Settings().database_url)
    try:
        upgrade(engine)
        report = make_education(engine).report(by)
    except FinguardError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    table = Table(title=f"education by {by}")
    for col in (by, "events", "leaflets", "questions", "staff"):
        table.add_column(col, justify="left" if col == by else "right")
    for row in report["rows"]:
        table.add_row(escape(row[by]), f"{row['events']:,}", f"{row['leaflets']:,}", f"{row['questions']:,}", f"{row['staff']:,}")
    table.add_section()
    table.add_row("total", f"{report['events']:,}", f"{report['leaflets']:,}", f"{report['questions']:,}", "")
    out.print(table)
    for topic, views in sorted(report["page_views"].items()):
        out.print(f"/learn/{topic}: " + ", ".join(f"{lang} {n:,}" for lang, n in sorted(views.items())))
