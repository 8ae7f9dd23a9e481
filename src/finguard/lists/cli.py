"""The risk lists' commands: the payee check, lists (create, import, export, show, delist), the change log."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError
from finguard.lists.model.check import CheckRequest
from finguard.lists.service.importers.tabular import export_records, write_csv, write_jsonl

app = typer.Typer(help="Risk lists: create, import, export, show, delist.", no_args_is_help=True)


def _platform() -> Any:
    return open_platform()


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except FinguardError as exc:
        _fail(exc)


def check(
    account: Annotated[str | None, typer.Option(help="Payee account number.")] = None,
    card: Annotated[str | None, typer.Option(help="Payee card number.")] = None,
    phone: Annotated[str | None, typer.Option(help="Payee phone number.")] = None,
    id_number: Annotated[str | None, typer.Option("--id-number", help="Payee resident ID number.")] = None,
    name: Annotated[str | None, typer.Option(help="Payee name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a payee against every list (staff view)."""
    with _platform() as p:
        result = _run(
            p.checker.check,
            CheckRequest(account=account, card=card, phone=phone, id_number=id_number, name=name),
            view="staff",
            client="cli",
        )
    if as_json:
        from finguard.lists.http.schemas import adapt_check

        out.print_json(adapt_check(result).model_dump_json())
        return
    colour = {"block": "bold red", "warn": "bold yellow", "pass": "bold green", "unavailable": "bold magenta"}[result.outcome.value]
    out.print(
        f"[{colour}]{result.outcome.value.upper()}[/] risk={result.risk_level.label if result.risk_level else '-'} "
        f"seq={result.seq} check={result.check_id}"
    )
    for reason in result.reasons:
        out.print(f"  {reason}")
    if result.hits:
        table = Table("list", "kind", "field", "entry", "level", "reason", "since")
        for h in result.hits:
            table.add_row(
                h.list_code,
                h.list_kind.value,
                h.field,
                escape(h.entry_key),
                h.risk_level.label,
                escape(h.reason),
                h.listed_at.date().isoformat() if h.listed_at else "",
            )
        out.print(table)
    if result.outcome.value in ("block", "unavailable"):
        raise typer.Exit(3)


@app.command("create")
def lists_create(
    code: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    kind: Annotated[str, typer.Option(help="fraud_account, mule_account, dishonest_debtor, sanctions, internal or allow.")],
    owner: Annotated[str, typer.Option(help="Who owns the list.")],
    level: Annotated[str, typer.Option(help="Default risk level: low, medium, high, critical.")] = "high",
) -> None:
    """Create a list."""
    with _platform() as p:
        lst = _run(p.lists.create_list, code, name, kind, owner, level)
    out.print(f"created list [bold]{lst.code}[/] ({lst.kind.value}, default {lst.default_level.label})")


@app.command("import")
def lists_import(
    code: str,
    path: Path,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="csv, jsonl, ofac (sdn.csv or its folder), un (XML), eu (EU FSF XML) or uk (OFSI ConList.csv).")] = "csv",
    mode: Annotated[str, typer.Option(help="sync: the file is the whole list; append: add and modify only.")] = "sync",
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Import the good rows and report the bad ones (refused when more than the set share is bad)."),
    ] = False,
    allow_mass_delist: Annotated[
        bool,
        typer.Option("--allow-mass-delist", help="Let a sync import delist more than the set share of the list (default 20%)."),
    ] = False,
) -> None:
    """Import a list file atomically; report added / changed / delisted / rejected. Changes that
    would lower outcomes are held as one pending change for a second person (finguard approvals).

    Exits 2 (nothing imported) when the file is refused: a wrong header or format, too many bad
    rows, no usable row, or a sync import that would delist too much of the list.
    """
    with (
        _platform() as p,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} rows"),
            TimeElapsedColumn(),
            console=err,
        ) as bar,
    ):
        task = bar.add_task(f"importing {path.name}", total=None)
        report = _run(
            p.import_file,
            code,
            format,
            path,
            who=p.cli_principal(),
            mode=mode,
            skip_bad_rows=skip_bad_rows,
            allow_mass_delist=allow_mass_delist,
            progress=lambda n: bar.update(task, completed=n),
        )
    table = Table("rows", "added", "changed", "delisted", "unchanged", "rejected", "seq", title=f"import into {code}")
    seqs = f"{report.first_seq}..{report.last_seq}" if report.first_seq else "-"
    table.add_row(
        str(report.rows),
        str(report.added),
        str(report.changed),
        str(report.delisted),
        str(report.unchanged),
        str(len(report.rejected)),
        seqs,
    )
    out.print(table)
    for prob in report.rejected[:50]:
        err.print(f"  rejected line {prob.line}: {escape(prob.field)}: {escape(prob.problem)}")
    if report.pending_change is not None:
        err.print(f"{report.held} change(s) that lower outcomes wait for approval: pending change {report.pending_change}")


@app.command("export")
def lists_export(
    code: str,
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
) -> None:
    """Export a list's active entries in the import format."""
    if format not in ("jsonl", "csv"):
        _fail(_bad("format", "must be jsonl or csv"))
    with _platform() as p:
        state = _run(p.lists.state_at, code, p.follower.seq)
    records = export_records((d, lvl) for _id, d, lvl in state)
    writer = write_csv if format == "csv" else write_jsonl
    if output is None:
        n = writer(records, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = writer(records, fh)
    err.print(f"exported {n} entries from {code}")


def _bad(field: str, problem: str) -> FinguardError:
    from finguard.core.errors import InvalidInput

    return InvalidInput.for_field(field, problem)


@app.command("show")
def lists_show(
    code: Annotated[str | None, typer.Argument(help="A list code; omit to list all lists.")] = None,
    limit: Annotated[int, typer.Option(help="Entries to show.")] = 20,
) -> None:
    """Show all lists, or one list's entries."""
    with _platform() as p:
        if code is None:
            table = Table("code", "kind", "default level", "active entries", "owner", "name")
            for lst in p.lists.all_lists():
                table.add_row(
                    lst.code,
                    lst.kind.value,
                    lst.default_level.label,
                    str(p.list_store.count_entries(lst.code, active_only=True)),
                    escape(lst.owner),
                    escape(lst.name),
                )
            out.print(table)
            return
        entries = _run(p.lists.list_entries, code, limit=limit)
    table = Table("id", "key", "identifiers", "name", "level", "reason", "listed")
    for e in entries:
        ids = ", ".join(f"{i.type.value}:{i.value}" for i in e.draft.identifiers[:3])
        table.add_row(
            str(e.id),
            escape(e.draft.key),
            escape(ids),
            escape(e.draft.party.primary_name if e.draft.party else ""),
            e.risk_level.label,
            escape(e.draft.reason[:60]),
            e.draft.listed_at.date().isoformat() if e.draft.listed_at else "",
        )
    out.print(table)


@app.command("delist")
def lists_delist(
    entry_id: int,
    reason: Annotated[str, typer.Option(help="Why the entry is delisted (required).")],
) -> None:
    """Delist an entry: it stops matching at once and stays in history. From a risk list the
    delisting waits for a second person's approval (finguard approvals approve ID)."""
    from finguard.access.model import PendingChange

    with _platform() as p:
        found = _run(p.list_authority.delist, entry_id, reason, p.cli_principal())
    if isinstance(found, PendingChange):
        out.print(f"pending change {found.id}: {escape(found.proposal.summary)}; it needs a second person's approval")
        return
    out.print(f"delisted entry {found.id} ({escape(found.draft.key)}) from {found.list_code}")


def changes(
    since: Annotated[int, typer.Option(help="Show changes after this sequence.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """Print the change log, one JSON object per line."""
    with _platform() as p:
        found = _run(p.lists.changes_since, since, limit)
    for c in found:
        # Plain print: Rich would wrap long lines and read '[...]' in keys as markup, breaking the JSON.
        print(
            json.dumps(
                {
                    "seq": c.seq,
                    "at": c.at.isoformat(),
                    "actor": c.actor,
                    "op": c.op.value,
                    "list": c.list_code,
                    "entry": c.entry_id,
                    "key": c.entry_key,
                },
                ensure_ascii=False,
            )
        )
