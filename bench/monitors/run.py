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
import os
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

from finguard.monitors.model import MonitorConfig, Typology  # noqa: E402
from finguard.monitors.service.index import Transfers, unusual_rows  # noqa: E402
from finguard.monitors.service.runner import run_monitors  # noqa: E402

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
# The other pre-filter: amounts unusual for their sender (every ordinary AMLSim account sends one
# amount, so any other amount is unusual); relays tolerate any amount change.
AMLSIM_BASELINE: dict[str, Any] = {
    **{k: v for k, v in AMLSIM_BASE.items() if k != "split"},
    "baseline": {"min_ratio": 1.01, "min_history": 1},
    "relay": {"max_delay": 150 * DAY, "slack": 150 * DAY, "max_shrink": 0.9, "max_grow": 10},
    "pass_through": {"max_delay": 150 * DAY, "tolerance": 0.9, "min_events": 1},
}

# AMLworld laid onto relationship traffic (``data.relationship_background``) with 63 days of
# history. Chosen on background seed 11 and reported on held-out seeds 12-14 as well. Windows from
# the AMLworld generator (an attempt spans at most 4 days, a gather-scatter 8.4, a hop 3.9);
# relays tolerate +-20 % (90 % of AMLworld's hops change the amount by less than 10 %, the
# currency conversion adds the rest); first contacts: no money either way in the 8 weeks before,
# contacts younger than 10 days not counting; 5,000 / 1,000 US dollars floors for fans and relays
# (ordinary purchases and gifts are smaller); rings have no floor (they are rare).
AMLWORLD: dict[str, Any] = {
    "novelty": {"lookback": 56 * DAY, "min_age": 10 * DAY, "relay_legs": 2},
    "fan_in": {"min_counterparties": 2, "min_burst": 3, "window": 4 * DAY, "min_total": 500_000},
    "fan_out": {"min_counterparties": 2, "min_burst": 3, "window": 4 * DAY, "min_total": 500_000},
    "gather_scatter": {"min_in": 2, "min_out": 2, "min_burst": 3, "window": 4 * DAY, "min_total": 500_000},
    "relay": {"max_delay": 4 * DAY, "max_shrink": 0.2, "max_grow": 0.2, "min_amount": 100_000},
    "cycle": {"min_length": 2, "max_length": 12, "slack": 2 * DAY, "min_amount": 0},
    "stack": {"min_hops": 2},
    "scatter_gather": {"min_paths": 2, "window": 5 * DAY},
    "pass_through": {"min_events": 1, "tolerance": 0.2, "max_delay": 4 * DAY, "min_total": 100_000},
}
AMLWORLD_SEED = 11
AMLWORLD_HELD_OUT = (12, 13, 14)
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


def _tuned(data: Any, base: dict[str, Any], half_a: np.ndarray) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Choose fan-in/out ``min_counterparties`` on half A (best F1)."""
    best: tuple[float, dict[str, Any]] | None = None
    tuning = []
    for k in AMLSIM_GRID:
        cfg = dict(base, fan_in={**base["fan_in"], "min_counterparties": k}, fan_out={**base["fan_out"], "min_counterparties": k})
        run = run_monitors(data.cols, MonitorConfig().with_overrides(cfg))
        s = account_scores(run.alerts, data.fraud, half_a)
        f1 = 2 * s["precision"] * s["recall"] / max(s["precision"] + s["recall"], 1e-9)
        tuning.append({"min_counterparties": k, **s, "f1": f1})
        if best is None or f1 > best[0]:
            best = (f1, cfg)
    assert best is not None
    return best[1], tuning


def amlsim() -> dict[str, Any]:
    data = load_amlsim()
    rng = np.random.default_rng(5)
    half_a = rng.random(len(data.fraud)) < 0.5
    everyone = np.ones(len(data.fraud), dtype=bool)
    variants: dict[str, Any] = {}
    for name, base in (("split", AMLSIM_BASE), ("baseline", AMLSIM_BASELINE)):
        cfg, tuning = _tuned(data, base, half_a)
        started = time.perf_counter()
        run = run_monitors(data.cols, MonitorConfig().with_overrides(cfg))
        variants[name] = {
            "thresholds": cfg,
            "tuning_on_half_a": tuning,
            "half_b": account_scores(run.alerts, data.fraud, ~half_a),
            "all_accounts": account_scores(run.alerts, data.fraud, everyone),
            "per_typology_half_b": {
                t.value: account_scores([a for a in run.alerts if a.typology is t], data.fraud, ~half_a) for t in Typology
            },
            "alerts": run.counts(),
            "seconds": time.perf_counter() - started,
        }
    # The ceiling: an account no transfer of which is unusual for its sender took part in no
    # laundering payment the simulator made (it only sent and received ordinary payments, each
    # ordinary AMLSim account paying one fixed amount). Flagging every account touched by an
    # unusual transfer is the most a transfer-based monitor can reach.
    t = Transfers.from_columns(data.cols)
    rows = unusual_rows(t, 1.01, 1)
    touched = np.zeros(len(data.fraud), dtype=bool)
    touched[t.src[rows]] = True
    touched[t.dst[rows]] = True
    default = run_monitors(data.cols)
    return {
        "variants": variants,
        "default_thresholds_all_accounts": account_scores(default.alerts, data.fraud, everyone),
        "ceiling": {
            "fraud_accounts": int(data.fraud.sum()),
            "with_an_unusual_transfer": int((touched & data.fraud).sum()),
            "recall": float((touched & data.fraud).sum() / data.fraud.sum()),
            "precision_if_all_flagged": float((touched & data.fraud).sum() / max(touched.sum(), 1)),
        },
    }


def shape_present(pattern: dict[str, Any]) -> bool:
    """Whether an attempt's own transfers form its typology's shape at the smallest size a
    monitor can alert on (2 counterparties, 2 hops, 2 paths), times and amounts aside."""
    edges = {(t["from_account"], t["to_account"]) for t in pattern["transactions"] if t["from_account"] != t["to_account"]}
    out: dict[str, set[str]] = {}
    inn: dict[str, set[str]] = {}
    for a, b in edges:
        out.setdefault(a, set()).add(b)
        inn.setdefault(b, set()).add(a)
    none: set[str] = set()
    kind = pattern["pattern_type"].split(":")[0].strip()
    if kind == "FAN-OUT":
        return any(len(v) >= 2 for v in out.values())
    if kind == "FAN-IN":
        return any(len(v) >= 2 for v in inn.values())
    if kind == "GATHER-SCATTER":
        return any(len(inn[x]) >= 2 and len(out.get(x, none)) >= 2 for x in inn)
    if kind == "SCATTER-GATHER":
        return any(len({m for m in out[s] if t in out.get(m, none)}) >= 2 for s in out for t in inn)
    if kind == "STACK":
        return any(c != a for a, b in edges for c in out.get(b, none))
    if kind == "CYCLE":
        # A ring exists when some edge's head reaches its tail.
        def reaches(start: str, goal: str) -> bool:
            seen, todo = {start}, [start]
            while todo:
                for n in out.get(todo.pop(), none):
                    if n == goal:
                        return True
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            return False

        return any(reaches(b, a) for a, b in edges)
    return False


def amlworld_once(patterns: list[dict[str, Any]], n_accounts: int, kind: str, seed: int) -> dict[str, Any]:
    cols, attempts = mix_amlworld(patterns, n_accounts, kind=kind, seed=seed)
    n_background = len(cols["src"]) - sum(len(a.rows) for a in attempts)
    config = MonitorConfig().with_overrides(AMLWORLD)
    started = time.perf_counter()
    run = run_monitors(cols, config)
    seconds = time.perf_counter() - started
    row_attempts: dict[int, list[int]] = collections.defaultdict(list)
    for i, a in enumerate(attempts):
        for r in a.rows.tolist():
            row_attempts[r].append(i)
    found: dict[int, set[str]] = collections.defaultdict(set)
    alerts, correct = collections.Counter(), collections.Counter()
    for al in run.alerts:
        rows = [e.row for e in al.edges]
        alerts[al.typology.value] += 1
        # An alert is correct when at least half of its transfers are laundering transfers.
        if sum(1 for r in rows if r in row_attempts) * 2 >= len(rows):
            correct[al.typology.value] += 1
        for r in rows:
            for i in row_attempts.get(r, []):
                found[i].add(al.typology.value)
    by_type: dict[str, list[int]] = collections.defaultdict(list)
    for i, a in enumerate(attempts):
        by_type[a.typology].append(i)
    per = {}
    for name, ids in sorted(by_type.items()):
        t = MAP.get(name)
        per[name] = {
            "attempts": len(ids),
            "found": sum(1 for i in ids if found[i]) / len(ids),
            "right_typology": sum(1 for i in ids if t in found[i]) / len(ids) if t else None,
            "shape_present": sum(1 for i in ids if shape_present(patterns[i])) / len(ids) if t else None,
            "monitor": t,
            "alerts": alerts.get(t, 0) if t else None,
            "precision": (correct.get(t, 0) / max(alerts.get(t, 0), 1)) if t else None,
        }
    monitored = [i for i, a in enumerate(attempts) if a.typology in MAP]
    return {
        "background": {"kind": kind, "seed": seed, "accounts": n_accounts, "transfers": n_background},
        "per_typology": per,
        "all_attempts": {
            "found": sum(1 for i in range(len(attempts)) if found[i]) / len(attempts),
            "right_typology_of_monitored": sum(1 for i in monitored if MAP[attempts[i].typology] in found[i]) / len(monitored),
            "found_of_monitored": sum(1 for i in monitored if found[i]) / len(monitored),
            "shape_present_of_monitored": sum(1 for i in monitored if shape_present(patterns[i])) / len(monitored),
        },
        "alerts": run.counts(),
        "alert_precision": {k: correct.get(k, 0) / v for k, v in alerts.items()},
        "seconds": seconds,
    }


def amlworld(n_accounts: int) -> dict[str, Any]:
    patterns = load_amlworld_patterns()
    tuned = amlworld_once(patterns, n_accounts, "relationships", AMLWORLD_SEED)
    held = [amlworld_once(patterns, n_accounts, "relationships", s) for s in AMLWORLD_HELD_OUT]
    keys = ("found", "right_typology_of_monitored")
    return {
        "thresholds": AMLWORLD,
        "tuned_seed": tuned,
        "held_out": held,
        "held_out_mean": {k: float(np.mean([h["all_attempts"][k] for h in held])) for k in keys},
        "held_out_min": {k: float(np.min([h["all_attempts"][k] for h in held])) for k in keys},
        "uniform_background": amlworld_once(patterns, n_accounts, "uniform", AMLWORLD_SEED),
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
    t0 = time.perf_counter()
    tuned = run_monitors(cols, MonitorConfig().with_overrides(AMLWORLD))
    tuned_seconds = time.perf_counter() - t0
    out = {
        "transfers": scale,
        "accounts": len(cols["accounts"]),
        "generate_seconds": gen,
        "monitor_seconds": seconds,
        "per_step_seconds": run.seconds,
        "alerts": run.counts(),
        "truncated": run.truncated,
        "amlworld_thresholds_seconds": tuned_seconds,
        "amlworld_thresholds_per_step_seconds": tuned.seconds,
        "amlworld_thresholds_alerts": tuned.counts(),
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
    ap.add_argument("--accounts", type=int, default=100_000, help="background accounts for AMLworld")
    ap.add_argument("--speed-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if args.speed_child:
        speed_child(args.speed_child)
        return
    out: dict[str, Any] = {"load_average_start": os.getloadavg()}
    with console.status("AMLSim 20K"):
        out["amlsim"] = amlsim()
    with console.status("AMLworld patterns in background traffic"):
        out["amlworld"] = amlworld(args.accounts)
    if not args.skip_speed:
        with console.status(f"one monitor pass over {args.scale:,} transfers"):
            out["speed"] = speed(args.scale)
    out["load_average_end"] = os.getloadavg()
    report(out)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "issue5_monitors.json").write_text(json.dumps(out, indent=2, default=str))
    console.print(f"wrote {RESULTS / 'issue5_monitors.json'}")


def report(out: dict[str, Any]) -> None:
    s = out["amlsim"]
    t = Table(title="AMLSim 20K (fan-in 200 + cycle 200): account level vs nodes.csv isFraud (held-out half B)")
    for c in ("pre-filter", "recall (target >= 0.90)", "precision (target >= 0.80)", "all accounts r / p", "met"):
        t.add_column(c)
    for name, v in s["variants"].items():
        b, a = v["half_b"], v["all_accounts"]
        met = "yes" if b["recall"] >= 0.9 and b["precision"] >= 0.8 else "no"
        t.add_row(name, f"{b['recall']:.3f}", f"{b['precision']:.3f}", f"{a['recall']:.3f} / {a['precision']:.3f}", met)
    d = s["default_thresholds_all_accounts"]
    t.add_row("none (default thresholds)", "", "", f"{d['recall']:.3f} / {d['precision']:.3f}", "")
    c = s["ceiling"]
    ceiling = f"{c['recall']:.3f} / {c['precision_if_all_flagged']:.3f}"
    t.add_row("ceiling: flag every account an unusual transfer touches", "", "", ceiling, "")
    console.print(t)
    w = out["amlworld"]
    for title, run in (
        (f"AMLworld HI-Small attempts in relationship traffic, seed {AMLWORLD_SEED} (thresholds chosen here)", w["tuned_seed"]),
        (f"same thresholds, held-out seed {w['held_out'][0]['background']['seed']}", w["held_out"][0]),
        ("same thresholds, uniform random background (no relationships: a stress test)", w["uniform_background"]),
    ):
        t = Table(title=f"{title}: {run['background']['transfers']:,} background transfers")
        for col in ("typology", "attempts", "found", "right typology", "shape present", "monitor alerts", "alert precision"):
            t.add_column(col)
        for name, p in run["per_typology"].items():
            t.add_row(
                name,
                str(p["attempts"]),
                f"{p['found']:.2f}",
                "-" if p["right_typology"] is None else f"{p['right_typology']:.2f}",
                "-" if p["shape_present"] is None else f"{p['shape_present']:.2f}",
                "-" if p["alerts"] is None else str(p["alerts"]),
                "-" if p["precision"] is None else f"{p['precision']:.3f}",
            )
        al = run["all_attempts"]
        t.add_row(
            "all (target 90% / 80%)",
            "",
            f"{al['found']:.3f}",
            f"{al['right_typology_of_monitored']:.3f} (monitored types)",
            f"{al['shape_present_of_monitored']:.2f}",
            "",
            "",
        )
        console.print(t)
    m, lo = w["held_out_mean"], w["held_out_min"]
    console.print(
        f"held-out seeds {AMLWORLD_HELD_OUT}: found mean {m['found']:.3f} (min {lo['found']:.3f}), "
        f"right typology mean {m['right_typology_of_monitored']:.3f} (min {lo['right_typology_of_monitored']:.3f})"
    )
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
        t.add_row(
            "same, AMLworld thresholds (first contacts on)",
            "<= 120 s",
            f"{sp['amlworld_thresholds_seconds']:.1f} s",
            "yes" if sp["amlworld_thresholds_seconds"] <= 120 else "no",
        )
        t.add_row("peak RSS (both passes)", "<= 4 GB", f"{sp['peak_rss_mb'] / 1024:.2f} GB", "yes" if sp["peak_rss_mb"] <= 4096 else "no")
        console.print(t)
        console.print({k: round(v, 2) for k, v in sp["per_step_seconds"].items()})


if __name__ == "__main__":
    main()
