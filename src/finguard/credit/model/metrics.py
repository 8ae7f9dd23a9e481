"""Model-governance measures: AUC, KS, Gini, calibration, PSI and CSI.

``risk`` is anything that grows with the chance of default (a PD, or minus a score); ``bad`` is
1 for a default. PSI and CSI compare bin shares with a floor (``SHARE_FLOOR``) put on every
share, so a bin empty on one side still counts (large) instead of being dropped or dividing by
zero: a population that moved entirely into a new bin must show as drift, not as none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SHARE_FLOOR = 1e-4


def auc(risk: Sequence[float], bad: Sequence[int]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    pairs = sorted(zip(risk, bad, strict=True), key=lambda p: p[0])
    n_bad = sum(1 for _r, b in pairs if b)
    n_good = len(pairs) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("AUC needs both goods and bads")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2
        rank_sum += avg_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good)


def ks(risk: Sequence[float], bad: Sequence[int]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the cumulative shares of bads and goods."""
    pairs = sorted(zip(risk, bad, strict=True), key=lambda p: -p[0])
    n_bad = sum(1 for _r, b in pairs if b)
    n_good = len(pairs) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("KS needs both goods and bads")
    cb = cg = 0
    best = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            cb += pairs[j][1]
            cg += 1 - pairs[j][1]
            j += 1
        best = max(best, abs(cb / n_bad - cg / n_good))
        i = j
    return best


def gini(risk: Sequence[float], bad: Sequence[int]) -> float:
    return 2 * auc(risk, bad) - 1


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    n: int
    mean_pd: float
    observed: float


@dataclass(frozen=True, slots=True)
class Calibration:
    bins: tuple[CalibrationBin, ...]
    brier: float
    hosmer_lemeshow: float  # chi-square statistic over the bins (df = bins - 2)
    expected_rate: float
    observed_rate: float


def calibration(pd: Sequence[float], bad: Sequence[int], n_bins: int = 10) -> Calibration:
    """Predicted against observed default rates in equal-count bins of predicted PD."""
    pairs = sorted(zip(pd, bad, strict=True))
    n = len(pairs)
    bins = []
    hl = 0.0
    for k in range(n_bins):
        part = pairs[k * n // n_bins : (k + 1) * n // n_bins]
        if not part:
            continue
        m = len(part)
        mean_pd = sum(p for p, _b in part) / m
        obs = sum(b for _p, b in part) / m
        bins.append(CalibrationBin(m, mean_pd, obs))
        expected_bad = mean_pd * m
        if 0 < mean_pd < 1:
            hl += (obs * m - expected_bad) ** 2 / (expected_bad * (1 - mean_pd))
    brier = sum((p - b) ** 2 for p, b in pairs) / n
    return Calibration(tuple(bins), brier, hl, sum(pd) / n, sum(bad) / n)


def psi_from_counts(expected: Sequence[int], actual: Sequence[int], floor: float = SHARE_FLOOR) -> float:
    """Population stability index over the same bins; every bin counts, shares floored."""
    if len(expected) != len(actual):
        raise ValueError("PSI needs the same bins on both sides")
    te, ta = sum(expected), sum(actual)
    if te == 0 or ta == 0:
        raise ValueError("PSI needs a non-empty population on both sides")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        pe, pa = max(e / te, floor), max(a / ta, floor)
        total += (pa - pe) * math.log(pa / pe)
    return total


def quantile_edges(values: Sequence[float], n_bins: int = 10) -> list[float]:
    """Inner edges of equal-count bins of ``values`` (duplicates removed)."""
    s = sorted(values)
    edges = sorted({s[min(len(s) - 1, k * len(s) // n_bins)] for k in range(1, n_bins)})
    return edges


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    from bisect import bisect_right

    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect_right(edges, v)] += 1
    return counts


def psi(expected: Sequence[float], actual: Sequence[float], n_bins: int = 10, floor: float = SHARE_FLOOR) -> float:
    """PSI of a score: bins are the expected population's deciles, applied to both sides."""
    edges = quantile_edges(expected, n_bins)
    return psi_from_counts(bin_counts(expected, edges), bin_counts(actual, edges), floor)


def psi_band(value: float) -> str:
    """The usual reading: < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted."""
    return "stable" if value < 0.1 else "watch" if value < 0.25 else "shifted"
