"""cecore.compare: the same objective solved by lbfgs, side by side with ours."""

import json
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.compare import agreement_note, compare, fit_reference, sklearn_C


def _split(loader):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _trained(cls, X, y, X_test, y_test, **params):
    model = cls(**{"solver": "nesterov", "tol": 1e-9, "max_epochs": 20_000, **params})
    records = list(model.fit_iter(X, y, X_val=X_test, y_val=y_test))
    return model, records[-1]


def test_sklearn_C_is_one_over_alpha_n_and_doubles_for_softmax_on_two_classes():
    assert sklearn_C(0.01, 200) == pytest.approx(0.5)
    assert sklearn_C(0.01, 200, binary_softmax=True) == pytest.approx(1.0)
    assert sklearn_C(0.0, 200) == np.inf


@pytest.mark.parametrize("loader, cls", [(load_breast_cancer, LogisticRegressionGD),
                                         (load_iris, SoftmaxRegressionGD)],
                         ids=["logistic", "softmax"])
def test_converged_fit_agrees_with_lbfgs(loader, cls):
    X, X_test, y, y_test = _split(loader)
    model, record = _trained(cls, X, y, X_test, y_test, alpha=0.01)
    c = compare(model, X, y, X_test, y_test, alpha=0.01, record=record)

    assert c.log_loss_train == pytest.approx(c.ours_train_loss, abs=1e-12)
    assert c.log_loss_test == pytest.approx(c.ours_test_loss, abs=1e-12)
    assert c.ours_objective == pytest.approx(c.sklearn_objective, rel=1e-6)
    assert abs(c.objective_gap) < 1e-6
    assert c.max_proba_difference < 1e-5
    assert c.sklearn_converged
    assert c.ours_accuracy_test == c.sklearn_accuracy_test
    assert "here they do" in agreement_note(c, model.stop_reason_)


def test_softmax_forced_on_two_classes_is_compared_with_the_binomial_fit_at_half_alpha():
    X, X_test, y, y_test = _split(load_breast_cancer)
    model, record = _trained(SoftmaxRegressionGD, X, y, X_test, y_test, alpha=0.02)
    c = compare(model, X, y, X_test, y_test, alpha=0.02, record=record)

    assert c.sklearn_C == pytest.approx(2 / (0.02 * len(y)))
    assert c.ours_objective == pytest.approx(c.sklearn_objective, rel=1e-6)
    assert c.max_proba_difference < 1e-5


def test_a_run_stopped_early_shows_a_gap_and_says_why():
    X, X_test, y, y_test = _split(load_breast_cancer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model, record = _trained(LogisticRegressionGD, X, y, X_test, y_test, alpha=0.01,
                                 solver="gd", max_epochs=5)
    c = compare(model, X, y, X_test, y_test, alpha=0.01, record=record)

    assert c.objective_gap > 1e-3
    assert c.ours_objective > c.sklearn_objective
    note = agreement_note(c, model.stop_reason_)
    assert "more epochs" in note and "relative above" in note


def test_no_penalty_on_separable_data_is_flagged():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]] * 5)
    y = np.array([0, 0, 1, 1] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model, record = _trained(LogisticRegressionGD, X, y, X, y, alpha=0.0, max_epochs=50)
    c = compare(model, X, y, X, y, alpha=0.0, record=record)

    assert c.sklearn_C == np.inf
    assert c.objective_gap > 1e-6  # lbfgs walks further towards the minimum at infinity
    assert "add a small L2 alpha" in agreement_note(c, model.stop_reason_)
    _, _, converged = fit_reference(X, y, alpha=0.0, max_iter=3)
    assert not converged
    unconverged = replace(c, sklearn_converged=False)
    assert "lbfgs itself did not converge" in agreement_note(unconverged, "converged")


def test_a_test_set_without_some_class_still_compares():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=1)
    keep = y != 2
    model, record = _trained(SoftmaxRegressionGD, X, y, X[keep][:40], y[keep][:40],
                             alpha=0.01)
    c = compare(model, X, y, X[keep][:40], y[keep][:40], alpha=0.01, record=record)

    expected = log_loss(y[keep][:40], model.predict_proba(X[keep][:40]), labels=[0, 1, 2])
    assert c.log_loss_test == pytest.approx(expected)
    assert c.ours_test_loss == pytest.approx(expected, abs=1e-12)


def test_an_empty_test_set_gives_none_for_test_values():
    X, _, y, _ = _split(load_iris)
    model, record = _trained(SoftmaxRegressionGD, X, y, None, None, alpha=0.01)
    c = compare(model, X, y, X[:0], y[:0], alpha=0.01, record=record)

    assert c.ours_test_loss is c.log_loss_test is c.sklearn_test_loss is None
    assert c.ours_accuracy_test is None
    assert np.isnan(c.table().loc["test loss"]).all()


def test_table_and_dict():
    X, X_test, y, y_test = _split(load_iris)
    model, record = _trained(SoftmaxRegressionGD, X, y, X_test, y_test, alpha=0.01)
    c = compare(model, X, y, X_test, y_test, alpha=0.01, record=record, seconds=1.5)
    table = c.table()

    assert list(table.index) == ["train loss", "test loss", "objective (loss + penalty)",
                                 "train accuracy", "test accuracy", "fit time (s)"]
    assert table.loc["train loss", "log_loss - cecore"] == pytest.approx(
        c.log_loss_train - c.ours_train_loss)
    assert table.loc["objective (loss + penalty)", "sklearn - cecore"] == pytest.approx(
        c.sklearn_objective - c.ours_objective)
    assert table.loc["fit time (s)", "cecore (training record)"] == 1.5
    assert json.loads(json.dumps(c.to_dict()))["sklearn_C"] == pytest.approx(c.sklearn_C)
