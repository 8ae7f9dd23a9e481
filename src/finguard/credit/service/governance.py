"""Model governance: build a training set, train, validate, and measure stability (PSI / CSI).

Labelled data comes either from the synthetic portfolio (seed, size, an optional default drift)
or from tax records with a labels file (``uscc,defaulted``: 1 defaulted within 12 months).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.credit.model.features import FEATURES, feature_vector, tax_facts
from finguard.credit.model.metrics import psi, psi_band
from finguard.credit.model.scorecard import Scorecard
from finguard.credit.model.synthetic import synthetic_portfolio
from finguard.credit.model.taxdata import TaxRecord, normalise_uscc
from finguard.credit.service.training import TrainingParams, csi, train_scorecard, validate


@dataclass(frozen=True, slots=True)
class LabelledSet:
    columns: dict[str, list[float]]
    labels: list[int]
    description: str

    def __len__(self) -> int:
        return len(self.labels)


def labelled_from_records(records: Iterable[tuple[TaxRecord, bool]], description: str) -> LabelledSet:
    cols: dict[str, list[float]] = {k: [] for k in FEATURES}
    y: list[int] = []
    for rec, bad in records:
        fv = feature_vector(tax_facts(rec))
        for k in FEATURES:
            cols[k].append(fv[k])
        y.append(int(bad))
    return LabelledSet(cols, y, description)


def synthetic_set(n: int, seed: int, *, default_shift: float = 0.0) -> LabelledSet:
    return labelled_from_records(
        ((f.record, f.defaulted) for f in synthetic_portfolio(n, seed=seed, default_shift=default_shift)),
        f"synthetic tax portfolio seed={seed} n={n} shift={default_shift:g}",
    )


def parse_labels(rows: Sequence[Mapping[str, str]]) -> dict[str, bool]:
    """``uscc,defaulted`` rows (header is line 1) into a map; every bad row reported."""
    out: dict[str, bool] = {}
    problems = []
    for i, row in enumerate(rows, start=2):
        try:
            uscc = normalise_uscc(str(row.get("uscc") or ""))
        except InvalidInput as exc:
            problems.append(FieldProblem("uscc", exc.problems[0].problem, i))
            continue
        v = str(row.get("defaulted") or "").strip().lower()
        if v not in {"0", "1", "true", "false"}:
            problems.append(FieldProblem("defaulted", "must be 0 or 1", i))
            continue
        out[uscc] = v in {"1", "true"}
    if problems:
        raise InvalidInput("the labels are not valid", problems=problems)
    return out


def labelled_from_files(records: Sequence[TaxRecord], labels: Mapping[str, bool], description: str) -> LabelledSet:
    missing = [r.firm.uscc for r in records if r.firm.uscc not in labels]
    if missing:
        raise InvalidInput("every record needs a label", problems=[FieldProblem("labels", f"no label for {u}") for u in missing[:20]])
    return labelled_from_records(((r, labels[r.firm.uscc]) for r in records), description)


def train(data: LabelledSet, *, version: str, params: TrainingParams | None = None) -> Scorecard:
    if sum(data.labels) == 0 or sum(data.labels) == len(data.labels):
        raise InvalidInput.for_field("labels", "training needs both defaulted and repaid firms")
    return train_scorecard(data.columns, data.labels, version=version, params=params, trained_on=data.description)


def split(data: LabelledSet, holdout: float) -> tuple[LabelledSet, LabelledSet]:
    """A deterministic stratified split: every ``1/holdout``-th default and every ``1/holdout``-th
    repaid firm, in order, are held out."""
    if not 0 < holdout < 0.5:
        raise InvalidInput.for_field("holdout", "must be more than 0 and less than 0.5")
    step = round(1 / holdout)
    seen = {0: 0, 1: 0}
    out_idx = []
    for i, y in enumerate(data.labels):
        seen[y] += 1
        if seen[y] % step == 0:
            out_idx.append(i)
    held = set(out_idx)
    keep = [i for i in range(len(data.labels)) if i not in held]

    def part(idx: list[int], what: str) -> LabelledSet:
        return LabelledSet({k: [v[i] for i in idx] for k, v in data.columns.items()}, [data.labels[i] for i in idx],
                           f"{data.description} ({what})")  # fmt: skip

    return part(keep, "training part"), part(out_idx, f"held-out 1 in {step}")


def train_validated(data: LabelledSet, *, version: str, holdout: float, params: TrainingParams | None = None) -> Scorecard:
    """Train on all but a held-out part and keep that part's measures in the model's metrics."""
    fit, held = split(data, holdout)
    sc = train(fit, version=version, params=params)
    rep = validation_report(sc, held)
    summary = {k: rep[k] for k in ("n", "bad_rate", "auc", "ks", "gini", "brier", "hosmer_lemeshow")}
    return replace(sc, metrics={**sc.metrics, "holdout": summary})


def validation_report(sc: Scorecard, data: LabelledSet) -> dict[str, Any]:
    return {"model": sc.version, "data": data.description, **validate(sc, data.columns, data.labels)}


def stability_report(sc: Scorecard, baseline: LabelledSet, current: LabelledSet) -> dict[str, Any]:
    """PSI of the score and CSI of each feature between two populations (labels not needed)."""

    def scores(d: LabelledSet) -> list[float]:
        return [sc.score_only({k: d.columns[k][i] for k in d.columns}) for i in range(len(d))]

    p = psi(scores(baseline), scores(current))
    c = csi(sc, baseline.columns, current.columns)
    return {
        "model": sc.version,
        "baseline": baseline.description,
        "current": current.description,
        "psi": p,
        "psi_band": psi_band(p),
        "csi": {k: {"value": v, "band": psi_band(v)} for k, v in sorted(c.items(), key=lambda kv: -kv[1])},
    }
