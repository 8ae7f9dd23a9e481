"""``finguard guard ...``: the transaction guard (#4) from the command line.

Every command calls the same service functions as the API (``Platform.guard`` and the modules of
``finguard.guard.service``).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.access.model import PendingChange
from finguard.core import jsonsafe
from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError, InvalidInput
from finguard.guard.cli_models import drift_command, fraud_import_command, labels_command, models_app, replay_command, train_command
from finguard.guard.model.controls import ControlSettings, Protection, controls_to_dict, settings_from_dict, settings_to_dict
from finguard.guard.model.decision import Decision, Outcome
from finguard.guard.model.events import EventType, parse_time
from finguard.guard.model.rules import Rule, RuleMode
from finguard.guard.service.iso20022 import parse_iso20022
from finguard.guard.service.rule_pack import STARTER_PACK
from finguard.guard.service.stream import (
    MAX_PARTITIONS,
    ConsumerThread,
    GuardConsumer,
    StreamSettings,
    decision_record,
    publish_file,
    read_jsonl,
)

app = typer.Typer(help="The real-time transaction guard: decisions, rules, customer controls, model, stream.", no_args_is_help=True)
rules_app = typer.Typer(help="Guard rules: list, add, shadow, disable, backtest.", no_args_is_help=True)
controls_app = typer.Typer(help="A customer's security controls.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(controls_app, name="controls")
COLOURS = {"allow": "bold green", "review": "bold yellow", "hold": "bold dark_orange", "block": "bold red"}
NATS_URL = typer.Option("--nats-url", envvar="FINGUARD_NATS_URL", help="NATS server with JetStream.")


def _pending(found: Any) -> bool:
    """Print a change that waits for a second person's approval; True if it does."""
    if isinstance(found, PendingChange):
        out.print(f"pending change {found.id}: {found.proposal.summary}; a supervisor approves it (finguard approvals approve {found.id})")
        return True
    return False


def _platform(*, follow: bool = False) -> Any:
    return open_platform(follow=follow)


def _print_decision(d: Decision) -> None:
    out.print(
        f"[{COLOURS[d.outcome.value]}]{d.outcome.value.upper()}[/] score={d.score:g} event={escape(d.event_id)} "
        f"decision={d.decision_id} rules=v{d.rule_version} lists=seq {d.list_seq}"
        + (f" shadow={d.shadow_outcome.value}" if d.shadow_outcome is not d.outcome else "")
    )
    if not d.reasons:
        out.print("  nothing fired")
        return
    table = Table("kind", "code", "asks", "score", "why", "values")
    for r in d.reasons:
        values = json.dumps(dict(r.values), ensure_ascii=False, default=str)
        code = r.code if r.enforced else f"{r.code} (shadow)"
        table.add_row(
            r.kind.value, escape(code), r.outcome.value if r.outcome else "", f"{r.score:g}", escape(r.detail), escape(values[:160])
        )
    out.print(table)


@app.command("decide")
def decide(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSON event, or a pacs.008 / pain.001 XML message.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    channel: Annotated[str, typer.Option(help="Channel of XML messages.")] = "api",
) -> None:
    """Decide an event now (idempotent by event id) and print the explained decision."""
    raw = file.read_bytes()
    with _platform() as p:
        try:
            if raw.lstrip().startswith(b"<"):
                message = parse_iso20022(raw, now=p.guard.clock(), channel=channel)
                decisions = [p.guard.decide(e) for e in message.events]
            else:
                data = jsonsafe.loads(raw)
                decisions = [p.guard.decide_raw(data)]
        except FinguardError as exc:
            _fail(exc)
            return
    if as_json:
        out.print_json(json.dumps([decision_record(d) for d in decisions], default=str))
        return
    for d in decisions:
        _print_decision(d)


app.command("train")(train_command)
app.command("replay")(replay_command)
app.command("drift")(drift_command)
app.command("labels")(labels_command)
app.command("fraud-import")(fraud_import_command)
app.add_typer(models_app, name="models")


PARTITIONS = typer.Option(
    min=1,
    max=MAX_PARTITIONS,
    envvar="FINGUARD_GUARD_PARTITIONS",
    help="Partitions by customer: each customer's events on one partition's subjects. Publishers and consumers must agree.",
)


def _stream_settings(
    nats_url: str, batch: int, partitions: int = 1, owned: Sequence[int] = (), group: bool = False, lease_ttl: float = 10.0
) -> StreamSettings:
    try:
        first = owned[0] if owned else None
        return StreamSettings(
            url=nats_url, batch=batch, partitions=partitions, partition=first, also=tuple(owned[1:]), group=group, lease_ttl=lease_ttl
        )
    except FinguardError as exc:
        _fail(exc)
        raise typer.Exit(2) from exc


@app.command("consume")
def consume(
    nats_url: Annotated[str, NATS_URL] = "nats://127.0.0.1:4222",
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Events fetched per pull.")] = 200,
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    partitions: Annotated[int, PARTITIONS] = 1,
    partition: Annotated[
        list[int] | None,
        typer.Option(
            min=0,
            help="Read only this partition's events (0 .. partitions - 1; partition 0 also takes events published "
            "without one). Repeat it to own several (each decided in order, side by side). Default: every event.",
        ),
    ] = None,
    group: Annotated[
        bool,
        typer.Option(
            "--group",
            envvar="FINGUARD_GUARD_GROUP",
            help="Share the partitions with the other consumers started with --group, through leases in NATS: each "
            "takes about partitions / consumers, and a dead consumer's partitions are taken over when its leases expire.",
        ),
    ] = False,
    lease_ttl: Annotated[
        float,
        typer.Option(
            min=1.0,
            envvar="FINGUARD_GUARD_LEASE_TTL",
            help="Group mode: seconds a partition's lease outlives its owner's last renewal (renewed every TTL / 4): "
            "a dead consumer's partitions wait about this long (at most about 1.25 x). The group's first consumer sets it for all.",
        ),
    ] = 10.0,
) -> None:
    """Decide the events of stream FINGUARD_EVENTS and publish the decisions to FINGUARD_DECISIONS."""
    settings = _stream_settings(nats_url, batch, partitions, partition or (), group, lease_ttl)
    with _platform(follow=True) as p:
        if group and not p.settings.redis_url:
            err.print(
                "[yellow]FINGUARD_REDIS_URL is not set: in group mode a partition moves between consumers, and a consumer "
                "that takes one over has not counted its customers' earlier events (velocity in memory). Set "
                "FINGUARD_REDIS_URL so every consumer counts every event.[/]"
            )
        elif not p.settings.redis_url:
            err.print(
                "[yellow]FINGUARD_REDIS_URL is not set: this consumer counts the guard's velocity (daily limits, bursts) "
                "from its own events only. Run it as the only process that decides, or set FINGUARD_REDIS_URL "
                "for several consumers or an API that decides too.[/]"
            )
        runner = ConsumerThread(GuardConsumer(p.guard, settings)).start()
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        started = time.monotonic()
        try:
            while runner.alive and not stopping and (seconds is None or time.monotonic() - started < seconds):
                h = runner.consumer.health
                state = "[green]healthy[/]" if h.healthy else f"[red]unhealthy[/]: {escape(h.reason)}"
                owns = f"; owns {','.join(map(str, h.owned)) or 'none'}" if group else ""
                err.print(f"decided {h.decided}, invalid {h.invalid}, retried {h.retried}{owns}; {state}", end="\r")
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            runner.stop()
        h = runner.consumer.health
        leases = f"; partitions taken {h.took}, given up {h.gave}, lost {h.lost}" if group else ""
        out.print(f"\nstopped: decided {h.decided}, invalid {h.invalid}, retried {h.retried}{leases}")


@app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL: one event per line.")],
    nats_url: Annotated[str, NATS_URL] = "nats://127.0.0.1:4222",
    skip_bad_rows: Annotated[
        bool, typer.Option(help="Skip lines that are not JSON objects (reported) instead of refusing the file.")
    ] = False,
    partitions: Annotated[int, PARTITIONS] = 1,
) -> None:
    """Publish events to stream FINGUARD_EVENTS (message id = event id, so a repeat is dropped)."""
    settings = _stream_settings(nats_url, 200, partitions)
    try:
        total = len(read_jsonl(file, skip_bad=skip_bad_rows)[0])
    except FinguardError as exc:
        _fail(exc)
        return
    with Progress(TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("publishing", total=total)
        report = publish_file(file, settings, skip_bad=skip_bad_rows, progress=lambda n: bar.update(task, advance=n))
    for p in report.skipped:
        err.print(f"  skipped line {p.line}: {escape(p.problem)}")
    out.print(f"published {report.published}, dropped as repeats {report.duplicates}, skipped {len(report.skipped)} in {report.seconds} s")


# -- rules -------------------------------------------------------------------------------------


@rules_app.command("list")
def rules_list() -> None:
    """The rules in force (the newest version of each)."""
    with _platform() as p:
        version = p.guard.rules.current().version
        rules = p.guard.rules.rules()
    table = Table("id", "v", "mode", "on", "score", "outcome", "types", "expression", title=f"rule set version {version}")
    for r in rules:
        table.add_row(
            r.id,
            str(r.version),
            r.mode.value,
            "yes" if r.enabled else "no",
            f"{r.score:g}",
            r.outcome.value if r.outcome else "",
            ",".join(t.value for t in r.event_types) or "all",
            escape(r.expression),
        )
    out.print(table)


@rules_app.command("add")
def rules_add(
    rule_id: Annotated[str, typer.Argument(help="a-z, 0-9, '_', '.', '-', starting with a letter.")],
    expression: Annotated[str, typer.Argument(help='The condition, e.g. "event.amount >= 50000 and payee.is_first".')],
    description: Annotated[str, typer.Option(help="The explanation a decision gives.")],
    score: Annotated[float, typer.Option(help="Score added when the rule fires.")] = 0.0,
    outcome: Annotated[str | None, typer.Option(help="Least outcome asked for: review, hold or block.")] = None,
    event_type: Annotated[list[str] | None, typer.Option("--event-type", help="Event types the rule applies to (repeat).")] = None,
    shadow: Annotated[bool, typer.Option(help="Evaluate and record, never enforce.")] = False,
) -> None:
    """Add a rule, or a new version of an existing one (effective on the next decision)."""
    try:
        rule = Rule(
            rule_id,
            expression,
            description,
            score,
            Outcome(outcome) if outcome else None,
            RuleMode.SHADOW if shadow else RuleMode.ENFORCE,
            tuple(EventType(t) for t in event_type or ()),
        )
    except ValueError as exc:
        _fail(InvalidInput.for_field("outcome" if outcome and "Outcome" in str(exc) else "event_type", str(exc)))
        return
    with _platform() as p:
        try:
            saved = p.guard_authority.save_rule(rule, p.cli_principal())
        except FinguardError as exc:
            _fail(exc)
            return
    if _pending(saved):
        return
    out.print(f"saved {saved.id} version {saved.version} ({saved.mode.value})")


def _change(rule_id: str, **changes: Any) -> None:
    with _platform() as p:
        try:
            saved = p.guard_authority.save_rule(replace(p.guard.rules.get(rule_id), **changes), p.cli_principal())
        except FinguardError as exc:
            _fail(exc)
            return
    if _pending(saved):
        return
    out.print(f"saved {saved.id} version {saved.version} ({saved.mode.value}, {'enabled' if saved.enabled else 'disabled'})")


@rules_app.command("shadow")
def rules_shadow(
    rule_id: str,
    enforce: Annotated[bool, typer.Option("--enforce", help="Enforce the rule again instead.")] = False,
) -> None:
    """Run a rule in shadow (recorded, not enforced), or back to enforced with --enforce."""
    _change(rule_id, mode=RuleMode.ENFORCE if enforce else RuleMode.SHADOW)


@rules_app.command("disable")
def rules_disable(rule_id: str) -> None:
    """Disable a rule (a new version; history is kept)."""
    _change(rule_id, enabled=False)


def _when(raw: str | None, name: str) -> datetime | None:
    return None if raw is None else parse_time(raw, name)


@rules_app.command("backtest")
def rules_backtest(
    version: Annotated[int | None, typer.Option(help="Rule-set version to replay (default: the current one).")] = None,
    since: Annotated[str | None, typer.Option(help="Events from (ISO 8601 with offset).")] = None,
    until: Annotated[str | None, typer.Option(help="Events before (ISO 8601 with offset).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 10_000,
) -> None:
    """Replay a rule-set version over stored events and report what would have changed."""
    with _platform() as p:
        try:
            g = p.guard
            report = g.rules.backtest(
                g.store, g.config.thresholds, version=version, since=_when(since, "since"), until=_when(until, "until"), limit=limit
            )
        except FinguardError as exc:
            _fail(exc)
            return
    out.print(f"rule set v{report.rule_version}: {report.evaluated} events replayed, {report.changed} would change")
    if report.transitions:
        table = Table("change", "events", title="outcome changes")
        for k, v in sorted(report.transitions.items()):
            table.add_row(k, str(v))
        out.print(table)
    if report.fired or report.errors:
        table = Table("rule", "fired", "errors", title="rules")
        for code in sorted(set(report.fired) | set(report.errors)):
            table.add_row(code, str(report.fired.get(code, 0)), str(report.errors.get(code, 0)))
        out.print(table)
    for c in report.changes[:20]:
        out.print(f"  {escape(c.event_id)}: {c.before} -> {c.after} (decision {c.decision_id})")


@app.command("starter-pack")
def starter_pack() -> None:
    """Install the telecom-fraud starter rules not yet present."""
    with _platform() as p:
        try:
            added = p.guard.rules.install(STARTER_PACK, p.cli_principal().actor)
        except FinguardError as exc:
            _fail(exc)
            return
    out.print(f"installed {len(added)} rule(s): {', '.join(r.id for r in added) or 'all were present'}")


# -- customer controls -------------------------------------------------------------------------


def _wanted(p: Protection[Any]) -> Any:
    """What the customer last asked for: a loosening still waiting counts as asked."""
    return p.pending if p.pending is not None else p.current


@controls_app.command("show")
def controls_show(customer: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """A customer's controls: what is in force and what is waiting to switch off."""
    with _platform() as p:
        c = p.guard.controls.get(customer)
    data = controls_to_dict(c)
    if as_json:
        out.print_json(json.dumps({"customer_id": customer, "version": c.version, **data}))
        return
    table = Table("protection", "in force", "waiting", "from", title=f"controls of {escape(customer)} (version {c.version})")
    for name, part in data.items():
        table.add_row(
            name,
            escape(json.dumps(part["current"], ensure_ascii=False)),
            escape(json.dumps(part["pending"], ensure_ascii=False)) if part["pending"] else "",
            part["pending_off_until"] or "",
        )
    out.print(table)


@controls_app.command("set")
def controls_set(
    customer: str,
    changes: Annotated[str, typer.Argument(help='JSON of the protections to change, e.g. \'{"night_lock": {"enabled": true}}\'.')],
    channel: Annotated[str, typer.Option(help="The customer's channel the request came through.")] = "counter",
    at_branch: Annotated[bool, typer.Option(help="Confirmed in person at a branch: loosening takes effect at once.")] = False,
) -> None:
    """Change some protections; the others stay as the customer last asked. Loosening waits 24 h unless --at-branch."""
    try:
        requested = json.loads(changes)
    except json.JSONDecodeError as exc:
        _fail(InvalidInput.for_field("changes", f"is not JSON: {exc}"))
        return
    if not isinstance(requested, dict) or set(requested) - {"night_lock", "region_lock", "limits", "cooling_off"}:
        _fail(InvalidInput.for_field("changes", "must be an object with night_lock, region_lock, limits or cooling_off"))
        return
    with _platform() as p:
        try:
            c = p.guard.controls.get(customer)
            base = settings_to_dict(
                ControlSettings(_wanted(c.night_lock), _wanted(c.region_lock), _wanted(c.limits), _wanted(c.cooling_off))
            )
            merged = {name: {**base[name], **(requested.get(name) or {})} for name in base}
            after = p.guard_authority.set_controls(
                customer, settings_from_dict(merged), p.cli_principal(), channel=channel, at_branch=at_branch
            )
        except FinguardError as exc:
            _fail(exc)
            return
    if _pending(after):
        return
    waiting = [n for n in ("night_lock", "region_lock", "limits", "cooling_off") if getattr(after, n).pending is not None]
    out.print(f"saved version {after.version}" + (f"; switching off after the delay: {', '.join(waiting)}" if waiting else ""))


@app.command("checkup")
def checkup(customer: str) -> None:
    """The security check-up: which protections are off and what to switch on."""
    with _platform() as p:
        advice = p.guard.controls.checkup(customer)
    if not advice:
        out.print("[bold green]all protections are on[/]")
        return
    for a in advice:
        out.print(f"[yellow]•[/] {escape(a.zh)}\n  {escape(a.en)}")
