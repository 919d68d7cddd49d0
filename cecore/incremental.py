"""``partial_fit``: one epoch over each block of rows that arrives, from where the last one ended.

scikit-learn's incremental convention (``SGDClassifier.partial_fit``): the first call must
name every class the blocks may hold (``classes``), later calls may repeat the same classes
(dask-ml's ``Incremental`` does) but not others, and the number of features is fixed by the
first call. Each call runs one epoch over its block: one step along the block's gradient
(full batch), or one step per shuffled mini-batch of ``batch_size`` rows. Between calls the
estimator keeps (:class:`IncrementalState`):

* the weights (``coef_``, ``intercept_``; a call after ``fit`` starts from fit's weights);
* the step, which can only shrink (:func:`cecore.steps.incremental_step`:
  ``lr = min(previous lr, 1/L of the block)`` for "auto"), halved after a mini-batch epoch
  that ended above where it began on its block;
* the solver's state: Nesterov's momentum (dropped when a step goes uphill against the
  gradient, or when the step is halved), Adam's moments;
* the random generator of the mini-batch order (seeded once by ``random_state``).

The objective of a call is the block's: ``sum_{i in block} w_i CE_i / sum_{i in block} w_i
+ alpha/2 ||W||^2``; cycling over blocks that cover the data approaches the minimum of the
whole data's objective (an incremental gradient method: at a constant step it settles in a
neighbourhood of the minimum whose size shrinks with the step).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from cecore.optimizers import make_optimizer, run_epoch
from cecore.steps import decayed_step, incremental_step
from cecore.stop_messages import diverged, what_diverged

__all__ = ["BALANCED_MESSAGE", "IncrementalState", "label_index", "partial_fit_classes"]

BALANCED_MESSAGE = (
    "class_weight='balanced' is not supported by partial_fit: one block's class frequencies "
    "are not the data's. Compute the weights on all the labels (for example with "
    "sklearn.utils.class_weight.compute_class_weight) and pass them as a dict.")


def partial_fit_classes(fitted_classes, classes):
    """``(classes, first)``: the sorted classes of this call, and whether it is the first.

    ``fitted_classes`` is the estimator's ``classes_`` (None before the first call or fit).
    The first call needs ``classes``; a later one may give the same classes again, in any
    order, and nothing else.
    """
    given = None
    if classes is not None:
        given = np.unique(np.asarray(classes))
        if np.asarray(classes).ndim != 1:
            raise ValueError(f"classes must be a 1-d list of labels, not an array of shape "
                             f"{np.asarray(classes).shape}.")
    if fitted_classes is None:
        if given is None:
            raise ValueError("classes must be passed on the first call to partial_fit: every "
                             "label that the blocks may hold.")
        return given, True
    if given is not None and not np.array_equal(given, fitted_classes):
        raise ValueError(f"classes={given.tolist()!r} is not the same as on the first call to "
                         f"partial_fit (or fit): {np.asarray(fitted_classes).tolist()!r}.")
    return np.asarray(fitted_classes), False


def label_index(classes, y):
    """Each label's index in the sorted ``classes``; ValueError for a label not in them."""
    y = np.asarray(y)
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise ValueError(f"y holds labels that are not in classes: "
                         f"{np.unique(y[unknown]).tolist()!r} (classes: "
                         f"{np.asarray(classes).tolist()!r}).")
    return index


class IncrementalState:
    """What ``partial_fit`` carries from call to call: the update rule with its state, the
    step of the last call (``lr``, None before the first) and the mini-batch generator."""

    def __init__(self, solver, theta, random_state):
        self.solver = solver
        self.optimizer = make_optimizer(solver, theta)
        self.lr = None
        self.rng = check_random_state(random_state)

    def epoch(self, objective, theta, learning_rate, batch):
        """One epoch over the block of ``objective`` from ``theta``.

        Returns ``(theta, values, what)``: the new parameters and the record's values
        (``loss``, ``objective``, ``grad_norm`` on the block after the epoch,
        ``learning_rate`` the step taken), or, when the epoch diverged, the parameters
        it started from and ``what`` went wrong (then ``values`` is None, the momentum is
        dropped and the step stays).
        """
        start_loss, start_objective, grad = objective.loss_objective_gradient(theta)
        lr = incremental_step(self.lr, objective, learning_rate, batch, self.solver)
        new = run_epoch(objective, self.optimizer, theta, grad, lr, batch, self.rng)
        loss, obj, grad = objective.loss_objective_gradient(new)
        self.lr = lr
        if diverged(loss, grad, start_loss):
            self.optimizer.restart(theta)
            return theta, None, what_diverged(loss, grad, start_loss)
        if batch is not None:
            noise = 16 * np.finfo(objective.X.dtype).eps
            self.lr = decayed_step(lr, obj, start_objective, noise)
            if self.lr < lr:
                self.optimizer.restart(new)
        values = {"loss": loss, "objective": obj, "grad_norm": float(np.linalg.norm(grad)),
                  "learning_rate": lr}
        return new, values, None
