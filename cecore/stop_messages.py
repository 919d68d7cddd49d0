"""How a training run ends: the divergence rule, and the estimators' ``stop_message_``.

A step diverged (:func:`diverged`) when the loss or the gradient is no longer finite, or the
loss exceeds :data:`DIVERGENCE_FACTOR` times the starting loss; the step is then rolled
back. The messages are pure functions of what the run knows (its settings and a few facts
about the data), so that every message names the setting to change and never suggests one
already in use.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DIVERGENCE_FACTOR", "SCALE_SAMPLE_ROWS", "DivergenceWarning", "converged_message",
           "diverged", "diverged_message", "not_converged_message", "sampled_feature_ranges",
           "what_diverged"]

#: Training stops when a step makes the loss exceed this multiple of the starting loss.
DIVERGENCE_FACTOR = 10.0
#: Rows read to compare the features' scales at the end of a run that did not converge.
SCALE_SAMPLE_ROWS = 4096


class DivergenceWarning(RuntimeWarning):
    """Gradient descent stopped because a step made the loss blow up."""


def sampled_feature_ranges(X, max_rows=SCALE_SAMPLE_ROWS):
    """``max - min`` of each column over every k-th row, ``k = ceil(n / max_rows)``: enough to
    tell features whose scales differ by orders of magnitude, for a few hundred microseconds
    instead of a pass over X (16 ms at 200,000 x 20, more than two epochs)."""
    step = max(1, -(-X.shape[0] // max_rows))
    return np.ptp(X[::step], axis=0)

SEPARABLE = ("Every training sample is classified correctly and alpha=0: the classes are "
             "separable")


def diverged(loss, grad, start_loss):
    """Whether a step blew up: a loss or gradient that is not finite, or a loss above
    :data:`DIVERGENCE_FACTOR` times the starting loss."""
    return not (np.isfinite(loss) and np.all(np.isfinite(grad))) or (
        loss > DIVERGENCE_FACTOR * max(start_loss, 1e-12))


def what_diverged(loss, grad, start_loss, factor=DIVERGENCE_FACTOR):
    """What a diverging step did (the values before the rollback): the loss became NaN or
    infinite, the gradient did, or the loss exceeded ``factor`` times ``start_loss``."""
    if np.isnan(loss):
        return "the loss became NaN"
    if not np.isfinite(loss):
        return "the loss became infinite"
    if not np.all(np.isfinite(grad)):
        return "the gradient became infinite or NaN"
    return (f"the loss exploded to {loss:.3g}, more than {factor:g} times the "
            f"starting loss {start_loss:.3g}")


def diverged_message(epoch, learning_rate, what, kept="epoch"):
    """Training diverged at ``epoch`` with step ``learning_rate``; ``what`` it did."""
    kept_text = (f"Kept the weights of epoch {epoch - 1}" if kept == "epoch"
                 else "Kept the weights from before this call")
    return (f"Training diverged at epoch {epoch} with learning rate {learning_rate:.3g}: "
            f"{what}. {kept_text}. Try a smaller learning rate (or 'auto'), or standardize "
            "the features.")


def converged_message(tol, separable):
    """The gradient norm reached ``tol``; a warning when the classes are separable."""
    message = f"Converged: gradient norm <= tol={tol:g}."
    if separable:
        message += (f" {SEPARABLE}, so a smaller tol would only grow the weights further "
                    "(there is no finite minimum). Set alpha > 0 for a well-defined solution.")
    return message


def not_converged_message(*, max_epochs, tol, scales, separable, minibatch, solver,
                          auto_rate):
    """Why training ran out of epochs, and what to change, in plain words.

    ``scales``: the features' ranges (:func:`sampled_feature_ranges`);
    ``separable``: alpha is 0 and every training sample is classified correctly;
    ``minibatch``: mini-batches of fewer rows than the data; ``auto_rate``: the
    learning rate is "auto".
    """
    message = (f"Stopped after max_epochs={max_epochs} epochs before the gradient norm "
               f"reached tol={tol:g}.")
    scales = scales[scales > 0]
    if scales.size and scales.max() > 1e4 * scales.min():
        return (f"{message} The features' scales differ by a factor of "
                f"{scales.max() / scales.min():.0e}: the step size is limited by the "
                "largest one, so the others barely move. Standardize the features.")
    if separable:
        return (f"{message} {SEPARABLE}, so the loss keeps falling towards 0 as the "
                "weights grow without bound and there is no minimum to converge to. Set "
                "alpha > 0 for a finite solution.")
    if minibatch:
        return (f"{message} Each mini-batch step follows one batch's gradient, so training "
                "settles only as the step shrinks (it halves after every epoch whose "
                "objective rose). More epochs would get closer to the minimum; full "
                "batches (batch_size=None) converge to tol.")
    if solver == "adam":
        return (f"{message} Adam's steps shrink only as its second moments follow the "
                "shrinking gradient: more epochs would get closer to the minimum, and "
                "solver='nesterov' gets there in far fewer epochs on full batches.")
    if solver == "nesterov" and auto_rate:
        return f"{message} More epochs would get closer to the minimum."
    if solver == "nesterov":
        return (f"{message} More epochs, a larger learning rate or learning_rate='auto' "
                "would get closer to the minimum.")
    return (f"{message} More epochs, solver='nesterov' or a larger learning rate would get "
            "closer to the minimum.")
