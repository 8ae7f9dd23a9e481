"""Issue #10: the benches before and after the move to the capability-first layout, on one machine.

    python bench/house/before_after.py run --before /work/wt/before --after . --reps 3 --raw /tmp/ba
    python bench/house/before_after.py summary --raw /tmp/ba --out bench/results/issue10_before_after.json

``--before`` is a checkout of the code before the move (``git worktree add --detach DIR af301ee``),
``--after`` one of the code after it. Each checkout's own bench script runs against its own code
(the move changed the imports the scripts use), at the same sizes, with ``PYTHONPATH=<checkout>/src``
and ``nice -n 10``. The runs are interleaved (before, after, before, after, ...) so both see the
same load from whatever else shares the machine.

CPU time, not wall time, is the headline wherever a script allows it: the machine has two cores
shared with other work, and waiting for a core inflates wall time but not CPU time. Where a script
times a call with ``time.perf_counter`` only (the guard's decision latency, the trace's p95, the
monitors' steps), a ``cpu`` run loads the script as a module and points its ``time.perf_counter``
at ``time.thread_time`` (a call timed on one thread) or ``time.process_time`` (a whole step in its
own process, numpy's threads included), leaving everything else in the script as it is; the
script's figures then read as CPU milliseconds. Figures that only exist as wall time (HTTP
latency under an open-loop load, NATS throughput, cold starts) come from plain runs and are
compared by their median over the repetitions.

Raw outputs (each script's own result JSON, one per run) are kept in ``--raw``; the bench's
results in the checkouts' ``bench/results`` are put back as they were after every run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
LEAD_PY = "/work/main/.venv/bin/python"
SCREEN_PY = "/work/venvs/screen/bin/python"  # the lead's venv plus faker and nomenklatura
SHARED = Path(os.environ.get("FINGUARD_SHARED_DATA", "/work/shared/data"))

# Sizes: the same for both checkouts; each run takes 1-5 minutes on the shared 2-core machine.
PAYEE_SCALE = 1_000_000
LEDGER_TRANSFERS = 1_000_000


def job(bench: str, mode: str) -> dict[str, Any]:
    """What one run of ``bench`` in ``mode`` executes: interpreter, script, arguments, result file."""
    if bench == "payee" and mode == "checks":  # the in-process checks alone (the first step of a full run)
        return {
            "python": LEAD_PY,
            "script": "bench/run.py",
            "args": ["--scale", str(PAYEE_SCALE), "--skip", "visibility", "--skip", "http", "--skip", "sanctions", "--out", "{raw_out}"],
            "result": None,
            "shim": None,
        }
    if bench == "payee":
        return {
            "python": LEAD_PY,
            "script": "bench/run.py",
            "args": ["--scale", str(PAYEE_SCALE), "--skip", "visibility", "--out", "{raw_out}"],
            "result": None,
            "shim": None,
        }
    if bench == "screening":
        return {
            "python": SCREEN_PY,
            "script": "bench/screening/run.py",
            "args": ["--quick"],
            "result": "bench/results/issue3.json",
            "shim": None,
        }
    if bench == "guard":
        # No model on either side: before the move a PaySim model shipped in src/finguard/data/models and the
        # script loaded it; after #11 none ships (the script uses one only if bench/guard/quality.py trained it).
        # Scoring would time LightGBM, not the layout, so both run without one.
        no_model = {"MODEL": "/nonexistent/no-model.txt"}
        if mode == "cpu":
            args = ["--events", "5000", "--skip", "nats", "http", "memory"]
            return {
                "python": LEAD_PY,
                "script": "bench/guard/run.py",
                "args": args,
                "result": "bench/results/issue4.json",
                "shim": "thread",
                "set": no_model,
            }
        args = ["--events", "3000", "--nats-events", "3000", "--http-seconds", "10", "--skip", "memory"]
        return {
            "python": LEAD_PY,
            "script": "bench/guard/run.py",
            "args": args,
            "result": "bench/results/issue4.json",
            "shim": None,
            "set": no_model,
        }
    if bench == "trace":
        args = ["--transfers", str(LEDGER_TRANSFERS), "--seeds", "1000"]
        return {
            "python": LEAD_PY,
            "script": "bench/ledger/trace_bench.py",
            "args": args,
            "result": "bench/results/issue5_trace.json",
            "shim": "thread" if mode == "cpu" else None,
        }
    if bench == "monitors":
        return {
            "python": LEAD_PY,
            "script": "bench/monitors/ledger_speed.py",
            "args": ["--db", "sqlite", "--transfers", str(LEDGER_TRANSFERS)],
            "result": "bench/results/issue5_ledger_speed.json",
            "shim": "process" if mode == "cpu" else None,
        }
    raise SystemExit(f"unknown bench {bench}")


MODES = {"payee": ["wall"], "screening": ["wall"], "guard": ["cpu", "wall"], "trace": ["cpu"], "monitors": ["cpu", "wall"]}


# -- inside a checkout's process -------------------------------------------------------------------


class CpuClock(types.ModuleType):
    """``time`` as the bench script sees it, with ``perf_counter`` reading CPU time instead."""

    def __init__(self, kind: str) -> None:
        super().__init__("time")
        self.__dict__.update({k: getattr(time, k) for k in dir(time) if not k.startswith("__")})
        self.perf_counter = time.thread_time if kind == "thread" else time.process_time


def load_script(checkout: Path, script: str, shim: str | None, settings: dict[str, str] | None = None) -> types.ModuleType:
    path = checkout / script
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("bench_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_under_test"] = module
    spec.loader.exec_module(module)
    if shim:
        module.time = CpuClock(shim)  # type: ignore[attr-defined]
    for name, value in (settings or {}).items():
        setattr(module, name, Path(value))
    return module


def child(ns: argparse.Namespace) -> None:
    """Run one function of a checkout's bench script in this process (``main`` with its arguments)."""
    checkout = Path(ns.checkout).resolve()
    sys.argv = [str(checkout / ns.script), *ns.args]
    module = load_script(checkout, ns.script, ns.shim, json.loads(ns.set))
    out = getattr(module, ns.call)(*json.loads(ns.call_args))
    if ns.call != "main":
        print("RESULT " + json.dumps(out, default=str))


# -- the driver ------------------------------------------------------------------------------------


def spawn(python: str, checkout: Path, argv: list[str], log: Path, timeout: float) -> tuple[int, float, float]:
    """Run ``argv`` niced in ``checkout``; returns (exit code, wall seconds, CPU seconds of it and its children)."""
    env = {**os.environ, "PYTHONPATH": str(checkout / "src"), "PYTHONUNBUFFERED": "1", "COLUMNS": "150"}
    env.setdefault("FINGUARD_SHARED_DATA", str(SHARED))  # the screening bench looks beside the checkout otherwise
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with log.open("a") as fh:
        fh.write(f"\n$ {' '.join(argv)}  (in {checkout}, load {os.getloadavg()})\n")
        fh.flush()
        try:
            rc = subprocess.run(
                ["nice", "-n", "10", python, *argv], cwd=checkout, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
            ).returncode
        except subprocess.TimeoutExpired:
            rc = -9
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return rc, time.perf_counter() - t, cpu


def run_monitors_cpu(python: str, checkout: Path, log: Path) -> dict[str, Any]:
    """``ledger_speed.measure`` with every step in a fresh process whose perf_counter reads its CPU time."""
    script = job("monitors", "cpu")["script"]
    n = LEDGER_TRANSFERS

    def call(fn: str, args: list[Any], shim: str | None) -> Any:
        argv = [str(HERE), "child", "--checkout", str(checkout), "--script", script, "--call", fn, "--call-args", json.dumps(args)]
        if shim:
            argv += ["--shim", shim]
        out = log.with_suffix(".step")
        out.unlink(missing_ok=True)
        rc, _, _ = spawn(python, checkout, argv, out, 1800)
        text = out.read_text()
        log.open("a").write(text)
        if rc:
            raise RuntimeError(f"monitors {fn} {args} failed ({rc}); see {log}")
        lines = [ln for ln in text.splitlines() if ln.startswith("RESULT ")]
        return json.loads(lines[-1][7:]) if lines else None

    url = call("db_url", ["sqlite", n], None)
    call("reset", [url], None)
    steps = {}
    for step in ("read", "pass", "incremental", "mirror"):
        steps[step] = call("child", [step, url, n], "process")
    call("reset", [url], None)
    return {"databases": {"sqlite": {"transfers": n, "steps": steps}}, "clock": "process CPU seconds"}


def run_one(bench: str, mode: str, label: str, checkout: Path, raw: Path, rep: int) -> dict[str, Any]:
    raw.mkdir(parents=True, exist_ok=True)
    spec = job(bench, mode)
    name = f"{bench}-{mode}-{label}-{rep}"
    log = raw / f"{name}.log"
    raw_out = raw / f"{name}.json"
    load_before = os.getloadavg()
    if bench == "monitors" and mode == "cpu":
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            data: Any = run_monitors_cpu(spec["python"], checkout, log)
            rc = 0
        except RuntimeError as exc:
            data, rc = {"error": str(exc)}, 1
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, cpu = time.perf_counter() - t, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        raw_out.write_text(json.dumps(data, indent=2))
    else:
        result = checkout / spec["result"] if spec["result"] else None
        kept = result.read_bytes() if result and result.exists() else None
        args = [a.replace("{raw_out}", str(raw_out)) for a in spec["args"]]
        if spec["shim"] or spec.get("set"):
            argv = [str(HERE), "child", "--checkout", str(checkout), "--script", spec["script"], "--set", json.dumps(spec.get("set") or {})]
            argv += ["--shim", spec["shim"]] if spec["shim"] else []
            argv += ["--", *args]
        else:
            argv = [spec["script"], *args]
        rc, wall, cpu = spawn(spec["python"], checkout, argv, log, 1800)
        if result is not None:
            if result.exists():
                raw_out.write_bytes(result.read_bytes())
            if kept is None:
                result.unlink(missing_ok=True)
            else:
                result.write_bytes(kept)  # the checkout's committed figures stay as they were
    load_after = os.getloadavg()
    meta: dict[str, Any] = {
        "bench": bench,
        "mode": mode,
        "label": label,
        "rep": rep,
        "checkout": str(checkout),
        "exit_code": rc,
        "wall_seconds": round(wall, 1),
        "cpu_seconds_all_processes": round(cpu, 1),
        "load_before": load_before,
        "load_after": load_after,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (raw / f"{name}.meta.json").write_text(json.dumps(meta, indent=2))
    print(f"{name}: exit {rc}, {wall:.0f} s wall, {cpu:.0f} s CPU, load {load_before[0]:.1f} -> {load_after[0]:.1f}", flush=True)
    return meta


def run(ns: argparse.Namespace) -> None:
    raw = Path(ns.raw)
    raw.mkdir(parents=True, exist_ok=True)
    sides = {"before": Path(ns.before).resolve(), "after": Path(ns.after).resolve()} if ns.before and ns.after else {}
    for spec in ns.side:
        label, _, path = spec.partition("=")
        sides[label] = Path(path).resolve()
    for bench in ns.benches.split(","):
        modes = ns.modes.split(",") if ns.modes else MODES[bench]
        for rep in range(ns.first_rep, ns.first_rep + ns.reps):
            order = list(sides) if rep % 2 == 0 else list(reversed(sides))  # no side always goes first
            for mode in modes:
                for label in order:
                    run_one(bench, mode, label, sides[label], raw, rep)


# -- the comparison --------------------------------------------------------------------------------


def dig(d: Any, path: str) -> Any:
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


# (bench, mode, figure path in the script's JSON, label, unit, better: "lower" | "higher")
FIGURES: list[tuple[str, str, str, str, str, str]] = [
    ("payee", "wall", "checks.inproc_single_per_cpu_s", "in-process single check, per CPU-second", "checks/CPU s", "higher"),
    ("payee", "wall", "checks.inproc_batch_per_cpu_s", "in-process check_many, per CPU-second", "checks/CPU s", "higher"),
    ("payee", "wall", "checks.inproc_single_per_s", "in-process single check, per wall second", "checks/s", "higher"),
    ("payee", "wall", "checks.cold_start_platform_s", "cold start, Platform() (wall)", "s", "lower"),
    ("payee", "wall", "http.cold_start_api_s", "cold start, API to /readyz (wall)", "s", "lower"),
    ("payee", "wall", "http.single.p50_ms", "HTTP single check p50, 1000/s open loop (wall)", "ms", "lower"),
    ("payee", "wall", "http.single.p99_ms", "HTTP single check p99, 1000/s open loop (wall)", "ms", "lower"),
    ("payee", "wall", "http.single_low_rate.p50_ms", "HTTP single check p50, 100/s (wall)", "ms", "lower"),
    ("payee", "wall", "http.batch.items_per_s", "HTTP batch checks throughput (wall)", "checks/s", "higher"),
    ("payee", "wall", "sanctions.total.seconds", "OFAC + UN import (wall)", "s", "lower"),
    ("screening", "wall", "latency_watchlist.cpu_p50_ms", "screen one name p50, OFAC+UN (CPU)", "ms", "lower"),
    ("screening", "wall", "latency_watchlist.cpu_p99_ms", "screen one name p99, OFAC+UN (CPU)", "ms", "lower"),
    ("screening", "wall", "million.cpu_p50_ms", "screen one name p50, 50k synthetic index (CPU)", "ms", "lower"),
    ("screening", "wall", "million.cpu_p99_ms", "screen one name p99, 50k synthetic index (CPU)", "ms", "lower"),
    ("screening", "wall", "batch.cpu_seconds_slowest_process", "batch of 10k customers, slower process (CPU)", "s", "lower"),
    ("screening", "wall", "batch.per_second", "batch of 10k customers on 2 processes (wall)", "names/s", "higher"),
    ("screening", "wall", "watchlist.build_seconds", "index build, OFAC+UN (wall)", "s", "lower"),
    ("screening", "wall", "million.build_seconds", "index build, 50k synthetic (wall)", "s", "lower"),
    ("screening", "wall", "peer_pairs.scoring_only.ours_us_per_pair", "pair scoring only (wall)", "us", "lower"),
    ("guard", "cpu", "in_process.p50_ms", "decision p50, in process (CPU)", "ms", "lower"),
    ("guard", "cpu", "in_process.p99_ms", "decision p99, in process (CPU)", "ms", "lower"),
    ("guard", "cpu", "in_process.moving_p50_ms", "decision p50, money moves (CPU)", "ms", "lower"),
    ("guard", "cpu", "in_process.replay_p50_ms", "idempotent replay p50 (CPU)", "ms", "lower"),
    ("guard", "cpu", "rules.median_us", "one rule, median (CPU)", "us", "lower"),
    ("guard", "wall", "in_process.p50_ms", "decision p50, in process (wall)", "ms", "lower"),
    ("guard", "wall", "in_process.p99_ms", "decision p99, in process (wall)", "ms", "lower"),
    ("guard", "wall", "nats.decisions_per_s", "NATS JetStream end to end (wall)", "decisions/s", "higher"),
    ("guard", "wall", "http.p50_ms", "HTTP decision p50, 1000/s open loop (wall)", "ms", "lower"),
    ("guard", "wall", "http.p99_ms", "HTTP decision p99, 1000/s open loop (wall)", "ms", "lower"),
    ("trace", "cpu", "trace_p50_ms", "6-hop FIFO trace p50 (CPU)", "ms", "lower"),
    ("trace", "cpu", "trace_p95_ms", "6-hop FIFO trace p95 (CPU)", "ms", "lower"),
    ("trace", "cpu", "trace_max_ms", "6-hop FIFO trace max (CPU)", "ms", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.read.seconds", "read the ledger into columns (CPU)", "s", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.pass.monitor_seconds", "8 monitors over the ledger (CPU)", "s", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.pass.total_seconds", "one pass: read + monitors + save (CPU)", "s", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.incremental.total_seconds", "incremental run after 10k new (CPU)", "s", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.incremental.append_seconds", "append 10k transfers (CPU)", "s", "lower"),
    ("monitors", "cpu", "databases.sqlite.steps.mirror.total_seconds", "incremental run from the mirror (CPU)", "s", "lower"),
    ("monitors", "wall", "databases.sqlite.steps.pass.total_seconds", "one pass: read + monitors + save (wall)", "s", "lower"),
    ("monitors", "wall", "databases.sqlite.steps.pass.peak_rss_mb", "peak RSS of the pass", "MB", "lower"),
]


def values(raw: Path, bench: str, mode: str, label: str, path: str) -> list[float]:
    vals = []
    metas = sorted(raw.glob(f"{bench}-{mode}-{label}-*.meta.json"))
    if bench == "payee" and path.startswith("checks."):  # a checks-only run measures these the same way
        metas += sorted(raw.glob(f"{bench}-checks-{label}-*.meta.json"))
    for meta_file in metas:
        meta = json.loads(meta_file.read_text())
        out = raw / meta_file.name.replace(".meta.json", ".json")
        if meta["exit_code"] != 0 or not out.exists():
            continue
        v = dig(json.loads(out.read_text()), path)
        if isinstance(v, int | float):
            vals.append(float(v))
    return vals


def compare(
    bench: str, mode: str, path: str, label: str, unit: str, better: str, b_vals: list[float], a_vals: list[float]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "bench": bench,
        "figure": label,
        "path": f"{mode}:{path}",
        "unit": unit,
        "better": better,
        "before": b_vals,
        "after": a_vals,
    }
    if not b_vals or not a_vals:
        return {**row, "verdict": "not measured"}
    b, a = statistics.median(b_vals), statistics.median(a_vals)
    slower = (a / b) if better == "lower" else (b / a)  # oriented so that > 1 means slower
    # noise: how far one side's repeated runs spread around their median (the wider side)
    spreads = [(max(v) - min(v)) / statistics.median(v) for v in (b_vals, a_vals) if len(v) > 1 and statistics.median(v)]
    bound = max([0.05, *spreads])
    verdict = "slower (beyond noise)" if slower > 1 + bound else "faster (beyond noise)" if slower < 1 - bound else "same within noise"
    if min(len(b_vals), len(a_vals)) < 2:
        verdict = "one run a side: noise unknown, not judged"
    return {
        **row,
        "before_median": round(b, 4),
        "after_median": round(a, 4),
        "slowdown_ratio": round(slower, 3),
        "noise_bound": round(bound, 3),
        "verdict": verdict,
    }


def summary(ns: argparse.Namespace) -> None:
    raw = Path(ns.raw)
    labels = sorted({f.name.split("-")[2] for f in raw.glob("*.meta.json")} - {"before"})
    comparisons: dict[str, list[dict[str, Any]]] = {}
    for label in labels:
        rows = comparisons.setdefault(label, [])
        for bench, mode, path, figure, unit, better in FIGURES:
            b_vals, a_vals = values(raw, bench, mode, "before", path), values(raw, bench, mode, label, path)
            rows.append(compare(bench, mode, path, figure, unit, better, b_vals, a_vals))
    rows = comparisons.get("after", [])
    metas = [json.loads(f.read_text()) for f in sorted(raw.glob("*.meta.json"))]
    out = {
        "issue": 10,
        "what": "each bench's own script on each checkout's own code, interleaved: before = af301ee (the parent of the move, "
        "ef30484); move = c6cb02c (the end of #10's series, before other issues were merged); after = main at 34e57a0; fixed = "
        "after plus this branch's monitors fix (only the monitors were run on it). 'figures' compares after with before, "
        "'other_points' the other checkouts with before; see bench/house/README.md",
        "noise": "a figure is slower beyond noise when after/before (oriented so > 1 is slower) exceeds 1 + max(5 %, the widest "
        "relative spread (max - min) / median of one side's repeated runs)",
        "runs": metas,
        "figures": rows,
        "other_points": {k: v for k, v in comparisons.items() if k != "after"},
    }
    if ns.extra:
        out["cross_checks"] = json.loads(Path(ns.extra).read_text())
    Path(ns.out).write_text(json.dumps(out, indent=2) + "\n")
    if ns.markdown:
        Path(ns.markdown).write_text(markdown(comparisons))
    for label, rs in comparisons.items():
        print(f"== before vs {label}")
        for r in rs:
            if "before_median" in r:
                figures = f"{r['before_median']:>12} {r['after_median']:>12} x{r['slowdown_ratio']:<6} ±{r['noise_bound']:<6}"
                print(f"{r['bench']:10} {r['figure']:55} {figures} {r['verdict']}")
            else:
                print(f"{r['bench']:10} {r['figure']:55} {r['verdict']}")


def markdown(comparisons: dict[str, list[dict[str, Any]]]) -> str:
    """The comparison as a Markdown table: medians, after / before oriented so > 1 is slower, the noise bound."""

    def fmt(v: float | None) -> str:
        if v is None:
            return "-"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"

    after = comparisons.get("after", [])
    move = {r["path"]: r for r in comparisons.get("move", [])}
    lines = [
        "| bench | figure | before | move | after | after vs before | noise | verdict (after) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in after:
        if "before_median" not in r:
            continue
        m = move.get(r["path"], {})
        m_txt = f"{fmt(m['after_median'])} (x{m['slowdown_ratio']:.2f})" if "after_median" in m else "-"
        lines.append(
            f"| {r['bench']} | {r['figure']} ({r['unit']}) | {fmt(r['before_median'])} | {m_txt} | {fmt(r['after_median'])} "
            f"| x{r['slowdown_ratio']:.2f} | ±{r['noise_bound'] * 100:.0f} % | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--before", default="")
    r.add_argument("--after", default="")
    r.add_argument("--side", action="append", default=[], help="LABEL=CHECKOUT, repeatable (e.g. a third point between before and after)")
    r.add_argument("--benches", default="payee,screening,guard,trace,monitors")
    r.add_argument("--modes", default="", help="comma-separated: cpu, wall (default: each bench's own)")
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--first-rep", type=int, default=0)
    r.add_argument("--raw", required=True)
    s = sub.add_parser("summary")
    s.add_argument("--raw", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--markdown", default="", help="also write the table as Markdown to this file")
    s.add_argument("--extra", default="", help="a JSON file of further measurements kept beside the comparison (cross_checks)")
    c = sub.add_parser("child")
    c.add_argument("--checkout", required=True)
    c.add_argument("--script", required=True)
    c.add_argument("--shim", choices=("thread", "process"), default=None)
    c.add_argument("--call", default="main")
    c.add_argument("--call-args", default="[]")
    c.add_argument("--set", default="{}", help="JSON {name: path}: module attributes set to a Path before the call")
    c.add_argument("args", nargs="*")
    ns = ap.parse_args()
    {"run": run, "summary": summary, "child": child}[ns.cmd](ns)


if __name__ == "__main__":
    main()
