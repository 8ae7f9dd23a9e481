"""``finguard credit ...``: tax-data credit applications and model governance (#14)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from finguard.core.cli import err, out
from finguard.core.cli import fail as _fail
from finguard.core.clock import utcnow
from finguard.core.csvheader import read_dicts
from finguard.core.db import make_engine, upgrade
from finguard.core.errors import FinguardError, InvalidInput
from finguard.core.settings import Settings
from finguard.credit.model.decision import Application
from finguard.credit.model.scorecard import Scorecard, scorecard_from_doc, scorecard_to_doc
from finguard.credit.model.synthetic import synthetic_portfolio
from finguard.credit.model.taxdata import YUAN, record_to_doc, yuan_to_fen
from finguard.credit.provider import CreditSettings, make_credit
from finguard.credit.service import CreditService, stage_durations
from finguard.credit.service.governance import (
    LabelledSet,
    labelled_from_files,
    parse_labels,
    stability_report,
    synthetic_set,
    train,
    train_validated,
    validation_report,
)
from finguard.credit.service.training import TrainingParams
from finguard.credit.store.files import load_records, write_tables

app = typer.Typer(help="Small-business credit from tax data (税务贷): applications, decisions, models.", no_args_is_help=True)
FeedOpt = Annotated[Path | None, typer.Option("--feed", help="Tax-feed folder; default FINGUARD_CREDIT_TAX_FEED_DIR.")]


def _service(feed: Path | None = None) -> CreditService:
    engine = make_engine(Settings().database_url)
    upgrade(engine)
    return make_credit(engine, CreditSettings(tax_feed_dir=feed) if feed else None)


def _money(fen: int | None) -> str:
    return "-" if fen is None else f"{fen // YUAN:,}.{fen % YUAN:02d}"


def _print_json(obj: Any) -> None:
    out.print_json(json.dumps(obj, ensure_ascii=False, default=str))


@app.command("apply")
def apply_cmd(
    uscc: Annotated[str, typer.Argument(help="The firm's unified social credit code (18 characters).")],
    amount: Annotated[str, typer.Option(help="Amount asked, in yuan (e.g. 500000).")],
    purpose: Annotated[str, typer.Option(help="What the money is for.")],
    term: Annotated[int, typer.Option(help="Term in months.")] = 12,
    own_funds: Annotated[str | None, typer.Option(help="Declared own working capital, yuan (default: the policy's assumption).")] = None,
    other_loans: Annotated[str, typer.Option(help="Existing working-capital loans at other lenders, yuan.")] = "0",
    feed: FeedOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Apply for a tax loan: fetch the tax record, decide, and print the decision with its reasons."""
    try:
        application = Application(
            uscc,
            yuan_to_fen(amount, "amount"),
            term,
            purpose,
            yuan_to_fen(own_funds, "own_funds", allow_zero=True) if own_funds is not None else None,
            yuan_to_fen(other_loans, "other_loans", allow_zero=True),
        )
        result = _service(feed).apply(application, channel="cli", actor="cli")
    except FinguardError as exc:
        _fail(exc)
    _show(_service(feed).get(result.application_id), as_json)


def _show(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json({**row, "durations_ms": stage_durations(row["stages"])})
        return
    outcome = {"approve": "[green]approve 批准[/]", "refuse": "[red]refuse 拒绝[/]"}.get(
        row["outcome"] or "", f"[yellow]{row['outcome']}[/]"
    )
    out.print(f"application {row['id']}  {row['uscc']}  {row['firm_name'] or ''}")
    out.print(
        f"outcome: {outcome}  line: CNY {_money(row['line_fen'])}  score: {row['score'] if row['score'] is not None else '-'}"
        f"  grade: {row['grade'] or '-'}"
    )
    if row["rate_min_bp"] is not None:
        out.print(f"price band: {row['rate_min_bp'] / 100:.2f}% - {row['rate_max_bp'] / 100:.2f}% a year")
    if row.get("problem"):
        out.print(f"[yellow]{row['problem']}[/]")
    for r in row["reasons"] or []:
        out.print(f"  [bold]{r['code']}[/] ({r['kind']}): {r['zh']}\n      {r['en']}")
    out.print(
        f"policy v{row['policy_version']}, model {row['model_version']}; stages (ms from received): "
        + ", ".join(f"{k} {v:.1f}" for k, v in stage_durations(row["stages"]).items())
    )


@app.command("show")
def show_cmd(application_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one application, its decision, reasons and stages."""
    try:
        row = _service().get(application_id)
    except FinguardError as exc:
        _fail(exc)
    _show(row, as_json)


@app.command("list")
def list_cmd(limit: int = 20) -> None:
    """The latest applications."""
    t = Table("id", "uscc", "firm", "asked", "outcome", "line", "score", "grade", "received")
    for r in _service().list(limit=limit):
        t.add_row(
            str(r["id"]),
            r["uscc"],
            r["firm_name"] or "",
            _money(r["requested_fen"]),
            r["outcome"] or r["status"],
            _money(r["line_fen"]),
            f"{r['score']:.0f}" if r["score"] is not None else "-",
            r["grade"] or "-",
            r["received_at"].isoformat(),
        )
    out.print(t)


@app.command("advance")
def advance_cmd(
    application_id: int,
    stage: Annotated[str, typer.Argument(help="signed or disbursed")],
    account: Annotated[str | None, typer.Option(help="disbursed: the ledger account the loan was paid into.")] = None,
) -> None:
    """Record that an approved application was signed, then disbursed."""
    try:
        _show(_service().advance(application_id, stage, actor="cli", account=account), False)
    except FinguardError as exc:
        _fail(exc)


@app.command("sign")
def sign_cmd(
    application_id: Annotated[int, typer.Argument(help="The approved application to sign.")],
    photo: Annotated[Path, typer.Option(help="The signatory's photo on file (the ID photo): JPEG, PNG or WebP.")],
    capture: Annotated[Path, typer.Option(help="The live capture taken at signing: JPEG, PNG or WebP.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the application and the face check as JSON.")] = False,
) -> None:
    """Sign an approved application after the signatory's 1:1 face check: recorded only on a match
    (no_match / retake exit 1 with the reason; a check that cannot run is unavailable, never a pass)."""
    from finguard.core.cli import open_platform
    from finguard.core.http import sniff
    from finguard.credit.http import SIGNING_PICTURE_BYTES
    from finguard.credit.service import FaceEvidence, FaceRefused

    pictures: dict[str, bytes] = {}
    for name, path in (("photo", photo), ("capture", capture)):
        try:
            data = path.read_bytes()
        except OSError as exc:
            _fail(InvalidInput.for_field(name, f"cannot be read: {exc.strerror or exc}"))
        if not data:
            _fail(InvalidInput.for_field(name, "is empty"))
        if len(data) > SIGNING_PICTURE_BYTES:
            _fail(InvalidInput.for_field(name, f"is larger than {SIGNING_PICTURE_BYTES} bytes"))
        if sniff(data) is None:
            _fail(InvalidInput.for_field(name, "is not a JPEG, PNG or WebP picture"))
        pictures[name] = data
    with open_platform() as p:
        try:
            row = p.credit.advance(application_id, "signed", actor="cli", face=FaceEvidence(pictures["photo"], pictures["capture"]),
                                   channel="cli")  # fmt: skip
        except FaceRefused as exc:
            r = exc.result
            if as_json:
                _print_json({"signed": False, "face_check": {"outcome": r.outcome, "reason": r.reason, "score": r.score}})
            err.print(f"[red]not signed[/]: the face check answered {r.outcome} ({r.reason})")
            if r.reason_zh:
                err.print(f"  {r.reason_zh}\n  {r.reason_en}")
            raise typer.Exit(1) from None
        except FinguardError as exc:
            _fail(exc)
    fc = row["face_check"]
    if as_json:
        _print_json({"signed": True, "application_id": application_id, "face_check": fc})
        return
    text = row.get("face_reason_text") or {}
    out.print(f"[green]signed[/] application {application_id}: face check {fc['outcome']} ({fc['reason']}, score {fc['score']:.2f})")
    if text.get("zh"):
        out.print(f"  {text['zh']}\n  {text['en']}")


@app.command("generate")
def generate_cmd(
    folder: Path,
    n: Annotated[int, typer.Option(help="Number of firms.")] = 50,
    seed: int = 7,
    fmt: Annotated[str, typer.Option("--format", help="csv (one table per section) or json (one file per firm).")] = "csv",
) -> None:
    """Write a synthetic tax portfolio (a feed folder) and its default labels (labels.csv)."""
    if fmt not in ("csv", "json") or n < 1:
        _fail(
            InvalidInput.for_field(
                "format" if fmt not in ("csv", "json") else "n",
                "must be csv or json" if fmt not in ("csv", "json") else "must be 1 or more",
            )
        )
    firms = list(synthetic_portfolio(n, seed=seed))
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_tables(folder, [f.record for f in firms])
    else:
        for f in firms:
            (folder / f"{f.record.firm.uscc}.json").write_text(
                json.dumps(record_to_doc(f.record), ensure_ascii=False, indent=1), encoding="utf-8"
            )
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["uscc", "defaulted"])
        w.writerows([f.record.firm.uscc, int(f.defaulted)] for f in firms)
    err.print(f"wrote {n} firms to {folder} ({fmt}) and labels.csv; default rate {sum(f.defaulted for f in firms) / n:.3f}")


def _data(synthetic: int | None, seed: int, shift: float, records: Path | None, labels: Path | None) -> LabelledSet:
    if records is not None:
        if labels is None:
            raise InvalidInput.for_field("labels", "is required with --records (a CSV of uscc,defaulted)")
        with labels.open(newline="", encoding="utf-8-sig") as fh:
            lab = parse_labels(read_dicts(fh, "labels", name=labels.name))
        return labelled_from_files(load_records(records), lab, f"{records} labelled by {labels}")
    return synthetic_set(synthetic or 20_000, seed, default_shift=shift)


def _model(svc: CreditService, version: str | None, file: Path | None) -> Scorecard:
    if file is not None:
        return scorecard_from_doc(json.loads(file.read_text(encoding="utf-8")))
    if version is None:
        return svc.champion()
    row = svc.store.model_version(version)
    if row is None:
        raise InvalidInput.for_field("model", f"no model version {version}")
    return scorecard_from_doc(row["body"])


DataOpts = Annotated[int | None, typer.Option(help="Use N synthetic firms (default 20000 when no --records).")]


@app.command("train")
def train_cmd(
    version: Annotated[str, typer.Option(help="The new model's version (never reused).")],
    synthetic: DataOpts = None,
    seed: int = 7,
    shift: Annotated[float, typer.Option(help="Synthetic default drift (log-odds).")] = 0.0,
    records: Annotated[Path | None, typer.Option(help="Tax-record folder or file to train on.")] = None,
    labels: Annotated[Path | None, typer.Option(help="CSV uscc,defaulted for --records.")] = None,
    trend: Annotated[
        str,
        typer.Option(
            help="auto_asc_desc (monotonic), auto, select (monotonic unless free trends rank better out of fold), "
            "or feature (per feature: free only where it ranks better alone and not worse in the whole scorecard, out of fold)."
        ),
    ] = "auto_asc_desc",
    holdout: Annotated[
        float, typer.Option(help="Hold out this share (e.g. 0.2) and store its AUC, KS, Gini with the model; 0: none.")
    ] = 0.0,
    role: Annotated[str, typer.Option(help="Register as champion, challenger, or none (only write --out).")] = "challenger",
    out_file: Annotated[Path | None, typer.Option("--out", help="Also write the scorecard JSON here.")] = None,
) -> None:
    """Train a scorecard (OptBinning monotonic bins + logistic regression) and register it."""
    try:
        if trend not in ("select", "auto_asc_desc", "auto", "feature"):
            raise InvalidInput.for_field("trend", "must be select, auto_asc_desc, auto or feature")
        data = _data(synthetic, seed, shift, records, labels)
        params = TrainingParams(trend=trend)
        sc = (
            train_validated(data, version=version, holdout=holdout, params=params)
            if holdout
            else train(data, version=version, params=params)
        )
        if role != "none":
            _service().register_model(sc, role=role, created_by="cli")
    except FinguardError as exc:
        _fail(exc)
    if out_file is not None:
        out_file.write_text(json.dumps(scorecard_to_doc(sc), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    t = Table("feature", "bins", "IV", "points (min..max)")
    for f in sc.features:
        t.add_row(f.name, str(len(f.points)), f"{sc.metrics['iv'][f.name]:.3f}", f"{min(f.points):.1f} .. {max(f.points):.1f}")
    out.print(t)
    out.print(f"model {sc.version} ({role}); data fingerprint {sc.data_fingerprint}; {sc.trained_on}")
    if "holdout" in sc.metrics:
        h = sc.metrics["holdout"]
        out.print(f"held out n={h['n']}: AUC {h['auc']:.4f}  KS {h['ks']:.4f}  Gini {h['gini']:.4f}  Brier {h['brier']:.4f}")


@app.command("validate")
def validate_cmd(
    model: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
    model_file: Annotated[Path | None, typer.Option(help="A scorecard JSON file instead.")] = None,
    synthetic: DataOpts = None,
    seed: Annotated[int, typer.Option(help="Synthetic seed (use one the model was not trained on).")] = 8,
    shift: float = 0.0,
    records: Annotated[Path | None, typer.Option()] = None,
    labels: Annotated[Path | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """AUC, KS, Gini and calibration of a model on labelled data."""
    try:
        sc = _model(_service(), model, model_file)
        rep = validation_report(sc, _data(synthetic, seed, shift, records, labels))
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        _print_json(rep)
        return
    out.print(f"model {rep['model']} on {rep['data']}: n={rep['n']} bad rate={rep['bad_rate']:.4f}")
    out.print(
        f"AUC {rep['auc']:.4f}  KS {rep['ks']:.4f}  Gini {rep['gini']:.4f}  Brier {rep['brier']:.4f}  HL {rep['hosmer_lemeshow']:.1f}"
    )
    t = Table("decile", "n", "mean PD", "observed")
    for i, b in enumerate(rep["calibration"], start=1):
        t.add_row(str(i), str(b["n"]), f"{b['mean_pd']:.4f}", f"{b['observed']:.4f}")
    out.print(t)


@app.command("stability")
def stability_cmd(
    model: Annotated[str | None, typer.Option()] = None,
    model_file: Annotated[Path | None, typer.Option()] = None,
    n: int = 20_000,
    baseline_seed: int = 7,
    current_seed: int = 9,
    current_shift: Annotated[float, typer.Option(help="Drift the current population's defaults (log-odds).")] = 0.0,
    baseline_records: Annotated[Path | None, typer.Option(help="Baseline tax records instead of synthetic.")] = None,
    current_records: Annotated[Path | None, typer.Option(help="Current tax records instead of synthetic.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """PSI of the score and CSI of each feature (bin shares floored, no bin dropped)."""
    from finguard.credit.service.governance import labelled_from_records

    try:
        sc = _model(_service(), model, model_file)
        base = (
            labelled_from_records(((r, False) for r in load_records(baseline_records)), str(baseline_records))
            if baseline_records
            else synthetic_set(n, baseline_seed)
        )
        cur = (
            labelled_from_records(((r, False) for r in load_records(current_records)), str(current_records))
            if current_records
            else synthetic_set(n, current_seed, default_shift=current_shift)
        )
        rep = stability_report(sc, base, cur)
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        _print_json(rep)
        return
    out.print(f"score PSI {rep['psi']:.4f} ({rep['psi_band']})")
    t = Table("feature", "CSI", "reading")
    for k, v in rep["csi"].items():
        t.add_row(k, f"{v['value']:.4f}", v["band"])
    out.print(t)


@app.command("models")
def models_cmd() -> None:
    """Model versions with their role, data fingerprint and training data."""
    svc = _service()
    svc.champion()
    t = Table("version", "role", "fingerprint", "trained on", "created")
    for m in svc.store.models():
        t.add_row(m["version"], m["role"], m["data_fingerprint"], m["trained_on"], m["created_at"].isoformat())
    out.print(t)


@app.command("promote")
def promote_cmd(version: str) -> None:
    """Make a model version the champion (the old champion retires)."""
    try:
        _service().promote(version)
    except FinguardError as exc:
        _fail(exc)
    out.print(f"{version} is now the champion")


@app.command("policy")
def policy_cmd(set_file: Annotated[Path | None, typer.Option("--set", help="JSON with the sections to change.")] = None) -> None:
    """Show the current policy, or add a new version from a JSON file."""
    from finguard.credit.model.policy import policy_to_doc

    svc = _service()
    try:
        if set_file is not None:
            try:
                doc = json.loads(set_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidInput.for_field("set", f"cannot read JSON: {exc}") from None
            svc.set_policy(doc, created_by="cli")
        _print_json(policy_to_doc(svc.policy()))
    except FinguardError as exc:
        _fail(exc)


@app.command("overfinancing")
def overfinancing_cmd(
    bureau: Annotated[Path, typer.Argument(help="Credit-bureau CSV: uscc, lender, kind, limit, outstanding, opened_on, joint.")],
    feed: FeedOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Over-financing monitor: each firm's credit at all lenders against its need; alerts stored."""
    from finguard.credit.model.overfinance import parse_facilities
    from finguard.credit.service.monitors import monitor_overfinancing
    from finguard.credit.store.alerts import SqlCreditAlerts

    try:
        try:
            with bureau.open(newline="", encoding="utf-8-sig") as fh:
                rows = read_dicts(fh, "bureau", name=bureau.name)
        except OSError as exc:
            raise InvalidInput.for_field("bureau", f"cannot read the file: {exc}") from None
        facilities = parse_facilities(rows)
        engine = make_engine(Settings().database_url)
        upgrade(engine)
        svc = _service(feed)
        run = monitor_overfinancing(svc.feed, facilities, SqlCreditAlerts(engine))
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        _print_json({"firms": run.firms, "findings": [f.as_details() for f in run.findings], "alert_ids": list(run.alert_ids),
                     "unavailable": run.unavailable})  # fmt: skip
        return
    out.print(
        f"{run.firms} firms assessed, {len(run.findings)} flagged, {len(run.alert_ids)} new alerts, {len(run.unavailable)} without tax data"
    )
    for f in run.findings:
        out.print(f"  [bold]{f.uscc}[/] {', '.join(r.code for r in f.flags)}")
        out.print(f"    {' '.join(r.zh for r in f.flags)}\n    {' '.join(r.en for r in f.flags)}")


@app.command("sla")
def sla_cmd(
    days: Annotated[int, typer.Option(help="Applications received in the last N days.")] = 30,
    alerts: Annotated[
        bool,
        typer.Option(
            "--alerts",
            help="Store an alert for each breach (never twice) and open the approval case of any referred application that has none.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approval timeliness: every stage against its target (decided < 1 s, signed < 3 days, disbursed < 1 day)."""
    from datetime import timedelta

    from finguard.credit.service.monitors import sla_alerts
    from finguard.credit.store.alerts import SqlCreditAlerts

    if days < 1:
        _fail(InvalidInput.for_field("days", "must be 1 or more"))
    engine = make_engine(Settings().database_url)
    upgrade(engine)
    svc = _service()
    found = svc.timeliness(since=utcnow() - timedelta(days=days))
    ids = sla_alerts(found, SqlCreditAlerts(engine)) if alerts else []
    # A referred application past (or before) its approval target without its case gets one now.
    opened = svc.open_pending_approvals() if alerts else []
    if as_json:
        _print_json({"breaches": [{"application_id": b.application_id, "stage": b.stage, "due": b.due, "reached": b.reached,
                                   "late_seconds": b.late_by.total_seconds(), "zh": b.zh, "en": b.en} for b in found],
                     "alert_ids": ids, "approval_cases": opened})  # fmt: skip
        return
    t = Table("application", "stage", "due", "reached", "reason")
    for b in found:
        t.add_row(str(b.application_id), b.stage, b.due.isoformat(timespec="seconds"),
                  b.reached.isoformat(timespec="seconds") if b.reached else "pending", f"{b.zh}\n{b.en}")  # fmt: skip
    out.print(t)
    out.print(f"{len(found)} breaches; {len(ids)} new alerts; {len(opened)} referred applications with their approval case")


@app.command("purpose")
def purpose_cmd(
    account: Annotated[str | None, typer.Option(help="The borrower's account the loan was paid into (as in the ledger).")] = None,
    at: Annotated[str | None, typer.Option(help="When the loan was paid in (ISO time; UTC unless given).")] = None,
    amount: Annotated[str | None, typer.Option(help="The loan amount, yuan.")] = None,
    borrower_account: Annotated[
        list[str] | None, typer.Option("--borrower-account", help="The borrower's other accounts (repeatable).")
    ] = None,
    related: Annotated[list[str] | None, typer.Option("--related", help="Related parties' accounts (repeatable).")] = None,
    application: Annotated[
        int | None,
        typer.Option(help="A disbursed application: its account, time and line are traced (instead of --account/--at/--amount)."),
    ] = None,
    categories: Annotated[Path | None, typer.Option(help="JSON account-category mapping (docs/credit.md).")] = None,
    horizon_days: float = 90.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Loan-purpose monitor: trace the loan through the ledger; alert when it reached securities,
    real estate, wealth products, other lenders, related parties or came back to the borrower."""
    from datetime import UTC, datetime

    from finguard.credit.model.purpose import PurposeParams, parse_category_map
    from finguard.credit.service.monitors import PurposeCheck, monitor_loan_purpose
    from finguard.credit.store.alerts import SqlCreditAlerts
    from finguard.ledger.provider import make_ledger

    try:
        if application is not None:
            account, when, fen = _service().disbursement(application)
        elif account is None or at is None or amount is None:
            raise InvalidInput.for_field("account", "give --application, or --account, --at and --amount")
        else:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                raise InvalidInput.for_field("at", f"{at!r} is not an ISO time") from None
            fen = yuan_to_fen(amount, "amount")
        params = PurposeParams()
        if categories is not None:
            try:
                doc = json.loads(categories.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidInput.for_field("categories", f"cannot read JSON: {exc}") from None
            params = PurposeParams(categories=parse_category_map(doc))
        check = PurposeCheck(account, when if when.tzinfo else when.replace(tzinfo=UTC), fen,
                             frozenset(borrower_account or ()), frozenset(related or ()), application, horizon_days)  # fmt: skip
        engine = make_engine(Settings().database_url)
        upgrade(engine)
        found, ids = monitor_loan_purpose(make_ledger(engine), check, SqlCreditAlerts(engine), params)
    except FinguardError as exc:
        _fail(exc)
    if as_json:
        reasons = list(found.reasons) if found else []
        amounts = {c.value: v for c, v in found.amounts.items()} if found else {}
        _print_json({"flags": [r.code for r in reasons], "amounts_fen": amounts,
                     "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in reasons], "alert_ids": ids})  # fmt: skip
        return
    if found is None:
        out.print("nothing flagged: the traced money did not reach a watched category")
        return
    for r in found.reasons:
        out.print(f"[bold]{r.code}[/] {r.zh}\n    {r.en}")
    out.print(f"{len(ids)} new alert(s)")
