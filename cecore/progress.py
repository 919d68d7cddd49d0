"""The command line's progress: a bar per epoch on stderr, and a training run driven to its
end under it (Ctrl-C stops training and keeps the model of the last finished epoch)."""

from __future__ import annotations

import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

from cecore.live import Throttle
from cecore.models import DivergenceWarning

__all__ = ["ProgressBar", "train_with_progress"]


class ProgressBar:
    """``[#####-----] epoch 120/300  loss 0.1234`` on stderr: redrawn in place on a
    terminal (at most 10 times a second), a line every few seconds otherwise."""

    def __init__(self, total, width=30):
        self.total, self.width = total, width
        self.stream = sys.stderr  # looked up now, so a redirected stderr is honoured
        self.tty = self.stream.isatty()
        self.throttle = Throttle(interval=0.1 if self.tty else 5.0)

    def _line(self, record):
        done = round(self.width * record["epoch"] / self.total)
        test = f"  test {record['val_loss']:.6f}" if record["val_loss"] is not None else ""
        return (f"[{'#' * done}{'-' * (self.width - done)}] epoch {record['epoch']}/"
                f"{self.total}  loss {record['loss']:.6f}{test}")

    def update(self, record):
        if self.throttle.due():
            with self.throttle.redraw():
                self.stream.write(("\r" if self.tty else "") + self._line(record)
                                  + ("" if self.tty else "\n"))
                self.stream.flush()

    def close(self, run):
        """The bar at the last finished epoch, then how training ended (when it did)."""
        if run.usable:
            self.stream.write(("\r" if self.tty else "") + self._line(run.last) + "\n"
                              + run.message + "\n")
            self.stream.flush()


def train_with_progress(run, bar):
    """Advance ``run`` (a TrainingRun or the Dask command's ClusterRun) to its end, drawing
    ``bar``; the run's status and message report the warnings it would raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        try:
            for record in run.records():
                bar.update(record)
        except KeyboardInterrupt:
            run.stop()
    bar.close(run)
