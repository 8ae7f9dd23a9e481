"""Governance measures and the scorecard's training and scaling."""

from __future__ import annotations

import itertools
import math

import pytest

from finguard.credit.model.metrics import auc, calibration, ks, psi_from_counts
from finguard.credit.model.scorecard import Scaling, scorecard_from_doc, scorecard_to_doc
from finguard.credit.service.governance import stability_report, synthetic_set, train, validation_report


def test_auc_ks_on_a_hand_worked_case():
    risk = [0.1, 0.2, 0.3, 0.4, 0.4]
    bad = [0, 0, 1, 0, 1]
    # 6 bad-good pairs: the bad at 0.3 beats two goods; the bad at 0.4 beats two and ties one (half)
    assert auc(risk, bad) == pytest.approx(4.5 / 6)
    assert ks(risk, bad) == pytest.approx(2 / 3)


def test_psi_counts_a_bin_empty_on_one_side_instead_of_dropping_it():
    same = psi_from_counts([50, 50, 0], [50, 50, 0])
    assert same == 0.0
    moved = psi_from_counts([50, 50, 0], [25, 25, 50])
    # the new bin alone contributes (0.5 - 1e-4) * ln(0.5 / 1e-4) ~= 4.26
    assert moved > 4.0 and math.isfinite(moved)


def test_pdo_doubles_the_odds():
    s = Scaling(600, 50, 20)
    odds = lambda score: (1 - s.pd(score)) / s.pd(score)  # noqa: E731
    assert odds(600) == pytest.approx(50)
    assert odds(620) == pytest.approx(100)
    assert s.score(s.pd(555.5)) == pytest.approx(555.5)


@pytest.fixture(scope="module")
def trained():
    data = synthetic_set(3000, 11)
    return train(data, version="t1"), data


def test_training_gives_monotonic_bins_and_a_fingerprint(trained):
    sc, _data = trained
    for f in sc.features:
        rates = [r for r, c in zip(f.bad_rates, f.counts, strict=True) if c]
        diffs = [b - a for a, b in itertools.pairwise(rates)]
        assert all(d >= -1e-9 for d in diffs) or all(d <= 1e-9 for d in diffs), f.name
    assert len(sc.data_fingerprint) == 24
    assert train(synthetic_set(3000, 12), version="t2").data_fingerprint != sc.data_fingerprint
    assert scorecard_from_doc(scorecard_to_doc(sc)) == sc


def test_points_add_up_to_the_scaled_log_odds(trained):
    sc, data = trained
    row = {k: data.columns[k][0] for k in data.columns}
    r = sc.score(row)
    assert r.pd == pytest.approx(sc.scaling.pd(r.score), rel=1e-3)


def test_validation_and_stability_reports(trained):
    sc, _ = trained
    rep = validation_report(sc, synthetic_set(3000, 13))
    assert 0.6 < rep["auc"] < 1 and rep["gini"] == pytest.approx(2 * rep["auc"] - 1)
    assert len(rep["calibration"]) == 10
    calm = stability_report(sc, synthetic_set(2000, 13), synthetic_set(2000, 14))
    assert calm["psi_band"] == "stable"
    assert set(calm["csi"]) == {f.name for f in sc.features}


def test_calibration_bins_are_equal_count():
    cal = calibration([i / 100 for i in range(100)], [1 if i > 80 else 0 for i in range(100)])
    assert [b.n for b in cal.bins] == [10] * 10


def test_the_default_keeps_monotonic_bins_unless_free_trends_rank_better_out_of_fold():
    """A risk that falls then rises with age (a valley) is found by the free trend in the inner
    cross-validation; a risk that only rises with debt keeps the explainable monotonic bins."""
    import random

    from finguard.credit.service.training import TrainingParams, select_trend

    rng = random.Random(3)
    n = 1500
    age = [rng.uniform(18, 80) for _ in range(n)]
    debt = [rng.uniform(0, 1) for _ in range(n)]
    valley = [int(rng.random() < (0.05 + 0.5 * ((a - 49) / 31) ** 2)) for a in age]
    rising = [int(rng.random() < 0.05 + 0.5 * d) for d in debt]
    import numpy as np

    p = TrainingParams(c_grid=(1.0,))
    trend, cv = select_trend({"age": age}, np.asarray(valley), frozenset(), p)
    assert trend == "auto" and cv["auto"] > cv["auto_asc_desc"]
    trend, _ = select_trend({"debt": debt}, np.asarray(rising), frozenset(), p)
    assert trend == "auto_asc_desc"


def test_the_per_feature_trend_frees_only_the_feature_whose_risk_has_a_valley():
    """``trend="feature"``: age (risk falls then rises) gets free bins, chosen on the training data
    alone; debt (risk only rises) keeps monotonic bins; the choice is kept in the model."""
    import random

    from finguard.credit.service.training import TrainingParams, train_scorecard

    rng = random.Random(5)
    n = 1500
    age = [rng.uniform(18, 80) for _ in range(n)]
    debt = [rng.uniform(0, 1) for _ in range(n)]
    y = [int(rng.random() < 0.03 + 0.4 * ((a - 49) / 31) ** 2 + 0.3 * d) for a, d in zip(age, debt, strict=True)]
    sc = train_scorecard({"age": age, "debt": debt}, y, version="t", params=TrainingParams(trend="feature", c_grid=(1.0,)))
    report = sc.metrics["feature_trend_cv"]
    assert report["screened"] == ["age"] and report["free"] == ["age"]
    assert report["age"] >= report["monotonic"]
    by_name = {f.name: f for f in sc.features}
    rates = by_name["age"].bad_rates
    assert max(rates[1:-1]) < min(rates[0], rates[-1])  # a valley: both ends riskier than the middle
    debt_rates = by_name["debt"].bad_rates
    assert list(debt_rates) == sorted(debt_rates)  # monotonic


def test_the_per_feature_trend_keeps_monotonic_bins_when_nothing_has_a_valley():
    import random

    from finguard.credit.service.training import TrainingParams, train_scorecard

    rng = random.Random(6)
    n = 1200
    debt = [rng.uniform(0, 1) for _ in range(n)]
    income = [rng.uniform(0, 1) for _ in range(n)]
    y = [int(rng.random() < 0.05 + 0.4 * d + 0.2 * (1 - i)) for d, i in zip(debt, income, strict=True)]
    sc = train_scorecard({"debt": debt, "income": income}, y, version="t", params=TrainingParams(trend="feature", c_grid=(1.0,)))
    assert sc.metrics["feature_trend_cv"].get("free", []) == []
    for f in sc.features:
        assert list(f.bad_rates) in (sorted(f.bad_rates), sorted(f.bad_rates, reverse=True))
