"""Training a scorecard: monotonic optimal binning (OptBinning) + logistic regression on WoE.

1. Each feature is binned by ``optbinning.OptimalBinning`` (a constraint-programming solver) with
   a monotonic bad-rate trend (``auto_asc_desc``: ascending or descending, whichever fits; see
   ``TrainingParams.trend``) and at least ``min_bin_size`` of the rows per bin. The bins, not OptBinning's objects, are kept.
2. Weights of evidence are computed here from the bins' counts (``woe = ln(bad share / good
   share)``, +0.5 smoothing), so the sign convention is ours: woe > 0 is riskier.
3. Features below ``min_iv`` information value are dropped; a logistic regression (L2, ``C``
   chosen by inner cross-validation) is fitted on the WoE; a feature whose coefficient comes out
   <= 0 (its effect would contradict its own bins) is dropped and the regression refitted.
4. Points follow the scaling of ``finguard.credit.model.scorecard``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from finguard.credit.model.metrics import auc, calibration, gini, ks
from finguard.credit.model.scorecard import FeatureBins, Scaling, Scorecard


@dataclass(frozen=True, slots=True)
class TrainingParams:
    # "auto_asc_desc": strictly monotonic bad rate (every bin's points can be explained as "more X,
    # more risk"); "auto": OptBinning's own trend detection, which may also choose a peak or a valley
    # (unimodal) where the data says so; "select": monotonic unless, in an inner cross-validation
    # on the training data alone (binning and regression refitted in each fold), "auto" ranks
    # better by at least ``select_margin`` AUC; the choice is kept in the metrics. The default stays
    # monotonic: "select" chose it in all 15 outer folds of bench/credit/real.py for 7x the fit time.
    trend: str = "auto_asc_desc"
    select_margin: float = 0.005
    feature_margin: float = 0.005  # "feature": the screen's margin (one feature's own bins)
    confirm_margin: float = 0.0  # "feature": the whole scorecard must not rank worse with the free trend
    feature_confirm: bool = True  # False: the screen alone decides (cheaper; see bench/credit/PRECOMMIT.md)
    # Per-feature trend overrides ((name, trend), ...); "feature" fills them by select_feature_trends.
    feature_trends: tuple[tuple[str, str], ...] = ()
    min_bin_size: float = 0.05
    max_n_prebins: int = 20
    min_iv: float = 0.02
    c_grid: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)
    inner_folds: int = 3
    sign_consistent: bool = True  # drop a feature whose coefficient contradicts its bins, and refit
    scaling: Scaling = field(default_factory=Scaling)
    seed: int = 0


def data_fingerprint(columns: Mapping[str, Sequence[Any]], y: Sequence[int]) -> str:
    """sha256 over the column names, the values (repr) and the labels: the model's data identity."""
    h = hashlib.sha256()
    for name in sorted(columns):
        h.update(name.encode())
        h.update(b"\x00")
        h.update("\x1f".join(repr(v) for v in columns[name]).encode())
    h.update(b"\x01")
    h.update("".join("1" if v else "0" for v in y).encode())
    return h.hexdigest()[:24]


def _bin_feature(name: str, x: np.ndarray, y: np.ndarray, categorical: bool, p: TrainingParams, trend: str | None = None) -> FeatureBins:
    from optbinning import OptimalBinning

    if categorical:
        ob = OptimalBinning(
            name=name, dtype="categorical", solver="cp", min_bin_size=p.min_bin_size, max_n_prebins=p.max_n_prebins, cat_cutoff=None
        )
        ob.fit(x.astype(str), y)
        groups = tuple(tuple(str(v) for v in g) for g in ob.splits)
        seen = {v for g in groups for v in g}
        rest = tuple(sorted({str(v) for v in x} - seen))
        if rest:  # OptBinning leaves out categories it did not place; they join their own bin
            groups = (*groups, rest)
        fb = FeatureBins(name, categories=groups, points=tuple(0.0 for _ in groups))
    else:
        ob = OptimalBinning(
            name=name,
            dtype="numerical",
            solver="cp",
            monotonic_trend=trend or p.trend,
            min_bin_size=p.min_bin_size,
            max_n_prebins=p.max_n_prebins,
        )
        ob.fit(x.astype(float), y)
        splits = tuple(float(s) for s in ob.splits)
        fb = FeatureBins(name, splits=splits, points=tuple(0.0 for _ in range(len(splits) + 1)))
    idx = np.array([fb.bin_of(v) for v in x])
    n_bins = len(fb.points)
    bads = np.bincount(idx, weights=y, minlength=n_bins)
    counts = np.bincount(idx, minlength=n_bins)
    goods = counts - bads
    tb, tg = y.sum(), len(y) - y.sum()
    woe = np.log(((bads + 0.5) / (tb + 0.5)) / ((goods + 0.5) / (tg + 0.5)))
    rates = np.where(counts > 0, bads / np.maximum(counts, 1), 0.0)
    return FeatureBins(
        name,
        fb.splits,
        fb.categories,
        fb.points,
        tuple(float(w) for w in woe),
        tuple(int(c) for c in counts),
        tuple(float(r) for r in rates),
    )


def _iv(fb: FeatureBins) -> float:
    counts = np.array(fb.counts, dtype=float)
    bads = counts * np.array(fb.bad_rates)
    goods = counts - bads
    pb = (bads + 0.5) / (bads.sum() + 0.5)
    pg = (goods + 0.5) / (goods.sum() + 0.5)
    return float(((pb - pg) * np.log(pb / pg)).sum())


def _woe_matrix(bins: Sequence[FeatureBins], columns: Mapping[str, Sequence[Any]]) -> np.ndarray:
    return np.column_stack([[fb.woe[fb.bin_of(v)] for v in columns[fb.name]] for fb in bins])


def _fit_lr(xw: np.ndarray, y: np.ndarray, p: TrainingParams) -> tuple[float, np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    best_c, best_auc = p.c_grid[-1], -1.0
    if len(p.c_grid) > 1:
        skf = StratifiedKFold(n_splits=p.inner_folds, shuffle=True, random_state=p.seed)
        for c in p.c_grid:
            scores = []
            for tr, te in skf.split(xw, y):
                lr = LogisticRegression(C=c, max_iter=1000).fit(xw[tr], y[tr])
                scores.append(auc(lr.decision_function(xw[te]).tolist(), y[te].tolist()))
            mean = sum(scores) / len(scores)
            if mean > best_auc + 1e-4:
                best_c, best_auc = c, mean
    lr = LogisticRegression(C=best_c, max_iter=1000).fit(xw, y)
    return float(lr.intercept_[0]), lr.coef_[0].copy(), best_c


def train_scorecard(
    columns: Mapping[str, Sequence[Any]],
    y: Sequence[int],
    *,
    version: str,
    categorical: frozenset[str] = frozenset(),
    params: TrainingParams | None = None,
    trained_on: str = "",
) -> Scorecard:
    """A scorecard from feature columns and default labels (1 = bad)."""
    p = params or TrainingParams()
    yy = np.asarray(y, dtype=int)
    if yy.sum() == 0 or yy.sum() == len(yy):
        raise ValueError("training needs both goods and bads")
    if p.trend == "select":
        trend, cv = select_trend(columns, yy, categorical, p)
        sc = train_scorecard(columns, y, version=version, categorical=categorical, params=replace(p, trend=trend), trained_on=trained_on)
        return replace(sc, metrics={**sc.metrics, "trend": trend, "trend_cv_auc": cv})
    if p.trend == "feature":
        chosen, report = select_feature_trends(columns, yy, categorical, p)
        sc = train_scorecard(
            columns,
            y,
            version=version,
            categorical=categorical,
            params=replace(p, trend="auto_asc_desc", feature_trends=chosen),
            trained_on=trained_on,
        )
        return replace(sc, metrics={**sc.metrics, "feature_trend_cv": report})
    trends = dict(p.feature_trends)
    bins = [
        _bin_feature(name, np.asarray(col, dtype=object if name in categorical else float), yy, name in categorical, p, trends.get(name))
        for name, col in columns.items()
    ]
    bins = [fb for fb in bins if len(fb.points) > 1 and _iv(fb) >= p.min_iv]
    if not bins:
        raise ValueError("no feature carries information about the label")
    while True:
        xw = _woe_matrix(bins, columns)
        b0, coef, c = _fit_lr(xw, yy, p)
        keep = [i for i, b in enumerate(coef) if b > 0 or not p.sign_consistent]
        if len(keep) == len(bins):
            break
        bins = [bins[i] for i in keep]
    factor, offset, n = p.scaling.factor, p.scaling.offset, len(bins)
    shared = (offset - factor * b0) / n
    scored = tuple(
        FeatureBins(
            fb.name,
            fb.splits,
            fb.categories,
            tuple(round(-factor * float(b) * w + shared, 2) for w in fb.woe),
            fb.woe,
            fb.counts,
            fb.bad_rates,
        )
        for fb, b in zip(bins, coef, strict=True)
    )
    sc = Scorecard(
        version=version,
        features=scored,
        scaling=p.scaling,
        data_fingerprint=data_fingerprint(columns, y),
        trained_on=trained_on,
        metrics={
            "C": c,
            "n": len(yy),
            "bad_rate": float(yy.mean()),
            "iv": {fb.name: round(_iv(fb), 4) for fb in bins},
            **({"trends": {fb.name: trends[fb.name] for fb in bins if fb.name in trends}} if trends else {}),
        },
    )
    return sc


def feature_trend(x: np.ndarray, y: np.ndarray, p: TrainingParams) -> str:
    """One numerical feature's bin trend, chosen on the training data alone: in an inner
    ``inner_folds``-fold cross-validation the feature is binned on each inner training part with
    a monotonic trend and with OptBinning's free trend (which may pick a peak or a valley), and the
    held-out part is ranked by its bin's weight of evidence. The free trend is kept only if its
    mean held-out AUC beats the monotonic one by at least ``feature_margin``."""
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=p.inner_folds, shuffle=True, random_state=p.seed)
    mean: dict[str, float] = {}
    for t in TRENDS:
        scores = []
        for tr, te in skf.split(x.reshape(-1, 1), y):
            fb = _bin_feature("x", x[tr], y[tr], False, p, t)
            scores.append(auc([fb.woe[fb.bin_of(v)] for v in x[te]], y[te].tolist()))
        mean[t] = sum(scores) / len(scores)
    return "auto" if mean["auto"] >= mean["auto_asc_desc"] + p.feature_margin else "auto_asc_desc"


def _inner_cv_auc(columns: Mapping[str, Sequence[Any]], y: np.ndarray, categorical: frozenset[str], p: TrainingParams) -> float:
    """Mean held-out AUC of the whole training (binning, IV filter, regression) in an inner CV."""
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=p.inner_folds, shuffle=True, random_state=p.seed)
    names = list(columns)
    scores = []
    for tr, te in skf.split(np.zeros(len(y)), y):
        part = {k: [columns[k][i] for i in tr] for k in names}
        rows = [{k: columns[k][i] for k in names} for i in te]
        try:
            sc = train_scorecard(part, y[tr].tolist(), version="select", categorical=categorical, params=p)
        except ValueError:  # no informative feature in this part
            scores.append(0.5)
            continue
        scores.append(auc([sc.score(r).pd for r in rows], y[te].tolist()))
    return sum(scores) / len(scores)


def select_feature_trends(
    columns: Mapping[str, Sequence[Any]], y: np.ndarray, categorical: frozenset[str], p: TrainingParams
) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]]:
    """Per-feature bin trends chosen on the training data alone, in two steps.

    1. Screen: a numerical feature is a candidate for a free trend if ``feature_trend`` (its own
       bins, inner CV) prefers it by ``feature_margin`` AUC.
    2. Confirm: the whole scorecard is trained and scored in an inner CV with all features
       monotonic, and again with each candidate alone set free; a candidate keeps its free trend
       only if the whole scorecard's mean held-out AUC is at least the monotonic one plus
       ``confirm_margin`` (0: the screen finds the signal, the confirmation only guards against
       a feature whose free bins help alone but not beside the others).
    Every other feature keeps monotonic bins."""
    mono = replace(p, trend="auto_asc_desc", feature_trends=())
    screened = [
        name for name, col in columns.items() if name not in categorical and feature_trend(np.asarray(col, dtype=float), y, mono) == "auto"
    ]
    report: dict[str, Any] = {"screened": screened}
    if not screened:
        return (), report
    if not p.feature_confirm:
        report["free"] = screened
        return tuple((n, "auto") for n in screened), report
    base = _inner_cv_auc(columns, y, categorical, mono)
    report["monotonic"] = round(base, 4)
    chosen = []
    for name in screened:
        free = _inner_cv_auc(columns, y, categorical, replace(mono, feature_trends=((name, "auto"),)))
        report[name] = round(free, 4)
        if free >= base + p.confirm_margin:
            chosen.append((name, "auto"))
    report["free"] = [n for n, _t in chosen]
    return tuple(chosen), report


TRENDS = ("auto_asc_desc", "auto")


def select_trend(
    columns: Mapping[str, Sequence[Any]], y: np.ndarray, categorical: frozenset[str], p: TrainingParams
) -> tuple[str, dict[str, float]]:
    """Monotonic bins unless free trends rank better out of fold by ``select_margin`` AUC: each
    trend's whole training (binning, feature choice, regression) is refitted on each inner
    training part and scored on the inner held-out part, so the choice sees no data twice."""
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=p.inner_folds, shuffle=True, random_state=p.seed)
    names = list(columns)
    scores: dict[str, list[float]] = {t: [] for t in TRENDS}
    for tr, te in skf.split(np.zeros(len(y)), y):
        part = {k: [columns[k][i] for i in tr] for k in names}
        rows = [{k: columns[k][i] for k in names} for i in te]
        for t in TRENDS:
            try:
                sc = train_scorecard(part, y[tr].tolist(), version="select", categorical=categorical, params=replace(p, trend=t))
            except ValueError:  # no informative feature in this part: this trend cannot be judged here
                continue
            scores[t].append(auc([sc.score(r).pd for r in rows], y[te].tolist()))
    cv = {t: round(sum(v) / len(v), 4) for t, v in scores.items() if v}
    mono, free = cv.get("auto_asc_desc", -1.0), cv.get("auto", -1.0)
    return ("auto" if free >= mono + p.select_margin else "auto_asc_desc"), cv


def validate(sc: Scorecard, columns: Mapping[str, Sequence[Any]], y: Sequence[int]) -> dict[str, Any]:
    """AUC, KS, Gini and calibration of a scorecard on labelled data."""
    n = len(y)
    rows = [{k: columns[k][i] for k in columns} for i in range(n)]
    pds = [sc.score(r).pd for r in rows]
    yl = [int(v) for v in y]
    cal = calibration(pds, yl)
    return {
        "n": n,
        "bad_rate": sum(yl) / n,
        "auc": auc(pds, yl),
        "ks": ks(pds, yl),
        "gini": gini(pds, yl),
        "brier": cal.brier,
        "hosmer_lemeshow": cal.hosmer_lemeshow,
        "mean_pd": cal.expected_rate,
        "calibration": [{"n": b.n, "mean_pd": round(b.mean_pd, 5), "observed": round(b.observed, 5)} for b in cal.bins],
    }


def csi(sc: Scorecard, baseline: Mapping[str, Sequence[Any]], current: Mapping[str, Sequence[Any]]) -> dict[str, float]:
    """Characteristic stability index of each scorecard feature over its own bins."""
    from finguard.credit.model.metrics import psi_from_counts

    out = {}
    for fb in sc.features:
        n = len(fb.points)
        e = [0] * n
        a = [0] * n
        for v in baseline[fb.name]:
            e[fb.bin_of(v)] += 1
        for v in current[fb.name]:
            a[fb.bin_of(v)] += 1
        out[fb.name] = psi_from_counts(e, a)
    return out
