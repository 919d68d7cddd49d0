"""What the optimiser of a finished :class:`cecore.training.TrainingRun` did: the loss surface
with its path on it, and a race of other optimisers on the same rows (:func:`run_race`).

The objective is the run's own (:func:`cecore.fitted_objective.fitted_objective` on the rows
it was fitted on, its alpha and class weights), the path its kept epochs
(:attr:`TrainingRun.trajectory`) after epoch 0, the start every fit makes
(``objective.initial()``: zero weights, the intercept of the class frequencies). The plane
goes through the trained weights:

* "exact": two parameters vary, the others stay at their trained values. With one feature
  and the intercept (binary) that is the whole parameter space and the path lies on it;
  otherwise the path's other parameters moved too, so the drawn points are the two
  parameters' values over the trained surface, not points of it.
* "principal": the plane of the path's two main directions (Li et al. 2018); the path is
  projected onto it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.base import clone

from cecore.fitted_objective import fitted_objective
from cecore.race import Race
from cecore.surface import GRID_RESOLUTION, exact_plane, principal_plane, theta_of
from cecore.training import prepare_data
from cecore.trajectory import Walk

__all__ = ["RUN_PATH", "parameter_names", "raw_fit_rows", "run_objective", "run_race",
           "run_surface", "run_walk"]

#: the name of a training run's path on its surface
RUN_PATH = "this run"


def run_objective(run):
    """The objective ``run`` minimised, on the rows it was fitted on."""
    return fitted_objective(run.estimator, run.X_fit, run.y_fit)


def trained_theta(run):
    """The packed parameters the run's estimator holds now."""
    return theta_of(run.estimator.coef_, run.estimator.intercept_, run.kind == "softmax")


def run_walk(run, objective):
    """The run's kept epochs with epoch 0 first, their parameters and recorded objectives."""
    kept = run.trajectory
    start = objective.initial()
    start_objective = objective.loss_objective_gradient(start)[1]
    recorded = {r["epoch"]: r["objective"] for r in run.history}
    epochs = np.r_[0, kept.epochs]
    thetas = np.concatenate([start[None], kept.thetas]) if len(kept) else start[None]
    return Walk(epochs=epochs, thetas=thetas,
                objective=np.array([start_objective] + [recorded[int(e)]
                                                        for e in kept.epochs]))


def parameter_names(run):
    """A name per entry of the packed theta, in its flat (row-major) order: the features
    then "intercept" (binary); "feature · class" for each (feature, class) pair (softmax)."""
    rows = [*run.prepared.feature_names, "intercept"]
    if run.kind != "softmax":
        return rows
    classes = run.class_names()
    return [f"{row} · {name}" for row in rows for name in classes]


def run_surface(run, plane="auto", first=0, second=None, resolution=GRID_RESOLUTION,
                objective=None):
    """The :class:`~cecore.surface.LossSurface` of ``run`` on ``plane``: "exact" (the flat
    parameters ``first`` and ``second``; ``second`` defaults to the intercept's first
    entry), "principal", or "auto" (exact when the model has exactly two parameters)."""
    objective = run_objective(run) if objective is None else objective
    center = trained_theta(run)
    walks = {RUN_PATH: run_walk(run, objective)}
    if plane == "auto":
        plane = "exact" if center.size == 2 else "principal"
    if plane == "principal":
        return principal_plane(objective, center, walks, resolution)
    names = parameter_names(run)
    if second is None:
        second = run.prepared.X_train.shape[1] * (center.shape[1] if center.ndim == 2 else 1)
    if first == second:
        raise ValueError("Choose two different parameters.")
    return exact_plane(objective, center, walks, first, second, (names[first], names[second]),
                       resolution)


def raw_fit_rows(run):
    """The run's fitted rows prepared again without standardisation (the same split, rows,
    imputation and one-hot columns; numeric features in their own units)."""
    if run.frame is None:
        raise ValueError("The run keeps no table to prepare again.")
    options = replace(run.options, scale=False)
    prepared = prepare_data(run.frame, run.prepared.target, run.prepared.features, options,
                            run.config.seed)
    X = prepared.X_train
    return X[run.fit_positions] if len(run.validation_positions) else X


def run_race(run, *, raw=False, **settings):
    """A :class:`cecore.race.Race` on the rows ``run`` was fitted on (``raw``: the same rows
    without standardisation), with its model, alpha and class weights; ``settings`` go to
    :class:`~cecore.race.Race` (``max_epochs``, ``max_seconds``, ``racers``, ...)."""
    X = raw_fit_rows(run) if raw else run.X_fit
    settings.setdefault("batch_size", run.config.batch_size)
    return Race(clone(run.estimator), X, run.y_fit, **settings)
