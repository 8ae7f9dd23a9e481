"""The tax-loan decision on the synthetic tax portfolio: quality, outcomes by grade, speed.

* Quality: the shipped scorecard ``tax-v1`` (trained on seed 7) scored on a held-out portfolio
  (seed 8, never used for any choice), beside two baselines in the same run: the tax-credit grade
  alone (what a bank without a model ranks by) and OptBinning's own scorecard (BinningProcess +
  Scorecard + LogisticRegression) trained on the same seed-7 firms.
* Outcomes: approval rate and the default rate of the approved and of all firms, by grade, with
  the default policy for CNY 1,000,000 asked.
* Latency: ``CreditService.apply`` end to end (JSON tax file read, knock-outs, score, line, price,
  stored with its stages in SQLite), p50 / p99 over ``--latency`` applications, in wall-clock time
  and in the CPU time of the calling thread (which the other processes on a shared machine do not
  inflate); the received-to-decided span the service records; and the decision alone (facts +
  decide, in memory).
* Batch: ``--batch`` applications (facts + decide) over 2 worker processes, each generating its
  own slice first (generation timed apart).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

from finguard.core.db import make_engine, upgrade
from finguard.credit.model.decision import Application, Outcome, decide
from finguard.credit.model.features import FEATURES, GRADE_RANK, feature_vector, tax_facts
from finguard.credit.model.metrics import auc, ks
from finguard.credit.model.policy import Policy
from finguard.credit.model.synthetic import DEFAULT_AS_OF, synthetic_firm, synthetic_portfolio
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.service import CreditService, shipped_scorecard
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore

ROOT = Path(__file__).resolve().parents[2]
ASK = 1_000_000 * 100


def quality(n_train: int, n_test: int) -> dict[str, Any]:
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    sc = shipped_scorecard()
    policy = Policy()
    test = list(synthetic_portfolio(n_test, seed=8))
    facts = [tax_facts(f.record) for f in test]
    fv = [feature_vector(x) for x in facts]
    y = [int(f.defaulted) for f in test]
    ours = [sc.score(v).pd for v in fv]
    grade = [float(GRADE_RANK[x.grade]) for x in facts]
    train = list(synthetic_portfolio(n_train, seed=7))
    tx = pd.DataFrame([feature_vector(tax_facts(f.record)) for f in train])
    ty = np.array([int(f.defaulted) for f in train])
    t = time.perf_counter()
    peer = Scorecard(
        binning_process=BinningProcess(list(FEATURES)),
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="min_max",
        scaling_method_params={"min": 300, "max": 850},
    ).fit(tx[list(FEATURES)], ty)
    peer_secs = time.perf_counter() - t
    peer_pd = peer.predict_proba(pd.DataFrame(fv)[list(FEATURES)])[:, 1].tolist()

    decisions = [
        decide(Application(f.record.firm.uscc, ASK, 12, "working capital"), f.record, x, sc, policy)
        for f, x in zip(test, facts, strict=True)
    ]
    passed = [i for i, d in enumerate(decisions) if not any(r.code.startswith("KO_") for r in d.reasons)]

    def m(risk: list[float], idx: list[int] | None = None) -> dict[str, float]:
        ids = idx if idx is not None else list(range(len(y)))
        r, b = [risk[i] for i in ids], [y[i] for i in ids]
        return {"auc": auc(r, b), "ks": ks(r, b), "n": len(ids), "bad_rate": sum(b) / len(b)}

    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for f, x, d in zip(test, facts, decisions, strict=True):
        row = by[x.grade.value]
        row[0] += 1
        row[1] += d.outcome is Outcome.APPROVE
        row[2] += d.outcome is Outcome.APPROVE and f.defaulted
        row[3] += f.defaulted
    grades = {
        g: {
            "firms": v[0],
            "approval_rate": v[1] / v[0],
            "default_rate_approved": v[2] / v[1] if v[1] else None,
            "default_rate_all": v[3] / v[0],
        }
        for g, v in sorted(by.items())
    }
    approved = [i for i, d in enumerate(decisions) if d.outcome is Outcome.APPROVE]
    return {
        "train": f"synthetic seed 7 n={n_train}",
        "test": f"synthetic seed 8 n={n_test}",
        "all_firms": {"ours": m(ours), "grade_only": m(grade), "optbinning_peer": m(peer_pd)},
        "after_knockouts": {"ours": m(ours, passed), "grade_only": m(grade, passed), "optbinning_peer": m(peer_pd, passed)},
        "peer_fit_seconds": peer_secs,
        "by_grade": grades,
        "approval_rate": len(approved) / len(test),
        "default_rate_approved": sum(y[i] for i in approved) / max(len(approved), 1),
        "default_rate_all": sum(y) / len(y),
        "mean_line_yuan": statistics.fmean(decisions[i].line_fen / 100 for i in approved) if approved else 0,
    }


def latency(n: int) -> dict[str, Any]:
    firms = [synthetic_firm(8, i, DEFAULT_AS_OF) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed"
        feed.mkdir()
        for f in firms:
            (feed / f"{f.record.firm.uscc}.json").write_text(json.dumps(record_to_doc(f.record), ensure_ascii=False))
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        svc = CreditService(SqlCreditStore(engine), FileTaxFeed(feed))
        svc.apply(Application(firms[0].record.firm.uscc, ASK, 12, "warm-up"))
        end_to_end, decided, cpu = [], [], []
        for f in firms:
            t, c = time.perf_counter(), time.thread_time()
            r = svc.apply(Application(f.record.firm.uscc, ASK, 12, "working capital"))
            end_to_end.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            decided.append(r.decision_ms)
        engine.dispose()
    sc, policy = shipped_scorecard(), Policy()
    pure = []
    for f in firms:
        t = time.perf_counter()
        decide(Application(f.record.firm.uscc, ASK, 12, "x"), f.record, tax_facts(f.record), sc, policy)
        pure.append((time.perf_counter() - t) * 1000)

    def pct(xs: list[float]) -> dict[str, float]:
        return {"p50_ms": float(np.percentile(xs, 50)), "p99_ms": float(np.percentile(xs, 99)), "max_ms": max(xs)}

    return {"n": n, "apply_end_to_end_sqlite": pct(end_to_end), "apply_cpu_time": pct(cpu), "received_to_decided": pct(decided),
            "decide_in_memory": pct(pure)}  # fmt: skip


def _batch_worker(args: tuple[int, int]) -> dict[str, float]:
    start, stop = args
    t = time.perf_counter()
    firms = [synthetic_firm(11, i, DEFAULT_AS_OF).record for i in range(start, stop)]
    gen = time.perf_counter() - t
    sc, policy = shipped_scorecard(), Policy()
    t0, c0 = time.perf_counter(), time.process_time()
    approved = 0
    for rec in firms:
        d = decide(Application(rec.firm.uscc, ASK, 12, "x"), rec, tax_facts(rec), sc, policy)
        approved += d.outcome is Outcome.APPROVE
    return {
        "generate_s": gen,
        "score_s": time.perf_counter() - t0,
        "score_cpu_s": time.process_time() - c0,
        "n": stop - start,
        "approved": approved,
    }


def batch(n: int, workers: int) -> dict[str, Any]:
    step = n // workers
    slices = [(k * step, n if k == workers - 1 else (k + 1) * step) for k in range(workers)]
    t = time.perf_counter()
    with Pool(workers) as pool:
        parts = pool.map(_batch_worker, slices)
    wall = time.perf_counter() - t
    return {
        "n": n,
        "workers": workers,
        "wall_s_including_generation": wall,
        "score_wall_s": max(p["score_s"] for p in parts),
        "score_cpu_s": sum(p["score_cpu_s"] for p in parts),
        "generate_s_max": max(p["generate_s"] for p in parts),
        "per_second": n / max(p["score_s"] for p in parts),
        "approved": sum(p["approved"] for p in parts),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=20_000)
    ap.add_argument("--test", type=int, default=20_000)
    ap.add_argument("--latency", type=int, default=1_000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "issue14_portfolio.json"))
    a = ap.parse_args()
    print(f"load average {os.getloadavg()}", file=sys.stderr)
    res: dict[str, Any] = {"load_before": os.getloadavg()}
    res["quality"] = q = quality(a.train, a.test)
    print(f"\nQuality on {q['test']} (trained on {q['train']})")
    print(f"{'population':18} {'model':16} {'n':>6} {'bad':>6} {'AUC':>7} {'KS':>7}")
    for pop in ("all_firms", "after_knockouts"):
        for name, v in q[pop].items():
            print(f"{pop:18} {name:16} {v['n']:6d} {v['bad_rate']:6.3f} {v['auc']:7.4f} {v['ks']:7.4f}")
    print(
        f"\nDecisions for CNY 1,000,000 asked: approval {q['approval_rate']:.3f}, default among approved "
        f"{q['default_rate_approved']:.4f}, among all {q['default_rate_all']:.4f}, mean line CNY {q['mean_line_yuan']:,.0f}"
    )
    print(f"{'grade':6} {'firms':>6} {'approved':>9} {'default|approved':>17} {'default|all':>12}")
    for g, v in q["by_grade"].items():
        dra = "-" if v["default_rate_approved"] is None else f"{v['default_rate_approved']:.4f}"
        print(f"{g:6} {v['firms']:6d} {v['approval_rate']:9.3f} {dra:>17} {v['default_rate_all']:12.4f}")
    if a.latency:
        res["latency"] = lat = latency(a.latency)
        print(f"\nLatency over {lat['n']} applications (targets p50 <= 20 ms, p99 <= 100 ms)")
        for k in ("apply_end_to_end_sqlite", "apply_cpu_time", "received_to_decided", "decide_in_memory"):
            v = lat[k]
            print(f"{k:26} p50 {v['p50_ms']:7.2f} ms  p99 {v['p99_ms']:7.2f} ms  max {v['max_ms']:7.2f} ms")
    if a.batch:
        res["batch"] = b = batch(a.batch, a.workers)
        print(
            f"\nBatch: {b['n']:,} applications on {b['workers']} processes: scoring {b['score_wall_s']:.1f} s wall "
            f"({b['per_second']:,.0f}/s, {b['score_cpu_s']:.1f} CPU-s); generating the records took {b['generate_s_max']:.1f} s apart"
        )
    res["load_after"] = os.getloadavg()
    Path(a.out).write_text(json.dumps(res, indent=2, default=str))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
