"""``finguard guard train | replay | drift`` and ``finguard guard models ...``: a bank's own model.

Train on the bank's labelled events, keep versions in a registry, put a challenger in shadow,
replay history through rules, packs and models, and promote: the same service functions as the
API (``guard.service.training``, ``model``, ``registry``, ``replay``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.errors import FinguardError, InvalidInput
from finguard.guard.model.decision import Thresholds
from finguard.guard.model.events import Event, parse_time
from finguard.guard.model.merchant_risk import Confirmation, ConfirmedFraudIndex
from finguard.guard.model.rules import CompiledRule, compile_rule
from finguard.guard.service.model import DEFAULT_ROUNDS
from finguard.guard.service.replay import ReplayReport, Scorer, replay
from finguard.guard.service.rule_pack import STARTER_PACK

models_app = typer.Typer(help="The guard's model registry: versions, champion, challenger.", no_args_is_help=True)
ACTOR = "cli"
REGISTRY = typer.Option("--registry", envvar="FINGUARD_GUARD_MODEL_REGISTRY", help="Model registry folder.")
EVENTS = typer.Option("--events", exists=True, dir_okay=False, help="Events: JSONL (guard schema) or CSV with --mapping.")
LABELS = typer.Option("--labels", exists=True, dir_okay=False, help="Labels by event id: CSV event_id,label or JSONL.")
MAPPING = typer.Option("--mapping", exists=True, dir_okay=False, help="JSON: guard field -> CSV column (+ constants).")


def _stored_confirmations(events: list[Event]) -> list[Confirmation]:
    """The stored confirmed fraud a replay of ``events`` needs (empty when the guard has none)."""
    if not events:
        return []
    with open_platform() as p:
        service = p.guard.merchant_risk
        return service.for_replay(min(e.occurred_at for e in events)) if service else []


def _load(events: Path, mapping: Path | None, skip_bad: bool) -> tuple[list[Event], str]:
    from finguard.guard.service.training import read_events, read_mapping

    loaded = read_events(events, mapping=read_mapping(mapping) if mapping else None, skip_bad=skip_bad)
    for p in loaded.skipped[:20]:
        err.print(f"  skipped line {p.line}: {escape(p.field)}: {escape(p.problem)}")
    return loaded.events, loaded.sha256


def _metrics_table(m: Mapping[str, Any], title: str) -> Table:
    table = Table("measure", "value", title=title)
    table.add_row("events / fraud", f"{m['rows']} / {m['fraud']}")
    table.add_row("AUC", f"{m['auc']:.4f}")
    for r in (0.8, 0.9):
        table.add_row(f"precision at recall {r}", f"{m[f'precision_at_recall_{r}']:.3f}")
    table.add_row("calibration error (ECE)", f"{m['ece']:.4f}")
    for row in m["review"]:
        table.add_row(
            f"review {row['review_rate']:.0%} of events",
            f"catches {row['fraud_caught']:.1%} of fraud, {row['amount_caught']:.1%} of its amount",
        )
    return table


def train_command(
    events: Annotated[Path, EVENTS],
    labels: Annotated[Path, LABELS],
    registry: Annotated[Path, REGISTRY] = Path("var/models"),
    mapping: Annotated[Path | None, MAPPING] = None,
    name: Annotated[str | None, typer.Option(help="A name for this version.")] = None,
    rounds: Annotated[int, typer.Option(min=10, max=3000, help="Boosting rounds.")] = DEFAULT_ROUNDS,
    unlabelled: Annotated[str, typer.Option(help="Events without a label: legit (the default) or skip.")] = "legit",
    skip_bad_rows: Annotated[bool, typer.Option(help="Skip bad events (reported) instead of refusing the file.")] = False,
) -> None:
    """Train a model on the bank's own labelled events; report the time-ordered hold-out; register the version."""
    from finguard.guard.service import model as guard_model
    from finguard.guard.service.registry import ModelRegistry
    from finguard.guard.service.training import build_dataset, read_label_file

    if unlabelled not in ("legit", "skip"):
        _fail(InvalidInput.for_field("unlabelled", "must be legit or skip"))
        return
    try:
        evs, events_sha = _load(events, mapping, skip_bad_rows)
        label_file = read_label_file(labels)
        by_id, labels_sha = label_file.labels, label_file.sha256
        data = build_dataset(evs, by_id, unlabelled="skip" if unlabelled == "skip" else "legit", confirmed_at=label_file.confirmed_at)
        fingerprint = {"events_file": events.name, "events_sha256": events_sha, "labels_file": labels.name, "labels_sha256": labels_sha}
        with Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err) as bar:
            task = bar.add_task("training", total=rounds)
            version, report = guard_model.train_version(
                data,
                ModelRegistry(registry),
                name=name or events.stem,
                fingerprint=fingerprint,
                actor=ACTOR,
                rounds=rounds,
                progress=lambda done, _: bar.update(task, completed=done),
            )
    except FinguardError as exc:
        _fail(exc)
        return
    split = report.sidecar["split"]
    out.print(
        f"registered {version.version} ({escape(version.name)}) in {registry}: {len(data.y)} events, {int(data.y.sum())} fraud; "
        f"trained {split['train'][0]} .. {split['train'][1]}, calibrated to {split['calibrate'][1]}, "
        f"held out {split['hold_out'][0]} .. {split['hold_out'][1]}; {report.seconds} s"
    )
    out.print(_metrics_table(report.hold_out, "hold-out (the latest 20 %, never seen in training)"))
    out.print(f"promote it with: finguard guard models promote {version.version} --reason ...")


@models_app.command("list")
def models_list(registry: Annotated[Path, REGISTRY] = Path("var/models")) -> None:
    """Every version with its data and hold-out metrics, and who holds which role."""
    from finguard.guard.service.registry import ModelRegistry

    reg = ModelRegistry(registry)
    roles = reg.roles()
    table = Table("version", "name", "role", "trained", "events", "fraud", "AUC", "P@R0.8", "ECE", "data sha256", title=str(registry))
    for v in reg.versions():
        m = v.metrics.get("hold_out", {})
        role = "champion" if roles["champion"] == v.version else "challenger" if roles["challenger"] == v.version else ""
        table.add_row(
            v.version,
            escape(v.name),
            role,
            v.created_at,
            str(v.data.get("events", "")),
            str(v.data.get("fraud", "")),
            f"{m.get('auc', float('nan')):.4f}",
            f"{m.get('precision_at_recall_0.8', float('nan')):.3f}",
            f"{m.get('ece', float('nan')):.4f}",
            str(v.data.get("events_sha256", ""))[:12],
        )
    out.print(table)


def _role(role: str, version: str | None, registry: Path, reason: str) -> None:
    from finguard.guard.service.registry import ModelRegistry

    try:
        ModelRegistry(registry).set_role(role, version, ACTOR, reason)
    except FinguardError as exc:
        _fail(exc)
        return
    out.print(f"{role}: {version or 'none'} (takes effect when the guard next starts)")


@models_app.command("promote")
def models_promote(
    version: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")],
    registry: Annotated[Path, REGISTRY] = Path("var/models"),
) -> None:
    """Make a version the champion: its score is enforced through the rules."""
    _role("champion", version, registry, reason)


@models_app.command("challenger")
def models_challenger(
    version: Annotated[str | None, typer.Argument(help="The version to score in shadow; omit to stop.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
    registry: Annotated[Path, REGISTRY] = Path("var/models"),
) -> None:
    """Score a version in shadow on every decision (recorded, never enforced)."""
    _role("challenger", version, registry, reason)


@models_app.command("history")
def models_history(registry: Annotated[Path, REGISTRY] = Path("var/models")) -> None:
    """Who registered, promoted or set a challenger, when and why."""
    from finguard.guard.service.registry import ModelRegistry

    table = Table("at", "actor", "action", "version", "reason")
    for h in ModelRegistry(registry).history():
        table.add_row(h["at"], escape(h["actor"]), h["action"], str(h.get("version") or ""), escape(h.get("reason", "")))
    out.print(table)


def scorer_of(path: Path) -> Scorer:
    """A model file as a replay scorer (score, detail); an unavailable model refuses."""
    from finguard.guard.service.model import LightGBMScorer

    model = LightGBMScorer(path)
    if not model.available:
        raise InvalidInput.for_field("model", model.unavailable or "unavailable")

    def score(event: Event, features: Mapping[str, Any]) -> tuple[float, str] | None:
        found = model.explain(event, features)
        return None if found is None else (found.score, found.detail())

    return score


def _model_path(model: str, registry: Path) -> Path | None:
    from finguard.guard.service.registry import ModelRegistry

    if model == "none":
        return None
    reg = ModelRegistry(registry)
    if model in ("champion", "challenger"):
        path = reg.role_path(model)
        if path is None:
            raise InvalidInput.for_field("model", f"the registry has no {model}")
        return path
    return reg.path_of(model)


def print_replay(report: ReplayReport, title: str) -> None:
    data = report.as_dict()
    o = data["overall"]
    out.print(f"{title}: {data['events']} events, {data['fraud']} fraud; outcomes {json.dumps(data['outcomes'])}")
    table = Table("rule", "flagged", "fraud caught", "recall", "precision", "legit reviewed", "amount caught", title="per rule and overall")

    def pct(v: float | None, places: int = 1) -> str:
        return "" if v is None else f"{v:.{places}%}"

    shadow = [(f"{code} (shadow: not enforced)", r) for code, r in data["shadow_rules"].items()]
    for code, r in [*data["rules"].items(), ("OVERALL (outcome above allow)", o), *shadow]:
        table.add_row(
            escape(code),
            str(r["flagged"]),
            str(r["fraud_caught"]),
            pct(r["recall"]),
            pct(r["precision"]),
            pct(r["legit_reviewed"], 2),
            pct(r["amount_caught"]),
        )
    out.print(table)
    if data["errors"]:
        out.print(f"[yellow]rules that failed:[/] {json.dumps(data['errors'])}")


def replay_command(
    events: Annotated[Path, EVENTS],
    labels: Annotated[Path | None, LABELS] = None,
    mapping: Annotated[Path | None, MAPPING] = None,
    pack: Annotated[str, typer.Option(help="Rules: current (the rule set in force), starter (the starter pack) or none.")] = "current",
    version: Annotated[int | None, typer.Option(help="With --pack current: this rule-set version instead of the newest.")] = None,
    model: Annotated[str, typer.Option(help="none, champion, challenger or a version (m0001).")] = "none",
    registry: Annotated[Path, REGISTRY] = Path("var/models"),
    since: Annotated[str | None, typer.Option(help="Count events from (ISO 8601); earlier ones only build history.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Replay past events as of their own time (nothing stored, no alert) and measure rules, packs and models."""
    from finguard.guard.model.merchant_risk import confirmations_from_labels
    from finguard.guard.service.training import read_label_file

    try:
        evs, _ = _load(events, mapping, False)
        label_file = read_label_file(labels) if labels else None
        by_id = label_file.labels if label_file else None
        # The labels' fraud counts at its merchant from its confirmation time on (never earlier);
        # without labels, the stored confirmations (as the live guard counts them).
        confirmed = confirmations_from_labels(evs, label_file.labels, label_file.confirmed_at) if label_file else _stored_confirmations(evs)
        start: datetime | None = parse_time(since, "since") if since else None
        scorer = None
        path = _model_path(model, registry)
        if path is not None:
            scorer = scorer_of(path)
        rules: list[CompiledRule] = []
        if pack == "starter":
            rules = [compile_rule(r) for r in STARTER_PACK]
        elif pack == "current":
            with open_platform() as p:
                g = p.guard
                rules = list((g.rules.current() if version is None else g.rules.at(version)).rules)
        elif pack != "none":
            raise InvalidInput.for_field("pack", "must be current, starter or none")
        report = replay(
            evs,
            rules,
            Thresholds(),
            labels=by_id,
            model=scorer,
            model_name=model,
            measure=(lambda e: e.occurred_at >= start) if start else None,
            confirmations=confirmed,
        )
    except FinguardError as exc:
        _fail(exc)
        return
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    print_replay(report, f"replay of {events.name} with pack {pack}, model {model}")


def drift_command(
    events: Annotated[Path, EVENTS],
    model: Annotated[str, typer.Option(help="champion, challenger or a version.")] = "champion",
    registry: Annotated[Path, REGISTRY] = Path("var/models"),
    mapping: Annotated[Path | None, MAPPING] = None,
    alert_at: Annotated[float, typer.Option(help="PSI at or above which a feature is reported as drifted.")] = 0.25,
) -> None:
    """PSI of every model feature between the model's training data and these events; drifted ones are alerted."""
    from finguard.alerts.model import AlertDraft
    from finguard.guard.service.model import LightGBMScorer
    from finguard.guard.service.training import replay_features

    try:
        path = _model_path(model, registry)
        if path is None:
            raise InvalidInput.for_field("model", "name a model")
        scorer = LightGBMScorer(path)
        if not scorer.available or scorer.schema is None:
            raise InvalidInput.for_field("model", scorer.unavailable or "unavailable")
        schema = scorer.schema
        evs, _ = _load(events, mapping, False)
        rows: list[dict[str, Any]] = []
        # The merchant's confirmed fraud as the live guard counts it: the stored confirmations, by their time.
        replay_features(evs, on_event=lambda e, v: rows.append(schema.row(e, v)), fraud=ConfirmedFraudIndex(_stored_confirmations(evs)))
        values = scorer.drift(rows)
    except FinguardError as exc:
        _fail(exc)
        return
    drifted = {k: v for k, v in values.items() if v >= alert_at}
    table = Table("feature", "PSI", title=f"drift of {scorer.name} on {events.name} ({len(rows)} events)")
    for k, v in sorted(values.items(), key=lambda kv: -kv[1])[:25]:
        table.add_row(k, f"[red]{v:.3f}[/]" if v >= alert_at else f"{v:.3f}")
    out.print(table)
    if drifted:
        with open_platform() as p:
            p.guard.store.add_guard_alert(
                AlertDraft(
                    "guard_model_drift",
                    f"model:{scorer.name}",
                    "medium",
                    f"{len(drifted)} feature(s) of model {scorer.name} drifted (PSI >= {alert_at})",
                    {"model": scorer.name, "psi": dict(sorted(drifted.items(), key=lambda kv: -kv[1])[:20])},
                ),
                p.guard.clock(),
            )
        out.print(f"[red]{len(drifted)} feature(s) drifted: an alert was raised[/]")


def labels_command(
    out_path: Annotated[Path, typer.Option("--out", dir_okay=False, help="CSV to write: event_id,label,action,actor,reason,at.")],
    since: Annotated[str | None, typer.Option(help="Reviews from (ISO 8601 with offset).")] = None,
    until: Annotated[str | None, typer.Option(help="Reviews before (ISO 8601 with offset).")] = None,
) -> None:
    """Export analysts' reviews as a label file for ``finguard guard train`` (the latest word on each event)."""
    import csv

    try:
        start = parse_time(since, "since") if since else None
        end = parse_time(until, "until") if until else None
        with open_platform() as p:
            reviews = p.guard.reviews
            if reviews is None:
                raise InvalidInput.for_field("reviews", "are not wired in this guard")
            found = reviews.labels(start, end)
    except FinguardError as exc:
        _fail(exc)
        return
    with out_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "label", "action", "actor", "reason", "at", "confirmed_at"])
        for r in found:
            at = r.at.isoformat()
            writer.writerow([r.event_id, r.label, r.action.value, r.actor, r.reason, at, at if r.label else ""])
    out.print(f"wrote {len(found)} label(s) to {out_path} ({sum(r.label for r in found)} fraud)")


def fraud_import_command(
    events: Annotated[Path, EVENTS],
    labels: Annotated[Path, LABELS],
    mapping: Annotated[Path | None, MAPPING] = None,
    delay_days: Annotated[
        float, typer.Option(min=0, max=365, help="Days from a fraud to its confirmation when the labels give no confirmed_at.")
    ] = 7.0,
) -> None:
    """Store a label file's fraud at merchants as confirmed, so the live guard's merchant features count what training counted."""
    from datetime import timedelta

    from finguard.guard.service.training import read_label_file

    try:
        evs, _ = _load(events, mapping, False)
        label_file = read_label_file(labels)
        with open_platform() as p:
            service = p.guard.merchant_risk
            if service is None:
                raise InvalidInput.for_field("merchant_risk", "is not wired in this guard")
            added = service.import_labels(evs, label_file.labels, label_file.confirmed_at, delay=timedelta(days=delay_days), actor=ACTOR)
    except FinguardError as exc:
        _fail(exc)
        return
    out.print(f"{added} confirmation(s) of fraud at a merchant stored (an event confirmed before keeps its first time)")
