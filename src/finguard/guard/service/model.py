"""The fraud model: a LightGBM gradient-boosted classifier trained on labelled PaySim transactions.

Training (:func:`train`) reads the PaySim CSV, builds one feature vector per transaction
(:data:`FEATURES`), splits by time (the last steps are the hold-out, never seen in training),
and reports AUC and precision at fixed recall on the hold-out. The model is saved in LightGBM's
text format with a JSON sidecar beside it (feature names, metrics, data hash, training time).

Scoring (:class:`LightGBMScorer`) maps a guard :class:`Event` and its velocity features to the
same vector. The mapping, feature by feature:

====================  ==========================================  ==========================================
feature               PaySim (training)                           guard event (scoring)
====================  ==========================================  ==========================================
amount                ``amount``                                  ``event.amount`` (any currency, as is)
type_*                one-hot of ``type``                         transfer / remittance out: TRANSFER;
                                                                  transfer in, loan disbursement: CASH_IN;
                                                                  card auth: PAYMENT (at an ATM: CASH_OUT);
                                                                  loan repayment: DEBIT; other types: not
                                                                  scored (``None``)
hour                  ``step % 24`` (a step is one hour)          the event's hour in Asia/Shanghai
orig_balance_before   ``oldbalanceOrg``                           attribute ``balance_before``, else NaN
orig_balance_after    ``newbalanceOrig``                          attribute ``balance_after``, else NaN
orig_balance_error    old - new - amount                          from the two attributes, else NaN
amount_to_balance     amount / old (NaN when old is 0)            from ``balance_before``, else NaN
dest_balance_before   ``oldbalanceDest``                          attribute ``payee_balance_before``, else NaN
dest_balance_after    ``newbalanceDest``                          attribute ``payee_balance_after``, else NaN
dest_balance_error    new - old - amount                          from the two attributes, else NaN
orig_out_count_1h     the sender's transactions out in this step  ``vel.account_out_count_1h``
orig_out_sum_24h      their amount over the last 24 steps         ``vel.account_out_sum_24h``
dest_in_count_24h     the payee's transactions in, 24 steps       ``vel.payee_in_count_24h``
dest_senders_24h      distinct senders to the payee, 24 steps     ``vel.payee_senders_24h``
====================  ==========================================  ==========================================

Velocity counts include the transaction itself, as the guard's do. Guard events carry no
balances unless the channel adds them as attributes, so training sees every row twice: once with
its balances and once with them missing (NaN, which LightGBM routes down a learned branch); the
hold-out is scored both ways and both are reported. ``isFlaggedFraud`` (the simulator's own rule
output) and the account names are never features.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from finguard.core.clock import utcnow
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.guard.model.controls import DEFAULT_TZ

if TYPE_CHECKING:
    import lightgbm as lgb
from finguard.guard.model.events import Event, EventType
from finguard.guard.service.velocity import FeatureValue

log = logging.getLogger(__name__)

TYPES = ("CASH_IN", "CASH_OUT", "DEBIT", "PAYMENT", "TRANSFER")
FEATURES: tuple[str, ...] = (
    "amount",
    *(f"type_{t}" for t in TYPES),
    "hour",
    "orig_balance_before",
    "orig_balance_after",
    "orig_balance_error",
    "amount_to_balance",
    "dest_balance_before",
    "dest_balance_after",
    "dest_balance_error",
    "orig_out_count_1h",
    "orig_out_sum_24h",
    "dest_in_count_24h",
    "dest_senders_24h",
)
BALANCES = (
    "orig_balance_before",
    "orig_balance_after",
    "orig_balance_error",
    "amount_to_balance",
    "dest_balance_before",
    "dest_balance_after",
    "dest_balance_error",
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}
_BALANCE_COLUMNS = [_INDEX[n] for n in BALANCES]
REQUIRED_COLUMNS = ("step", "type", "amount", "nameOrig", "oldbalanceOrg", "newbalanceOrig", "nameDest", "oldbalanceDest", "newbalanceDest")
LABEL = "isFraud"
SIDECAR_FORMAT = "finguard.guard.model/1"
RECALLS = (0.8, 0.9)
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "seed": 7,
    "verbose": -1,
}
Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int8]


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def _vector(
    amount: float,
    kind: str,
    hour: int,
    balances: tuple[float | None, float | None, float | None, float | None],
    velocity: tuple[float, float, float, float],
) -> list[float]:
    old_o, new_o, old_d, new_d = balances
    row = [amount, *(1.0 if kind == t else 0.0 for t in TYPES), float(hour)]
    row += [
        _nan_if_none(old_o),
        _nan_if_none(new_o),
        math.nan if old_o is None or new_o is None else old_o - new_o - amount,
        math.nan if not old_o else amount / old_o,
        _nan_if_none(old_d),
        _nan_if_none(new_d),
        math.nan if old_d is None or new_d is None else new_d - old_d - amount,
    ]
    row += list(velocity)
    return row


# -- the PaySim data -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledData:
    x: Matrix
    y: Labels
    steps: npt.NDArray[np.int64]
    sha256: str
    rows: int


class _Windows:
    """Per-key sliding windows over steps (hours), in time order, for the velocity-like features."""

    def __init__(self) -> None:
        self.sent: dict[str, deque[tuple[int, float]]] = defaultdict(deque)
        self.received: dict[str, deque[tuple[int, str]]] = defaultdict(deque)

    def add(self, step: int, orig: str, dest: str, amount: float, outgoing: bool) -> tuple[float, float, float, float]:
        sent = self.sent[orig]
        if outgoing:
            sent.append((step, amount))
        while sent and sent[0][0] <= step - 24:
            sent.popleft()
        got = self.received[dest]
        got.append((step, orig))
        while got and got[0][0] <= step - 24:
            got.popleft()
        count_1h = sum(1 for s, _ in sent if s == step)
        return float(count_1h), sum(a for _, a in sent), float(len(got)), float(len({o for _, o in got}))


def _float(raw: str, column: str, line: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"line {line}: {column}", problems=[FieldProblem(column, f"{raw[:30]!r} is not a number", line)]) from None
    if not math.isfinite(value):
        raise InvalidInput(f"line {line}: {column}", problems=[FieldProblem(column, "must be finite", line)])
    return value


def load_paysim(path: Path, *, limit: int | None = None) -> LabelledData:
    """Read a PaySim CSV into features and labels, computing the velocity features in time order.

    Rows are ordered by ``step`` (stable: file order within a step, as PaySim gives no finer time).
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig").splitlines()
    reader = csv.DictReader(text)
    missing = [c for c in (*REQUIRED_COLUMNS, LABEL) if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput.for_field("data", f"{path.name} lacks the PaySim columns {', '.join(missing)}")
    parsed: list[tuple[int, int, dict[str, str]]] = []
    for line, row in enumerate(reader, start=2):
        if limit is not None and len(parsed) >= limit:
            break
        try:
            step = int(float(row["step"]))
        except ValueError:
            raise InvalidInput(f"line {line}: step", problems=[FieldProblem("step", f"{row['step'][:30]!r} is not a step", line)]) from None
        if row["type"] not in TYPES:
            raise InvalidInput(
                f"line {line}: type", problems=[FieldProblem("type", f"{row['type'][:30]!r}; accepted: {', '.join(TYPES)}", line)]
            )
        parsed.append((step, line, row))
    parsed.sort(key=lambda t: (t[0], t[1]))
    windows = _Windows()
    x = np.empty((len(parsed), len(FEATURES)), dtype=np.float64)
    y = np.empty(len(parsed), dtype=np.int8)
    steps = np.empty(len(parsed), dtype=np.int64)
    for i, (step, line, row) in enumerate(parsed):
        amount = _float(row["amount"], "amount", line)
        balances = (
            _float(row["oldbalanceOrg"], "oldbalanceOrg", line),
            _float(row["newbalanceOrig"], "newbalanceOrig", line),
            _float(row["oldbalanceDest"], "oldbalanceDest", line),
            _float(row["newbalanceDest"], "newbalanceDest", line),
        )
        velocity = windows.add(step, row["nameOrig"], row["nameDest"], amount, row["type"] != "CASH_IN")
        x[i] = _vector(amount, row["type"], step % 24, balances, velocity)
        y[i] = 1 if _float(row[LABEL], LABEL, line) >= 0.5 else 0
        steps[i] = step
    if len(parsed) == 0:
        raise InvalidInput.for_field("data", f"{path.name} has no rows")
    return LabelledData(x, y, steps, hashlib.sha256(raw).hexdigest(), len(parsed))


def without_balances(x: Matrix) -> Matrix:
    """The same rows as a guard event without balance attributes sees them."""
    out = x.copy()
    out[:, _BALANCE_COLUMNS] = np.nan
    return out


# -- metrics ---------------------------------------------------------------------------------


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
    average_rank = upper - (counts - 1) / 2.0  # 1-based mean rank of each distinct value
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
    last_of_value = np.r_[s_sorted[1:] != s_sorted[:-1], True]  # a threshold takes every tie at once
    idx = np.flatnonzero(last_of_value & (tp / positives >= target))[0]
    return AtRecall(target, float(tp[idx] / seen[idx]), float(tp[idx] / positives), float(s_sorted[idx]))


def quality(y: Labels, scores: npt.NDArray[np.float64]) -> dict[str, Any]:
    out: dict[str, Any] = {"auc": round(auc(y, scores), 5), "rows": len(y), "fraud": int(y.sum())}
    for r in RECALLS:
        at = precision_at_recall(y, scores, r)
        out[f"precision_at_recall_{r}"] = round(at.precision, 5)
        out[f"threshold_at_recall_{r}"] = round(at.threshold, 6)
    return out


# -- training --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainReport:
    model_path: Path
    sidecar_path: Path
    rows: int
    train_rows: int
    test_rows: int
    split: dict[str, Any]
    with_balances: dict[str, Any]
    without_balances: dict[str, Any]
    seconds: float
    size_bytes: int
    sidecar: dict[str, Any] = field(default_factory=dict)


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def time_split(steps: npt.NDArray[np.int64], test_fraction: float) -> int:
    """The first step of the hold-out: the latest steps holding about ``test_fraction`` of the rows."""
    if not 0.0 < test_fraction < 1.0:
        raise InvalidInput.for_field("test_fraction", "must be between 0 and 1")
    cut = int(np.quantile(steps, 1.0 - test_fraction, method="higher"))
    if cut <= int(steps.min()):
        raise InvalidInput.for_field("data", "too few distinct steps for a time-based hold-out")
    return cut


def train(
    data_path: Path,
    out: Path,
    *,
    rounds: int = 200,
    test_fraction: float = 0.2,
    limit: int | None = None,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TrainReport:
    import lightgbm as lgb  # loaded by the commands that train, not by every import
    """Train on the earlier steps, evaluate on the later ones, save the model and its sidecar."""
    started = time.perf_counter()
    data = load_paysim(data_path, limit=limit)
    cut = time_split(data.steps, test_fraction)
    train_mask = data.steps < cut
    x_train, y_train = data.x[train_mask], data.y[train_mask]
    x_test, y_test = data.x[~train_mask], data.y[~train_mask]
    if y_train.sum() == 0 or y_test.sum() == 0:
        raise InvalidInput.for_field("data", "both the training and the hold-out steps need fraud and non-fraud rows")
    x_fit = np.vstack([x_train, without_balances(x_train)])
    y_fit = np.concatenate([y_train, y_train])
    merged = {**DEFAULT_PARAMS, **(params or {})}
    dataset = lgb.Dataset(x_fit, label=y_fit, feature_name=list(FEATURES), free_raw_data=True)
    callbacks: list[Callable[[Any], None]] = []
    if progress is not None:
        progress_fn = progress

        def tick(env: Any) -> None:
            progress_fn(int(env.iteration) + 1, rounds)

        callbacks.append(tick)
    booster = lgb.train(merged, dataset, num_boost_round=rounds, callbacks=callbacks)
    with_bal = quality(y_test, np.asarray(booster.predict(x_test), dtype=np.float64))
    without_bal = quality(y_test, np.asarray(booster.predict(without_balances(x_test)), dtype=np.float64))
    seconds = round(time.perf_counter() - started, 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(out))
    split = {
        "kind": "time",
        "by": "step",
        "train_steps": [int(data.steps.min()), cut - 1],
        "test_steps": [cut, int(data.steps.max())],
        "test_fraction": test_fraction,
    }
    sidecar = {
        "format": SIDECAR_FORMAT,
        "name": name or out.stem,
        "features": list(FEATURES),
        "metrics": {"hold_out_with_balances": with_bal, "hold_out_without_balances": without_bal},
        "split": split,
        "data": {"file": data_path.name, "sha256": data.sha256, "rows": data.rows, "fraud": int(data.y.sum())},
        "training": {
            "rows": len(y_fit),
            "augmentation": "each training row twice: with its balances and with them missing",
            "rounds": rounds,
            "params": merged,
            "lightgbm": lgb.__version__,
            "seconds": seconds,
            "trained_at": utcnow().isoformat(timespec="seconds"),
        },
    }
    side = sidecar_path(out)
    side.write_text(json.dumps(sidecar, indent=2) + "\n")
    return TrainReport(
        out,
        side,
        data.rows,
        int(train_mask.sum()),
        int((~train_mask).sum()),
        split,
        with_bal,
        without_bal,
        seconds,
        out.stat().st_size,
        sidecar,
    )


# -- scoring ---------------------------------------------------------------------------------


def _attr_number(event: Event, name: str) -> float | None:
    raw = event.attributes.get(name)
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return float(value) if value.is_finite() else None


def _feature(features: Mapping[str, FeatureValue], name: str) -> float:
    value = features.get(name)
    return math.nan if value is None else float(value)


def paysim_type(event: Event) -> str | None:
    """The PaySim transaction type an event corresponds to (None: the model does not score it)."""
    if event.type in (EventType.TRANSFER, EventType.REMITTANCE):
        return "CASH_IN" if event.direction == "in" else "TRANSFER"
    if event.type is EventType.CARD_AUTH:
        return "CASH_OUT" if event.channel == "atm" else "PAYMENT"
    if event.type is EventType.LOAN_DISBURSEMENT:
        return "CASH_IN"
    if event.type is EventType.LOAN_REPAYMENT:
        return "DEBIT"
    return None


def event_vector(event: Event, features: Mapping[str, FeatureValue], tz: str = DEFAULT_TZ) -> list[float] | None:
    """The model's feature vector of a guard event (see the module table), or None if not scored."""
    kind = paysim_type(event)
    if kind is None or event.amount is None:
        return None
    balances = (
        _attr_number(event, "balance_before"),
        _attr_number(event, "balance_after"),
        _attr_number(event, "payee_balance_before"),
        _attr_number(event, "payee_balance_after"),
    )
    velocity = (
        _feature(features, "account_out_count_1h"),
        _feature(features, "account_out_sum_24h"),
        _feature(features, "payee_in_count_24h"),
        _feature(features, "payee_senders_24h"),
    )
    hour = event.occurred_at.astimezone(ZoneInfo(tz)).hour
    return _vector(float(event.amount), kind, hour, balances, velocity)


class LightGBMScorer:
    """A trained model file as a :class:`~finguard.guard.service.engine.ModelScorer`.

    The file is read once, here (start-up); nothing is ever downloaded. A missing, unreadable or
    mismatched file leaves the scorer unavailable (``unavailable`` says why) and every score is
    None: the rules see ``model.score is None``, and the decision still completes.
    """

    def __init__(self, path: Path | str, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.unavailable: str | None = None
        self.sidecar: dict[str, Any] = {}
        self._booster: lgb.Booster | None = None
        import lightgbm as lgb  # loaded with the first model, not by every process that imports the guard

        try:
            self._booster = self._load()
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            self.unavailable = f"model {self.path} cannot be loaded: {exc}"
        if self.unavailable:
            log.warning("%s", self.unavailable)

    def _load(self) -> lgb.Booster | None:
        if not self.path.is_file():
            self.unavailable = f"no model file at {self.path}"
            return None
        side = sidecar_path(self.path)
        if side.is_file():
            self.sidecar = json.loads(side.read_text())
            self.name = str(self.sidecar.get("name") or self.name)
        import lightgbm as lgb

        booster = lgb.Booster(model_file=str(self.path))
        if tuple(booster.feature_name()) != FEATURES:
            self.unavailable = f"model {self.path} was trained on other features ({', '.join(booster.feature_name()[:5])}, ...)"
            return None
        return booster

    @property
    def available(self) -> bool:
        return self._booster is not None

    def score(self, event: Event, features: Mapping[str, FeatureValue]) -> float | None:
        if self._booster is None:
            return None
        vector = event_vector(event, features)
        if vector is None:
            return None
        p = float(self._booster.predict(np.asarray([vector], dtype=np.float64), num_threads=1)[0])
        return min(1.0, max(0.0, p))
