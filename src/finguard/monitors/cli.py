"""``finguard monitors ...``: laundering-pattern monitors over the ledger (#5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from finguard.core.cli import err, open_platform, out
from finguard.core.cli import fail as _fail
from finguard.core.clock import utcnow
from finguard.core.errors import FinguardError, InvalidInput
from finguard.monitors.model import MonitorConfig, Typology
from finguard.monitors.service import load_config, monitor_ledger, monitor_ledger_incremental, parse_typologies

INCREMENTAL_WINDOW = "an incremental run reads every transfer after the cursor; it cannot be combined with --since / --until"
app = typer.Typer(help="Laundering-pattern monitors over the fund-flow ledger.", no_args_is_help=True)


def _when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput.for_field(field, f"{value!r} is not an ISO date or time (e.g. 2024-03-01 or 2024-03-01T08:00)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@app.command("run")
def run(
    since: Annotated[str | None, typer.Option(help="Only transfers at or after this ISO time (UTC unless given).")] = None,
    until: Annotated[str | None, typer.Option(help="Only transfers before this ISO time.")] = None,
    typology: Annotated[list[str] | None, typer.Option("--typology", "-t", help=f"Repeatable; default all: {', '.join(Typology)}.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="Thresholds file (TOML or JSON) over the documented defaults; default FINGUARD_MONITOR_THRESHOLDS.")
    ] = None,
    incremental: Annotated[
        bool, typer.Option("--incremental", help="Only the transfers stored since the last run (the monitors' cursor); then move it.")
    ] = False,
    engine: Annotated[
        str, typer.Option(help="inprocess (one process, the default) or dask (the ledger read in partitions, #19).")
    ] = "inprocess",
    workers: Annotated[int, typer.Option(help="Dask engine: worker processes of a local cluster.")] = 2,
    partitions: Annotated[int | None, typer.Option(help="Dask engine: account buckets (default 4 per worker).")] = None,
    from_parquet: Annotated[
        Path | None,
        typer.Option(help="Dask engine: read the ledger from Parquet (or CSV) files under this folder instead of the store."),
    ] = None,
) -> None:
    """Run the monitors over the ledger and store new alerts in the alert table."""
    try:
        wanted = parse_typologies(typology)
        cfg = load_config(config) if config is not None else None
        window = (_when(since, "since"), _when(until, "until"))
        if incremental and (since or until):
            raise InvalidInput.for_field("incremental", INCREMENTAL_WINDOW)
        if engine not in ENGINES:
            raise InvalidInput.for_field("engine", f"{engine!r} is not an engine; accepted: {', '.join(ENGINES)}")
        if engine == "dask":
            _check_dask(incremental, since, until, workers, partitions)
        elif from_parquet is not None:
            raise InvalidInput.for_field("from_parquet", "needs --engine dask")
    except FinguardError as exc:
        _fail(exc)
    if engine == "dask":
        _run_dask(wanted, cfg, workers, partitions or 4 * workers, from_parquet)
        return
    with open_platform() as p:
        store = p.monitor_store()
        try:
            cfg = cfg or p.monitor_config
        except FinguardError as exc:
            _fail(exc)
        with Progress(TextColumn("{task.description:<16}"), BarColumn(), TimeElapsedColumn(), console=err) as bar:
            tasks: dict[Typology, TaskID] = {t: bar.add_task(t.value, total=1.0) for t in sorted(wanted)}

            def progress(t: Typology, fraction: float) -> None:
                bar.update(tasks[t], completed=fraction)

            try:
                if incremental:
                    result = monitor_ledger_incremental(store, utcnow(), cfg, wanted, progress=progress)
                else:
                    result = monitor_ledger(store, utcnow(), cfg, wanted, since=window[0], until=window[1], progress=progress)
            except FinguardError as exc:
                _fail(exc)
    r = result.run
    table = Table("typology", "alerts", "seconds", "truncated")
    counts = r.counts()
    for t in sorted(wanted):
        table.add_row(t.value, str(counts.get(t.value, 0)), f"{r.seconds.get(t.value, 0.0):.2f}", "yes" if r.truncated.get(t.value) else "")
    out.print(table)
    what = f"{r.transfers:,} new transfers (after id {result.cursor_from:,})" if incremental else f"{r.transfers:,} transfers"
    out.print(
        f"{what} ({r.dropped_self} self-transfers and {r.dropped_nonpositive} non-positive amounts skipped); "
        f"{len(result.alert_ids)} new alert(s) stored"
        + (f"; cursor at transfer {result.cursor_to:,}" if result.cursor_to is not None else "")
    )


ENGINES = ("inprocess", "dask")
DASK_STAGES = ("read", "flags", "detect", "save")


def _check_dask(incremental: bool, since: str | None, until: str | None, workers: int, partitions: int | None) -> None:
    if incremental:
        raise InvalidInput.for_field("incremental", "the dask engine runs full batch passes; use the in-process engine")
    if since or until:
        raise InvalidInput.for_field("since" if since else "until", "the dask engine reads the whole ledger")
    if not 1 <= workers <= 256:
        raise InvalidInput.for_field("workers", f"must be between 1 and 256, not {workers}")
    if partitions is not None and not 1 <= partitions <= 65_536:
        raise InvalidInput.for_field("partitions", f"must be between 1 and 65536, not {partitions}")


def _run_dask(wanted: frozenset[Typology], cfg: MonitorConfig | None, workers: int, buckets: int, files: Path | None) -> None:
    """The batch pass on a local Dask cluster of ``workers`` processes (#19)."""
    from distributed import Client, LocalCluster  # Dask is imported only here: the CLI starts fast

    from finguard.monitors.service.engine import monitor_ledger_dask
    from finguard.monitors.store import ledger_from_files, ledger_from_store

    with open_platform() as p:
        store = p.monitor_store()
        try:
            cfg = cfg or p.monitor_config
            ledger = ledger_from_files(files) if files is not None else ledger_from_store(p.engine)
        except FinguardError as exc:
            _fail(exc)
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster),
            Progress(TextColumn("{task.description:<16}"), BarColumn(), TimeElapsedColumn(), console=err) as bar,
        ):
            task = bar.add_task(f"dask x{workers}: read", total=len(DASK_STAGES))

            def stage(name: str) -> None:
                nxt = DASK_STAGES.index(name) + 1
                bar.update(task, completed=nxt, description=f"dask x{workers}: {DASK_STAGES[min(nxt, len(DASK_STAGES) - 1)]}")

            try:
                result = monitor_ledger_dask(store, ledger, utcnow(), cfg, wanted, buckets=buckets, stage=stage, move_cursors=files is None)
            except FinguardError as exc:
                _fail(exc)
    r = result.run
    table = Table("typology", "alerts", "truncated")
    counts = r.counts()
    for t in sorted(wanted):
        table.add_row(t.value, str(counts.get(t.value, 0)), "yes" if r.truncated.get(t.value) else "")
    out.print(table)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in r.seconds.items())
    out.print(
        f"{r.transfers:,} transfers on {workers} worker(s), {buckets} account buckets ({steps}); "
        f"{r.dropped_self} self-transfers and {r.dropped_nonpositive} non-positive amounts skipped; "
        f"{len(result.alert_ids)} new alert(s) stored"
        + (f"; cursor at transfer {result.cursor_to:,}" if result.cursor_to is not None else "")
    )


@app.command("results")
def results(
    typology: Annotated[str | None, typer.Option(help="Only this typology.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List stored monitor alerts, newest first."""
    try:
        t = next(iter(parse_typologies([typology]))).value if typology else None
    except FinguardError as exc:
        _fail(exc)
    with open_platform() as p:
        rows = p.monitor_store().results(t, None, limit)
    table = Table("id", "kind", "severity", "subject", "reason")
    for row in rows:
        table.add_row(str(row["id"]), row["kind"], row["severity"], row["subject"], row["details"]["reason"]["zh"] + "\n" + row["summary"])
    out.print(table)
