"""The issue #5 monitor benchmark: quality on the shared AML data and speed at 10 M transfers.

    .venv/bin/python bench/monitors/run.py                 # everything (about 3 minutes)
    .venv/bin/python bench/monitors/run.py --scale 1000000 # a quicker speed figure

Prints Rich tables and writes bench/results/issue5_monitors.json. The thresholds used for each
data set are printed and stored with the figures; see bench/monitors/README.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import DAY, background, load_amlsim, load_amlworld_patterns, mix_amlworld  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from finguard.domain.monitors import MonitorConfig, Typology  # noqa: E402
from finguard.services.monitors.runner import run_monitors  # noqa: E402

console = Console()
RESULTS = HERE.parent / "results"

# AMLSim 20K: laundering is small repeated payments spread over the whole 150-step run, so the
# windows cover the run and the split-payment pre-filter is on. Chosen on half A of the accounts.
AMLSIM_BASE: dict[str, Any] = {
    "split": {"min_parts": 2, "window": DAY},
    "fan_in": {"window": 150 * DAY, "min_burst": 0},
    "fan_out": {"window": 150 * DAY, "min_burst": 0},
    "gather_scatter": {"window": 150 * DAY, "min_in": 1, "min_out": 1, "min_burst": 0},
    "relay": {"max_delay": 150 * DAY, "slack": 150 * DAY, "max_shrink": 0.6, "max_grow": 1.5},
    "cycle": {"window": 150 * DAY, "max_length": 8},
    "stack": {"min_hops": 2},
    "pass_through": {"max_delay": 150 * DAY, "tolerance": 0.6, "min_events": 1},
    "scatter_gather": {"min_paths": 2, "window": 150 * DAY},
}
AMLSIM_GRID = [2, 3, 4]  # fan_in / fan_out min_counterparties tried on half A

# AMLworld mixed into background: amounts converted to USD at approximate rates, so relays
# tolerate +-30 %; windows from the AMLworld generator (attempts span <= 4 days, hops <= 3 days).
AMLWORLD: dict[str, Any] = {
    "fan_in": {"min_counterparties": 6, "min_burst": 5},
    "fan_out": {"min_counterparties": 6, "min_burst": 5},
    "gather_scatter": {"min_in": 2, "min_out": 3, "min_burst": 5, "window": 3 * DAY},
    "relay": {"max_delay": 3 * DAY, "max_shrink": 0.3, "max_grow": 0.3},
    "cycle": {"max_length": 12},
    "stack": {"min_hops": 3},
    "scatter_gather": {"min_paths": 3, "window": 4 * DAY},
    "pass_through": {"min_events": 2, "tolerance": 0.1},
}
MAP = {
    "FAN-IN": "fan_in",
    "FAN-OUT": "fan_out",
    "CYCLE": "cycle",
    "SCATTER-GATHER": "scatter_gather",
    "GATHER-SCATTER": "gather_scatter",
    "STACK": "stack",
}


def account_scores(alerts: list[Any], fraud: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    flagged = np.zeros(len(fraud), dtype=bool)
    for a in alerts:
        flagged[list(a.accounts)] = True
    f, t = flagged & mask, fraud & mask
    tp = int((f & t).sum())
    return {
        "flagged": int(f.sum()),
        "true_positive": tp,
        "precision": tp / max(int(f.sum()), 1),
        "recall": tp / max(int(t.sum()), 1),
    }


def amlsim() -> dict[str, Any]:
    data = load_amlsim()
    rng = np.random.default_rng(5)
    half_a = rng.random(len(data.fraud)) < 0.5
    best: tuple[float, int] | None = None
    tuning = []
    for k in AMLSIM_GRID:
        cfg = dict(AMLSIM_BASE, fan_in={**AMLSIM_BASE["fan_in"], "min_counterparties": k})
        cfg["fan_out"] = {**AMLSIM_BASE["fan_out"], "min_counterparties": k}
        run = run_monitors(data.cols, MonitorConfig().with_overrides(cfg))
        s = account_scores(run.alerts, data.fraud, half_a)
        f1 = 2 * s["precision"] * s["recall"] / max(s["precision"] + s["recall"], 1e-9)
        tuning.append({"min_counterparties": k, **s, "f1": f1})
        if best is None or f1 > best[0]:
            best = (f1, k)
    assert best is not None
    k = best[1]
    cfg = dict(AMLSIM_BASE, fan_in={**AMLSIM_BASE["fan_in"], "min_counterparties": k})
    cfg["fan_out"] = {**AMLSIM_BASE["fan_out"], "min_counterparties": k}
    config = MonitorConfig().with_overrides(cfg)
    started = time.perf_counter()
    run = run_monitors(data.cols, config)
    seconds = time.perf_counter() - started
    per_typology = {t.value: account_scores([a for a in run.alerts if a.typology is t], data.fraud, ~half_a) for t in Typology}
    # The ceiling: accounts touched by any transfer unlike ordinary AMLSim traffic (every
    # ordinary account always sends one fixed amount >= 100; laundering payments are < 20).
    small = data.cols["amount_fen"] < 2000
    touched = np.zeros(len(data.fraud), dtype=bool)
    touched[data.cols["src"][small]] = True
    touched[data.cols["dst"][small]] = True
    default = run_monitors(data.cols)
    return {
        "thresholds": cfg,
        "tuning_on_half_a": tuning,
        "half_b": account_scores(run.alerts, data.fraud, ~half_a),
        "all_accounts": account_scores(run.alerts, data.fraud, np.ones(len(data.fraud), dtype=bool)),
        "per_typology_half_b": per_typology,
        "default_thresholds_all_accounts": account_scores(default.alerts, data.fraud, np.ones(len(data.fraud), dtype=bool)),
        "observable_ceiling_recall": float((touched & data.fraud).sum() / data.fraud.sum()),
        "alerts": run.counts(),
        "seconds": seconds,
    }


def amlworld(n_accounts: int, n_transfers: int) -> dict[str, Any]:
    patterns = load_amlworld_patterns()
    cols, attempts = mix_amlworld(patterns, n_accounts, n_transfers)
    config = MonitorConfig().with_overrides(AMLWORLD)
    started = time.perf_counter()
    run = run_monitors(cols, config)
    seconds = time.perf_counter() - started
    row_attempts: dict[int, list[int]] = collections.defaultdict(list)
    for i, a in enumerate(attempts):
        for r in a.rows.tolist():
            row_attempts[r].append(i)
    found: dict[int, set[str]] = collections.defaultdict(set)
    alerts, correct, right = collections.Counter(), collections.Counter(), collections.Counter()
    for al in run.alerts:
        rows = [e.row for e in al.edges]
        hits = [i for r in rows for i in row_attempts.get(r, [])]
        alerts[al.typology.value] += 1
        # An alert is correct when at least half of its transfers are laundering transfers.
        if sum(1 for r in rows if r in row_attempts) * 2 >= len(rows):
            correct[al.typology.value] += 1
            if any(MAP.get(attempts[i].typology) == al.typology.value for i in hits):
                right[al.typology.value] += 1
        for i in hits:
            found[i].add(al.typology.value)
    by_type: dict[str, list[int]] = collections.defaultdict(list)
    for i, a in enumerate(attempts):
        by_type[a.typology].append(i)
    per = {}
    for name, ids in sorted(by_type.items()):
        t = MAP.get(name)
        n_found = sum(1 for i in ids if found[i])
        n_right = sum(1 for i in ids if t in found[i])
        per[name] = {
            "attempts": len(ids),
            "found": n_found / len(ids),
            "right_typology": n_right / len(ids) if t else None,
            "monitor": t,
            "alerts": alerts.get(t, 0) if t else None,
            "precision": (correct.get(t, 0) / max(alerts.get(t, 0), 1)) if t else None,
        }
    monitored = [i for i, a in enumerate(attempts) if a.typology in MAP]
    return {
        "background": {"accounts": n_accounts, "transfers": n_transfers},
        "thresholds": AMLWORLD,
        "per_typology": per,
        "all_attempts": {
            "found": sum(1 for i in range(len(attempts)) if found[i]) / len(attempts),
            "right_typology_of_monitored": sum(1 for i in monitored if MAP[attempts[i].typology] in found[i]) / len(monitored),
            "found_of_monitored": sum(1 for i in monitored if found[i]) / len(monitored),
        },
        "alerts": run.counts(),
        "pass_through_precision": correct.get("pass_through", 0) / max(alerts.get("pass_through", 0), 1),
        "seconds": seconds,
    }


def speed_child(scale: int) -> None:
    """Run in a fresh process so its peak RSS is the monitors' alone."""
    start = 1_640_995_200
    t0 = time.perf_counter()
    cols = background(max(scale // 20, 1000), scale, start, 90)
    cols["accounts"] = np.asarray([f"A{i}" for i in range(max(scale // 20, 1000))], dtype=object)
    gen = time.perf_counter() - t0
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    run = run_monitors(cols, MonitorConfig())
    seconds = time.perf_counter() - t0
    out = {
        "transfers": scale,
        "accounts": len(cols["accounts"]),
        "generate_seconds": gen,
        "monitor_seconds": seconds,
        "per_step_seconds": run.seconds,
        "alerts": run.counts(),
        "truncated": run.truncated,
        "rss_after_data_mb": rss_data,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


def speed(scale: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--speed-child", str(scale)], capture_output=True, text=True, check=True, env={"OMP_NUM_THREADS": "2"}
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10_000_000)
    ap.add_argument("--background", type=int, default=2_000_000, help="background transfers for AMLworld")
    ap.add_argument("--speed-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if args.speed_child:
        speed_child(args.speed_child)
        return
    out: dict[str, Any] = {}
    with console.status("AMLSim 20K"):
        out["amlsim"] = amlsim()
    with console.status("AMLworld patterns in background traffic"):
        out["amlworld"] = amlworld(args.background // 10, args.background)
    if not args.skip_speed:
        with console.status(f"one monitor pass over {args.scale:,} transfers"):
            out["speed"] = speed(args.scale)
    report(out)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "issue5_monitors.json").write_text(json.dumps(out, indent=2, default=str))
    console.print(f"wrote {RESULTS / 'issue5_monitors.json'}")


def report(out: dict[str, Any]) -> None:
    s = out["amlsim"]
    t = Table(title="AMLSim 20K (fan-in 200 + cycle 200): account level vs nodes.csv isFraud")
    for c in ("figure", "target", "measured", "met"):
        t.add_column(c)
    b = s["half_b"]
    t.add_row("recall (held-out half B)", ">= 0.90", f"{b['recall']:.3f}", "yes" if b["recall"] >= 0.9 else "no")
    t.add_row("precision (held-out half B)", ">= 0.80", f"{b['precision']:.3f}", "yes" if b["precision"] >= 0.8 else "no")
    a = s["all_accounts"]
    t.add_row("recall / precision (all accounts)", "", f"{a['recall']:.3f} / {a['precision']:.3f}", "")
    d = s["default_thresholds_all_accounts"]
    t.add_row("default thresholds, recall / precision", "", f"{d['recall']:.3f} / {d['precision']:.3f}", "")
    t.add_row("ceiling: fraud accounts with any unusual transfer", "", f"{s['observable_ceiling_recall']:.3f}", "")
    console.print(t)
    w = out["amlworld"]
    t = Table(title=f"AMLworld HI-Small attempts in {w['background']['transfers']:,} background transfers")
    for c in ("typology", "attempts", "found", "right typology", "monitor alerts", "alert precision"):
        t.add_column(c)
    for name, p in w["per_typology"].items():
        t.add_row(
            name,
            str(p["attempts"]),
            f"{p['found']:.2f}",
            "-" if p["right_typology"] is None else f"{p['right_typology']:.2f}",
            "-" if p["alerts"] is None else str(p["alerts"]),
            "-" if p["precision"] is None else f"{p['precision']:.3f}",
        )
    al = w["all_attempts"]
    t.add_row("all (target 90% / 80%)", "", f"{al['found']:.2f}", f"{al['right_typology_of_monitored']:.2f} (monitored types)", "", "")
    console.print(t)
    if "speed" in out:
        sp = out["speed"]
        t = Table(title="Speed and memory (synthetic heavy-tailed traffic, default thresholds)")
        for c in ("figure", "target", "measured", "met"):
            t.add_column(c)
        t.add_row(
            f"one pass over {sp['transfers']:,} transfers",
            "<= 120 s",
            f"{sp['monitor_seconds']:.1f} s",
            "yes" if sp["monitor_seconds"] <= 120 else "no",
        )
        t.add_row("peak RSS", "<= 4 GB", f"{sp['peak_rss_mb'] / 1024:.2f} GB", "yes" if sp["peak_rss_mb"] <= 4096 else "no")
        console.print(t)
        console.print({k: round(v, 2) for k, v in sp["per_step_seconds"].items()})


if __name__ == "__main__":
    main()
