"""Early stopping, with ``SGDClassifier``'s meaning.

``early_stopping=True`` sets aside a stratified ``validation_fraction`` of the training rows
(:func:`hold_out`, sklearn's public ``StratifiedShuffleSplit`` seeded by ``random_state``)
and trains on the rest. After every epoch the weighted mean cross-entropy on the held-out
rows, ``V = sum_{i held out} w_i CE_i / sum_{i held out} w_i`` (the rows' sample weights
times their class weights, as sklearn scores the validation set), is compared with the best
so far: an epoch whose ``V`` is not below ``best - tol`` counts as no improvement, and
``n_iter_no_change`` of them in a row stop training (:class:`EarlyStopping`). The weights of
the epoch with the lowest ``V`` are then restored (as ``MLPClassifier`` does), and also when
training ends otherwise (converged, or out of epochs).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit

__all__ = ["EarlyStopping", "hold_out", "validation_split"]


def validation_split(y_index, fraction, random_state):
    """``(fit_rows, held_out_rows)``: a stratified split with ``fraction`` of the rows held out
    (``ceil(fraction * n)`` of them, as sklearn rounds), sorted; ValueError with a message
    naming ``validation_fraction`` when every class cannot be in both parts."""
    n = len(y_index)
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=random_state)
    try:
        fit_rows, held_out = next(splitter.split(np.zeros((n, 1)), y_index))
    except ValueError as error:
        raise ValueError(
            f"early_stopping cannot hold out a stratified validation_fraction={fraction:g} of "
            f"{n} training rows ({math.ceil(fraction * n)} rows) with every class on both "
            f"sides: {error} Use a larger validation_fraction, more rows, or "
            "early_stopping=False.") from error
    return np.sort(fit_rows), np.sort(held_out)


def hold_out(X, y_index, sample_weight, fraction, random_state):
    """The rows to train on and the rows held out: ``((X, y, w) fitted, (X, y, w) held out)``.

    ValueError when the weights of either part sum to zero (no row would count)."""
    fit_rows, held = validation_split(y_index, fraction, random_state)
    parts = tuple((X[rows], y_index[rows], sample_weight[rows]) for rows in (fit_rows, held))
    for (_, _, w), name in zip(parts, ("training", "validation"), strict=True):
        if not w.sum() > 0:
            raise ValueError(f"early_stopping: the weights of the {name} rows sum to zero; "
                             "no row would count.")
    return parts


class EarlyStopping:
    """SGDClassifier's rule on a validation loss: stop after ``patience`` epochs in a row
    whose loss is not below ``best - tol``; remember the best epoch and its weights.

    ``objective`` is the held-out rows' (:meth:`loss` gives ``V``); ``rows`` their number and
    ``fraction`` the ``validation_fraction`` they came from (for the messages).
    """

    def __init__(self, objective, tol, patience, fraction):
        self.objective = objective
        self.tol, self.patience, self.fraction = float(tol), int(patience), float(fraction)
        self.rows = objective.X.shape[0]
        self.best_loss = math.inf
        self.best_epoch = None
        self.best_theta = None
        self.no_improvement = 0

    def loss(self, theta):
        """``V`` at ``theta``: the weighted mean cross-entropy on the held-out rows."""
        return self.objective.loss(theta)

    def update(self, epoch, loss, theta):
        """Record epoch ``epoch`` with validation loss ``loss`` at ``theta``; return whether
        to stop (``patience`` epochs in a row without an improvement of at least ``tol``)."""
        if loss > self.best_loss - self.tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        if loss < self.best_loss:
            self.best_loss, self.best_epoch, self.best_theta = loss, epoch, theta.copy()
        return self.no_improvement >= self.patience

    def message(self, epoch):
        """Why training stopped at ``epoch``, and which weights were kept."""
        return (f"Stopped early at epoch {epoch}: the validation loss (on {self.rows} held-out "
                f"rows, validation_fraction={self.fraction:g}) has not improved by at least "
                f"tol={self.tol:g} for n_iter_no_change={self.patience} epochs. "
                + self.kept())

    def kept(self):
        """Which epoch's weights were restored."""
        return (f"Kept the weights of epoch {self.best_epoch}, whose validation loss "
                f"{self.best_loss:.6g} was the lowest.")
