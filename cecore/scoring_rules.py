"""Proper scoring rules: the expected score of reporting ``q`` for an event of frequency ``p``.

A forecaster reports the probability ``q`` of a yes/no event that really happens with
frequency ``p``. A scoring rule charges a penalty per forecast; averaged over the outcomes
(yes with probability ``p``) the expected penalties are

* log loss: ``E[-log](q) = -(p log q + (1 - p) log(1 - q)) = H(p) + KL(p || q)``;
* Brier score: ``E[(y - q)^2](q) = p (1 - q)^2 + (1 - p) q^2 = (q - p)^2 + p (1 - p)``;
* 0/1 loss of calling "yes" when ``q > 1/2``: ``1 - p`` if ``q > 1/2``, ``p`` otherwise.

A rule is *proper* when reporting the truth, ``q = p``, minimises its expected penalty, and
*strictly* proper when nothing else does: log loss and Brier are strictly proper, the 0/1
loss is not (it is flat on each side of 1/2, so it cannot tell 0.51 from 0.99).
Logarithms are natural (nats), as everywhere in :mod:`cecore`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import entr, rel_entr, xlogy

DECISION_THRESHOLD = 0.5
"""The 0/1 loss says "yes" when the report q is above this, "no" otherwise (also at q = 1/2)."""

FREQUENCY_GRID = np.round(np.linspace(0.01, 0.99, 99), 2)
"""The true frequencies p = 0.01, 0.02, ..., 0.99 that the scoring-rule chart can animate."""


def _probabilities(x, name):
    """``x`` as a float64 array, every value in [0, 1] (ValueError otherwise, NaN included)."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all((x >= 0) & (x <= 1)):
        raise ValueError(f"{name} must lie in [0, 1]")
    return x


def _result(value):
    """A 0-d array as a float, any other array unchanged."""
    return float(value) if np.ndim(value) == 0 else value


# --------------------------------------------------------------------------- expected scores
def expected_log_loss(p, q):
    """``E[-log](q) = -(p log q + (1 - p) log(1 - q))``, broadcast over ``p`` and ``q``.

    ``0 log 0 = 0``: reporting q = 0 costs nothing when p = 0, and ``inf`` when p > 0.
    """
    p, q = _probabilities(p, "p"), _probabilities(q, "q")
    return _result(-(xlogy(p, q) + xlogy(1.0 - p, 1.0 - q)))


def expected_brier(p, q):
    """``E[(y - q)^2](q) = p (1 - q)^2 + (1 - p) q^2``, which equals ``(q - p)^2 + p (1 - p)``."""
    p, q = _probabilities(p, "p"), _probabilities(q, "q")
    return _result(p * (1.0 - q) ** 2 + (1.0 - p) * q**2)


def expected_zero_one_loss(p, q, threshold=DECISION_THRESHOLD):
    """Expected 0/1 loss of calling "yes" when ``q > threshold``: ``1 - p`` if so, else ``p``.

    It depends on ``q`` only through the side of the threshold: flat on each side.
    """
    p, q = _probabilities(p, "p"), _probabilities(q, "q")
    return _result(np.where(q > threshold, 1.0 - p, p))


def binary_entropy(p):
    """``H(p) = -(p log p + (1 - p) log(1 - p))``, with ``0 log 0 = 0``: at most log 2."""
    p = _probabilities(p, "p")
    return _result(entr(p) + entr(1.0 - p))


def binary_kl(p, q):
    """``KL(p || q) = p log(p / q) + (1 - p) log((1 - p) / (1 - q))``: >= 0, 0 only at q = p.

    The two terms have opposite signs; near q = p their sum can round to -1e-17, which is
    returned as 0."""
    p, q = _probabilities(p, "p"), _probabilities(q, "q")
    return _result(np.maximum(rel_entr(p, q) + rel_entr(1.0 - p, 1.0 - q), 0.0))


@dataclass(frozen=True)
class LogLossDecomposition:
    """``E[-log](q) = H(p) + KL(p || q)``: the entropy no report avoids, plus the cost of q != p."""

    expected: float | np.ndarray
    entropy: float | np.ndarray
    kl: float | np.ndarray


def log_loss_decomposition(p, q):
    """The expected log loss of report ``q`` and its two parts, H(p) and KL(p || q)."""
    return LogLossDecomposition(expected=expected_log_loss(p, q), entropy=binary_entropy(p),
                                kl=binary_kl(p, q))


# --------------------------------------------------------------------------- best reports
@dataclass(frozen=True)
class BestReports:
    """The lowest expected score ``value`` and the reports q that reach it: the interval from
    ``low`` to ``high``, each end included when ``low_closed`` / ``high_closed``.

    A single point (``low == high``) means the rule is strictly proper at this p.
    """

    value: float
    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    @property
    def unique(self):
        """True when exactly one report is best."""
        return self.low == self.high

    def contains(self, q):
        """Whether each report ``q`` is among the best (an array of bools, or a bool)."""
        q = np.asarray(q, dtype=np.float64)
        above = q >= self.low if self.low_closed else q > self.low
        below = q <= self.high if self.high_closed else q < self.high
        return _result(above & below)


def best_log_loss_reports(p):
    """Only ``q = p`` is best, at ``H(p)``: ``dE/dq = (q - p) / (q (1 - q))`` vanishes there."""
    p = float(_probabilities(p, "p"))
    return BestReports(value=binary_entropy(p), low=p, high=p)


def best_brier_reports(p):
    """Only ``q = p`` is best, at ``p (1 - p)``: ``E = (q - p)^2 + p (1 - p)``."""
    p = float(_probabilities(p, "p"))
    return BestReports(value=p * (1.0 - p), low=p, high=p)


def best_zero_one_reports(p, threshold=DECISION_THRESHOLD):
    """Every report on the right side of the threshold is best, at ``min(p, 1 - p)``.

    ``p > 1/2``: any ``q`` in ``(1/2, 1]``; ``p < 1/2``: any ``q`` in ``[0, 1/2]``;
    ``p = 1/2``: every ``q`` in ``[0, 1]`` (both calls cost 1/2).
    """
    p = float(_probabilities(p, "p"))
    if p > 1.0 - p:
        return BestReports(value=1.0 - p, low=threshold, high=1.0, low_closed=False)
    if p < 1.0 - p:
        return BestReports(value=p, low=0.0, high=threshold)
    return BestReports(value=p, low=0.0, high=1.0)


@dataclass(frozen=True)
class ScoringRule:
    """A rule by name: ``expected(p, q)`` its expected penalty, ``best(p)`` its best reports."""

    key: str
    name: str
    expected: Callable
    best: Callable
    strictly_proper: bool


SCORING_RULES = (
    ScoringRule("log", "log loss", expected_log_loss, best_log_loss_reports, True),
    ScoringRule("brier", "Brier score", expected_brier, best_brier_reports, True),
    ScoringRule("zero_one", "0/1 loss", expected_zero_one_loss, best_zero_one_reports, False),
)
"""The three rules of the chart, in its order: log loss, Brier score, 0/1 loss."""


def report_grid(n=199, margin=0.005):
    """``n`` evenly spaced reports on ``[margin, 1 - margin]``: a margin > 0 keeps the log
    loss finite (it is infinite at q = 0 and q = 1 unless p is)."""
    return np.linspace(margin, 1.0 - margin, n)


def nearest_frequency_index(p, grid=FREQUENCY_GRID):
    """Index of the grid frequency closest to ``p``."""
    return int(np.argmin(np.abs(np.asarray(grid) - p)))
