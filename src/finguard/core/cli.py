"""What every command shares: the consoles and the one way to report an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from finguard.core.errors import FinguardError

out = Console()
err = Console(stderr=True)

# The root CLI (finguard.app.cli) registers how a command opens the platform, so capability
# commands can open it without importing the app that composes them.
_open: Callable[..., Any] | None = None


def register_platform(factory: Callable[..., Any]) -> None:
    global _open
    _open = factory


def open_platform(*, follow: bool = False) -> Any:
    """The composed platform (``finguard.app.platform.Platform``) from the environment's settings;
    its parts are built when a command first touches them."""
    if _open is None:
        # A capability's commands called on their own (a library user, a test): the root CLI,
        # looked up by name so core does not import the app, registers the factory on import.
        import importlib

        importlib.import_module("finguard.app.cli")
    if _open is None:
        raise RuntimeError("no platform factory registered; run commands through finguard.app.cli")
    return _open(follow=follow)


def fail(exc: FinguardError) -> None:
    """Print the error with every field problem (line numbers where known) and exit: 2 for the
    caller's mistakes, 1 for ours."""
    # Messages quote user data, which may look like Rich markup: escape it, never interpret it.
    err.print(f"[bold red]error[/] ({exc.code}): {escape(exc.message)}")
    for p in exc.problems[:50]:
        where = f"line {p.line}: " if p.line is not None else ""
        err.print(f"  {where}{escape(p.field)}: {escape(p.problem)}")
    if len(exc.problems) > 50:
        err.print(f"  ... and {len(exc.problems) - 50} more")
    raise typer.Exit(2 if exc.status < 500 else 1)
