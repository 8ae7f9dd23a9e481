"""Quality measures of a fraud score: what a bank budgets and what a model promises.

* AUC (rank-sum), precision at a fixed recall (ties kept together);
* the share of fraud *amount* caught when a fixed share of all events is reviewed;
* expected calibration error (ECE, 10 equal-width bins) of a probability;
* isotonic calibration fitted by pool-adjacent-violators, stored as a step function;
* PSI (population stability index) of one feature between training and now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
RECALLS = (0.8, 0.9)
REVIEW_RATES = (0.01, 0.02, 0.05)
PSI_ALERT = 0.25  # the usual "significant shift" level; 0.1-0.25 is "some shift"


def auc(y: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half."""
    labels = np.asarray(y, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0
    rank_sum = float(average_rank[inverse][labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


@dataclass(frozen=True, slots=True)
class AtRecall:
    recall_target: float
    precision: float
    recall: float
    threshold: float


def precision_at_recall(y: npt.ArrayLike, scores: npt.ArrayLike, target: float) -> AtRecall:
    """The precision at the highest score threshold whose recall reaches ``target`` (ties kept together)."""
    labels = np.asarray(y, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(labels.sum())
    if positives == 0:
        return AtRecall(target, math.nan, math.nan, math.nan)
    order = np.argsort(-s, kind="stable")
    s_sorted, l_sorted = s[order], labels[order]
    tp = np.cumsum(l_sorted)
    seen = np.arange(1, len(s_sorted) + 1)
    last_of_value = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    idx = np.flatnonzero(last_of_value & (tp / positives >= target))[0]
    return AtRecall(target, float(tp[idx] / seen[idx]), float(tp[idx] / positives), float(s_sorted[idx]))


def amount_caught(y: npt.ArrayLike, scores: npt.ArrayLike, amounts: npt.ArrayLike, review_rate: float) -> dict[str, float]:
    """Review the top ``review_rate`` of events by score: the share of fraud count and amount caught."""
    labels = np.asarray(y, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    a = np.nan_to_num(np.asarray(amounts, dtype=np.float64))
    k = max(1, round(review_rate * len(s)))
    top = np.argsort(-s, kind="stable")[:k]
    fraud_amount = float(a[labels == 1].sum())
    caught = labels[top] == 1
    return {
        "review_rate": review_rate,
        "fraud_caught": float(caught.sum() / max(1, int(labels.sum()))),
        "amount_caught": float(a[top][caught].sum() / fraud_amount) if fraud_amount > 0 else math.nan,
        "precision": float(caught.mean()),
    }


def ece(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: the count-weighted gap between mean probability and fraud rate per bin."""
    labels = np.asarray(y, dtype=np.float64)
    probs = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    which = np.minimum((probs * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += float(mask.sum()) * abs(float(probs[mask].mean()) - float(labels[mask].mean()))
    return total / max(1, len(probs))


@dataclass(frozen=True, slots=True)
class Isotonic:
    """Isotonic calibration (pool-adjacent-violators), served as a line through the blocks' centres.

    Between two blocks the probability is interpolated, beyond the ends it is the end block's;
    a tie-breaker of 1e-6 x the raw score keeps the model's own ranking (a step function would
    tie events the model tells apart, and lose precision at a fixed recall).
    """

    x: tuple[float, ...]  # mean raw score of each block
    y: tuple[float, ...]  # its fraud rate

    @classmethod
    def fit(cls, raw: npt.ArrayLike, y: npt.ArrayLike) -> Isotonic:
        s = np.asarray(raw, dtype=np.float64)
        labels = np.asarray(y, dtype=np.float64)
        order = np.argsort(s, kind="stable")
        s, labels = s[order], labels[order]
        # Start from one block per distinct score, then merge neighbours that do not increase.
        _, start = np.unique(s, return_index=True)
        sums = np.add.reduceat(labels, start)
        raws = np.add.reduceat(s, start)
        counts = np.diff(np.r_[start, len(s)]).astype(np.float64)
        blocks: list[list[float]] = []  # [weight, label sum, raw sum]
        for total, raw_sum, n in zip(sums, raws, counts, strict=True):
            blocks.append([float(n), float(total), float(raw_sum)])
            while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] >= blocks[-1][1] / blocks[-1][0]:
                last = blocks.pop()
                blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
        return cls(tuple(b[2] / b[0] for b in blocks), tuple(b[1] / b[0] for b in blocks))

    def __call__(self, raw: npt.ArrayLike) -> Floats:
        return self.through(raw, np.asarray(self.x), np.asarray(self.y))

    @staticmethod
    def through(raw: npt.ArrayLike, x: Floats, y: Floats) -> Floats:
        """The calibration of ``raw`` by the blocks ``x``, ``y`` as arrays (a scorer keeps them,
        instead of converting the tuples for every event: #19)."""
        s = np.asarray(raw, dtype=np.float64)
        p = np.interp(s, x, y) + 1e-6 * s
        return np.asarray(np.clip(p, 0.0, 1.0), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "isotonic", "x": [round(v, 8) for v in self.x], "y": [round(v, 8) for v in self.y]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Isotonic:
        return cls(tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"]))


def quality(y: npt.ArrayLike, p: npt.ArrayLike, amounts: npt.ArrayLike) -> dict[str, Any]:
    """The report of a calibrated score on held-out events."""
    labels = np.asarray(y, dtype=np.int8)
    out: dict[str, Any] = {"rows": len(labels), "fraud": int(labels.sum()), "auc": round(auc(labels, p), 5)}
    for r in RECALLS:
        at = precision_at_recall(labels, p, r)
        out[f"precision_at_recall_{r}"] = round(at.precision, 5)
    out["ece"] = round(ece(labels, p), 5)
    out["review"] = [{k: round(v, 5) for k, v in amount_caught(labels, p, amounts, rate).items()} for rate in REVIEW_RATES]
    return out


# -- drift -------------------------------------------------------------------------------------


def reference_bins(column: Floats, bins: int = 10) -> dict[str, Any]:
    """Quantile edges of a numeric feature in training and the share of rows in each bin (+ missing)."""
    finite = column[np.isfinite(column)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.array([])
    return {"edges": [float(e) for e in edges], "shares": _shares(column, edges)}


def _shares(column: Floats, edges: npt.NDArray[np.float64]) -> list[float]:
    finite = np.isfinite(column)
    counts = np.bincount(np.searchsorted(edges, column[finite], side="right"), minlength=len(edges) + 1).astype(np.float64)
    counts = np.r_[counts, float((~finite).sum())]
    return [float(c) for c in counts / max(1.0, float(counts.sum()))]


def psi(reference: dict[str, Any], column: Floats) -> float:
    """PSI of ``column`` against the training bins: sum of (now - then) * ln(now / then), shares floored at 1e-4."""
    expected = np.maximum(np.asarray(reference["shares"], dtype=np.float64), 1e-4)
    actual = np.maximum(np.asarray(_shares(column, np.asarray(reference["edges"], dtype=np.float64)), dtype=np.float64), 1e-4)
    return float(((actual - expected) * np.log(actual / expected)).sum())
