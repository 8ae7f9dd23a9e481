"""Staff API keys: create (printed once), revoke, list."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError

app = typer.Typer(help="Staff API keys.", no_args_is_help=True)


def _platform() -> Any:
    return open_platform()


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except FinguardError as exc:
        _fail(exc)


@app.command("create")
def keys_create(
    name: str,
    role: Annotated[str, typer.Option(help="admin or analyst.")] = "analyst",
) -> None:
    """Create an API key. The key is printed once; only its hash is stored."""
    with _platform() as p:
        key, secret = _run(p.keys.create, name, role)
    err.print(f"created key [bold]{key.name}[/] with role {key.role.value}; store it now, it is not shown again:")
    print(secret)


@app.command("revoke")
def keys_revoke(name: str) -> None:
    """Revoke an API key by name."""
    with _platform() as p:
        _run(p.keys.revoke, name)
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
