"""Why our scorecard and the peer differ: one step of our pipeline switched to the peer's at a time.

Same protocol and folds as bench/credit/real.py (stratified 5-fold, seed 0, pooled out-of-fold AUC).
Diagnostic only: a set run here is "seen" by any choice made after reading its figures.
Variants (each relative to ``base`` = the shipped TrainingParams, scored through the points table):
  noround   points kept unrounded (the shipped table rounds each bin's points to 0.01)
  iv0       no information-value filter (peer: BinningProcess keeps every feature)
  c1        C = 1 fixed (peer: LogisticRegression's default) instead of C by inner CV
  nosign    no dropping of features whose coefficient comes out <= 0 (peer keeps them)
  mbs_none  no minimum bin size (peer: OptimalBinning's min_bin_size=None; prebins stay >= 5 %)
  auto      OptBinning's free trend for numerical features (peer's default)
  peerlike  all of the above together
  feature   per-feature trend by inner CV on the training part (TrainingParams.trend="feature", margin 0.005)
  feature10 the same with margin 0.01
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real

from finguard.credit.service import training
from finguard.credit.service.training import TrainingParams

BASE = TrainingParams()
VARIANTS: dict[str, tuple[TrainingParams, bool]] = {
    "base": (BASE, True),
    "noround": (BASE, False),
    "iv0": (replace(BASE, min_iv=0.0), True),
    "c1": (replace(BASE, c_grid=(1.0,)), True),
    "nosign": (replace(BASE, sign_consistent=False), True),
    "mbs_none": (replace(BASE, min_bin_size=None), True),  # type: ignore[arg-type]
    "auto": (replace(BASE, trend="auto"), True),
    "feature": (replace(BASE, trend="feature"), True),
    "feature10": (replace(BASE, trend="feature", feature_margin=0.01), True),
    "peerlike": (replace(BASE, trend="auto", min_iv=0.0, c_grid=(1.0,), sign_consistent=False, min_bin_size=None), False),  # type: ignore[arg-type]
}


def fit_predict(xtr, ytr, xte, params: TrainingParams, rounded: bool) -> np.ndarray:
    import builtins

    training.round = builtins.round if rounded else (lambda x, n=None: x)  # type: ignore[attr-defined]
    try:
        cats = frozenset(c for c in xtr.columns if not real.pd.api.types.is_numeric_dtype(xtr[c]))
        cols = {
            c: (xtr[c].fillna("missing").astype(str).tolist() if c in cats else xtr[c].fillna(-1).astype(float).tolist())
            for c in xtr.columns
        }
        sc = training.train_scorecard(cols, ytr.tolist(), version="ablate", categorical=cats, params=params)
    finally:
        del training.round  # type: ignore[attr-defined]
    out = []
    for r in xte.to_dict("records"):
        vals = {
            k: (("missing" if real.pd.isna(v) else str(v)) if k in cats else (-1.0 if real.pd.isna(v) else float(v))) for k, v in r.items()
        }
        out.append(sc.score(vals).pd)
    return np.asarray(out), sc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="german")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    loaders = {"german": real.german, "credit_data": real.modeldata_credit, "hmda": real.hmda, "uci_sample": real.uci_cards_sample}
    x, y, label = loaders[a.set]()
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    names = a.variants.split(",")
    oof = {n: np.zeros(len(y)) for n in [*names, "peer"]}
    info: dict[str, list] = {n: [] for n in names}
    for tr, te in skf.split(x, y):
        xtr, xte = x.iloc[tr].reset_index(drop=True), x.iloc[te].reset_index(drop=True)
        oof["peer"][te] = real.peer_fit_predict(xtr, y[tr], xte)
        for n in names:
            p, sc = fit_predict(xtr, y[tr], xte, *VARIANTS[n])
            oof[n][te] = p
            info[n].append({"C": sc.metrics["C"], "features": [f.name for f in sc.features]})
    res = {n: round(float(roc_auc_score(y, v)), 4) for n, v in oof.items()}
    print(label, json.dumps(res))
    Path(a.out).write_text(json.dumps({"set": label, "auc_pooled": res, "fits": info}, indent=1))


if __name__ == "__main__":
    main()
