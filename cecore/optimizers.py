"""The update rules of the solvers: one step from a gradient and a step size.

Every rule is an object with the state it carries from step to step (none, Nesterov's
momentum, ...): ``step(theta, grad, lr)`` returns the next parameters, ``restart(theta)``
drops the momentum at ``theta``. The step size ``lr`` comes from :class:`cecore.steps.
StepSizes` (or, for ``partial_fit``, :func:`cecore.steps.incremental_step`); the gradient is
the full objective's or one mini-batch's.

* ``"gd"``: ``theta' = theta - lr * g``.
* ``"nesterov"``: FISTA (Beck and Teboulle 2009) with gradient-based adaptive restart
  (O'Donoghue and Candes 2015): ``x = theta - lr * g``; ``t' = (1 + sqrt(1 + 4 t^2)) / 2``;
  ``theta' = x + (t - 1) / t' * (x - x_prev)``; the momentum restarts (``t' = 1``,
  ``theta' = x``) whenever the step goes uphill against the gradient, ``g . (x - x_prev) > 0``.
* ``"adam"``: Adam (Kingma and Ba 2015), with the bias-corrected moments of step ``k``:
  ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g^2`` (elementwise),
  ``theta' = theta - lr * (m / (1 - beta1^k)) / (sqrt(v / (1 - beta2^k)) + eps)``, with
  ``beta1 = 0.9``, ``beta2 = 0.999``, ``eps = 1e-8``. Each coordinate's step is about ``lr``
  whatever the gradient's scale (Adam is scale-free), so ``lr`` is a distance in the
  parameters, not a fraction of ``1/L``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ADAM_BETA1", "ADAM_BETA2", "ADAM_EPSILON", "Adam", "GradientDescent", "Nesterov",
           "make_optimizer", "minibatches", "run_epoch"]

#: Adam's decay of the first and second moments and its epsilon (Kingma and Ba's defaults).
ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON = 0.9, 0.999, 1e-8


class GradientDescent:
    """``theta' = theta - lr * g``; no state."""

    def __init__(self, theta):
        pass

    def step(self, theta, grad, lr):
        return theta - lr * grad

    def restart(self, theta):
        """Nothing to drop."""


class Nesterov:
    """FISTA with gradient-based restart (see the module docstring); the state is the last
    gradient-step point ``x_prev`` and the momentum counter ``t``."""

    def __init__(self, theta):
        self.restart(theta)

    def step(self, theta, grad, lr):
        x = theta - lr * grad
        diff = x - self.x_prev
        if np.vdot(grad, diff) > 0:                  # uphill against the gradient
            self.x_prev, self.t = x, 1.0
            return x
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * self.t * self.t))
        theta_next = x + ((self.t - 1.0) / t_next) * diff
        self.x_prev, self.t = x, t_next
        return theta_next

    def restart(self, theta):
        """Drop the momentum: the next step is a plain gradient step from ``theta``."""
        self.x_prev, self.t = theta.copy(), 1.0


class Adam:
    """Adam with bias-corrected moments (see the module docstring); the state is the first
    and second moments ``m``, ``v`` and the number of steps taken ``k``."""

    def __init__(self, theta, beta1=ADAM_BETA1, beta2=ADAM_BETA2, eps=ADAM_EPSILON):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros_like(theta, dtype=np.float64)
        self.v = np.zeros_like(theta, dtype=np.float64)
        self.k = 0

    def step(self, theta, grad, lr):
        self.k += 1
        self.m *= self.beta1
        self.m += (1.0 - self.beta1) * grad
        self.v *= self.beta2
        self.v += (1.0 - self.beta2) * (grad * grad)
        m_hat = self.m / (1.0 - self.beta1 ** self.k)
        v_hat = self.v / (1.0 - self.beta2 ** self.k)
        return theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def restart(self, theta):
        """Adam keeps its moments: they already adapt to a change of the gradient (a drop
        of Nesterov's momentum has no counterpart here)."""


OPTIMIZERS = {"gd": GradientDescent, "nesterov": Nesterov, "adam": Adam}


def make_optimizer(solver, theta):
    """The update rule of ``solver`` (one of :data:`cecore.hyperparameters.SOLVERS`),
    starting at ``theta``."""
    return OPTIMIZERS[solver](theta)


def minibatches(objective, batch, rng):
    """The mini-batches of one epoch, each an argument of ``objective.batch_gradient``: the
    rows shuffled by ``rng`` and cut by ``np.array_split`` into ``ceil(n / batch)`` batches,
    or the objective's own ``batches(batch, rng)`` when it has them (the Dask objective's
    row chunks, in an order shuffled by ``rng``)."""
    own = getattr(objective, "batches", None)
    if own is not None:
        return own(batch, rng)
    n = objective.X.shape[0]
    return np.array_split(rng.permutation(n), math.ceil(n / batch))


def run_epoch(objective, optimizer, theta, grad, lr, batch, rng):
    """One pass over the objective's rows from ``theta``: one step along ``grad`` (the full
    gradient at ``theta``) when ``batch`` is None, else one step per mini-batch
    (:func:`minibatches`). Returns the parameters after the pass."""
    if batch is None:
        return optimizer.step(theta, grad, lr)
    for idx in minibatches(objective, batch, rng):
        theta = optimizer.step(theta, objective.batch_gradient(theta, idx), lr)
    return theta
