"""The guard's own model: trained on a bank's labelled events, calibrated, explained, versioned."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from finguard.core.errors import InvalidInput
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.metrics import Isotonic, amount_caught, auc, ece, precision_at_recall, psi, reference_bins
from finguard.guard.service.model import LightGBMScorer, train_version
from finguard.guard.service.registry import ModelRegistry
from finguard.guard.service.training import build_dataset
from tests.guard_helpers import Clock, card_stream, luhn, transfer

CARD = luhn("62220" + "0" * 10)  # the card of cust0 in card_stream


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    raw, labels = card_stream()
    data = build_dataset([parse_event(e, None) for e in raw], labels)
    reg = ModelRegistry(tmp_path_factory.mktemp("models"))
    train_version(data, reg, name="cards", fingerprint={"events_sha256": "x"}, actor="test", rounds=40)
    return reg


def test_metrics_match_their_definitions() -> None:
    y = np.array([0, 0, 1, 1, 0, 1], dtype=np.int8)
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    assert auc(y, s) == pytest.approx(8 / 9)  # the positive ranks higher in 8 of 9 pairs
    at = precision_at_recall(y, s, 0.9)
    assert (at.recall, at.precision, at.threshold) == (1.0, 0.75, 0.35)
    caught = amount_caught(y, s, np.array([1, 1, 10, 30, 1, 60.0]), 1 / 3)  # review the top 2: both fraud, 90 of 100
    assert caught["fraud_caught"] == pytest.approx(2 / 3) and caught["amount_caught"] == pytest.approx(0.9)
    assert ece(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0 and ece(np.array([0, 0]), np.array([0.5, 0.5])) == 0.5


def test_isotonic_calibration_is_monotone_keeps_the_ranking_and_matches_rates() -> None:
    rng = np.random.default_rng(1)
    raw = rng.random(4000)
    y = (rng.random(4000) < raw**2).astype(np.int8)  # the true probability is raw squared
    cal = Isotonic.fit(raw, y)
    p = cal(np.linspace(0, 1, 50))
    assert np.all(np.diff(p) > 0)  # strictly increasing: no ties made
    assert cal(np.array([0.5]))[0] == pytest.approx(0.25, abs=0.06)
    assert ece(y, cal(raw)) < 0.03
    assert Isotonic.from_dict(cal.to_dict())(np.array([0.7]))[0] == pytest.approx(cal(np.array([0.7]))[0], abs=1e-6)


def test_psi_is_zero_for_the_same_data_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(2)
    train = rng.normal(0, 1, 5000)
    ref = reference_bins(train)
    assert psi(ref, rng.normal(0, 1, 5000)) < 0.02
    assert psi(ref, rng.normal(1.5, 1, 5000)) > 0.25


def test_a_version_records_its_data_metrics_and_hold_out(registry: ModelRegistry) -> None:
    (v,) = registry.versions()
    assert v.version == "m0001" and v.name == "cards" and v.data["events_sha256"] == "x" and v.data["fraud"] > 0
    hold_out = v.metrics["hold_out"]
    assert hold_out["auc"] > 0.9 and 0 <= hold_out["ece"] <= 1 and len(hold_out["review"]) == 3
    side = json.loads((registry.root / "m0001" / "model.json").read_text())
    assert side["split"]["kind"] == "time" and side["split"]["train"][1] <= side["split"]["hold_out"][0]
    assert "vel.card_cnp_count_10m" in side["features"] and "channel" in side["schema"]["categories"]


def test_scores_are_rounded_calibrated_and_explained(registry: ModelRegistry) -> None:
    scorer = LightGBMScorer(registry.path_of("m0001"))
    assert scorer.available, scorer.unavailable
    card = {"type": "card_auth", "card": CARD, "customer_id": "cust0"}
    ordinary = parse_event(transfer("o1", channel="pos", amount="20.00", merchant={"id": "m0-1", "region": "CN-BJ"}, **card), None)
    found = scorer.explain(ordinary, {"card_auth_count_1h": 1, "new_merchant": 0, "new_country": 0})
    assert found is not None and found.score == round(found.score, 4) and found.score < 0.2
    stolen = parse_event(transfer("o2", channel="api", amount="2500.00", merchant={"id": "x1", "region": "US"}, **card), None)
    risky = scorer.explain(stolen, {"card_cnp_count_10m": 4, "card_cnp_count_1h": 4, "new_country": 1, "new_merchant": 1})
    assert risky is not None and risky.score > found.score
    assert 1 <= len(risky.top) <= 3 and all(c.contribution > 0 for c in risky.top)
    assert risky.detail().startswith(f"model score {risky.score:.2f}; raised by ")
    login = parse_event({k: v for k, v in transfer(type="login").items() if k not in ("amount", "payee", "account")}, None)
    assert scorer.explain(login, {}) is None  # not a money movement: not scored


@pytest.mark.parametrize("content", [None, "not a model", "no sidecar"])
def test_a_missing_or_bad_model_is_unavailable_not_a_crash(tmp_path: Path, registry: ModelRegistry, content: str | None) -> None:
    path = tmp_path / "model.txt"
    if content == "not a model":
        path.write_text("tree\nversion=v4\nnonsense")
        path.with_suffix(".json").write_text((registry.root / "m0001" / "model.json").read_text())
    elif content == "no sidecar":
        path.write_text((registry.root / "m0001" / "model.txt").read_text())
    scorer = LightGBMScorer(path)
    assert not scorer.available and scorer.unavailable and str(path) in scorer.unavailable
    assert scorer.score(parse_event(transfer(), None), {}) is None


def test_roles_are_recorded_with_who_and_why(registry: ModelRegistry, tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "r")
    with pytest.raises(InvalidInput):
        reg.set_role("champion", "../etc", "ana", "")
    (reg.root / "m0001").mkdir(parents=True)
    reg.register("m0001", {"name": "a"}, "ana")
    reg.set_role("challenger", "m0001", "ana", "try it")
    reg.set_role("champion", "m0001", "bo", "beat the rules in replay")
    assert reg.roles() == {"champion": "m0001", "challenger": None}
    assert [(h["actor"], h["action"]) for h in reg.history()] == [("ana", "register"), ("ana", "set_challenger"), ("bo", "set_champion")]


def test_the_champion_is_enforced_through_rules_and_the_challenger_only_recorded(engine: Engine, registry: ModelRegistry) -> None:
    clock = Clock()
    model = LightGBMScorer(registry.path_of("m0001"))
    challenger = LightGBMScorer(registry.path_of("m0001"), name="other")
    guard = make_guard(engine, None, clock=clock, model=model, challenger=challenger)
    guard.rules.save(Rule("m.seen", "model.score is not None and model.score >= 0", "the model scored", score=1), "t")
    decision = guard.decide_raw(transfer("m1"))
    codes = [(r.code, r.enforced) for r in decision.reasons]
    assert codes == [("cards", True), ("challenger:cards", False), ("m.seen", True)]
    top = decision.reasons[0]
    assert top.detail.startswith("model score 0.") and top.values["score"] == round(top.values["score"], 4)

    missing = make_guard(engine, None, clock=clock, model=LightGBMScorer(registry.root / "absent.txt"))
    decision = missing.decide_raw(transfer("m2"))
    assert [r.code for r in decision.reasons] == [] and decision.outcome.value == "allow"
