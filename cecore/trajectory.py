"""The weights an optimiser visited, one packed ``theta`` per kept epoch, within a memory budget.

A run of E epochs on d features and K classes visits E points of (d + 1) K numbers each. The
trajectory keeps epoch 0 (the start), the latest epoch, and every ``stride``-th epoch in
between; when more than ``max_points`` would be kept, the stride doubles and every other kept
point is dropped (the epochs kept stay evenly spaced: 0, s, 2s, ...). ``max_points`` is the
smaller of :data:`MAX_POINTS` and ``max_bytes / theta.nbytes``, so a 20,000-feature model keeps
fewer points than a 20-feature one, and the memory is bounded either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_POINTS", "PATH_BYTES", "Trajectory", "Walk"]

#: points kept at most, however small theta is (a path drawn on a 60 x 60 grid needs no more)
MAX_POINTS = 512
#: bytes of kept points at most (per trajectory)
PATH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Walk:
    """An optimiser's kept ``epochs``, its parameters there (``thetas``, one packed theta per
    epoch) and the ``objective`` it recorded at each."""

    epochs: np.ndarray
    thetas: np.ndarray
    objective: np.ndarray


class Trajectory:
    """Evenly thinned epochs and their parameters: :meth:`add` each epoch's theta in order."""

    def __init__(self, max_points=MAX_POINTS, max_bytes=PATH_BYTES):
        self.max_points, self.max_bytes = int(max_points), int(max_bytes)
        self.stride = 1
        self._epochs: list[int] = []
        self._thetas: list[np.ndarray] = []
        self._latest: tuple[int, np.ndarray] | None = None

    def _capacity(self, theta):
        return max(3, min(self.max_points, self.max_bytes // max(theta.nbytes, 1)))

    def add(self, epoch, theta):
        """Record ``theta`` (copied) as the parameters after ``epoch`` (0: the start)."""
        theta = np.array(theta, dtype=np.float64, copy=True)
        self._latest = (int(epoch), theta)
        if epoch % self.stride:
            return
        self._epochs.append(int(epoch))
        self._thetas.append(theta)
        if len(self._epochs) >= self._capacity(theta):  # the latest is kept apart: one more
            self.stride *= 2
            kept = [i for i, e in enumerate(self._epochs) if e % self.stride == 0]
            self._epochs = [self._epochs[i] for i in kept]
            self._thetas = [self._thetas[i] for i in kept]

    def __len__(self):
        return len(self.epochs)

    @property
    def epochs(self):
        """The kept epochs, ascending, the latest one last."""
        if self._latest is None:
            return np.zeros(0, dtype=int)
        tail = [] if self._epochs and self._epochs[-1] == self._latest[0] else [self._latest[0]]
        return np.array(self._epochs + tail, dtype=int)

    @property
    def thetas(self):
        """The kept parameters, shape (points, *theta.shape), in the order of :attr:`epochs`."""
        if self._latest is None:
            return np.zeros((0,))
        tail = ([] if self._epochs and self._epochs[-1] == self._latest[0]
                else [self._latest[1]])
        return np.stack(self._thetas + tail)

    def walk(self, objective_of_epoch):
        """The kept points as a :class:`Walk`, ``objective_of_epoch(e)`` the objective
        recorded after epoch ``e``."""
        epochs = self.epochs
        return Walk(epochs=epochs, thetas=self.thetas,
                    objective=np.array([objective_of_epoch(int(e)) for e in epochs]))
