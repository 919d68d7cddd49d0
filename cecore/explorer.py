"""Computations behind the explorer pages (everything except drawing).

Binary probe and tangent line, the numerical-stability table, cross-entropy against squared
error, the softmax state for one sample (and along a swept logit, all values at once), the
loss over the probability simplex, entropy / cross-entropy / KL divergence of two
distributions, a worked likelihood example and the quiz.
Logarithms are natural: every quantity is in nats, like the losses in :mod:`cecore.losses`.
pandas and scipy are imported by the functions that use them: the home page, which only
needs the probe, starts without them (0.27 s of imports on this project's machine).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cecore.losses import (
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_gradient,
    cross_entropy,
    cross_entropy_with_logits,
    cross_entropy_with_logits_gradient,
    sigmoid,
    softmax,
)

Z_MIN, Z_MAX = -10.0, 10.0
"""The logit range of the binary charts (as in the original figure): p from 4.5e-5 to 1 - 4.5e-5."""


# --------------------------------------------------------------------------- binary
def logit(p):
    """Inverse of the sigmoid: ``logit(p) = log(p) - log(1 - p)``."""
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def logit_grid(n=801):
    """``n`` evenly spaced logits on ``[Z_MIN, Z_MAX]``: the x-values behind every binary curve."""
    return np.linspace(Z_MIN, Z_MAX, n)


@dataclass(frozen=True)
class BinaryProbe:
    """One point on a binary loss curve: label ``y``, probability ``p`` and logit ``z``.

    ``loss = -log p`` (y = 1) or ``-log(1 - p)`` (y = 0), ``dloss_dp = -y/p + (1-y)/(1-p)``
    and ``dloss_dz = p - y``.
    """

    y: int
    p: float
    z: float
    loss: float
    dloss_dp: float
    dloss_dz: float


def binary_probe(y, p):
    """The loss and its two derivatives at probability ``0 < p < 1`` for label ``y``.

    The loss is computed from the logit ``z = logit(p)`` (softplus form), never as ``-log(p)``.
    """
    z = float(logit(p))
    y_arr, z_arr = np.array([float(y)]), np.array([z])
    return BinaryProbe(
        y=int(y),
        p=float(p),
        z=z,
        loss=binary_cross_entropy_with_logits(y_arr, z_arr),
        dloss_dp=float(binary_cross_entropy_gradient(y_arr, np.array([float(p)]))[0]),
        dloss_dz=float(binary_cross_entropy_with_logits_gradient(y_arr, z_arr)[0]),
    )


def tangent_segment(x0, y0, slope, *, half_width, half_height, x_bounds=(-np.inf, np.inf),
                    n=41):
    """``n`` points on the tangent ``y = y0 + slope (x - x0)`` around ``(x0, y0)``.

    The segment reaches ``half_width`` to each side, shortened so that it rises or falls at
    most ``half_height`` (a steep tangent stays short) and clipped to ``x_bounds``. Several
    points, not just the two ends, let a log-scale axis draw the part where y > 0.
    Returns ``(xs, ys)``.
    """
    dx = half_width if slope == 0 else min(half_width, half_height / abs(slope))
    xs = np.linspace(max(x0 - dx, x_bounds[0]), min(x0 + dx, x_bounds[1]), n)
    return xs, y0 + slope * (xs - x0)


P_MIN, P_MAX = 0.001, 0.999
"""The probe's range of p: the p slider's and the in-chart slider's ends."""


def squared_error(y, p):
    """Squared-error loss of a probability: ``(p - y)^2``."""
    return (np.asarray(p, dtype=np.float64) - y) ** 2


def squared_error_logit_gradient(y, p):
    """``d/dz (sigmoid(z) - y)^2 = 2 (p - y) p (1 - p)``: it vanishes as p reaches 0 or 1."""
    p = np.asarray(p, dtype=np.float64)
    return 2.0 * (p - y) * p * (1.0 - p)


def cross_entropy_logit_gradient(y, z):
    """``dJ/dz = sigmoid(z) - y`` per logit: as large as the error itself."""
    return sigmoid(np.asarray(z, dtype=np.float64)) - y


STABILITY_LOGITS = (-800.0, -40.0, -20.0, 0.0, 20.0, 40.0)


def stability_table(logits=STABILITY_LOGITS):
    """The loss for label y = 1 at each logit ``z``, computed four ways (one row per ``z``).

    Columns: ``p = sigmoid(z)`` in float64; the naive ``-log(p)`` (inf once p underflows to 0,
    0 once p rounds to 1); the clipped probability form (= sklearn's ``log_loss``: at most
    ``-log(eps)``, 36.04 in float64 and 15.94 in float32); and the logit form
    ``softplus(-z)``, exact for every finite z.
    """
    z = np.asarray(logits, dtype=np.float64)
    ones = np.ones_like(z)
    p64 = sigmoid(z)
    p32 = sigmoid(z.astype(np.float32))
    with np.errstate(divide="ignore"):
        naive = -np.log(p64) + 0.0  # + 0.0 turns -0.0 into 0.0
    import pandas as pd

    return pd.DataFrame({
        "logit z": z,
        "p = σ(z)": p64,
        "naive −log p": naive,
        "clipped, float64": binary_cross_entropy(ones, p64, reduction="none"),
        "clipped, float32": binary_cross_entropy(ones.astype(np.float32), p32,
                                                 reduction="none").astype(np.float64),
        "logit form softplus(−z)": binary_cross_entropy_with_logits(ones, z, reduction="none"),
    })


# --------------------------------------------------------------------------- softmax
@dataclass(frozen=True)
class SoftmaxState:
    """One sample under softmax cross-entropy with temperature ``T`` and label smoothing ``s``.

    ``probs = softmax(logits / T)``, ``target = (1 - s) onehot(true_class) + s / K``,
    ``loss = -sum_k target_k log probs_k`` and ``grad = dJ/dlogits = (probs - target) / T``.
    """

    logits: np.ndarray
    true_class: int
    temperature: float
    smoothing: float
    probs: np.ndarray
    target: np.ndarray
    loss: float
    grad: np.ndarray


def smoothed_target(true_class, n_classes, smoothing=0.0):
    """Label-smoothed one-hot target: ``(1 - s) onehot(true_class) + s / K``."""
    target = np.full(n_classes, smoothing / n_classes)
    target[true_class] += 1.0 - smoothing
    return target


def softmax_state(logits, true_class, temperature=1.0, smoothing=0.0):
    """Probabilities, target, loss and gradient for logits ``z`` (see :class:`SoftmaxState`)."""
    logits = np.asarray(logits, dtype=np.float64)
    scaled = (logits / temperature)[None, :]
    label = np.array([true_class])
    return SoftmaxState(
        logits=logits,
        true_class=int(true_class),
        temperature=float(temperature),
        smoothing=float(smoothing),
        probs=softmax(scaled)[0],
        target=smoothed_target(true_class, logits.size, smoothing),
        loss=cross_entropy_with_logits(label, scaled, label_smoothing=smoothing),
        grad=cross_entropy_with_logits_gradient(label, scaled, label_smoothing=smoothing)[0]
        / temperature,
    )


def with_logit(state, index, value):
    """``state`` with logit ``index`` set to ``value`` (the other logits, T and s kept)."""
    logits = state.logits.copy()
    logits[index] = value
    return softmax_state(logits, state.true_class, state.temperature, state.smoothing)


@dataclass(frozen=True)
class SweepStates:
    """``with_logit(state, index, v)`` for every ``v`` in ``values``, as rows: ``probs``
    and ``grad`` are (n, K), ``loss`` is (n,); target, T and s are the state's."""

    index: int
    values: np.ndarray
    probs: np.ndarray
    loss: np.ndarray
    grad: np.ndarray


def sweep_states(state, index, values):
    """The softmax state at each value of logit ``index`` (the other logits fixed), all at
    once: row r is :func:`with_logit` ``(state, index, values[r])`` (the same arithmetic,
    row by row): ``probs = softmax(z / T)``, ``loss = -sum_k t_k log p_k``,
    ``grad = (p - t) / T``."""
    values = np.asarray(values, dtype=np.float64)
    Z = np.tile(state.logits, (values.size, 1))
    Z[:, index] = values
    scaled = Z / state.temperature
    labels = np.full(values.size, state.true_class)
    return SweepStates(
        index=int(index), values=values, probs=softmax(scaled),
        loss=cross_entropy_with_logits(labels, scaled, label_smoothing=state.smoothing,
                                       reduction="none"),
        grad=cross_entropy_with_logits_gradient(labels, scaled, label_smoothing=state.smoothing,
                                                reduction="none") / state.temperature,
    )


def logit_sweep(state, index, grid):
    """Loss of ``state`` as logit ``index`` takes each value in ``grid``, the others fixed."""
    grid = np.asarray(grid, dtype=np.float64)
    Z = np.tile(state.logits, (grid.size, 1))
    Z[:, index] = grid
    labels = np.full(grid.size, state.true_class)
    return cross_entropy_with_logits(labels, Z / state.temperature,
                                     label_smoothing=state.smoothing, reduction="none")


def simplex_grid(resolution=40):
    """Points strictly inside the probability simplex of 3 classes, shape ``(m, 3)``.

    ``((i, j, k) + 1/3) / r`` for all counts with ``i + j + k = r - 1`` (r = ``resolution``):
    every row sums to 1 and every coordinate is at least ``1 / (3 r)``, so the loss is finite.
    """
    i, j = np.meshgrid(np.arange(resolution), np.arange(resolution), indexing="ij")
    keep = i + j <= resolution - 1
    counts = np.column_stack([i[keep], j[keep], resolution - 1 - i[keep] - j[keep]])
    return (counts + 1.0 / 3.0) / resolution


def simplex_losses(points, target):
    """Cross-entropy ``-sum_k t_k log p_k`` of every row of ``points`` against ``target``."""
    points = np.asarray(points, dtype=np.float64)
    return cross_entropy(np.tile(target, (points.shape[0], 1)), points, reduction="none")


# --------------------------------------------------------------------------- information
def normalize_weights(weights):
    """``w / sum(w)`` for non-negative weights; the uniform distribution if they are all 0."""
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    return w / total if total > 0 else np.full(w.shape, 1.0 / w.size)


def entropy(p):
    """``H(p) = -sum_k p_k log p_k`` (with 0 log 0 = 0)."""
    from scipy.special import entr

    return float(entr(np.asarray(p, dtype=np.float64)).sum())


def distribution_cross_entropy(p, q):
    """``H(p, q) = -sum_k p_k log q_k``: inf when some ``q_k = 0 < p_k``."""
    from scipy.special import xlogy

    return float(-xlogy(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)).sum())


def kl_divergence(p, q):
    """``KL(p || q) = sum_k p_k log(p_k / q_k) = H(p, q) - H(p)``, >= 0, inf if q misses p."""
    from scipy.special import rel_entr

    return float(rel_entr(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)).sum())


def format_value(x, digits=4, infinity="∞"):
    """``x`` with ``digits`` decimals, or ``infinity`` (e.g. ``r"\\infty"`` for LaTeX)."""
    return infinity if np.isinf(x) else f"{x:.{digits}f}"


@dataclass(frozen=True)
class LikelihoodSteps:
    """The chain likelihood -> log-likelihood -> mean negative log-likelihood = log loss."""

    likelihood: float
    log_likelihood: float
    mean_negative_log_likelihood: float
    log_loss: float


def likelihood_steps(y, p):
    """Bernoulli likelihood ``prod p^y (1-p)^(1-y)``, its log, ``-log L / n`` and the log loss."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    from scipy.special import xlogy

    log_likelihood = float((xlogy(y, p) + xlogy(1.0 - y, 1.0 - p)).sum())
    return LikelihoodSteps(
        likelihood=float(np.exp(log_likelihood)),
        log_likelihood=log_likelihood,
        mean_negative_log_likelihood=-log_likelihood / y.size,
        log_loss=binary_cross_entropy(y, p),
    )


# --------------------------------------------------------------------------- quiz
@dataclass(frozen=True)
class QuizQuestion:
    """A multiple-choice question: ``options[answer]`` is right; ``explanation`` says why."""

    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str

    def is_correct(self, choice):
        """True when ``choice`` (an option's text) is the right one."""
        return choice == self.options[self.answer]


QUIZ = (
    QuizQuestion(
        prompt="What is cross-entropy loss for?",
        options=(
            "Measuring how far a predicted number lies from a real-valued target",
            "Scoring predicted probabilities: it is small when the true class gets a high "
            "probability and large when it gets a low one",
            "Ranking the input features by importance",
            "Reducing the number of input features",
        ),
        answer=1,
        explanation="A classifier's output is a probability for each class; the loss charges "
                    "−log of the probability given to the class that actually occurred, so it "
                    "tells training how to move the weights to make the truth more probable.",
    ),
    QuizQuestion(
        prompt="Which problems is it made for?",
        options=(
            "Regression with real-valued targets",
            "Clustering data that has no labels",
            "Classification, binary or multiclass, with a model that outputs class "
            "probabilities",
            "Compressing images",
        ),
        answer=2,
        explanation="It compares a predicted distribution over classes with the observed "
                    "class: logistic regression (sigmoid), softmax regression and the output "
                    "layer of classification networks all train on it.",
    ),
    QuizQuestion(
        prompt="With a sigmoid or softmax output, how does it compare with mean squared error?",
        options=(
            "Both give the same gradients, so the choice does not matter",
            "Mean squared error is better because it is bounded",
            "Cross-entropy cannot be minimised by gradient descent",
            "Its gradient with respect to the logit is p − y, large when the model is "
            "confidently wrong; squared error multiplies that by p(1 − p) and nearly stalls",
        ),
        answer=3,
        explanation="With squared error a confidently wrong prediction sits on a flat part of "
                    "the sigmoid, so the gradient is tiny and learning is slow; cross-entropy "
                    "cancels that flat factor and keeps the gradient as large as the error. "
                    "For a linear model it is also convex in the weights; squared error after "
                    "a sigmoid is not.",
    ),
    QuizQuestion(
        prompt="How is it related to the log-likelihood?",
        options=(
            "It is the negative log-likelihood of the labels under the model, averaged over "
            "the samples: minimising it is maximum-likelihood estimation",
            "It is the likelihood itself, not its logarithm",
            "It is the square of the log-likelihood",
            "The two are unrelated",
        ),
        answer=0,
        explanation="The likelihood of independent labels is a product of Bernoulli (or "
                    "categorical) probabilities; its logarithm is a sum, and the negative mean "
                    "of that sum is exactly the cross-entropy loss.",
    ),
    QuizQuestion(
        prompt="Does cross-entropy loss prevent overfitting?",
        options=(
            "Yes: a model that minimises it always generalises",
            "No, not by itself: it keeps rewarding ever more confident training predictions; "
            "regularisation (a weight penalty, early stopping, more data, label smoothing) "
            "is what holds overfitting back",
            "Yes, because the loss is bounded",
            "Yes, because it ignores confident predictions",
        ),
        answer=1,
        explanation="On separable data the loss falls towards 0 as the weights grow without "
                    "limit, fitting noise on the way. A penalty such as alpha/2 ||w||², early "
                    "stopping on a validation set or label smoothing is what keeps the model in "
                    "check.",
    ),
)


def quiz_score(choices, quiz=QUIZ):
    """Number of questions whose chosen option (text, or None if unanswered) is right."""
    return sum(question.is_correct(choice) for question, choice in zip(quiz, choices, strict=True))
