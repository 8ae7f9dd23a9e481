"""A points scorecard: bins per feature, points per bin, and the points-to-double-odds scaling.

Scaling (documented in docs/credit.md): a score ``S`` means odds good:bad of
``base_odds * 2 ** ((S - base_score) / pdo)``. With ``factor = pdo / ln 2`` and
``offset = base_score - factor * ln(base_odds)``, ``S = offset + factor * ln(odds_good)``.
The model is a logistic regression on weights of evidence, ``ln(odds_bad) = b0 + sum_j b_j * woe_j``
(woe > 0 is riskier), so feature ``j`` in bin ``i`` earns
``points_ij = -factor * b_j * woe_ij + (offset - factor * b0) / n_features``, and the score is the sum
of the points of the bins the applicant falls in. Scoring is a table lookup: no library at run time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Scaling:
    base_score: float = 600.0
    base_odds: float = 50.0  # good:bad odds at base_score
    pdo: float = 20.0  # points to double the odds

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def pd(self, score: float) -> float:
        """Probability of default that a score stands for."""
        ln_odds_good = (score - self.offset) / self.factor
        return 1.0 / (1.0 + math.exp(max(-700.0, min(700.0, ln_odds_good))))

    def score(self, pd: float) -> float:
        pd = min(max(pd, 1e-12), 1 - 1e-12)
        return self.offset + self.factor * math.log((1 - pd) / pd)


@dataclass(frozen=True, slots=True)
class FeatureBins:
    """One feature's bins. Numerical: bin ``bisect_right(splits, x)``; categorical: the bin listing
    the value, and a value never seen in training falls in the riskiest bin (the lowest points)."""

    name: str
    splits: tuple[float, ...] = ()
    categories: tuple[tuple[str, ...], ...] = ()
    points: tuple[float, ...] = ()
    woe: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()  # training rows per bin (for CSI)
    bad_rates: tuple[float, ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.categories)

    def bin_of(self, value: Any) -> int:
        if self.categorical:
            v = str(value)
            for i, group in enumerate(self.categories):
                if v in group:
                    return i
            return min(range(len(self.points)), key=lambda i: self.points[i])
        x = float(value)
        if math.isnan(x):
            return min(range(len(self.points)), key=lambda i: self.points[i])
        return bisect_right(self.splits, x)

    def label(self, i: int) -> str:
        if self.categorical:
            return ", ".join(self.categories[i])
        lo = "-inf" if i == 0 else f"{self.splits[i - 1]:g}"
        hi = "+inf" if i == len(self.splits) else f"{self.splits[i]:g}"
        return f"[{lo}, {hi})"


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: Any
    bin: int
    points: float
    max_points: float  # the best this feature could have given

    @property
    def shortfall(self) -> float:
        return self.max_points - self.points


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: float
    pd: float
    contributions: tuple[Contribution, ...]

    def shortfalls(self, top: int = 3) -> list[Contribution]:
        """The features that cost the most points against their best bin (adverse-action reasons)."""
        lost = sorted((c for c in self.contributions if c.shortfall > 0.5), key=lambda c: -c.shortfall)
        return lost[:top]


@dataclass(frozen=True, slots=True)
class Scorecard:
    version: str
    features: tuple[FeatureBins, ...]
    scaling: Scaling = field(default_factory=Scaling)
    data_fingerprint: str = ""
    trained_on: str = ""  # data set description
    metrics: Mapping[str, Any] = field(default_factory=dict)

    def score(self, values: Mapping[str, Any]) -> ScoreResult:
        contributions = []
        total = 0.0
        for fb in self.features:
            v = values[fb.name]
            i = fb.bin_of(v)
            p = fb.points[i]
            total += p
            contributions.append(Contribution(fb.name, v, i, p, max(fb.points)))
        return ScoreResult(round(total, 2), self.scaling.pd(total), tuple(contributions))

    def score_only(self, values: Mapping[str, Any]) -> float:
        return sum(fb.points[fb.bin_of(values[fb.name])] for fb in self.features)


def scorecard_to_doc(sc: Scorecard) -> dict[str, Any]:
    return {
        "version": sc.version,
        "data_fingerprint": sc.data_fingerprint,
        "trained_on": sc.trained_on,
        "scaling": {"base_score": sc.scaling.base_score, "base_odds": sc.scaling.base_odds, "pdo": sc.scaling.pdo},
        "metrics": dict(sc.metrics),
        "features": [
            {
                "name": f.name,
                "splits": list(f.splits),
                "categories": [list(c) for c in f.categories],
                "points": list(f.points),
                "woe": list(f.woe),
                "counts": list(f.counts),
                "bad_rates": list(f.bad_rates),
            }
            for f in sc.features
        ],
    }


def scorecard_from_doc(doc: Mapping[str, Any]) -> Scorecard:
    s = doc["scaling"]
    return Scorecard(
        version=str(doc["version"]),
        data_fingerprint=str(doc.get("data_fingerprint", "")),
        trained_on=str(doc.get("trained_on", "")),
        scaling=Scaling(float(s["base_score"]), float(s["base_odds"]), float(s["pdo"])),
        metrics=dict(doc.get("metrics", {})),
        features=tuple(
            FeatureBins(
                name=f["name"],
                splits=tuple(float(x) for x in f["splits"]),
                categories=tuple(tuple(str(v) for v in c) for c in f.get("categories", [])),
                points=tuple(float(x) for x in f["points"]),
                woe=tuple(float(x) for x in f.get("woe", [])),
                counts=tuple(int(x) for x in f.get("counts", [])),
                bad_rates=tuple(float(x) for x in f.get("bad_rates", [])),
            )
            for f in doc["features"]
        ),
    )
