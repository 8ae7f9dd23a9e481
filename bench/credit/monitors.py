"""The over-financing monitor's precision and recall on planted cases.

Firms: the synthetic portfolio, seed 8 (``--n``). Seed 9 served development: the annualised sales
of firms under a year old were added, on seed 9, after a first run on seed 8 had given precision
0.619, recall 0.945; so seed 8 is not untouched. Each firm's bureau file is drawn from its hidden
true working-capital need (``SyntheticFirm.true_need_fen``: base sales, true margin and growth;
never shown to the monitor): a normal firm owes 10-90 % of it over 1-3 lenders; a planted firm
(``--planted`` share) owes 130-300 % of it over 2-5 lenders. The monitor sees only the tax record
and the bureau rows, estimates the need from the tax data (seasonality, noise, shocks and the
last year's margin make the estimate differ from the truth), and flags ``OVER_FINANCED``.
Baseline in the same run: flag a firm whose working-capital debt exceeds 25 % of its last 12
months' declared sales (a rule of thumb without the annex formula).
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date
from pathlib import Path

from finguard.credit.model.features import tax_facts
from finguard.credit.model.overfinance import Facility, OverFinanceParams, assess
from finguard.credit.model.synthetic import synthetic_portfolio

ROOT = Path(__file__).resolve().parents[2]


def prf(flagged: set[str], planted: set[str]) -> dict[str, float]:
    tp = len(flagged & planted)
    return {"precision": tp / len(flagged) if flagged else 0.0, "recall": tp / len(planted) if planted else 0.0,
            "flagged": len(flagged), "true_positives": tp}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5_000)
    ap.add_argument("--planted", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=8, help="8 is the reported set; 9 was used while developing")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "issue14_monitors.json"))
    a = ap.parse_args()
    rng = random.Random(14)
    p = OverFinanceParams()
    planted: set[str] = set()
    ours: set[str] = set()
    naive: set[str] = set()
    firms = 0
    for f in synthetic_portfolio(a.n, seed=a.seed):
        rec = f.record
        if f.true_need_fen <= 0:
            continue
        firms += 1
        is_planted = rng.random() < a.planted
        share = rng.uniform(1.3, 3.0) if is_planted else rng.uniform(0.1, 0.9)
        lenders = rng.randint(2, 5) if is_planted else rng.randint(1, 3)
        total = int(f.true_need_fen * share)
        cuts = sorted(rng.random() for _ in range(lenders - 1))
        parts = [int(total * (b - a_)) for a_, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
        facilities = [Facility(rec.firm.uscc, f"bank-{k}", "working_capital", x, x, date(2026, 1, 1), False) for k, x in enumerate(parts)]
        if is_planted:
            planted.add(rec.firm.uscc)
        facts = tax_facts(rec)
        found = assess(facts, rec.firm.uscc, rec.firm.industry, facilities, p)
        if found and any(r.code == "OVER_FINANCED" for r in found.flags):
            ours.add(rec.firm.uscc)
        if sum(parts) > 0.25 * facts.sales_12m_fen:
            naive.add(rec.firm.uscc)
    res = {"firms": firms, "planted": len(planted), "over_financed": prf(ours, planted), "baseline_25pct_of_sales": prf(naive, planted)}
    print(f"Over-financing on {firms} synthetic firms (seed {a.seed}), {len(planted)} planted")
    print(f"{'method':28} {'flagged':>8} {'precision':>10} {'recall':>8}")
    for k in ("over_financed", "baseline_25pct_of_sales"):
        v = res[k]
        print(f"{k:28} {v['flagged']:8d} {v['precision']:10.3f} {v['recall']:8.3f}")
    Path(a.out).write_text(json.dumps(res, indent=2))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
