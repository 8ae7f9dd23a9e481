"""The fraud model: LightGBM on the guard's own features, calibrated, explained, versioned.

Training (:func:`train`) takes a :class:`~finguard.guard.service.training.Dataset` (the bank's
labelled events, replayed in time order), splits it by time into a training part (first 70 %),
a calibration slice (next 10 %) and a hold-out (last 20 %, never seen while fitting), fits
LightGBM with the categorical features as categories and missing values as missing, fits an
isotonic calibration on the calibration slice, and reports on the hold-out: AUC, precision at
recall 0.8 / 0.9, ECE, and the share of fraud amount caught when 1 / 2 / 5 % of events are
reviewed. The model is saved in LightGBM's text format with a JSON sidecar (the feature schema,
the calibration, the data fingerprint, the metrics and PSI reference bins for drift).

Scoring (:class:`LightGBMScorer`) builds the same feature row (``FeatureSchema.row``), returns the
calibrated probability rounded to 4 places and the top reasons (LightGBM ``pred_contrib``).

No model ships by default: a model trained on someone else's data ranks a bank's events no
better than chance (issue #11). A bank trains on its own labelled events (``finguard guard train``).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from finguard.core.clock import utcnow
from finguard.core.errors import InvalidInput
from finguard.guard.model.events import Event
from finguard.guard.model.features import Contribution, Explained, FeatureSchema, Value
from finguard.guard.service.metrics import Isotonic, psi, quality, reference_bins
from finguard.guard.service.registry import ModelRegistry, ModelVersion
from finguard.guard.service.training import Dataset

if TYPE_CHECKING:
    import lightgbm as lgb

log = logging.getLogger(__name__)
SIDECAR_FORMAT = "finguard.guard.model/2"
SPLIT = (0.7, 0.1, 0.2)  # train, calibrate, hold out: by time
TOP_REASONS = 3
# 300 rounds of 31 leaves without a depth limit. Smaller trees explain (TreeSHAP) several times faster but were
# not kept (#19, docs/capacity.md stop 24): depth 4 lost PR-AUC on ULB's calibration slice, 15 leaves at 200 rounds on
# SynCCFD's (bench/guard/model_tune.py).
DEFAULT_ROUNDS = 300
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "cat_smooth": 10,
    "max_cat_to_onehot": 8,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "seed": 7,
    "verbose": -1,
}
Matrix = npt.NDArray[np.float64]
# LightGBM's C API: what a single-row prediction returns (C_API_PREDICT_*), the rows' type
_PREDICT_RAW, _PREDICT_CONTRIB, _FLOAT64 = 1, 3, 1
_DOUBLES = ctypes.POINTER(ctypes.c_double)


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def matrix(schema: FeatureSchema, rows: Sequence[Mapping[str, Value]]) -> Matrix:
    encode = schema.encoder()
    return np.asarray([encode(r) for r in rows], dtype=np.float64).reshape(len(rows), len(schema.names))


def time_slices(n: int) -> tuple[slice, slice, slice]:
    a = int(n * SPLIT[0])
    b = int(n * (SPLIT[0] + SPLIT[1]))
    return slice(0, a), slice(a, b), slice(b, n)


@dataclass(frozen=True, slots=True)
class TrainReport:
    model_path: Path
    sidecar: dict[str, Any]
    hold_out: dict[str, Any]
    hold_out_raw_auc: float
    seconds: float
    drift_reference: dict[str, Any] = field(default_factory=dict)


def fit(
    data: Dataset,
    *,
    rounds: int = DEFAULT_ROUNDS,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[lgb.Booster, FeatureSchema, Isotonic, dict[str, Any], float]:
    """Fit on the first 70 %, calibrate on the next 10 %; return the hold-out report of the last 20 %."""
    import lightgbm as lgb

    n = len(data.y)
    fit_part, cal_part, test_part = time_slices(n)
    for name, part in (("training", fit_part), ("calibration", cal_part), ("hold-out", test_part)):
        y_part = data.y[part]
        if len(y_part) == 0 or int(y_part.sum()) == 0 or int(y_part.sum()) == len(y_part):
            raise InvalidInput.for_field("labels", f"the {name} part (by time) needs fraud and legitimate events")
    schema = data.schema.with_categories(data.rows[fit_part])
    x = matrix(schema, data.rows)
    categorical = [schema.names.index(c) for c in schema.categorical]
    merged = {**DEFAULT_PARAMS, **(params or {})}
    callbacks: list[Callable[[Any], None]] = []
    if progress is not None:
        tick_to = progress
        callbacks.append(lambda env: tick_to(int(env.iteration) + 1, rounds))
    dataset = lgb.Dataset(
        x[fit_part], label=data.y[fit_part], feature_name=[_lgb_name(n) for n in schema.names], categorical_feature=categorical
    )
    booster = lgb.train(merged, dataset, num_boost_round=rounds, callbacks=callbacks)
    raw_cal = np.asarray(booster.predict(x[cal_part]), dtype=np.float64)
    calibration = Isotonic.fit(raw_cal, data.y[cal_part])
    raw_test = np.asarray(booster.predict(x[test_part]), dtype=np.float64)
    report = quality(data.y[test_part], calibration(raw_test), data.amounts[test_part])
    report["raw_auc"] = quality(data.y[test_part], raw_test, data.amounts[test_part])["auc"]
    reference = {name: reference_bins(x[fit_part][:, i]) for i, name in enumerate(schema.names)}
    return booster, schema, calibration, {"hold_out": report, "reference": reference}, report["raw_auc"]


def _lgb_name(name: str) -> str:
    # LightGBM refuses some punctuation in feature names; ours use letters, digits, '_' and '.'.
    return name.replace(".", "__")


def train(
    data: Dataset,
    out: Path,
    *,
    name: str,
    fingerprint: Mapping[str, Any],
    rounds: int = DEFAULT_ROUNDS,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TrainReport:
    import lightgbm as lgb

    started = time.perf_counter()
    booster, schema, calibration, result, raw_auc = fit(data, rounds=rounds, params=params, progress=progress)
    n = len(data.y)
    fit_part, cal_part, test_part = time_slices(n)
    seconds = round(time.perf_counter() - started, 2)

    def span(part: slice) -> list[str]:
        chunk = data.events[part]
        return [chunk[0].occurred_at.isoformat(), chunk[-1].occurred_at.isoformat()]

    sidecar = {
        "format": SIDECAR_FORMAT,
        "name": name,
        "schema": schema.to_dict(),
        "features": list(schema.names),
        "calibration": calibration.to_dict(),
        "metrics": {"hold_out": result["hold_out"]},
        "split": {"kind": "time", "train": span(fit_part), "calibrate": span(cal_part), "hold_out": span(test_part)},
        "data": {**fingerprint, "events": n, "fraud": int(data.y.sum())},
        "drift_reference": result["reference"],
        "training": {
            "rounds": rounds,
            "params": {**DEFAULT_PARAMS, **(params or {})},
            "lightgbm": lgb.__version__,
            "seconds": seconds,
            "trained_at": utcnow().isoformat(timespec="seconds"),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(out))
    sidecar_path(out).write_text(json.dumps(sidecar, indent=1) + "\n")
    return TrainReport(out, sidecar, result["hold_out"], raw_auc, seconds, result["reference"])


# -- scoring -----------------------------------------------------------------------------------


class _SingleRow:
    """LightGBM's single-row prediction of one kind (a raw score or the contributions), set up once
    (``LGBM_BoosterPredictForMatSingleRowFastInit``) and called for one row at a time
    (``LGBM_BoosterPredictForMatSingleRowFast``): the same predictor and the same answers, to the
    bit, as ``Booster.predict`` of that row (``tests/test_guard_model_batch.py``), without its
    fixed cost a call (~20 us: its checks, a predictor made for each call; #19, stop 22). The
    C API is LightGBM's public one; the Python package's ctypes handle to it (``lightgbm.basic._LIB``)
    is not: where it is missing or refuses, :meth:`make` gives None and ``predict`` is used."""

    def __init__(self, booster: lgb.Booster, kind: int, ncol: int, width: int) -> None:
        from lightgbm.basic import _LIB, _c_str, _safe_call  # type: ignore[attr-defined]

        handle = ctypes.c_void_p()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(kind),
                ctypes.c_int(0),  # start iteration
                ctypes.c_int(-1),  # every iteration, as predict's default
                ctypes.c_int(_FLOAT64),
                ctypes.c_int32(ncol),
                _c_str("num_threads=1"),
                ctypes.byref(handle),
            )
        )
        self._booster = booster  # the handle points into it: kept alive as long as this
        self._handle = handle
        self._call = _LIB.LGBM_BoosterPredictForMatSingleRowFast
        self._safe = _safe_call
        self.ncol, self.width = ncol, width
        self._lock = threading.Lock()  # LightGBM locks the booster too; this keeps the handle's use plain
        weakref.finalize(self, _LIB.LGBM_FastConfigFree, handle)

    @classmethod
    def make(cls, booster: lgb.Booster, kind: int, ncol: int, width: int) -> _SingleRow | None:
        try:
            return cls(booster, kind, ncol, width)
        except Exception as exc:  # an older or newer lightgbm package: predict() as before
            log.info("LightGBM's single-row prediction is not available (%s): predict() is used", exc)
            return None

    def __call__(self, row: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The prediction of one encoded row (``ncol`` float64 values)."""
        x = np.ascontiguousarray(row, dtype=np.float64)
        if x.size != self.ncol:
            raise ValueError(f"a row of {x.size} values, the model has {self.ncol} features")
        out = np.empty(self.width, dtype=np.float64)
        got = ctypes.c_int64(0)
        with self._lock:
            self._safe(self._call(self._handle, ctypes.c_void_p(x.ctypes.data), ctypes.byref(got), ctypes.c_void_p(out.ctypes.data)))
        if got.value != self.width:
            raise ValueError(f"LightGBM gave {got.value} values for one row, not {self.width}")
        return out


class LightGBMScorer:
    """A trained model file as a :class:`~finguard.guard.service.engine.ModelScorer`.

    Read once, here; never downloaded. A missing, unreadable or foreign file leaves the scorer
    unavailable (``unavailable`` says why) and every score is None: the decision still completes.
    """

    def __init__(self, path: Path | str, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.unavailable: str | None = None
        self.sidecar: dict[str, Any] = {}
        self.schema: FeatureSchema | None = None
        self.calibration: Isotonic | None = None
        self._booster: lgb.Booster | None = None
        self.version: str | None = None  # a digest of the model file (``_load``)
        # What explain needs of the schema and the calibration, worked out once (#19)
        self._names: tuple[str, ...] = ()
        self._encode: Callable[[Mapping[str, Value]], list[float]] | None = None
        self._cal_x: npt.NDArray[np.float64] = np.zeros(0)
        self._cal_y: npt.NDArray[np.float64] = np.zeros(0)
        # One event's raw score and contributions through LightGBM's single-row path (#19, stop 22)
        self._raw_one: _SingleRow | None = None
        self._contrib_one: _SingleRow | None = None
        import lightgbm as lgb

        try:
            self._booster = self._load()
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            self.unavailable = f"model {self.path} cannot be loaded: {exc}"
            self._booster = None
        if self.unavailable:
            log.warning("%s", self.unavailable)

    def _load(self) -> lgb.Booster | None:
        import lightgbm as lgb

        if not self.path.is_file():
            self.unavailable = f"no model file at {self.path}"
            return None
        side = sidecar_path(self.path)
        if not side.is_file():
            self.unavailable = f"model {self.path} has no sidecar {side.name}"
            return None
        self.sidecar = json.loads(side.read_text())
        if self.sidecar.get("format") != SIDECAR_FORMAT:
            self.unavailable = f"model {self.path} is of format {self.sidecar.get('format')!r}, not {SIDECAR_FORMAT}: train it again"
            return None
        self.name = str(self.sidecar.get("name") or self.name)
        self.schema = FeatureSchema.from_dict(self.sidecar["schema"])
        self.calibration = Isotonic.from_dict(self.sidecar["calibration"])
        booster = lgb.Booster(model_file=str(self.path))
        if booster.feature_name() != [_lgb_name(n) for n in self.schema.names]:
            self.unavailable = f"model {self.path} does not match its sidecar's features"
            return None
        self._names = self.schema.names
        self._encode = self.schema.encoder()
        # Which model decided, stored with a score whose contributions were not computed (#19), so
        # that computing them later uses the same model or says it is no longer loaded.
        self.version = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        self._cal_x, self._cal_y = np.asarray(self.calibration.x), np.asarray(self.calibration.y)
        n = len(self._names)
        self._raw_one = _SingleRow.make(booster, _PREDICT_RAW, n, 1)
        self._contrib_one = _SingleRow.make(booster, _PREDICT_CONTRIB, n, n + 1) if self._raw_one is not None else None
        return booster

    @property
    def available(self) -> bool:
        return self._booster is not None

    def explain(self, event: Event, features: Mapping[str, Any]) -> Explained | None:
        if self._booster is None or self.schema is None or self.calibration is None or self._encode is None:
            return None
        row = self.schema.row(event, features)
        if row.get("amount") is None:
            return None  # the model scores money movements only
        x = np.asarray([self._encode(row)], dtype=np.float64)
        return self._explained(row, self._contributions(x)[0])

    def explain_many(self, items: Sequence[tuple[Event, Mapping[str, Any]]]) -> list[Explained | None]:
        """:meth:`explain` of many events, their contributions in one LightGBM call (#19): TreeSHAP
        works row by row, so each row's contributions are the ones a call of its own gives, and
        one call for many rows costs less a row (~390 against ~455 us on the bench's model)."""
        if self._booster is None or self.schema is None or self.calibration is None or self._encode is None:
            return [None] * len(items)
        rows = [self.schema.row(event, features) for event, features in items]
        scored = [k for k, row in enumerate(rows) if row.get("amount") is not None]  # money movements only
        out: list[Explained | None] = [None] * len(items)
        if scored:
            encode = self._encode
            x = np.asarray([encode(rows[k]) for k in scored], dtype=np.float64).reshape(len(scored), len(self._names))
            contrib = self._contributions(x)
            for k, c in zip(scored, contrib, strict=True):
                out[k] = self._explained(rows[k], c)
        return out

    def score_many(self, items: Sequence[tuple[Event, Mapping[str, Any]]]) -> list[Explained | None]:
        """The calibrated scores of :meth:`explain_many` without the contributions (``explained``
        False, ``top`` empty): :meth:`prepare`'s scores."""
        return self.prepare(items).scores

    def prepare(self, items: Sequence[tuple[Event, Mapping[str, Any]]]) -> Prepared:
        """Score many events with one plain prediction (~3 us a row against ~400 for TreeSHAP:
        #19), keeping their encoded rows so that :meth:`Prepared.explain` computes the
        contributions of some of them later without building the rows again.

        The margin is LightGBM's raw score (``raw_score=True``) through the same sigmoid, calibration
        and rounding as :meth:`_explained`, which sums the row's contributions instead: the two sums
        can differ in the last bits of a double (the same terms in another order); on the bench's
        rows the calibrated, rounded scores are identical (profile-19, stop 22), and the engine
        keeps the explained score wherever it computes the contributions."""
        if self._booster is None or self.schema is None or self.calibration is None or self._encode is None:
            return Prepared(self, [], [], np.zeros((0, 0)), [None] * len(items))
        rows = [self.schema.row(event, features) for event, features in items]
        scored = [k for k, row in enumerate(rows) if row.get("amount") is not None]  # money movements only
        out: list[Explained | None] = [None] * len(items)
        x = np.zeros((0, len(self._names)))
        if scored:
            encode = self._encode
            x = np.asarray([encode(rows[k]) for k in scored], dtype=np.float64).reshape(len(scored), len(self._names))
            margins = self._margins(x)
            raw = [1.0 / (1.0 + math.exp(-m)) for m in margins]
            calibrated = Isotonic.through(raw, self._cal_x, self._cal_y).tolist()
            for k, p in zip(scored, calibrated, strict=True):
                out[k] = Explained(round(p, 4), (), explained=False)
        return Prepared(self, rows, scored, x, out)

    def _contributions(self, x: Matrix) -> Matrix:
        """The rows' contributions (the last column the bias): one row through the single-row path."""
        assert self._booster is not None
        if len(x) == 1 and self._contrib_one is not None:
            return self._contrib_one(x[0]).reshape(1, -1)
        return np.asarray(self._booster.predict(x, pred_contrib=True, num_threads=1), dtype=np.float64)

    def _margins(self, x: Matrix) -> list[float]:
        """The rows' raw scores (margins): one row through the single-row path."""
        assert self._booster is not None
        if len(x) == 1 and self._raw_one is not None:
            return [float(self._raw_one(x[0])[0])]
        return list(np.asarray(self._booster.predict(x, raw_score=True, num_threads=1), dtype=np.float64).tolist())

    def _explained(self, row: Mapping[str, Value], contrib: npt.NDArray[np.float64]) -> Explained:
        """The calibrated score and top reasons of one row's contributions (the last is the bias)."""
        raw = 1.0 / (1.0 + math.exp(-float(contrib.sum())))
        score = round(float(Isotonic.through([raw], self._cal_x, self._cal_y)[0]), 4)
        order = np.argsort(-contrib[:-1])[:TOP_REASONS]
        # as Python floats (the same values): numpy's scalars cost more to index, compare and round
        shares = contrib.tolist()
        names = self._names
        top = tuple(Contribution(names[i], row.get(names[i]), round(shares[i], 3)) for i in order.tolist() if shares[i] > 0)
        return Explained(score, top)

    def score(self, event: Event, features: Mapping[str, Any]) -> float | None:
        found = self.explain(event, features)
        return None if found is None else found.score

    def scores(self, rows: Sequence[Mapping[str, Value]]) -> npt.NDArray[np.float64]:
        """Calibrated scores of many feature rows at once (replays, drift)."""
        assert self._booster is not None and self.schema is not None and self.calibration is not None
        raw = np.asarray(self._booster.predict(matrix(self.schema, rows)), dtype=np.float64)
        return self.calibration(raw)

    def drift(self, rows: Sequence[Mapping[str, Value]]) -> dict[str, float]:
        """PSI of each feature between the training rows and ``rows``."""
        assert self.schema is not None
        x = matrix(self.schema, rows)
        ref = self.sidecar.get("drift_reference") or {}
        return {name: round(psi(ref[name], x[:, i]), 4) for i, name in enumerate(self.schema.names) if name in ref}


@dataclass(slots=True)
class Prepared:
    """Events scored by :meth:`LightGBMScorer.prepare`: their scores, and their encoded rows kept
    to explain some of them (:meth:`explain`) as :meth:`LightGBMScorer.explain_many` would."""

    scorer: LightGBMScorer
    rows: Sequence[Mapping[str, Value]]
    scored: list[int]  # the item of each row of ``x``
    x: Matrix
    scores: list[Explained | None]

    def explain(self, items: Sequence[int]) -> list[Explained | None]:
        """The explanations of these items (their indices in ``prepare``'s), in one LightGBM call;
        None for an item the model does not score. TreeSHAP works row by row: the same answers
        as :meth:`LightGBMScorer.explain_many` of those events."""
        at = {k: j for j, k in enumerate(self.scored)}
        wanted = [k for k in items if k in at]
        found: dict[int, Explained] = {}
        if wanted:
            contrib = self.scorer._contributions(self.x[[at[k] for k in wanted]])
            for k, c in zip(wanted, contrib, strict=True):
                found[k] = self.scorer._explained(self.rows[k], c)
        return [found.get(k) for k in items]


def train_version(
    data: Dataset,
    registry: ModelRegistry,
    *,
    name: str,
    fingerprint: Mapping[str, Any],
    actor: str,
    rounds: int = DEFAULT_ROUNDS,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ModelVersion, TrainReport]:
    """Train a new version into the registry (neither champion nor challenger until someone says so)."""
    version, path = registry.next_path()
    try:
        report = train(data, path, name=name, fingerprint=fingerprint, rounds=rounds, progress=progress)
    except BaseException:
        registry.remove_files(version)
        raise
    return registry.register(version, report.sidecar, actor), report
