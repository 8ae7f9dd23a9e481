"""Staff access at the command line: API keys, staff accounts, pending changes, the audit log.

The CLI acts as ``FINGUARD_CLI_ACTOR`` or the operating-system user (``Platform.cli_principal``),
never as a name typed in an option, and every command is recorded under that name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.clock import utcnow
from finguard.core.errors import FinguardError, Forbidden

app = typer.Typer(help="Staff API keys (for integrators).", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts: one per person, signing in to the staff pages.", no_args_is_help=True)
approvals_app = typer.Typer(help="Changes that lower outcomes, waiting for a second person.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log and the hash chains of the change and audit logs.", no_args_is_help=True)


def _platform() -> Any:
    return open_platform(follow=False)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except FinguardError as exc:
        _fail(exc)


def _admin(p: Any) -> Any:
    who = p.cli_principal()
    if who.role.value != "admin":
        _fail(Forbidden(f"{who.actor} has role {who.role.value!r}; this command needs admin"))
    return who


@app.command("create")
def keys_create(
    name: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, analyst, police or compliance.")] = "analyst",
) -> None:
    """Create an API key. The key is printed once; only its hash is stored."""
    with _platform() as p:
        key, secret = _run(p.keys.create, name, role, actor=_admin(p).actor)
    err.print(f"created key [bold]{key.name}[/] with role {key.role.value}; store it now, it is not shown again:")
    print(secret)


@app.command("revoke")
def keys_revoke(name: str) -> None:
    """Revoke an API key by name (and end the page sessions opened with it)."""
    with _platform() as p:
        _run(p.keys.revoke, name, actor=_admin(p).actor)
    out.print(f"revoked key {name}")


@app.command("list")
def keys_list() -> None:
    """List API keys (names, roles, prefixes; never the keys)."""
    with _platform() as p:
        keys = p.keys.all_keys()
    table = Table("name", "role", "prefix", "created", "revoked")
    for k in keys:
        table.add_row(
            k.name,
            k.role.value,
            k.prefix,
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    out.print(table)


# -- staff accounts -------------------------------------------------------------------------------


def _password(prompt: bool) -> str:
    if not prompt or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    name: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, analyst, police or compliance.")] = "analyst",
) -> None:
    """Create a staff account; the password is read from the terminal (or one line of standard input)."""
    password = _password(True)
    with _platform() as p:
        user = _run(p.accounts.create_user, name, role, password, actor=_admin(p).actor)
    out.print(f"created staff account [bold]{escape(user.name)}[/] with role {user.role.value}")


@users_app.command("password")
def users_password(name: str) -> None:
    """Set a staff account's password (its open sessions end)."""
    password = _password(True)
    with _platform() as p:
        _run(p.accounts.set_password, name, password, actor=_admin(p).actor)
    out.print(f"password of {escape(name)} changed; its sessions ended")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a staff account (its open sessions end at once)."""
    with _platform() as p:
        _run(p.accounts.disable_user, name, actor=_admin(p).actor)
    out.print(f"disabled {escape(name)}")


@users_app.command("list")
def users_list() -> None:
    """List staff accounts (never their password hashes)."""
    with _platform() as p:
        users = p.accounts.users()
    table = Table("name", "role", "created", "disabled")
    for u in users:
        disabled = u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else ""
        table.add_row(escape(u.name), u.role.value, u.created_at.isoformat(timespec="seconds"), disabled)
    out.print(table)


# -- pending changes ------------------------------------------------------------------------------


@approvals_app.command("list")
def approvals_list(status: Annotated[str, typer.Option(help="pending, approved, rejected, failed or all.")] = "pending") -> None:
    """List changes waiting for a second person (or decided ones)."""
    with _platform() as p:
        found = _run(p.approvals.find, None if status == "all" else status)
    table = Table("id", "status", "kind", "summary", "proposed by", "at", "decided by")
    for c in found:
        table.add_row(
            str(c.id),
            c.status.value,
            c.proposal.kind,
            escape(c.proposal.summary),
            escape(c.proposed_by),
            c.proposed_at.isoformat(timespec="seconds"),
            escape(c.decided_by or ""),
        )
    out.print(table)


@approvals_app.command("show")
def approvals_show(change_id: int) -> None:
    """Print one pending change as JSON (what exactly would be applied)."""
    from finguard.access.http.schemas import adapt_pending

    with _platform() as p:
        change = _run(p.approvals.get, change_id)
    print(adapt_pending(change).model_dump_json(indent=2))


@approvals_app.command("approve")
def approvals_approve(change_id: int, reason: Annotated[str, typer.Option(help="Why (recorded).")]) -> None:
    """Approve and apply a change proposed by someone else."""
    with _platform() as p:
        change = _run(p.approvals.approve, change_id, p.cli_principal(), reason)
    out.print(f"change {change.id} {change.status.value} by {escape(change.decided_by or '')}: {escape(change.proposal.summary)}")


@approvals_app.command("reject")
def approvals_reject(change_id: int, reason: Annotated[str, typer.Option(help="Why (recorded).")]) -> None:
    """Reject a change (or withdraw your own)."""
    with _platform() as p:
        change = _run(p.approvals.reject, change_id, p.cli_principal(), reason)
    out.print(f"change {change.id} rejected by {escape(change.decided_by or '')}")


# -- the audit log ---------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[Path | None, typer.Option(help="An anchor file written by `audit anchor`: the chains must still hold it.")] = None,
) -> None:
    """Walk the change log's and the audit log's hash chains; exit 1 naming the first bad row."""
    with _platform() as p:
        reports = p.verify_logs()
    failed = False
    heads = {r.table: r for r in reports}
    for r in reports:
        if r.ok:
            out.print(f"{r.table}: ok, {r.rows} rows, head {r.head_seq} {r.head}")
        else:
            failed = True
            err.print(f"[bold red]{r.table}: row {r.bad_seq} is bad[/]: {r.problem} ({r.rows} rows before it are intact)")
    if anchor is not None:
        lines = [line for line in anchor.read_text(encoding="utf-8").splitlines() if line.strip()]
        for table, mark in (json.loads(lines[-1]).get("chains", {}) if lines else {}).items():
            report = heads.get(table)
            if report is None or report.head_seq < mark["seq"] or not _holds(p, table, mark):
                failed = True
                err.print(f"[bold red]{table}: the anchored row {mark['seq']} ({mark['hash'][:16]}…) is no longer in the chain[/]")
    if failed:
        raise typer.Exit(1)


def _holds(p: Any, table: str, mark: dict[str, Any]) -> bool:
    return bool(p.chain_hash_at(table, int(mark["seq"])) == mark["hash"])


@audit_app.command("anchor")
def audit_anchor(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Append the anchor to this file (JSON lines).")] = None,
) -> None:
    """Verify both chains, then print (or append to a file) their heads with the time: keep it where
    the database's administrators cannot write, and `audit verify --anchor` proves nothing before it
    changed. A serving process can do this periodically (FINGUARD_AUDIT_ANCHOR_PATH)."""
    with _platform() as p:
        ok = all(r.ok for r in p.verify_logs())
        actor = p.cli_principal().actor
        if output is not None:
            p.write_anchor(output, actor, verified=ok)
            out.print(f"anchor appended to {output}")
        else:
            anchor = {"at": utcnow().isoformat(), "by": actor, "chains": p.chain_heads(), "verified": ok}
            p.audit.record(actor, "audit.anchor", "", anchor, sync=True)
            print(json.dumps(anchor, ensure_ascii=False))
    if not ok:
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    actor: Annotated[str | None, typer.Option(help="Only this actor (e.g. user:alice, key:teller-1).")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this (e.g. key., approval.).")] = None,
) -> None:
    """Print audit records, one JSON object per line."""
    with _platform() as p:
        found = p.audit.recent(limit=limit, actor=actor, action=action)
    for seq, e in found:
        print(json.dumps({"seq": seq, **e.to_dict()}, ensure_ascii=False))
