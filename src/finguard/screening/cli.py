"""``finguard screen ...`` and ``finguard alerts``: name screening and due diligence (#3)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError, InvalidInput
from finguard.screening.model.diligence import counterparty_from_record
from finguard.screening.pages.report import render_report
from finguard.screening.service.diligence import Screening, read_party_batch
from finguard.screening.service.matcher import ScreenQuery

app = typer.Typer(help="Name screening and counterparty due diligence.", no_args_is_help=True)
COLOURS = {"match": "bold red", "close_match": "bold yellow", "no_match": "bold green"}


def _print_screening(s: Screening) -> None:
    out.print(
        f"[{COLOURS[s.outcome.value]}]{s.outcome.value.upper()}[/] {s.party.name} ({s.party.key}, {s.party.purpose.value}) seq={s.seq}"
    )
    table = Table("entry", "list", "listed name", "score", "outcome", "why")
    for h in s.hits:
        why = "\n".join(f"{f.name} {f.contribution:+.2f}: {f.explanation}" for f in h.hit.features)
        mark = " (false positive)" if h.suppressed else ""
        table.add_row(str(h.hit.entry_id), h.hit.list_code, h.hit.listed_name, f"{h.hit.score:.2f}", h.hit.outcome + mark, why)
    if s.hits:
        out.print(table)


@app.command("name")
def screen_name(
    name: str,
    kind: Annotated[str | None, typer.Option(help="person or organisation.")] = None,
    birth_date: Annotated[str | None, typer.Option(help="ISO date or year.")] = None,
    country: Annotated[str | None, typer.Option(help="Nationality or country.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen a name against every list (nothing is stored)."""
    with open_platform() as p:
        try:
            hits = p.diligence.screen_name(ScreenQuery(name, kind, birth_date, country))
        except FinguardError as exc:
            _fail(exc)
    if as_json:
        out.print_json(json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False, default=str))
        return
    if not hits:
        out.print(f"[{COLOURS['no_match']}]NO MATCH[/] {name}")
    for h in hits:
        out.print(f"[{COLOURS[h.outcome]}]{h.outcome.upper()}[/] {h.listed_name} ({h.list_code} #{h.entry_id}) score {h.score:.2f}")
        for f in h.features:
            out.print(f"    {f.name} {f.contribution:+.2f}: {f.explanation}")


@app.command("party")
def screen_party(
    name: str,
    key: Annotated[str | None, typer.Option(help="Your id for the party (default: the name).")] = None,
    kind: Annotated[
        str | None, typer.Option(help="person or organisation (default: organisation for a legal form in the name or --purpose supplier).")
    ] = None,
    purpose: Annotated[str, typer.Option(help="contract, merchant, supplier, hire or customer.")] = "customer",
    birth_date: Annotated[str | None, typer.Option(help="ISO date or year.")] = None,
    country: Annotated[str | None, typer.Option(help="Nationality or country.")] = None,
) -> None:
    """Due diligence on one counterparty: screened, stored, and alerted on new hits."""
    record = {"name": name, "key": key, "kind": kind, "purpose": purpose, "birth_date": birth_date, "country": country}
    with open_platform() as p:
        try:
            result = p.diligence.screen(counterparty_from_record({k: v for k, v in record.items() if v is not None}))
        except FinguardError as exc:
            _fail(exc)
    _print_screening(result)


@app.command("batch")
def screen_batch(
    path: Path,
    format: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl (default: from the file name).")] = "",
    report: Annotated[str, typer.Option(help="json, csv or html.")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Report file (default: standard output).")] = None,
    purpose: Annotated[str, typer.Option(help="Default purpose for rows without one.")] = "customer",
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
) -> None:
    """Due diligence on a batch file; writes a report with hits and explanations."""
    fmt = format or ("jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv")
    if report not in ("json", "csv", "html"):
        _fail(InvalidInput.for_field("report", "must be json, csv or html"))
    if not path.exists():
        _fail(InvalidInput.for_field("path", f"{path} does not exist"))
    with open_platform() as p:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                records = read_party_batch(fmt, fh, "path", path.name)
        except (UnicodeDecodeError, FinguardError) as exc:
            _fail(exc if isinstance(exc, FinguardError) else InvalidInput.for_field("path", "is not UTF-8 text"))
        with Progress(SpinnerColumn(), TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err) as bar:
            task = bar.add_task("screen", total=len(records))
            results, problems = p.diligence.screen_records(
                records, default_purpose=purpose, progress=lambda n: bar.update(task, completed=n)
            )
    if report == "json":
        from finguard.screening.http.schemas import adapt_screening

        body = json.dumps(
            {"results": [adapt_screening(r).model_dump(mode="json") for r in results], "rejected": [pr.as_dict() for pr in problems]},
            ensure_ascii=False,
            indent=1,
        )
    else:
        body, _media = render_report(results, problems, report, lang)
    if output is None:
        print(body)
    else:
        output.write_text(body, encoding="utf-8")
    counts = {k: sum(1 for r in results if r.outcome.value == k) for k in ("match", "close_match", "no_match")}
    err.print(
        f"screened {len(results)}: {counts['match']} match, {counts['close_match']} close match, {counts['no_match']} no match; "
        f"{len(problems)} problem(s)"
    )
    for pr in problems[:50]:
        err.print(f"  line {pr.line}: {pr.field}: {pr.problem}")


@app.command("decide")
def decide(
    party_key: str,
    entry_id: int,
    decision: Annotated[str, typer.Option(help="false_positive or confirmed.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
) -> None:
    """Record an analyst decision on a hit (append-only), as the CLI's identity (FINGUARD_CLI_ACTOR
    or the operating-system user)."""
    with open_platform() as p:
        try:
            made = p.diligence.decide(party_key, entry_id, decision, reason, p.cli_principal().actor)
        except FinguardError as exc:
            _fail(exc)
    out.print(f"recorded {made.decision.value} on {made.party_key} / entry {made.entry_id} by {made.actor}")


@app.command("rescreen")
def rescreen() -> None:
    """Delta screening: re-screen only the parties affected by list changes since the last run."""
    with open_platform() as p:
        alerts = p.diligence.rescreen_pending()
    out.print(f"{len(alerts)} new alert(s)")
