"""The optimiser race, scipy's L-BFGS as a generator, kept trajectories and a run's surface:
every value against direct evaluation of the objective, sklearn or a standalone fit."""

import threading

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from training_runs import trained

from cecore import LogisticRegressionGD, SoftmaxRegressionGD
from cecore.fitted_objective import fitted_objective
from cecore.lbfgs import lbfgs_steps
from cecore.objective import BinaryObjective
from cecore.race import FINISH_GAP, TARGET_GAP, Race, race_surface, race_table
from cecore.run_walks import RUN_PATH, parameter_names, run_race, run_surface, run_walk
from cecore.surface import surface_grid, theta_of
from cecore.training import TrainConfig
from cecore.trajectory import Trajectory

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]


def objective_at(objective, theta):
    return objective.loss_objective_gradient(theta)[1]


def sklearn_objective(X, y, alpha):
    """sklearn's lbfgs minimum of the same objective, evaluated by cecore."""
    model = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    multinomial = len(model.classes_) > 2
    return theta_of(model.coef_, model.intercept_, multinomial)


# ------------------------------------------------------------------------- trajectory
def test_a_trajectory_keeps_the_start_the_end_and_evenly_spaced_epochs_within_its_budget():
    kept = Trajectory(max_points=16)
    for epoch in range(0, 1001):
        kept.add(epoch, np.full(3, float(epoch)))
    epochs = kept.epochs
    assert epochs[0] == 0 and epochs[-1] == 1000 and len(epochs) <= 17
    steps = np.diff(epochs[:-1])
    assert np.all(steps == steps[0]) and steps[0] == kept.stride
    np.testing.assert_array_equal(kept.thetas[:, 0], epochs)   # each theta with its epoch


def test_a_wide_theta_keeps_fewer_points_so_the_memory_stays_bounded():
    kept = Trajectory(max_bytes=10 * 8 * 20_001)    # room for ten 20,001-value thetas
    for epoch in range(200):
        kept.add(epoch, np.zeros(20_001))
    assert kept.thetas.nbytes <= 11 * 8 * 20_001


# ------------------------------------------------------------------------- L-BFGS
def test_lbfgs_records_are_its_iterates_and_reach_sklearns_minimum(cancer):
    X, y = cancer
    objective = BinaryObjective(X, y, None, alpha=0.01)
    steps = list(lbfgs_steps(objective, objective.initial()))
    for record, theta in steps:
        assert record["objective"] == objective_at(objective, theta)
    assert [r["epoch"] for r, _ in steps] == list(range(1, len(steps) + 1))
    assert all(r["evaluations"] >= r["epoch"] for r, _ in steps)
    best = objective_at(objective, sklearn_objective(X, y, 0.01))
    assert steps[-1][0]["objective"] == pytest.approx(best, rel=1e-12)


def test_closing_lbfgs_midway_ends_its_thread():
    X, y = load_breast_cancer(return_X_y=True)
    objective = BinaryObjective(StandardScaler().fit_transform(X), y, None, alpha=0.01)
    before = threading.active_count()
    steps = lbfgs_steps(objective, objective.initial())
    next(steps), next(steps)
    assert threading.active_count() == before + 1
    steps.close()
    assert threading.active_count() == before


# ------------------------------------------------------------------------- the race
@pytest.fixture(scope="module")
def binary_race(cancer):
    X, y = cancer
    race = Race(LogisticRegressionGD(alpha=0.01), X, y, max_epochs=3000)
    list(race.steps())
    return race


def test_every_lane_records_the_objective_of_the_weights_it_kept(binary_race):
    objective = binary_race.objective
    for lane in binary_race.lanes.values():
        recorded = {r["epoch"]: r["objective"] for r in lane.records}
        for epoch, theta in zip(lane.trajectory.epochs, lane.trajectory.thetas, strict=True):
            assert objective_at(objective, theta) == pytest.approx(recorded[epoch], rel=1e-12)
        assert lane.records[0]["objective"] == binary_race.start_objective  # the same start


def test_a_lane_is_the_estimators_own_fit_with_that_solver(cancer, binary_race):
    X, y = cancer
    model = LogisticRegressionGD(alpha=0.01, solver="nesterov", tol=0.0, max_epochs=40)
    alone = [r["objective"] for r in model.fit_iter(X, y)]
    raced = [r["objective"] for r in binary_race.lanes["nesterov"].records[1:41]]
    np.testing.assert_allclose(raced, alone[:len(raced)], rtol=1e-14)


def test_the_reference_is_sklearns_minimum_and_the_table_counts_the_first_epoch_within_1e6(
        cancer, binary_race):
    X, y = cancer
    best = objective_at(binary_race.objective, sklearn_objective(X, y, 0.01))
    assert binary_race.reference == pytest.approx(best, rel=1e-12)
    assert binary_race.best_objective <= binary_race.reference
    table = race_table(binary_race).set_index("optimiser")
    for lane in binary_race.lanes.values():
        gaps = (lane.objective - binary_race.best_objective) / abs(binary_race.best_objective)
        within = np.flatnonzero(gaps <= TARGET_GAP)
        row = table.loc[lane.label]
        if within.size:
            assert row["epochs to 1e-6"] == lane.records[within[0]]["epoch"]
            assert row["ms to 1e-6"] == pytest.approx(1e3 * lane.records[within[0]]["seconds"])
        else:
            assert np.isnan(row["epochs to 1e-6"])
    # what the optimisers are known for, on a standardised table
    assert table.loc["Nesterov", "epochs to 1e-6"] < table.loc["gradient descent",
                                                                "epochs to 1e-6"]
    assert binary_race.lanes["nesterov"].status == "finished"
    nesterov = binary_race.lanes["nesterov"].records[-1]["objective"]
    assert nesterov - binary_race.reference <= FINISH_GAP * abs(binary_race.reference)


def test_the_race_surface_is_the_objective_and_holds_every_path(binary_race):
    surface = race_surface(binary_race, resolution=12)
    assert set(surface.paths) == {lane.label for lane in binary_race.lanes.values()}
    best = min(binary_race.lanes.values(), key=lambda lane: lane.records[-1]["objective"])
    np.testing.assert_allclose(surface.paths[best.label].coords[-1], 0.0, atol=1e-12)
    center = best.trajectory.thetas[-1]
    # the grid's corner, evaluated directly on the plane's directions
    offsets = np.vstack([(lane.trajectory.thetas - center) for lane in binary_race.lanes.values()])
    _, _, vt = np.linalg.svd(offsets, full_matrices=False)
    corner = center + surface.a[0] * vt[0] + surface.b[-1] * vt[1]
    assert surface.objective[-1, 0] == pytest.approx(
        objective_at(binary_race.objective, corner), rel=2e-6)
    assert surface_grid(binary_race.objective, center, vt[0], vt[1], [0.0], [0.0])[0, 0] == (
        pytest.approx(best.records[-1]["objective"], rel=2e-6))


def test_a_softmax_race_reaches_sklearns_multinomial_minimum(wine):
    X, y = wine
    race = Race(SoftmaxRegressionGD(alpha=0.01), X, y, max_epochs=400,
                racers=("lbfgs", "adam", "sgd"))
    list(race.steps())
    best = objective_at(race.objective, sklearn_objective(X, y, 0.01))
    assert race.reference == pytest.approx(best, rel=1e-11)
    assert list(race.lanes) == ["lbfgs", "adam", "sgd"]
    assert race.lanes["sgd"].label == "mini-batch SGD (batch 44)"   # n / 4 of 178 rows
    surface = race_surface(race, resolution=8)
    assert surface.objective.shape == (8, 8) and np.isfinite(surface.objective).all()


def test_stopping_keeps_the_running_lanes_epochs_and_runs_no_other(cancer):
    X, y = cancer
    race = Race(LogisticRegressionGD(alpha=0.01), X, y, racers=("lbfgs", "gd", "adam"))
    steps = race.steps()
    for lane, record in steps:
        if lane.name == "gd" and record["epoch"] == 5:
            break
    race.stop()
    assert [lane.status for lane in race.lanes.values()] == ["finished", "stopped", "not run"]
    assert race.lanes["gd"].records[-1]["epoch"] == 5 and not race.lanes["adam"].records
    assert not race.running and list(race.steps()) == []
    assert race_table(race).iloc[2]["status"] == "not run"


def test_a_race_whose_lanes_all_ran_out_of_budget_is_not_settled(cancer, binary_race):
    X, y = cancer
    short = Race(LogisticRegressionGD(alpha=0.01), X, y, max_epochs=3, racers=("lbfgs", "gd"))
    list(short.steps())
    assert [lane.status for lane in short.lanes.values()] == ["budget", "budget"]
    assert not short.settled and binary_race.settled


def test_an_unknown_optimiser_is_refused():
    with pytest.raises(ValueError, match="Unknown optimisers"):
        Race(LogisticRegressionGD(), np.zeros((4, 1)), [0, 1, 0, 1], racers=("sgd", "rmsprop"))


# ------------------------------------------------------------------------- a training run
def breast_cancer_run(features=None, **config):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.assign(diagnosis=np.where(y == 1, "benign", "malignant"))
    features = list(X.columns[:5]) if features is None else features
    return trained(frame, "diagnosis", features,
                   config=TrainConfig(**{"alpha": 0.01, "epochs": 300, **config}))


def test_a_runs_trajectory_ends_at_its_weights_and_its_walk_starts_where_every_fit_starts():
    run = breast_cancer_run(class_weight="balanced", validation_share=0.2)
    objective = fitted_objective(run.estimator, run.X_fit, run.y_fit)
    walk = run_walk(run, objective)
    assert walk.epochs[0] == 0 and walk.epochs[-1] == len(run.history)
    np.testing.assert_array_equal(walk.thetas[-1], theta_of(
        run.estimator.coef_, run.estimator.intercept_, False))
    for epoch, theta, recorded in zip(walk.epochs, walk.thetas, walk.objective, strict=True):
        assert objective_at(objective, theta) == pytest.approx(recorded, rel=1e-12)
        if epoch:
            assert recorded == run.history[epoch - 1]["objective"]


def test_one_feature_and_the_intercept_give_the_exact_surface_with_the_path_on_it():
    run = breast_cancer_run(features=["mean radius"], solver="gd")
    surface = run_surface(run, resolution=15)
    assert surface.kind == "exact" and surface.labels == ("mean radius", "intercept")
    path = surface.paths[RUN_PATH]
    objective = fitted_objective(run.estimator, run.X_fit, run.y_fit)
    for (w, b), recorded in zip(path.coords[::25], path.objective[::25], strict=True):
        assert objective_at(objective, np.array([w, b])) == pytest.approx(recorded, rel=1e-12)


def test_a_wider_model_gets_the_principal_plane_or_two_chosen_weights():
    run = breast_cancer_run()
    assert run_surface(run, resolution=10).kind == "principal"
    names = parameter_names(run)
    exact = run_surface(run, "exact", first=2, resolution=10)
    assert exact.labels == (names[2], "intercept")
    with pytest.raises(ValueError, match="two different"):
        run_surface(run, "exact", first=5, second=5)


def test_raw_features_make_plain_gradient_descent_crawl():
    run = breast_cancer_run()
    fast, slow = (run_race(run, raw=raw, racers=("lbfgs", "gd"), max_epochs=2000)
                  for raw in (False, True))
    for race in (fast, slow):
        list(race.steps())
    assert run.options.scale and slow.X.std(axis=0).max() > 10 * fast.X.std(axis=0).max()
    epochs = [race_table(race).set_index("optimiser").loc["gradient descent",
                                                          "epochs to 1e-6"]
              for race in (fast, slow)]
    assert epochs[0] < 2000 and np.isnan(epochs[1])   # raw: not within 1e-6 in 2000 epochs
