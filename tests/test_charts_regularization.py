"""cecore.charts.regularization: the path's losses and weights against alpha, the best
alpha marked; checked on a path built by hand, without Streamlit."""

import json

import numpy as np
import pytest

from cecore import charts
from cecore.charts.regularization import PATH_WEIGHTS_SHOWN, largest_weights
from cecore.regularization_path import RegularizationPath


def path_of(n_features=4, n_rows=3, seed=0, test=True):
    """Seven alphas from 10 to 1e-5; the validation loss lowest at 1e-2 (index 3)."""
    alphas = np.logspace(1, -5, 7)
    rng = np.random.default_rng(seed)
    coef = np.cumsum(rng.normal(size=(7, n_rows, n_features)), axis=0)
    validation = np.array([0.69, 0.5, 0.35, 0.3, 0.33, 0.4, 0.5])
    return RegularizationPath(
        alphas=alphas, C=1 / (alphas * 100), n_fit=100.0,
        train_loss=np.linspace(0.69, 0.01, 7), validation_loss=validation,
        test_loss=validation + 0.02 if test else None, objective=np.linspace(0.7, 0.02, 7),
        coef=coef, intercept=np.zeros((7, n_rows)), epochs=np.full(7, 10),
        converged=np.ones(7, bool), seconds=0.1, tol=1e-8, n_validation=20, n_test=30)


def by_name(fig):
    return {t.name: t for t in fig.data}


def test_the_losses_against_alpha_with_the_best_alpha_and_the_run_alpha_marked():
    path = path_of()
    fig = charts.regularization_losses(path, run_alpha=1e-4)
    traces = by_name(fig)
    np.testing.assert_allclose(traces["validation loss"].x, path.alphas, rtol=1e-6)
    np.testing.assert_allclose(traces["validation loss"].y, path.validation_loss)
    np.testing.assert_allclose(traces["train loss (fitted rows)"].y, path.train_loss, rtol=1e-6)
    np.testing.assert_allclose(traces["test loss"].y, path.test_loss)
    np.testing.assert_allclose(traces["test loss"].customdata, path.C, rtol=1e-6)
    best = traces["best alpha 0.01"]
    assert list(best.x) == [pytest.approx(0.01)] * 2
    star = traces["lowest validation loss"]
    assert star.x[0] == pytest.approx(0.01) and star.y[0] == 0.3
    assert list(traces["this run's alpha 0.0001"].x) == [1e-4, 1e-4]
    spec = json.loads(fig.to_json())["layout"]
    assert spec["xaxis"]["type"] == "log" and spec["xaxis"]["autorange"] == "reversed"
    # no test rows: no test curve; a run alpha off the grid: no line
    names = {t.name for t in charts.regularization_losses(path_of(test=False),
                                                          run_alpha=1e3).data}
    assert "test loss" not in names and not any(n.startswith("this run") for n in names)


def test_the_weights_against_alpha_one_line_per_feature_with_the_best_alpha():
    path = path_of(n_features=4, n_rows=3)
    names = ["a", "b", "<b>c</b>", "d"]
    fig = charts.regularization_weights(path, names, class_index=2, class_name="x&y")
    lines = [t for t in fig.data if not t.name.startswith("best alpha")]
    assert [t.name for t in lines] == ["a", "b", "&lt;b&gt;c&lt;/b&gt;", "d"]
    for j, trace in enumerate(lines):
        np.testing.assert_allclose(trace.y, path.coef[:, 2, j], rtol=1e-6)
    assert fig.layout.title.text is None                # nothing left out
    assert fig.layout.yaxis.title.text == "weight for x&amp;y"
    assert by_name(fig)["best alpha 0.01"].x == (0.01, 0.01)


def test_a_wide_model_shows_the_largest_weights_at_the_smallest_alpha():
    path = path_of(n_features=500, n_rows=1, seed=1)
    shown = largest_weights(path)
    size = np.abs(path.coef[-1, 0])
    assert len(shown) == PATH_WEIGHTS_SHOWN
    assert size[shown].min() >= np.sort(size)[-PATH_WEIGHTS_SHOWN]
    fig = charts.regularization_weights(path, [f"gene {j}" for j in range(500)])
    assert len(fig.data) == PATH_WEIGHTS_SHOWN + 1
    assert fig.layout.title.text == ("30 of 500 weights, the largest by |w| at the smallest "
                                     "alpha")
    assert fig.layout.showlegend is False
    assert len(fig.to_json()) < 100_000
