"""Alerts from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from finguard.core.cli import fail as _fail
from finguard.core.cli import open_platform, out
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
