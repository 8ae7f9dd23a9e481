"""``finguard ledger ...``: import transfer files, trace money, and the elderly-customer demo (#5)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError, InvalidInput
from finguard.ledger.model import (
    CHINA_TZ,
    Direction,
    Method,
    Trace,
    TraceParams,
    format_amount,
    kind_label,
    parse_trace_params,
)
from finguard.ledger.service import LedgerImportReport
from finguard.ledger.service.importers import DEFAULT_EPOCH, ImportOptions, read_transfers_noted
from finguard.ledger.service.render import render_png, render_svg
from finguard.ledger.service.statements import PROFILE_NAMES
from finguard.ledger.service.summary import summarize

app = typer.Typer(help="Fund-flow ledger: import transfers, trace where money went or came from.", no_args_is_help=True)

# The case behind #5: 4,000 yuan "vanished" from an elderly customer's card; it had gone to his
# own WeChat wallet (a 财付通 top-up). Amounts and names are made up.
DEMO_ACCOUNT = "6217000010001234567"
DEMO_STATEMENT = """交易时间,交易金额,借贷标志,对方账号,对方户名,对方行名,余额,摘要
2024-03-01 09:00:00,"3,600.00",贷,11050101040000001,某某区社会保险事业管理中心,中国建设银行,"5,230.00",养老金
2024-03-10 15:20:11,68.50,借,,美团,,"5,161.50",消费
2024-03-15 10:23:45,"4,000.00",借,,财付通-微信零钱,,"1,161.50",财付通-微信零钱充值
2024-03-20 08:30:00,200.00,借,,,,961.50,ATM取款
"""


def _time(value: str | None, name: str) -> datetime | None:
    """ISO 8601; a time or date without a zone is China time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.for_field(name, f"{value!r} is not an ISO date or time such as 2024-03-15 or 2024-03-15T10:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)


def _import(p: Any, fmt: str, path: Path, options: ImportOptions, skip: bool) -> LedgerImportReport:
    source, note, rows = read_transfers_noted(fmt, path, options)
    if note:
        out.print(f"[dim]{escape(note)}[/]")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)
        report: LedgerImportReport = p.ledger.import_rows(
            source, rows, skip_bad_rows=skip, progress=lambda n: bar.update(task, description=f"importing {path.name}: {n:,} rows")
        )
    out.print(
        f"[bold green]imported[/] {escape(source)}: {report.rows:,} rows, {report.inserted:,} new transfers, "
        f"{report.duplicates:,} already there, {report.paired:,} already stored from the other account's statement, "
        f"{report.self_transfers:,} self-transfers skipped, {report.accounts:,} accounts"
    )
    for title, items in (("not a transaction", report.skipped), ("skipped bad row", report.rejected), ("ambiguous", report.ambiguous)):
        for problem in items[:20]:
            out.print(f"  {title}, line {problem.line}: {escape(problem.field)}: {escape(problem.problem)}")
        if len(items) > 20:
            out.print(f"  ... and {len(items) - 20} more ({title})")
    return report


@app.command("import")
def import_command(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="amlsim, amlsim-nodes, amlworld (patterns JSON), amlworld-csv, paysim or statement.")
    ],
    path: Annotated[Path, typer.Argument(help="The file (amlsim: the directory or transactions.csv).")],
    account: Annotated[str | None, typer.Option(help="statement: the statement's own account.")] = None,
    currency: Annotated[str, typer.Option(help="The currency of amlsim, paysim and statement amounts.")] = "CNY",
    epoch: Annotated[str | None, typer.Option(help="amlsim / paysim: the time of step 0 (default 2020-01-01 UTC).")] = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="Import the good rows and list the bad ones.")] = False,
    profile: Annotated[
        str | None, typer.Option(help=f"statement: the layout ({', '.join(PROFILE_NAMES)}); detected when not given.")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="statement: a TOML mapping file for any other layout (docs/statements.md).")] = None,
) -> None:
    """Import a transfer file, all or nothing (unless --skip-bad-rows).

    Exit codes: 0 every row imported (or already there; title, total and footer lines are
    listed as skipped), 3 imported with bad rows skipped (--skip-bad-rows), 2 nothing imported
    (a bad file, a rejected import, or no transaction in it), 1 our failure."""
    try:
        start = _time(epoch, "epoch")
        options = ImportOptions(account=account, currency=currency, epoch=start or DEFAULT_EPOCH, profile=profile, mapping=mapping)
        with open_platform() as p:
            report = _import(p, fmt, path, options, skip_bad_rows)
    except FinguardError as exc:
        _fail(exc)
    if report.rejected:
        err.print(f"[bold yellow]partial import[/]: {len(report.rejected)} bad row(s) were skipped")
        raise typer.Exit(3)


def _print_trace(trace: Trace, svg: Path | None, png: Path | None, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(trace.as_dict(), ensure_ascii=False))
        return
    out.print(summarize(trace, "zh"))
    out.print(summarize(trace, "en"))
    table = Table("account", "what", "amount", "why it stopped", "hops", "when (China time)", title="where the money ended")
    for end in trace.ends[:30]:
        when = end.first_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if end.first_at else ""
        table.add_row(
            escape(end.name or end.account),
            kind_label(end.kind, end.name, "en"),
            format_amount(end.amount_fen, trace.currency),
            end.reason.value,
            str(end.hop),
            when,
        )
    out.print(table)
    if trace.truncated:
        out.print(f"[bold yellow]truncated[/]: {escape('; '.join(trace.truncated_reasons[:3]))}")
    if svg is not None or png is not None:
        picture = render_svg(trace)
        if svg is not None:
            svg.write_text(picture, encoding="utf-8")
            out.print(f"picture: {svg}")
        if png is not None:
            png.write_bytes(render_png(picture))
            out.print(f"picture: {png}")


@app.command("trace")
def trace_command(
    account: Annotated[str, typer.Argument(help="The account to trace from.")],
    direction: Annotated[Direction, typer.Option(help="forward: where it went; backward: where it came from.")] = Direction.FORWARD,
    method: Annotated[Method, typer.Option(help="fifo, lifo or proportional.")] = Method.FIFO,
    hops: Annotated[int, typer.Option(help="At most this many transfers deep.")] = 6,
    horizon_days: Annotated[float, typer.Option(help="Follow transfers this many days on (backward: back).")] = 30.0,
    transfer: Annotated[int | None, typer.Option(help="Start from this transfer id (out of, backward: into, the account).")] = None,
    amount: Annotated[str | None, typer.Option(help="Trace this amount (yuan), e.g. 4000.")] = None,
    at: Annotated[str | None, typer.Option(help="From this time (ISO; without a zone: China time).")] = None,
    currency: Annotated[str | None, typer.Option(help="Only transfers in this currency.")] = None,
    max_per_node: Annotated[int, typer.Option(help="Transfers read per account at most.")] = 1000,
    max_edges: Annotated[int, typer.Option(help="Edges in the trace at most.")] = 5000,
    svg: Annotated[Path | None, typer.Option(help="Write the picture as SVG here.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the picture as PNG here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Trace money from an account and print where it ended, in Chinese and English."""
    try:
        raw: dict[str, object] = {"account": account, "direction": direction.value, "method": method.value, "hops": hops}
        raw |= {"horizon_days": horizon_days, "start_transfer": transfer, "amount": amount, "at": at, "currency": currency}
        params = replace(parse_trace_params(raw), max_per_node=max_per_node, max_edges=max_edges)
        with open_platform() as p:
            result = p.ledger.trace(params)
        _print_trace(result, svg, png, as_json)
    except FinguardError as exc:
        _fail(exc)


@app.command("demo")
def demo_command(
    svg: Annotated[Path, typer.Option(help="Where to write the picture.")] = Path("elderly-customer-trace.svg"),
) -> None:
    """The elderly customer's 4,000 yuan: import his statement, trace it, print and draw where it went."""
    try:
        with open_platform() as p, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "statement.csv"
            path.write_text(DEMO_STATEMENT, encoding="utf-8")
            _import(p, "statement", path, ImportOptions(account=DEMO_ACCOUNT), False)
            since = datetime(2024, 3, 15, tzinfo=CHINA_TZ)
            payments = p.ledger.account_transfers(DEMO_ACCOUNT, "out", since=since, limit=10)
            start = next(t for t in payments if t.amount_fen == 400000)
            result = p.ledger.trace(TraceParams(DEMO_ACCOUNT, start_transfer=start.id, hops=6))
        _print_trace(result, svg, None, False)
    except FinguardError as exc:
        _fail(exc)


@app.command("accounts-import")
def accounts_import(path: Annotated[Path, typer.Argument(help="A CSV of settlement account events (docs/robots.md).")]) -> None:
    """Record settlement accounts opened, changed and closed from a CSV, all or nothing (the
    settlement report robot files them). Exit 2 when nothing was recorded."""
    try:
        if not path.is_file():
            raise InvalidInput.for_field("file", f"{path} does not exist")
        with open_platform() as p:
            report = p.account_register.import_csv(path.read_bytes(), p.cli_principal().actor, path.name)
    except FinguardError as exc:
        _fail(exc)
    out.print(f"{report.rows} row(s): {report.added} recorded, {report.already_recorded} already recorded")
