"""A race of optimisers on one objective: the same rows, weights, penalty and start.

Each lane minimises the estimator's objective (:mod:`cecore.fitted_objective`)

    J(theta) = sum_i w_i CE_i(theta) / sum_i w_i + alpha / 2 ||W||^2

from the same start (``objective.initial()``): cecore's "gd", "nesterov" and "adam" on full
batches and "sgd" (plain steps on seeded mini-batches), each through the estimator's own
``fit_iter`` with ``learning_rate="auto"``, and "lbfgs", scipy's L-BFGS on cecore's
objective and gradient (:mod:`cecore.lbfgs`), which runs first: it is the reference. A lane
ends when its objective is within :data:`FINISH_GAP` (relative) of the reference's, after
``max_epochs`` epochs or after ``max_seconds``. ``J* `` is the lowest objective any lane
recorded; a lane's *time to 1e-6* is its first record with ``(J - J*) / |J*| <= 1e-6``.

The lanes run one after another (timings are not disturbed by interleaving), one epoch per
step of :meth:`Race.steps`, so a page can take turns, draw progress and stop the race
between two epochs; each lane keeps its records and its path (a :class:`Trajectory`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from cecore.fitted_objective import fitted_objective, is_multinomial
from cecore.lbfgs import lbfgs_steps
from cecore.surface import GRID_RESOLUTION, principal_plane, theta_of
from cecore.trajectory import Trajectory

__all__ = ["FINISH_GAP", "RACERS", "TARGET_GAP", "Lane", "Race", "race_surface", "race_table"]

#: lane name -> what the charts call it
RACERS = {"lbfgs": "L-BFGS (scipy)", "gd": "gradient descent", "nesterov": "Nesterov",
          "adam": "Adam", "sgd": "mini-batch SGD"}
#: the relative gap of the table's "epochs and milliseconds to 1e-6"
TARGET_GAP = 1e-6
#: a lane stops when it is this close (relative) to the reference: the curves go on past
#: TARGET_GAP, so the chart shows each one cross it
FINISH_GAP = 1e-9
SGD_BATCH = 256
#: bytes of kept path per lane (five lanes in a session: at most 20 MB)
LANE_PATH_BYTES = 4 * 1024 * 1024


@dataclass
class Lane:
    """One optimiser's run: ``records`` (one per epoch, epoch 0 first: the start), its
    ``trajectory`` and ``status`` ("waiting", "running", "finished": within FINISH_GAP,
    "budget": out of epochs or seconds, "diverged", "stopped", "not run")."""

    name: str
    label: str
    records: list = field(default_factory=list)
    trajectory: Trajectory = field(
        default_factory=lambda: Trajectory(max_bytes=LANE_PATH_BYTES))
    status: str = "waiting"

    @property
    def objective(self):
        return np.array([r["objective"] for r in self.records])

    def first_within(self, best, gap=TARGET_GAP):
        """The first record whose objective is within ``gap`` (relative) of ``best``."""
        for record in self.records:
            if record["objective"] - best <= gap * abs(best):
                return record
        return None

    def walk(self):
        return self.trajectory.walk(
            {r["epoch"]: r["objective"] for r in self.records}.__getitem__)


class Race:
    """The lanes of :data:`RACERS` (or ``racers``) on ``(X, y, sample_weight)`` with the
    settings (model, alpha, class weights, seed) of ``estimator``, an unfitted
    :class:`~cecore.LogisticRegressionGD` or :class:`~cecore.SoftmaxRegressionGD`.
    ``batch_size`` is the "sgd" lane's (default :data:`SGD_BATCH`, at most n / 4)."""

    def __init__(self, estimator, X, y, sample_weight=None, *, racers=tuple(RACERS),
                 max_epochs=1000, max_seconds=10.0, batch_size=None):
        unknown = [name for name in racers if name not in RACERS]
        if unknown:
            raise ValueError(f"Unknown optimisers {unknown}; choose from {list(RACERS)}.")
        self.estimator, self.X, self.y, self.sample_weight = estimator, X, y, sample_weight
        self.max_epochs, self.max_seconds = int(max_epochs), float(max_seconds)
        n = len(y)
        self.batch_size = int(batch_size or max(1, min(SGD_BATCH, n // 4)))
        started = time.perf_counter()
        self.classes = np.unique(np.asarray(y))
        self.objective = fitted_objective(estimator, X, y, sample_weight, classes=self.classes)
        self.objective_seconds = time.perf_counter() - started
        self.start = self.objective.initial()
        self.start_objective = float(self.objective.loss_objective_gradient(self.start)[1])
        # the reference first, then the others in the order given
        order = sorted(racers, key=lambda name: name != "lbfgs")
        self.lanes = {name: Lane(name, RACERS[name] if name != "sgd" else
                                 f"{RACERS[name]} (batch {self.batch_size})")
                      for name in order}
        self.reference = None
        self._steps = self._run()

    @property
    def running(self):
        return any(lane.status in ("waiting", "running") for lane in self.lanes.values())

    @property
    def best_objective(self):
        """J*: the lowest objective any lane recorded so far."""
        return min(float(lane.objective.min()) for lane in self.lanes.values()
                   if lane.records)

    @property
    def settled(self):
        """Whether some lane ended by converging ("finished"): otherwise J* is only the
        lowest objective seen within the budget, and a lane's "time to 1e-6" is measured
        against a value that is not the minimum."""
        return any(lane.status == "finished" for lane in self.lanes.values())

    def steps(self):
        """Yield ``(lane, record)`` for each new epoch of the race; resumable."""
        while True:
            try:
                yield next(self._steps)
            except StopIteration:
                return

    def release_rows(self):
        """Let go of the rows and the objective (a finished race whose surface was drawn
        keeps only its records and paths: a page keeps it in the session)."""
        if self.running:
            raise ValueError("The race is still running.")
        self.X = self.y = self.sample_weight = self.objective = None

    def stop(self):
        """End the race now: the running lane keeps its epochs, the waiting ones do not run."""
        self._steps.close()
        for lane in self.lanes.values():
            if lane.status == "running":
                lane.status = "stopped"
            elif lane.status == "waiting":
                lane.status = "not run"

    def _start(self, lane):
        lane.status = "running"
        record = {"epoch": 0, "objective": self.start_objective, "seconds": 0.0,
                  "evaluations": 1}
        lane.records.append(record)
        lane.trajectory.add(0, self.start)
        return record

    def _done(self, lane, record):
        """Whether ``lane`` ends after ``record`` (and why, in its status)."""
        if self.reference is not None and (record["objective"] - self.reference
                                           <= FINISH_GAP * abs(self.reference)):
            lane.status = "finished"
        elif record["epoch"] >= self.max_epochs or record["seconds"] >= self.max_seconds:
            lane.status = "budget"
        return lane.status != "running"

    def _run(self):
        for lane in self.lanes.values():
            yield lane, self._start(lane)
            steps = (self._lbfgs() if lane.name == "lbfgs" else self._estimator(lane.name))
            try:
                for record, theta in steps:
                    lane.records.append(record)
                    lane.trajectory.add(record["epoch"], theta)
                    yield lane, record
                    if self._done(lane, record):
                        break
                else:
                    if lane.status == "running":
                        lane.status = "finished" if lane.name == "lbfgs" else "budget"
            finally:
                steps.close()
            if lane.name == "lbfgs":
                self.reference = float(lane.records[-1]["objective"])

    def _lbfgs(self):
        return lbfgs_steps(self.objective, self.start, max_iterations=self.max_epochs,
                           seconds_before=self.objective_seconds)

    def _estimator(self, name):
        model = clone(self.estimator).set_params(
            solver="gd" if name == "sgd" else name, learning_rate="auto", tol=0.0,
            max_epochs=self.max_epochs, early_stopping=False,
            batch_size=self.batch_size if name == "sgd" else None)
        multinomial = is_multinomial(model)
        lane = self.lanes[name]
        for record in model.fit_iter(self.X, self.y, sample_weight=self.sample_weight):
            record = dict(record, evaluations=record["epoch"] + 1)
            yield record, theta_of(model.coef_, model.intercept_, multinomial)
        if model.stop_reason_ == "diverged":
            lane.status = "diverged"


def race_table(race, gap=TARGET_GAP):
    """A row per lane: epochs and milliseconds to ``gap`` (relative) of J*, the passes over
    the data that took (objective and gradient evaluations; an epoch of mini-batches is one),
    the final objective and gap, and how the lane ended."""
    best = race.best_objective
    rows = []
    for lane in race.lanes.values():
        if not lane.records:
            rows.append({"optimiser": lane.label, "status": lane.status})
            continue
        reached, last = lane.first_within(best, gap), lane.records[-1]
        rows.append({
            "optimiser": lane.label,
            "epochs to 1e-6": None if reached is None else reached["epoch"],
            "ms to 1e-6": None if reached is None else 1e3 * reached["seconds"],
            "passes to 1e-6": None if reached is None else reached["evaluations"],
            "epochs": last["epoch"],
            "final objective": last["objective"],
            "final gap": (last["objective"] - best) / abs(best),
            "status": lane.status,
        })
    return pd.DataFrame(rows)


def race_surface(race, resolution=GRID_RESOLUTION):
    """The objective over the plane through the best lane's last point spanned by the two
    principal directions of every lane's path together, each path projected on it."""
    lanes = [lane for lane in race.lanes.values() if lane.records]
    best = min(lanes, key=lambda lane: lane.records[-1]["objective"])
    center = best.trajectory.thetas[-1]
    walks = {lane.label: lane.walk() for lane in lanes}
    return principal_plane(race.objective, center, walks, resolution)
