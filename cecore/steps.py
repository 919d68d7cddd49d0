"""Step sizes of gradient descent: the safe steps, Barzilai-Borwein's step, the mini-batch decay.

With the objective's Lipschitz constant ``L`` (:meth:`~cecore.objective._LinearObjective.
lipschitz_constant`, the full data) and the largest one-row constant ``L_max``
(:meth:`~cecore.objective._LinearObjective.row_lipschitz_constant`):

* full batch: ``1/L``, a step that cannot go uphill; full-batch Nesterov then adapts it to
  the measured curvature (:func:`barzilai_borwein_step`), within ``[1/L, MAX_STEP_GROWTH/L]``;
* mini-batches of ``b`` rows: ``1/L(b)`` (:func:`minibatch_lipschitz_constant`), and the step
  is multiplied by :data:`STEP_DECAY` after every epoch whose objective ended higher than the
  one before (:func:`decayed_step`), so that the batches' noise dies down and the run settles;
* ``partial_fit``, one epoch per block of rows: :func:`incremental_step`, a step that can
  only shrink from block to block.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

__all__ = [
    "GRAM_FLOP_LIMIT",
    "MAX_STEP_GROWTH",
    "NONMONOTONE_EPOCHS",
    "STEP_DECAY",
    "StepSizes",
    "auto_learning_rate",
    "barzilai_borwein_step",
    "decayed_step",
    "incremental_step",
    "minibatch_lipschitz_constant",
    "smallest_batch",
]

#: Full-batch Nesterov with learning_rate="auto" steps at most this multiple of 1/L (measured on
#: the benchmark's data and sklearn's datasets: 10 held the softmax cases back by 1.3-2.3x in
#: epochs; 100 lost on digits).
MAX_STEP_GROWTH = 30.0
#: ... and a longer step may take the objective above the last epoch's, but not above the
#: highest of the last this many epochs' (Grippo, Lampariello and Lucidi's non-monotone rule).
NONMONOTONE_EPOCHS = 5
#: Above this many Gram-matrix flops, the Lipschitz constant comes from Lanczos instead. The
#: Gram matrix is one BLAS-3 product and beats Lanczos's ~20 passes over X well past d = 100
#: (n=200,000, d=100: 58 ms against 170 ms); 3e10 flops is about a second on one core.
GRAM_FLOP_LIMIT = 3e10
#: A mini-batch epoch that ends with a higher objective than it started with multiplies the
#: step by this. Breast cancer (standardized, alpha=0.01, 30 epochs, batch_size=1): the last
#: epoch 0.07% above lbfgs's objective, against 1.1% for eta_0/sqrt(epoch) and 0.2% for
#: eta_0/(1 + eta_0 alpha t); with alpha=0 the latter never decays (3.6-6% above, noisy data).
STEP_DECAY = 0.5
#: Adam's learning_rate="auto" (see :mod:`cecore.optimizers`: its steps are about this long in
#: each coordinate, whatever the gradient's scale). Measured on standardized breast cancer,
#: wine, iris and digits, alpha=0.01, full batch (epochs until the objective is within 1e-3
#: relative of lbfgs's for good / until the gradient norm is <= 1e-6): 0.01: 501-964 /
#: 1013-2441; 0.03: 100-324 / 322-925; 0.1: 77-89 / 228-258; 0.3: 66-87 but digits climbed
#: back to 0.6 above the optimum (1454 / 1616). alpha=1e-3: 0.1 153-426 / 431-1130, 0.05
#: 283-809 / 807-2011. 1/L (0.27-0.68 here) is no guide: Adam's step does not scale with it.
ADAM_LEARNING_RATE = 0.1
#: Whether mini-batch Adam halves its step after an epoch that ended higher (as gd does).
#: Measured (the four tables above, alpha=0.01, "auto", mean of 3 seeds, relative gap to
#: lbfgs after the last epoch): 30 epochs of 32 rows 1.9e-4 to 1.7e-3 with the decay, 4.7e-3
#: to 1.3 without; 100 epochs 1.4e-4 to 6.0e-4 against 5.0e-3 to 1.1; batches of 8, 30
#: epochs: 1.8e-4 to 5.7e-4 against 3.1e-2 to 3.0. With learning_rate=0.01 it changed little
#: but on digits (9.1e-4 against 2.1e-2 after 30 epochs of 32 rows).
ADAM_MINIBATCH_DECAY = True


def smallest_batch(n, batch_size):
    """The size of the smallest of the ``ceil(n / batch_size)`` batches that
    ``np.array_split`` cuts ``n`` shuffled rows into: ``n // ceil(n / batch_size)``."""
    return n // math.ceil(n / batch_size)


def minibatch_lipschitz_constant(full, row_max, n, batch_size):
    """``L(b) = n (b - 1) / (b (n - 1)) L + (n - b) / (b (n - 1)) L_max``, b the smallest batch.

    The curvature of one batch's objective is at most ``max over batches of curvature *
    lambda_max([X_B 1]^T diag(w_B) [X_B 1]) + alpha <= L_max = curvature * max_i (||x_i||^2
    + 1) + alpha``, a bound that is exact for ``b = 1`` (sklearn's SAG step). For larger
    batches the worst batch (the ``b`` longest rows together: the mean of the ``b`` largest
    ``||x_i||^2 + 1``) is far from the typical one: on breast cancer at ``b = 16`` its step
    was 1/53.7 against 1/10.0 for ``L(b)``, and (both held constant) left plain SGD 6.8%
    above the optimum after 30 epochs where ``L(b)`` is 0.13% above. ``L(b)`` is the step
    SGD's theory calls for,
    the expected smoothness of ``b`` rows drawn without replacement (Gower et al., "SGD:
    General Analysis and Improved Rates", ICML 2019, Proposition 3.8). It is a convex
    combination of ``L`` and ``L_max``: ``L_max`` for ``b = 1``, ``L`` for ``b = n`` and never
    more than ``L_max``, so ``min(L_max, L(b)) = L(b)``. With sample weights the batch
    gradient renormalises them over the batch, ``L_max`` covers the rows of weight > 0, and
    ``L(b)`` is the same interpolation. For ``b > 1``, ``L(b)`` bounds the batches'
    curvature on average, not for every batch: an epoch that an unlucky batch sets back
    ends higher, and :func:`decayed_step` then halves the step.
    """
    b = smallest_batch(n, batch_size)
    if n <= 1 or b >= n:
        return full
    return (n * (b - 1) * full + (n - b) * row_max) / (b * (n - 1))


def auto_learning_rate(objective, batch_size=None, gram_flop_limit=GRAM_FLOP_LIMIT,
                       solver="gd"):
    """``learning_rate="auto"``: ``1/L`` for full batches, ``1/L(b)`` for mini-batches of
    ``batch_size`` rows (``None``, or at least the number of rows: full batches);
    :data:`ADAM_LEARNING_RATE` for ``solver="adam"``."""
    if solver == "adam":
        return ADAM_LEARNING_RATE
    full = objective.lipschitz_constant(gram_flop_limit)
    n = objective.X.shape[0]
    if batch_size is None or batch_size >= n:
        return 1.0 / full
    return 1.0 / minibatch_lipschitz_constant(full, objective.row_lipschitz_constant(), n,
                                              batch_size)


def decayed_step(lr, objective, previous_objective, noise=0.0):
    """The next mini-batch epoch's step: ``lr * STEP_DECAY`` if this epoch's (full) objective
    ended above the one it started from by more than the relative rounding ``noise``, else
    ``lr``.

    A step that is right for the start is too long near the minimum, where the batches'
    gradients disagree more than they shrink: the objective then stops falling and rises now
    and then, and each rise halves the step (the rule of sklearn's ``learning_rate=
    "adaptive"`` with a patience of one epoch). Deterministic: the batches come from
    ``random_state``.
    """
    return lr * STEP_DECAY if objective > previous_objective * (1 + noise) else lr


def barzilai_borwein_step(moved, grad_change, safe_lr, growth=MAX_STEP_GROWTH):
    """The next step size of full-batch Nesterov with ``learning_rate="auto"``.

    ``1/L`` is safe everywhere, but ``L`` bounds the curvature at its worst (every
    probability 1/2); near a minimum the loss is often several times flatter (3.2x on the
    benchmark's binary data). The last move ``s = theta_k - theta_{k-1}`` and the
    gradient change along it, ``u = g_k - g_{k-1}``, measure the curvature there, and the
    next step is Barzilai and Borwein's ``(s . u) / (u . u)`` (at least ``1/L`` for a
    convex loss), kept within ``[1/L, growth/L]``. It costs no extra pass over X: both
    gradients are already known. ``growth`` starts at :data:`MAX_STEP_GROWTH` and halves
    whenever a longer step went uphill (that step is then taken again at ``1/L``, so
    the objective never climbs on a long step and training cannot diverge).
    """
    change_sq = float(np.vdot(grad_change, grad_change))
    along = float(np.vdot(moved, grad_change))
    if change_sq == 0.0:                 # no change in the gradient: flat, or no move
        return growth * safe_lr if np.any(moved) else safe_lr
    if along <= 0.0:                     # only rounding makes a convex loss do this
        return safe_lr
    return min(growth * safe_lr, max(safe_lr, along / change_sq))


class StepSizes:
    """The step of every epoch for one fit: ``lr`` is the next epoch's step.

    * a number, full batch: that number every epoch;
    * ``"auto"``, full batch, ``solver="gd"``: ``1/L`` every epoch;
    * ``"auto"``, full batch, ``solver="nesterov"``: :func:`barzilai_borwein_step` within
      ``[1/L, growth/L]``, with Grippo-Lampariello-Lucidi's check (:meth:`retake`);
    * mini-batches: ``1/L(b)`` (``"auto"``) or the number to start with, then
      :func:`decayed_step` after every epoch.
    """

    def __init__(self, objective, learning_rate, batch_size, solver, start_objective):
        auto = isinstance(learning_rate, str)
        self.lr = (auto_learning_rate(objective, batch_size, solver=solver) if auto
                   else float(learning_rate))
        self.safe = self.lr
        self.minibatch = batch_size is not None and batch_size < objective.X.shape[0]
        #: mini-batch steps decay after an epoch that ended higher (Adam's: ADAM_MINIBATCH_DECAY)
        self.decays = self.minibatch and (solver != "adam" or ADAM_MINIBATCH_DECAY)
        #: full-batch Nesterov with the "auto" rate measures the local curvature as it goes
        self.adaptive = auto and not self.minibatch and solver == "nesterov"
        self.growth = MAX_STEP_GROWTH
        #: objective changes below this (relative) are rounding, not a step uphill
        self.noise = 16 * np.finfo(objective.X.dtype).eps
        self.recent = deque([start_objective], maxlen=NONMONOTONE_EPOCHS)

    def retake(self, step, objective):
        """Whether the epoch must be taken again as a plain step of ``1/L`` (then at most half
        the growth is allowed from now on): a step longer than ``1/L`` went above the last
        :data:`NONMONOTONE_EPOCHS` epochs' objectives, or blew up. ``1/L`` cannot go uphill."""
        if not (self.adaptive and step > self.safe
                and not objective <= max(self.recent) * (1 + self.noise)):
            return False
        self.growth = max(1.0, self.growth / 2)
        return True

    def update(self, step, moved, grad_change, objective, previous_objective):
        """Set :attr:`lr` after an epoch that took ``step``, moved the weights by ``moved`` and
        the gradient by ``grad_change``; return whether to drop the momentum (the objective
        rose: with the adaptive step, or when a mini-batch step was cut)."""
        if self.adaptive:
            self.recent.append(objective)
            self.lr = barzilai_borwein_step(moved, grad_change, self.safe, self.growth)
            return objective > previous_objective * (1 + self.noise)
        if self.decays:
            self.lr = decayed_step(step, objective, previous_objective, self.noise)
            return self.lr < step
        return False


def incremental_step(previous, objective, learning_rate, batch_size=None, solver="gd"):
    """The step of one ``partial_fit`` epoch over a block: ``min(previous, start)``.

    ``start`` is the step :class:`StepSizes` would start a fit of this block with: for
    ``"auto"``, ``1/L`` of the block's objective (full batch) or ``1/L(b)`` (mini-batches of
    ``batch_size`` rows), which costs the block's Gram matrix (about one pass over it); else
    ``learning_rate``. ``previous`` is the last call's step (None on the first call). So
    the step never grows: a block with a larger curvature bound than the ones before
    shortens it for good, and it also stays at least as safe as ``1/L`` of every block
    seen. After a mini-batch epoch the caller halves it when the block's objective ended
    above where it began (:func:`decayed_step`), as ``fit`` does between epochs. Full-batch
    Nesterov does not adapt its step here (the Barzilai-Borwein step of ``fit`` compares two
    gradients of the same objective; two blocks have two objectives).
    """
    if isinstance(learning_rate, str):
        start = auto_learning_rate(objective, batch_size, solver=solver)
    else:
        start = float(learning_rate)
    return start if previous is None else min(previous, start)
