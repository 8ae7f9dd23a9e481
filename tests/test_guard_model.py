"""The LightGBM fraud model: training on PaySim with a time-based hold-out, the scorer, its faults."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.model import (
    FEATURES,
    LightGBMScorer,
    auc,
    event_vector,
    load_paysim,
    precision_at_recall,
    sidecar_path,
    train,
)
from tests.guard_helpers import Clock, transfer

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "finguard" / "data" / "models" / "paysim-lgbm.txt"


@pytest.fixture(scope="module")
def paysim(shared_data: Path) -> Path:
    path = shared_data / "fraud" / "paysim-sample.csv"
    if not path.is_file():
        pytest.fail(f"PaySim sample not at {path} (tests/data/PROVENANCE.md)")
    return path


@pytest.fixture(scope="module")
def trained(paysim: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model: the first 12,000 rows of the (shuffled) sample, 60 rounds."""
    out = tmp_path_factory.mktemp("model") / "small.txt"
    train(paysim, out, rounds=60, limit=12_000)
    return out


def test_training_reports_auc_and_precision_on_a_time_based_hold_out(trained: Path) -> None:
    side = json.loads(sidecar_path(trained).read_text())
    assert side["features"] == list(FEATURES) and side["split"]["kind"] == "time"
    first_test, _ = side["split"]["test_steps"]
    assert side["split"]["train_steps"][1] == first_test - 1  # training never sees a hold-out step
    metrics = side["metrics"]["hold_out_with_balances"]
    assert metrics["auc"] > 0.9, metrics
    assert 0 < metrics["precision_at_recall_0.8"] <= 1 and 0 < metrics["precision_at_recall_0.9"] <= 1
    assert side["metrics"]["hold_out_without_balances"]["auc"] > 0.8
    assert len(side["data"]["sha256"]) == 64 and side["training"]["trained_at"]
    assert "isFlaggedFraud" not in json.dumps(side["features"])


def test_the_velocity_features_are_computed_in_time_order_per_account(tmp_path: Path) -> None:
    """Two payments by C1 in step 1 and one in step 30; C9 receives from two senders in step 2."""
    csv = tmp_path / "tiny.csv"
    csv.write_text(
        "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n"
        "30,TRANSFER,5.0,C1,5.0,0.0,C9,0.0,0.0,1,1\n"
        "1,PAYMENT,10.0,C1,100.0,90.0,M1,0.0,0.0,0,0\n"
        "1,PAYMENT,20.0,C1,90.0,70.0,M2,0.0,0.0,0,0\n"
        "2,TRANSFER,7.0,C2,7.0,0.0,C9,0.0,7.0,0,0\n"
        "2,CASH_IN,3.0,C3,0.0,3.0,C9,10.0,7.0,0,0\n"
    )
    data = load_paysim(csv)
    col = {n: i for i, n in enumerate(FEATURES)}
    assert data.steps.tolist() == [1, 1, 2, 2, 30]
    assert data.x[:, col["orig_out_count_1h"]].tolist() == [1, 2, 1, 0, 1]  # a CASH_IN is not money out
    assert data.x[:, col["orig_out_sum_24h"]].tolist() == [10, 30, 7, 0, 5]  # step 30 is past C1's 24-step window
    assert data.x[:, col["dest_senders_24h"]].tolist()[2:] == [1, 2, 1]
    assert data.y.tolist() == [0, 0, 0, 0, 1]


def test_metrics_match_their_definitions() -> None:
    y = np.array([0, 0, 1, 1, 0, 1], dtype=np.int8)
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    # 9 positive/negative pairs, the positive ranks higher in 8 of them
    assert auc(y, s) == pytest.approx(8 / 9)
    assert auc(y, np.full(6, 0.5)) == 0.5  # ties count half
    at = precision_at_recall(y, s, 0.9)
    assert (at.recall, at.precision, at.threshold) == (1.0, 0.75, 0.35)


def _event(**over: object) -> object:
    return parse_event(transfer(**over), None)


def test_the_scorer_returns_probabilities(trained: Path) -> None:
    scorer = LightGBMScorer(trained)
    assert scorer.available and scorer.unavailable is None and scorer.name == "small"
    drained = _event(amount="181.00", attributes={"balance_before": "181.00", "balance_after": "0", "payee_balance_before": "0"})
    plain = _event()
    features = {"account_out_count_1h": 1, "account_out_sum_24h": Decimal("181.00"), "payee_in_count_24h": 1, "payee_senders_24h": 1}
    for ev in (drained, plain):
        score = scorer.score(ev, features)  # type: ignore[arg-type]
        assert isinstance(score, float) and 0.0 <= score <= 1.0
    login = parse_event({k: v for k, v in transfer(type="login").items() if k not in ("amount", "payee", "account")}, None)
    assert scorer.score(login, {}) is None  # not a money movement: not scored


def test_events_without_balances_map_them_to_missing_values() -> None:
    vector = event_vector(_event(), {"account_out_count_1h": 2})  # type: ignore[arg-type]
    assert vector is not None and len(vector) == len(FEATURES)
    named = dict(zip(FEATURES, vector, strict=True))
    assert named["type_TRANSFER"] == 1.0 and named["amount"] == 100.0 and named["hour"] == 10  # 02:00 UTC is 10:00 in Beijing
    assert math.isnan(named["orig_balance_before"]) and math.isnan(named["dest_balance_error"])
    assert named["orig_out_count_1h"] == 2 and math.isnan(named["orig_out_sum_24h"])


@pytest.mark.parametrize("content", [None, "not a model", "wrong features"])
def test_a_missing_or_bad_model_is_unavailable_not_a_crash(tmp_path: Path, trained: Path, content: str | None) -> None:
    path = tmp_path / "model.txt"
    if content == "not a model":
        path.write_text("tree\nversion=v4\nnonsense")
    elif content == "wrong features":
        text = trained.read_text().replace("feature_names=amount", "feature_names=other")
        path.write_text(text)
    scorer = LightGBMScorer(path)
    assert not scorer.available and scorer.unavailable and str(path) in scorer.unavailable
    assert scorer.score(_event(), {}) is None  # type: ignore[arg-type]


def test_the_shipped_model_loads_and_is_small() -> None:
    scorer = LightGBMScorer(SHIPPED)
    assert scorer.available, scorer.unavailable
    assert SHIPPED.stat().st_size < 1024 * 1024
    assert scorer.sidecar["metrics"]["hold_out_with_balances"]["auc"] > 0.9


def test_rules_read_the_model_score_and_an_unavailable_model_still_decides(engine: Engine, trained: Path, tmp_path: Path) -> None:
    clock = Clock()
    guard = make_guard(engine, None, clock=clock, model=LightGBMScorer(trained))
    guard.rules.save(Rule("m.seen", "model.score is not None and model.score >= 0", "the model scored", score=1), "t")
    decision = guard.decide_raw(transfer("m1"))
    assert [r.code for r in decision.reasons] == ["small", "m.seen"]
    assert 0.0 <= decision.reasons[0].values["score"] <= 1.0

    missing = make_guard(engine, None, clock=clock, model=LightGBMScorer(tmp_path / "absent.txt"))
    decision = missing.decide_raw(transfer("m2"))
    assert [r.code for r in decision.reasons] == [] and decision.outcome.value == "allow"
