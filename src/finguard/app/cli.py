"""The ``finguard`` command (Typer + Rich). Commands call the same service functions as the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from finguard.core import cli as _core_cli
from finguard.core.cli import err, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError
from finguard.core.settings import Settings

if TYPE_CHECKING:
    from finguard.app.platform import Platform

# Each capability's commands, imported only when a command line names them: `finguard keys
# create` loads the access commands and nothing of the guard, the screener or the loans. Order is
# the order of the root --help (which imports them all to show their help lines).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("finguard.lists.cli", "check"),
    "changes": ("finguard.lists.cli", "changes"),
    "lists": ("finguard.lists.cli", "app"),
    "screen": ("finguard.screening.cli", "app"),
    "guard": ("finguard.guard.cli", "app"),
    "ledger": ("finguard.ledger.cli", "app"),
    "monitors": ("finguard.monitors.cli", "app"),
    "cases": ("finguard.alerts.cli", "cases_app"),
    "robots": ("finguard.robots.cli", "app"),
    "alerts": ("finguard.alerts.cli", "alerts_command"),
    "loans": ("finguard.loans.cli", "app"),
    "credit": ("finguard.credit.cli", "app"),
    "verify": ("finguard.identity.cli", "app"),
    "keys": ("finguard.access.cli", "app"),
    "users": ("finguard.access.cli", "users_app"),
    "approvals": ("finguard.access.cli", "approvals_app"),
    "audit": ("finguard.access.cli", "audit_app"),
}


def _load_command(name: str) -> Any:
    """The Click command behind one lazy name: a capability's Typer group, or a plain function
    made into a command the way ``app.command(name)`` would."""
    import importlib

    module, attr = LAZY_COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        target._add_completion = False  # the root command offers shell completion; a group does not
        command = typer.main.get_command(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: the commands defined here, plus each capability's commands on demand."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*LAZY_COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            self.commands[cmd_name] = _load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


def typer_context() -> Any:
    """The running command's context. Typer >= 0.20 ships its own copy of Click, whose context
    stack is not ``click``'s; older Typer uses Click itself."""
    import importlib

    try:
        stack = importlib.import_module("typer._click.globals")
    except ImportError:
        stack = importlib.import_module("click.globals")
    return stack.get_current_context(silent=True)


def _open_platform(*, follow: bool = False) -> Platform:
    from finguard.app.platform import Platform

    p = Platform(Settings(), follow=follow)
    # Every command is a staff action: recorded under the CLI's identity, with its arguments.
    ctx = typer_context()
    if ctx is not None:
        params = {k: v if isinstance(v, bool | int | float) else str(v) for k, v in ctx.params.items() if v is not None}
        p.audit.record(p.cli_principal().actor, "cli." + ".".join(ctx.command_path.split()[1:])[:60], "", {"params": params})
    return p


_core_cli.register_platform(_open_platform)

app = typer.Typer(
    cls=LazyGroup, help="finguard: risk lists and the payee check.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _platform() -> Platform:
    from finguard.app.platform import Platform

    return Platform(Settings(), follow=False)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except FinguardError as exc:
        _fail(exc)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings: 8000).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes; each keeps its own hot index current.")] = 1,
) -> None:
    """Run the API, the docs (/docs) and the pages. Loads the demo on an empty database.

    With ``--workers N`` each worker process keeps its own hot index current from the change log
    (PostgreSQL LISTEN/NOTIFY); set FINGUARD_REDIS_URL so the guard's velocity counts every
    worker's decisions, and FINGUARD_SESSION_SECRET so a staff form served by one worker is
    accepted by another (docs/deploy.md)."""
    import uvicorn

    settings = Settings()
    for problem in serve_warnings(settings, workers):
        err.print(f"[yellow]warning:[/] {problem}")
    # Migrate (and load the demo) once, here, before the workers start: N workers migrating a
    # fresh database at once would race on the schema.
    from finguard.app.platform import Platform

    with Platform(settings, follow=False) as p:
        if settings.demo_on_first_start and p.is_empty():
            _demo(p)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        # 503s of admission control written as the request is parsed, not after the loop's line (#19)
        "http": "finguard.app.protocol:AdmissionHttpTools",
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": proxy_allow_ips(settings),
    }
    if workers > 1:  # a listening socket per worker, so connections spread over the workers
        from finguard.app.workers import run_workers

        run_workers(uvicorn.Config("finguard.app.asgi:app", workers=workers, **options))
        return
    uvicorn.run("finguard.app.asgi:app", **options)


def serve_warnings(settings: Settings, workers: int) -> list[str]:
    """What is unsafe about serving with ``workers`` processes under these settings."""
    if workers <= 1:
        return []
    problems = []
    if not settings.redis_url:
        problems.append(
            f"{workers} workers without FINGUARD_REDIS_URL: each counts the guard's velocity (daily limits, bursts) "
            "for its own decisions only"
        )
    if not settings.session_secret:
        problems.append(f"{workers} workers without FINGUARD_SESSION_SECRET: a staff form served by one worker is refused by another")
    if settings.database_url.startswith("sqlite"):
        problems.append(f"{workers} workers on SQLite: writes queue on one file lock; use PostgreSQL for several processes")
    return problems


def proxy_allow_ips(settings: Settings) -> str:
    """uvicorn reads proxy headers only from the configured proxies (``proxy_headers`` is off
    without them): by default it believes X-Forwarded-For from 127.0.0.1, so a local peer could
    name any client."""
    return ",".join(settings.trusted_proxies)


def _demo(p: Platform) -> None:
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("loading demo lists", total=None)
        reports = p.load_demo(progress=lambda code: bar.update(task, description=f"loading demo list {code}"))
    table = Table("list", "added", "changed", "delisted", "unchanged", "rejected", title="demo lists")
    for r in reports:
        table.add_row(r.list_code, str(r.added), str(r.changed), str(r.delisted), str(r.unchanged), str(len(r.rejected)))
    out.print(table)


@app.command()
def demo() -> None:
    """Load (or refresh) the demo lists: synthetic Chinese fraud lists plus the real OFAC and UN lists."""
    with _platform() as p:
        _run(_demo, p)


def _reachable(url: str | None, default_port: int) -> str:
    """Whether a TCP service answers (Redis, NATS): a doctor's look, not a health check."""
    import socket
    from urllib.parse import urlparse

    if not url:
        return "not configured"
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return f"{parsed.hostname}:{parsed.port or default_port} answers"
    except OSError as exc:
        return f"{parsed.hostname}:{parsed.port or default_port} does not answer ({exc.strerror or exc})"


@app.command()
def doctor() -> None:
    """Print what this process sees: its home folder, database, lists, name snapshot, model and services."""
    from sqlalchemy.engine import make_url

    settings = Settings()
    table = Table("what", "value", title="finguard doctor", show_lines=False)
    table.add_row("FINGUARD_HOME", str(settings.home))
    for f in (settings.home / "finguard.env", Path(".env").resolve()):
        if f.is_file():
            table.add_row("settings file", str(f))
    table.add_row("database", make_url(settings.database_url).render_as_string(hide_password=True))
    healthy = True
    try:
        with _platform() as p:
            lists = p.lists.all_lists()
            table.add_row("database reachable", "yes (migrated to the latest schema)")
            table.add_row("change log", f"sequence {p.list_store.head_seq()}")
            for lst in lists:
                active = p.list_store.count_entries(lst.code, active_only=True)
                table.add_row(f"list {lst.code}", f"{lst.kind.value}, owner {lst.owner}, {active:,} active entries")
            if not lists:
                table.add_row("lists", "none (finguard demo loads the demo lists)")
    except Exception as exc:  # the doctor reports any failure, it never hides one
        healthy = False
        table.add_row("database reachable", f"[red]no[/]: {type(exc).__name__}: {str(exc)[:200]}")
    snapshots = sorted((settings.index_dir or settings.home / "index").glob("names-*.sqlite"))
    table.add_row("name snapshots", ", ".join(f"{s.name} ({s.stat().st_size / 1e6:.1f} MB)" for s in snapshots) or "none yet")
    model = settings.guard_model_path
    table.add_row("guard model", f"{model} ({'present' if model and model.is_file() else 'missing'})" if model else "none")
    if settings.guard_model_registry:
        from finguard.guard.service.registry import ModelRegistry

        roles = ModelRegistry(settings.guard_model_registry).roles()
        table.add_row(
            "guard model registry",
            f"{settings.guard_model_registry}: champion {roles['champion'] or 'none'}, challenger {roles['challenger'] or 'none'}",
        )
    from finguard import compiled

    table.add_row("compiled modules", compiled.status)
    table.add_row("Redis (velocity)", _reachable(settings.redis_url, 6379))
    table.add_row("NATS (guard stream)", _reachable(settings.nats_url, 4222))
    out.print(table)
    if not healthy:
        raise typer.Exit(1)
