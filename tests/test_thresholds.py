"""cecore.thresholds against sklearn.metrics on the same scores."""

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from cecore.thresholds import BinaryCurves, cost_optimal_threshold


def scores(n=500, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.3 + 0.25 * (2 * y - 1) + rng.normal(0, 0.2, n), 0, 1)
    if ties:
        p = np.round(p, 1)  # many equal scores
    return y, p


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_curves_and_areas_equal_sklearn(seed, ties):
    y, p = scores(seed=seed, ties=ties)
    curves = BinaryCurves(y, p)
    fpr, tpr, thresholds = curves.roc()
    ref = roc_curve(y, p, drop_intermediate=False)
    for ours, theirs in zip((fpr, tpr, thresholds), ref, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    precision, recall, pr_thresholds = curves.precision_recall()
    ref = precision_recall_curve(y, p)
    for ours, theirs in zip((precision, recall, pr_thresholds), ref, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    assert curves.roc_auc() == pytest.approx(roc_auc_score(y, p), abs=1e-14)
    assert curves.average_precision() == pytest.approx(average_precision_score(y, p), abs=1e-14)


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.3, 0.5, 0.5000001, 0.7, 1.0, 1.1])
def test_counts_at_a_threshold_equal_sklearn(threshold):
    y, p = scores(seed=7, ties=True)
    counts = BinaryCurves(y, p).at(threshold)
    called = (p >= threshold).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(y, called, labels=[0, 1])
    assert (counts.true_negatives, counts.false_positives, counts.false_negatives,
            counts.true_positives) == (tn, fp, fn, tp)
    assert counts.precision == precision_score(y, called, zero_division=0)
    assert counts.recall == recall_score(y, called, zero_division=0)
    assert counts.f1 == pytest.approx(f1_score(y, called, zero_division=0), abs=1e-15)
    assert counts.accuracy == np.mean(called == y)
    assert counts.cost(1.0, 5.0) == pytest.approx((fp + 5 * fn) / len(y))


def test_hand_made_case():
    curves = BinaryCurves([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert curves.roc_auc() == 0.75  # of the 4 pairs (pos, neg), 3 are ordered right
    at = curves.at(0.35)  # 0.4, 0.35 and 0.8 are called positive
    assert (at.true_positives, at.false_positives, at.true_negatives, at.false_negatives) == (
        2, 1, 1, 0)
    assert at.precision == 2 / 3 and at.recall == 1.0 and at.false_positive_rate == 0.5


def test_cost_optimal_threshold_and_the_best_threshold_on_calibrated_scores():
    assert cost_optimal_threshold(1, 1) == 0.5
    assert cost_optimal_threshold(1, 9) == 0.1
    with pytest.raises(ValueError, match="not both 0"):
        cost_optimal_threshold(0, 0)
    rng = np.random.default_rng(1)
    p = rng.random(200_000)
    y = (rng.random(p.size) < p).astype(int)  # calibrated by construction
    best = BinaryCurves(y, p).best_threshold(1.0, 4.0)
    assert best == pytest.approx(cost_optimal_threshold(1.0, 4.0), abs=0.02)


def test_bad_input():
    with pytest.raises(ValueError, match="0 and 1"):
        BinaryCurves([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="one length"):
        BinaryCurves([0, 1], [0.1])
    with pytest.raises(ValueError, match="both classes"):
        BinaryCurves([1, 1], [0.1, 0.2]).roc()
