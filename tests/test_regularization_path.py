"""cecore.regularization_path: the model at each alpha of a grid, with warm starts, equal to a
cold fit and to scikit-learn's lbfgs at ``C = 1 / (alpha n)``; the best alpha by validation
loss; the rows a run's path uses; the overfitting case of issue 14."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.prepare import prepare
from cecore.regularization_path import (
    PATH_TOL,
    PATH_VALIDATION_SHARE,
    PathTracer,
    alpha_grid,
    path_for_run,
    regularization_path,
)
from cecore.training import DataOptions, TrainConfig, TrainingRun


def table(loader):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


TABLES = {"breast cancer": (load_breast_cancer, LogisticRegressionGD),
          "wine": (load_wine, SoftmaxRegressionGD)}


@pytest.fixture(scope="module", params=list(TABLES))
def traced(request):
    loader, cls = TABLES[request.param]
    X, X_val, y, y_val = table(loader)
    alphas = alpha_grid(X, y, len(np.unique(y)), multinomial=cls is SoftmaxRegressionGD)
    path = regularization_path(cls(), X, y, alphas, X_validation=X_val, y_validation=y_val,
                               X_test=X_val[:20], y_test=y_val[:20])
    return cls, X, y, X_val, y_val, path


def test_each_point_is_the_minimum_at_its_alpha_as_cold_fits_and_lbfgs_find_it(traced):
    cls, X, y, _, _, path = traced
    assert np.all(np.diff(path.alphas) < 0) and path.converged.all()
    cold_epochs = 0
    for i, alpha in enumerate(path.alphas):
        cold = cls(alpha=alpha, solver="nesterov", tol=PATH_TOL, max_epochs=100_000).fit(X, y)
        cold_epochs += cold.n_iter_
        scale = np.abs(cold.coef_).max()
        # both within tol of the gradient's zero: measured at most 1.2e-4 relative, at the
        # smallest alpha, where the objective is flattest (1e-6 down to alpha = 1e-3)
        rtol = 1e-5 if alpha >= 1e-3 else 5e-4
        assert np.abs(path.coef[i] - cold.coef_).max() <= rtol * scale
        # sklearn at C = 1 / (alpha n): the same objective value (measured <= 2.2e-9)
        reference = LogisticRegression(C=path.C[i], tol=1e-12, max_iter=100_000).fit(X, y)
        objective = (log_loss(y, reference.predict_proba(X))
                     + (reference.coef_ ** 2).sum() / (2 * reference.C * len(y)))
        assert path.objective[i] == pytest.approx(objective, rel=1e-7)
    # warm starts (extrapolated from the last two optima) cost fewer epochs than cold ones
    assert path.epochs.sum() < 0.95 * cold_epochs


def test_the_losses_are_log_loss_and_the_best_alpha_is_the_lowest_validation_loss(traced):
    cls, X, y, X_val, y_val, path = traced
    model = cls()
    model.classes_ = np.unique(y)
    for i in (0, len(path.alphas) // 2, len(path.alphas) - 1):
        model.coef_, model.intercept_ = path.coef[i], path.intercept[i]
        assert path.train_loss[i] == pytest.approx(log_loss(y, model.predict_proba(X)),
                                                   rel=1e-12)
        assert path.validation_loss[i] == pytest.approx(
            log_loss(y_val, model.predict_proba(X_val)), rel=1e-12)
        assert path.test_loss[i] == pytest.approx(
            log_loss(y_val[:20], model.predict_proba(X_val[:20]), labels=model.classes_),
            rel=1e-12)
    assert path.best_index == int(np.argmin(path.validation_loss))
    assert path.best_alpha == path.alphas[path.best_index]
    assert path.best_at_an_end == (path.best_index in (0, len(path.alphas) - 1))
    if cls is LogisticRegressionGD:       # breast cancer: the validation loss rises again
        assert 0 < path.best_index < len(path.alphas) - 1
    # the training loss only falls as the penalty weakens
    assert np.all(np.diff(path.train_loss) < 1e-12)
    assert path.n_validation == len(y_val) and path.n_test == 20


def test_C_is_one_over_alpha_n_and_two_over_it_for_softmax_on_two_classes():
    X, X_val, y, y_val = table(load_breast_cancer)
    alphas = [1.0, 0.1]
    rows = {"X_validation": X_val, "y_validation": y_val}
    logistic = regularization_path(LogisticRegressionGD(), X, y, alphas, **rows)
    np.testing.assert_allclose(logistic.C, [1 / (1.0 * len(y)), 1 / (0.1 * len(y))])
    softmax = regularization_path(SoftmaxRegressionGD(), X, y, alphas, **rows)
    np.testing.assert_allclose(softmax.C, 2 * logistic.C)
    # softmax on two classes is the binomial model at alpha / 2: the same C, the same losses
    halved = regularization_path(LogisticRegressionGD(), X, y, [0.5, 0.05], **rows)
    np.testing.assert_allclose(softmax.C, halved.C)
    np.testing.assert_allclose(softmax.validation_loss, halved.validation_loss, rtol=1e-7)
    weighted = regularization_path(LogisticRegressionGD(class_weight="balanced"), X, y,
                                   alphas, sample_weight=np.full(len(y), 2.0), **rows)
    assert weighted.n_fit == pytest.approx(2.0 * len(y))    # balanced weights sum to n
    np.testing.assert_allclose(weighted.C, [1 / (a * 2.0 * len(y)) for a in alphas])


def test_the_grid_is_log_spaced_from_ten_times_the_loss_curvature_and_holds_the_run_alpha():
    X, _, y, _ = table(load_breast_cancer)
    grid = alpha_grid(X, y, 2, multinomial=False)
    curvature = LogisticRegressionGD()._make_objective(X, y, None, 2).lipschitz_constant()
    assert len(grid) == 19 and grid[0] == float(f"{10 * curvature:.3g}")
    assert grid[-1] == pytest.approx(grid[0] * 1e-6, rel=5e-3)
    assert np.all(np.diff(np.log10(grid)) == pytest.approx(-6 / 18, abs=3e-3))
    assert all(a == float(f"{a:.3g}") for a in grid)
    # the run's alpha is a point, as given, the grid shifted to it (and widened to reach it)
    shifted = alpha_grid(X, y, 2, multinomial=False, include=0.012345)
    assert 0.012345 in shifted and len(shifted) in (19, 20)
    assert shifted[0] >= grid[0] and shifted[-1] <= grid[-1]
    wider = alpha_grid(X, y, 2, multinomial=False, include=1e-9)
    assert wider[-1] == 1e-9 and len(wider) > len(grid)
    assert np.all(np.diff(np.log10(wider)) == pytest.approx(-6 / 18, abs=3e-3))
    capped = alpha_grid(X, y, 2, multinomial=False, largest=1.0)
    assert capped[0] <= 1.0 and capped[-1] < 1e-4
    with pytest.raises(ValueError, match="alphas must be"):
        PathTracer(LogisticRegressionGD(), X, y, [0.1, 0.0], X_validation=X, y_validation=y)


def test_a_stopped_path_goes_on_where_it_was():
    X, X_val, y, y_val = table(load_wine)
    rows = {"X_validation": X_val, "y_validation": y_val}
    alphas = [1.0, 0.1, 0.01, 0.001]
    tracer = PathTracer(SoftmaxRegressionGD(), X, y, alphas, **rows)
    steps = tracer.steps()
    for _ in range(60):                       # into the second or third alpha
        next(steps)
    assert 0 < tracer.progress < 1 and not tracer.done
    with pytest.raises(ValueError, match="not finished"):
        tracer.result()
    for _ in tracer.steps():                  # a new call resumes
        pass
    whole = regularization_path(SoftmaxRegressionGD(), X, y, alphas, **rows)
    np.testing.assert_array_equal(tracer.result().coef, whole.coef)
    np.testing.assert_array_equal(tracer.result().epochs, whole.epochs)


def frame_of(X, y, names=("normal", "tumour")):
    frame = pd.DataFrame(X, columns=[f"g{j:05d}" for j in range(X.shape[1])])
    frame["label"] = np.where(y, names[1], names[0])
    return frame


def run_on(frame, **settings):
    config = TrainConfig(**settings)
    prepared = prepare(frame, "label", [c for c in frame.columns if c != "label"],
                       random_state=config.seed)
    run = TrainingRun(prepared, config, DataOptions())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in run.records():
            pass
    return run


def test_a_run_path_chooses_on_held_out_training_rows_never_the_test_rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 6))
    y = X[:, 0] - X[:, 1] + rng.normal(size=300) > 0
    run = run_on(frame_of(X, y))
    tracer = path_for_run(run, n_alphas=4)
    n_fit = len(run.y_fit)
    assert len(tracer.validation[1]) == int(np.ceil(PATH_VALIDATION_SHARE * n_fit))
    assert len(tracer.y) + len(tracer.validation[1]) == n_fit
    assert tracer.test[0] is run.prepared.X_test
    # the carved rows are training rows: each is one of X_fit's rows, none of the test rows
    fit_rows = {row.tobytes() for row in run.X_fit}
    assert all(row.tobytes() in fit_rows for row in tracer.validation[0])
    assert not {row.tobytes() for row in run.prepared.X_test} & (
        {row.tobytes() for row in tracer.validation[0]} | {row.tobytes() for row in tracer.X})
    assert run.config.alpha in tracer.alphas
    # with a validation share the path fits the run's rows and chooses on its validation rows
    shared = run_on(frame_of(X, y), validation_share=0.3)
    tracer = path_for_run(shared, n_alphas=4)
    assert tracer.X is shared.X_fit and tracer.validation[0] is shared.X_validation


@pytest.fixture(scope="module")
def overfitting():
    """Issue 14's case: 100 rows, 20,000 columns, alpha 0.01."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 20_000))
    y = X[:, :5].sum(axis=1) + rng.normal(size=100) > 0
    run = run_on(frame_of(X, y), alpha=0.01)
    tracer = path_for_run(run)
    for _ in tracer.steps():
        pass
    return run, tracer.result()


def test_on_a_wide_table_the_path_shows_the_overfitting_and_prefers_a_larger_alpha(overfitting):
    run, path = overfitting
    # the run itself: the training loss falls, the test loss climbs
    losses = [r["loss"] for r in run.history]
    tests = [r["val_loss"] for r in run.history]
    assert losses[-1] < 0.01 * losses[0] and tests[-1] > tests[0] + 0.1
    # the path: towards small alpha the training loss falls to ~0 and the test loss climbs
    at_run = int(np.flatnonzero(path.alphas == 0.01)[0])
    assert path.train_loss[at_run] < 1e-3 < path.train_loss[0]
    assert path.test_loss[at_run] > path.test_loss[path.best_index] + 0.1
    assert np.all(np.diff(path.test_loss) > 0)        # it only climbs here
    assert path.best_alpha > 0.01 and path.best_alpha >= 100 * 0.01
    assert path.converged.all()
    # the path's point at the run's alpha is another fit (80% of the rows), the same shape
    assert path.coef.shape == (len(path.alphas), 1, 20_000)


def test_warm_start_starts_from_the_previous_fit_like_sklearn():
    X, _, y, _ = table(load_breast_cancer)
    settings = {"alpha": 0.01, "solver": "nesterov", "tol": 1e-8, "max_epochs": 5000}
    cold = LogisticRegressionGD(**settings).fit(X, y)
    warm = LogisticRegressionGD(warm_start=True, **settings).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, cold.coef_)      # the first fit is cold
    warm.fit(X, y)                                             # from the optimum
    assert warm.n_iter_ <= 2 < cold.n_iter_
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-6, atol=1e-9)
    refit = LogisticRegressionGD(**settings).fit(X, y).fit(X, y)
    assert refit.n_iter_ == cold.n_iter_                      # without it, every fit starts over
    # other features or classes: a cold start
    other = LogisticRegressionGD(warm_start=True, **settings).fit(X, y).fit(X[:, :5], y)
    np.testing.assert_array_equal(other.coef_,
                                  LogisticRegressionGD(**settings).fit(X[:, :5], y).coef_)
    flipped = LogisticRegressionGD(warm_start=True, **settings).fit(X, y).fit(X, y + 1)
    np.testing.assert_array_equal(flipped.coef_, cold.coef_)
    with pytest.raises(ValueError, match="warm_start must be True or False"):
        LogisticRegressionGD(warm_start="yes").fit(X, y)
