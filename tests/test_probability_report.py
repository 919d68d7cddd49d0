"""cecore.probability_report and the charts of the probabilities section."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from cecore import charts
from cecore.calibration import expected_calibration_error
from cecore.charts.probabilities import (
    precision_recall_chart,
    reliability_diagram,
    roc_chart,
    thinned_curve,
    threshold_confusion,
)
from cecore.probability_report import accuracy_note, probability_report, reliability_table


def imbalanced(n=10_000, seed=0, positive_share=0.03):
    """A credit-default-like test set: 3% positive, a model that rarely says so."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_share).astype(int)
    logit = -4 + 2.2 * y + rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-logit))
    return y, np.column_stack([1 - p, p])


def test_binary_report_equals_sklearn():
    y, proba = imbalanced()
    report = probability_report(y, proba, ["no", "yes"])
    assert report.log_loss == pytest.approx(log_loss(y, proba), rel=1e-12)
    assert report.brier["brier"] == pytest.approx(brier_score_loss(y, proba[:, 1]), rel=1e-12)
    assert report.expected_calibration_error == expected_calibration_error(y, proba)
    observed, predicted = calibration_curve(y, proba[:, 1], n_bins=10)
    np.testing.assert_array_equal(report.reliability["yes"]["observed"], observed)
    np.testing.assert_array_equal(report.reliability["yes"]["mean_predicted"], predicted)
    assert report.curves.roc_auc() == pytest.approx(roc_auc_score(y, proba[:, 1]), abs=1e-14)
    assert report.accuracy == np.mean(proba.argmax(axis=1) == y)
    assert list(report.class_counts) == [int((y == 0).sum()), int((y == 1).sum())]


def test_the_accuracy_note_says_what_accuracy_hides():
    y, proba = imbalanced()
    report = probability_report(y, proba, ["no", "yes"])
    note = accuracy_note(report)
    found = int(((proba[:, 1] > 0.5) & (y == 1)).sum())
    assert f"Of the {int(y.sum()):,} 'yes' rows the model finds {found:,}" in note
    assert f"{np.mean(y == 0):.1%} of them are 'no'" in note
    balanced_y = np.arange(1000) % 2
    balanced = np.column_stack([1 - (0.2 + 0.6 * balanced_y), 0.2 + 0.6 * balanced_y])
    assert accuracy_note(probability_report(balanced_y, balanced, ["a", "b"])) is None


def test_multiclass_report_has_top_label_and_per_class_curves():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3000, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in proba])  # calibrated by construction
    report = probability_report(y, proba, ["a", "b", "c"])
    assert list(report.reliability) == ["top label", "a", "b", "c"]
    assert report.brier is None and report.curves is None
    observed, _ = calibration_curve((y == 1).astype(int), proba[:, 1], n_bins=10)
    np.testing.assert_array_equal(report.reliability["b"]["observed"], observed)
    table = reliability_table(report)
    assert table.loc[0, "calibration error"] == pytest.approx(report.expected_calibration_error)
    assert report.expected_calibration_error < 0.05


def test_the_charts_draw_the_report_and_mark_the_thresholds():
    y, proba = imbalanced(n=200_000)
    report = probability_report(y, proba, ["no", "<b>yes</b>"])
    fig = reliability_diagram(report.reliability, report.scores)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"]
    assert len(lines) == 1 and lines[0].name == "&lt;b&gt;yes&lt;/b&gt;"
    bars = [t for t in fig.data if t.type == "bar"]
    assert sum(bars[0].y) == len(y)  # the histogram counts every row
    counts = report.curves.at(0.2)
    optimal = report.curves.at(0.1)
    roc = roc_chart(report.curves, counts, optimal=optimal)
    assert len(roc.data[1].x) <= 2001  # 200,000 thresholds thinned
    assert (roc.data[2].x[0], roc.data[2].y[0]) == (counts.false_positive_rate, counts.recall)
    assert roc.data[3].name == "cost-optimal 0.1"
    pr = precision_recall_chart(report.curves, counts)
    assert (pr.data[2].x[0], pr.data[2].y[0]) == (counts.recall, counts.precision)
    heat = threshold_confusion(counts, report.class_names)
    assert heat.data[0].z[1][1] == counts.true_positives
    assert charts.reliability_diagram is reliability_diagram


def test_thinned_curve_keeps_the_ends():
    x = np.linspace(0, 1, 10_001)
    tx, ty = thinned_curve(x, x**2, max_points=100)
    assert tx[0] == 0 and tx[-1] == 1 and len(tx) <= 101
    np.testing.assert_array_equal(ty, tx**2)


def test_temperature_scaling_on_held_out_training_rows():
    from cecore.probability_report import scaled_probabilities, temperature_scaling

    rng = np.random.default_rng(3)
    z_true = rng.normal(0, 2, 40_000)
    y = (rng.random(z_true.size) < 1 / (1 + np.exp(-z_true))).astype(int)
    over_confident = 3 * z_true  # the model's logits: three times too sure
    scaling = temperature_scaling(over_confident[:20_000], y[:20_000], over_confident[20_000:],
                                  y[20_000:], ["a", "b"])
    assert scaling.temperature == pytest.approx(3, rel=0.05)
    assert scaling.n_validation == 20_000
    assert scaling.after.log_loss < scaling.before.log_loss
    assert (scaling.after.expected_calibration_error
            < scaling.before.expected_calibration_error / 3)
    after = scaled_probabilities(over_confident[20_000:], scaling.temperature)
    assert scaling.after.log_loss == pytest.approx(log_loss(y[20_000:], after), rel=1e-12)
    assert temperature_scaling(z_true[:0], y[:0], z_true, y, ["a", "b"]) is None
    logits = rng.normal(size=(5, 3))
    softened = scaled_probabilities(logits, 2.0)
    np.testing.assert_allclose(softened, np.exp(logits / 2) / np.exp(logits / 2).sum(1)[:, None])


def test_matching_threshold_is_the_highest_that_reaches_the_recall():
    from cecore.thresholds import BinaryCurves
    from cecore.weights_lesson import matching_threshold

    y, proba = imbalanced(n=5000)
    curves = BinaryCurves(y, proba[:, 1])
    for recall in (0.1, 0.5, 0.8, 1.0):
        t = matching_threshold(curves, recall)
        assert curves.at(t).recall >= recall
        higher = np.nextafter(t, np.inf)
        assert curves.at(higher).recall < recall
