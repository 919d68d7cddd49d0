"""cecore.surface: the objective over a plane of the weights, against direct evaluation."""

import time

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.surface import (
    exact_plane,
    principal_directions,
    principal_plane,
    surface_grid,
    theta_of,
)
from cecore.trajectory import Walk


def walked(model, X, y):
    """The records and each epoch's packed parameters of a run."""
    multinomial = isinstance(model, SoftmaxRegressionGD)
    records, path = [], []
    for record in model.fit_iter(X, y):
        records.append(record)
        path.append(theta_of(model.coef_, model.intercept_, multinomial))
    return records, np.array(path)


def direct(objective, theta):
    return objective.loss_objective_gradient(theta)[1]


def test_the_grid_is_the_objective_binary(cancer):
    X, y = cancer
    objective = BinaryObjective(X, y, None, alpha=0.01)
    rng = np.random.default_rng(0)
    center, u, v = (rng.normal(0, 0.3, X.shape[1] + 1) for _ in range(3))
    a, b = np.linspace(-1, 1, 7), np.linspace(-2, 1, 5)
    grid = surface_grid(objective, center, u, v, a, b)
    for j, bj in enumerate(b):
        for i, ai in enumerate(a):
            assert grid[j, i] == pytest.approx(direct(objective, center + ai * u + bj * v),
                                               rel=2e-6)


def test_the_grid_is_the_objective_softmax():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    w = np.random.default_rng(1).random(len(y)) + 0.5
    objective = MultinomialObjective(X, y, w, n_classes=3, alpha=0.1)
    rng = np.random.default_rng(2)
    center, u, v = (rng.normal(0, 0.5, (X.shape[1] + 1, 3)) for _ in range(3))
    a, b = np.linspace(-1, 2, 6), np.linspace(-1, 1, 4)
    grid = surface_grid(objective, center, u, v, a, b)
    for j, bj in enumerate(b):
        for i, ai in enumerate(a):
            assert grid[j, i] == pytest.approx(direct(objective, center + ai * u + bj * v),
                                               rel=2e-6)


def walk_of(records, path):
    """Every epoch of a run as a Walk (epoch 1 first)."""
    return Walk(epochs=np.array([r["epoch"] for r in records]), thetas=path,
                objective=np.array([r["objective"] for r in records]))


def test_one_feature_and_the_intercept_the_path_lies_on_the_exact_plane(cancer):
    X, y = cancer[0][:, :1], cancer[1]
    model = LogisticRegressionGD(solver="gd", alpha=0.01, max_epochs=200)
    records, path = walked(model, X, y)
    objective = BinaryObjective(X, y, None, alpha=0.01)
    surface = exact_plane(objective, path[-1], {"run": walk_of(records, path)}, 0, 1,
                          ("w", "b"), resolution=30)
    walk = surface.paths["run"]
    # the path's own objective, evaluated on the plane, is what the run recorded
    for (w_t, b_t), recorded in zip(walk.coords[::20], walk.objective[::20], strict=True):
        on_plane = surface_grid(objective, path[-1], [1.0, 0.0], [0.0, 1.0],
                                [w_t - path[-1][0]], [b_t - path[-1][1]])[0, 0]
        assert on_plane == pytest.approx(recorded, rel=2e-6)
    np.testing.assert_allclose(walk.coords, path, rtol=0, atol=1e-12)
    assert surface.a.min() <= walk.coords[:, 0].min() and walk.coords[:, 0].max() <= (
        surface.a.max())
    lowest = np.unravel_index(surface.objective.argmin(), surface.objective.shape)
    assert abs(surface.a[lowest[1]] - path[-1][0]) <= 2 * (surface.a[1] - surface.a[0])


def test_the_principal_plane_holds_the_final_point_and_the_projected_path(cancer):
    X, y = cancer
    model = LogisticRegressionGD(solver="gd", alpha=0.01, max_epochs=60)
    records, path = walked(model, X, y)
    surface = principal_plane(BinaryObjective(X, y, None, alpha=0.01), path[-1],
                              {"run": walk_of(records, path)}, resolution=25)
    walk = surface.paths["run"]
    np.testing.assert_allclose(walk.coords[-1], 0.0, atol=1e-12)
    assert surface.explained[0] >= surface.explained[1] and sum(surface.explained) <= 1 + 1e-12
    assert surface.explained[0] > 0.5
    # the projection keeps the offsets' length along the plane: |P(theta - theta*)| <= |..|
    lengths = np.linalg.norm(path - path[-1], axis=1)
    assert np.all(np.linalg.norm(walk.coords, axis=1) <= lengths + 1e-12)
    i0, j0 = np.argmin(np.abs(surface.a)), np.argmin(np.abs(surface.b))
    assert surface.objective[j0, i0] == pytest.approx(records[-1]["objective"], rel=1e-3)


def test_principal_directions_of_a_straight_path_complete_an_orthonormal_pair():
    offsets = np.outer(np.linspace(-1, 1, 9), [0.0, 3.0, 4.0])  # one direction only
    directions, explained = principal_directions(offsets)
    np.testing.assert_allclose(np.abs(directions[0]), [0, 0.6, 0.8], atol=1e-12)
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-12)
    assert explained == pytest.approx((1.0, 0.0), abs=1e-12)
    still, _ = principal_directions(np.zeros((3, 4)))       # a path that never moved
    np.testing.assert_allclose(still @ still.T, np.eye(2), atol=1e-12)


def test_a_60_by_60_grid_at_100000_rows_is_a_few_products(capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 20))
    y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
    objective = BinaryObjective(X, y, None, alpha=0.01)
    center, u, v = (rng.normal(0, 0.1, 21) for _ in range(3))
    started = time.perf_counter()
    grid = surface_grid(objective, center, u, v, np.linspace(-1, 1, 60),
                        np.linspace(-1, 1, 60))
    seconds = time.perf_counter() - started
    assert grid.shape == (60, 60) and np.isfinite(grid).all()
    print(f"60 x 60 grid at 100,000 x 20: {seconds:.2f} s")  # timed in benchmarks/, not here


def test_a_wide_paths_directions_from_the_small_gram_matrix_are_the_svds():
    rng = np.random.default_rng(0)
    offsets = rng.normal(size=(40, 3001)) * np.linspace(3, 1, 3001)
    directions, explained = principal_directions(offsets)
    _, singular, vt = np.linalg.svd(offsets, full_matrices=False)
    np.testing.assert_allclose(np.abs(directions @ vt[:2].T), np.eye(2), atol=1e-10)
    np.testing.assert_allclose(explained, singular[:2] ** 2 / (singular ** 2).sum(),
                               rtol=1e-10)
