"""Calibration of probabilistic classifiers: reliability curves, the expected calibration
error, the Brier score's decomposition and temperature scaling.

Notation: n samples with labels y_i in {0, ..., K-1}. ``proba`` is an (n, K) matrix of class
probabilities (entries in [0, 1], rows summing to 1 within 1e-6) or, for two classes, an (n,)
vector p_i = P(y_i = 1), read as the rows [1 - p_i, p_i].

Bins. A score s in [0, 1] is binned exactly as :func:`sklearn.calibration.calibration_curve`
bins it. With B = ``n_bins`` and edges e_0 <= ... <= e_B,

* ``strategy="uniform"``:  ``e = np.linspace(0, 1, B + 1)``;
* ``strategy="quantile"``: ``e = np.percentile(s, np.linspace(0, 1, B + 1) * 100)``;

the bin of s is ``np.searchsorted(e[1:-1], s)``: bin b holds e_b < s <= e_{b+1}, bin 0 also
holds s = 0 and the last bin s = 1. Per-bin sums are ``np.bincount``s, never a Python loop
over rows.

Two readings of a prediction:

* positive (binary): the score is p_i = P(y_i = 1), the outcome is [y_i = 1];
* top-label (any K): the score is the confidence c_i = max_k proba_ik, the outcome is
  [yhat_i = y_i] with yhat_i = argmax_k proba_ik (the first maximum on ties, as ``np.argmax``).
  For an (n,) vector p this is argmax over [1 - p_i, p_i]: yhat_i = 1 iff p_i > 0.5 (so
  p_i = 0.5 predicts class 0) and c_i = max(p_i, 1 - p_i).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

STRATEGIES = ("uniform", "quantile")
KINDS = ("positive", "top-label")
ROW_SUM_TOLERANCE = 1e-6
TEMPERATURE_BOUNDS = (1e-2, 1e2)
_BLOCK_ROWS = 8192        # rows of an (n, K) logit matrix processed at a time (fits in cache)
_MAX_NEWTON_STEPS = 100
_RELATIVE_TOLERANCE = 1e-12     # on beta = 1/T, hence on T


# ----------------------------------------------------------------------------- validation
def _check_options(n_bins, strategy):
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1; got {n_bins!r}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be 'uniform' or 'quantile'; got {strategy!r}")


def _check_scores(values, name):
    """Floating array of shape (n,) or (n, K >= 2), n >= 1: returns (values, K, min, max)."""
    values = np.asarray(values)
    if values.dtype == bool or np.issubdtype(values.dtype, np.integer):
        values = values.astype(np.float64)
    elif not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"{name} must be numeric; got dtype {values.dtype}")
    if values.ndim == 1:
        n_classes = 2
    elif values.ndim == 2 and values.shape[1] >= 2:
        n_classes = values.shape[1]
    else:
        raise ValueError(f"{name} must have shape (n,) or (n, K) with K >= 2; "
                         f"got shape {values.shape}")
    if values.shape[0] == 0:
        raise ValueError(f"empty input: {name} has no rows")
    low, high = values.min(), values.max()
    if np.isnan(low) or np.isnan(high):
        raise ValueError(f"{name} contains NaN")
    return values, n_classes, low, high


def _check_proba(proba):
    """Validate probabilities (see the module docstring); returns (proba, K)."""
    proba, n_classes, low, high = _check_scores(proba, "proba")
    if low < 0 or high > 1:
        raise ValueError(f"proba must lie in [0, 1]; found values in [{low}, {high}]")
    if proba.ndim == 2:
        deviation = np.abs(proba.sum(axis=1, dtype=np.float64) - 1.0)
        worst = int(np.argmax(deviation))
        if deviation[worst] > ROW_SUM_TOLERANCE:
            raise ValueError(f"rows of proba must sum to 1 (within {ROW_SUM_TOLERANCE:g}); "
                             f"row {worst} sums to {proba[worst].sum()!r}")
    return proba, n_classes


def _check_labels(y_true, n_classes, n_rows, other="proba"):
    """Integer labels 0..K-1 of shape (n_rows,) (bool, or whole-valued floats, accepted)."""
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-d (one label per row); got shape {y.shape}")
    if y.shape[0] != n_rows:
        raise ValueError(f"y_true and {other} have different lengths: {y.shape[0]} != {n_rows}")
    if y.dtype == bool:
        y = y.astype(np.intp)
    elif np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y) & (y == np.rint(y))):
            raise ValueError("y_true must hold integer labels 0..K-1; found non-integer values")
        y = y.astype(np.intp)
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y_true must hold integer labels 0..K-1; got dtype {y.dtype}")
    low, high = y.min(), y.max()
    if low < 0 or high >= n_classes:
        raise ValueError(f"y_true labels must lie in 0..{n_classes - 1} ({other} has "
                         f"{n_classes} classes); found {low if low < 0 else high}")
    return y


# ----------------------------------------------------------------------------- bins
def _bin_ids(scores, n_bins, strategy):
    """Bin of each score, as ``sklearn.calibration.calibration_curve`` assigns it."""
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.percentile(scores, np.linspace(0, 1, n_bins + 1) * 100)
    return np.searchsorted(edges[1:-1], scores)


def _bin_totals(bin_ids, n_bins, scores, outcomes):
    """Per bin: the number of rows n_b, the sum of the scores and the sum of the outcomes."""
    counts = np.bincount(bin_ids, minlength=n_bins)
    score_sums = np.bincount(bin_ids, weights=scores, minlength=n_bins)
    outcome_sums = np.bincount(bin_ids, weights=outcomes, minlength=n_bins)
    return counts, score_sums, outcome_sums


def _positive(y, proba, n_classes):
    """Scores p_i = P(y_i = 1) and outcomes [y_i = 1] (binary only)."""
    if n_classes != 2:
        raise ValueError(f"kind='positive' needs two classes (proba of shape (n,) or (n, 2)); "
                         f"got {n_classes} columns: use kind='top-label'")
    return (proba if proba.ndim == 1 else proba[:, 1]), y == 1


def _top_label(y, proba):
    """Confidences c_i = max_k proba_ik and outcomes [argmax_k proba_ik = y_i]."""
    if proba.ndim == 1:                    # argmax over [1 - p, p]: class 1 iff p > 1 - p
        return np.maximum(proba, 1 - proba), (proba > 0.5) == (y == 1)
    predicted = np.argmax(proba, axis=1)
    confidence = np.take_along_axis(proba, predicted[:, None], axis=1)[:, 0]
    return confidence, predicted == y


# ----------------------------------------------------------------------------- public
def reliability_curve(y_true, proba, *, n_bins=10, strategy="uniform", kind="positive"):
    """Reliability diagram: mean score against observed frequency, one row per non-empty bin.

    With B_b the rows in bin b (see the module docstring) and n_b = |B_b|:

    * ``mean_predicted`` = (1/n_b) sum_{i in B_b} s_i,
    * ``observed`` = (1/n_b) sum_{i in B_b} o_i,
    * ``count`` = n_b,

    where ``kind="positive"`` (binary: ``proba`` of shape (n,) = P(y = 1), or (n, 2) whose
    column 1 is used) takes s_i = P(y_i = 1) and o_i = [y_i = 1]: then ``mean_predicted`` and
    ``observed`` are exactly ``calibration_curve``'s ``prob_pred`` and ``prob_true``. With
    ``kind="top-label"`` (any K), s_i is the confidence max_k proba_ik and o_i whether its
    argmax is right. Rows come in bin order; empty bins are left out.

    Returns a DataFrame with columns ``mean_predicted``, ``observed``, ``count`` (int64).
    """
    _check_options(n_bins, strategy)
    if kind not in KINDS:
        raise ValueError(f"kind must be 'positive' or 'top-label'; got {kind!r}")
    proba, n_classes = _check_proba(proba)
    y = _check_labels(y_true, n_classes, proba.shape[0])
    if kind == "positive":
        scores, outcomes = _positive(y, proba, n_classes)
    else:
        scores, outcomes = _top_label(y, proba)
    counts, score_sums, outcome_sums = _bin_totals(
        _bin_ids(scores, n_bins, strategy), n_bins, scores, outcomes)
    nonempty = counts != 0
    return pd.DataFrame({
        "mean_predicted": score_sums[nonempty] / counts[nonempty],
        "observed": outcome_sums[nonempty] / counts[nonempty],
        "count": counts[nonempty].astype(np.int64),
    })


def expected_calibration_error(y_true, proba, *, n_bins=10, strategy="uniform"):
    """Top-label expected calibration error (Guo et al. 2017, "On Calibration of Modern
    Neural Networks")::

        ECE = sum_b (n_b / n) |acc_b - conf_b| = (1/n) sum_b |sum_{i in B_b} (o_i - c_i)|

    with c_i = max_k proba_ik the confidence, o_i = [argmax_k proba_ik = y_i], acc_b and
    conf_b the means of o and c over bin b (bins over the confidences, as in the module
    docstring). For an (n,) vector p = P(y = 1), the prediction is argmax over [1 - p, p]:
    class 1 iff p > 0.5 (p = 0.5 predicts class 0), with confidence max(p, 1 - p); this is
    exactly the ECE of the (n, 2) matrix [1 - p, p]. Returns a float in [0, 1].
    """
    _check_options(n_bins, strategy)
    proba, n_classes = _check_proba(proba)
    y = _check_labels(y_true, n_classes, proba.shape[0])
    confidence, correct = _top_label(y, proba)
    _, confidence_sums, correct_sums = _bin_totals(
        _bin_ids(confidence, n_bins, strategy), n_bins, confidence, correct)
    return float(np.abs(correct_sums - confidence_sums).sum() / y.shape[0])


def brier_decomposition(y_true, p, *, n_bins=10, strategy="uniform"):
    """Brier score of binary forecasts and its decomposition (Murphy 1973), exact.

    ``p`` is P(y = 1), of shape (n,) (or (n, 2): column 1 is used); o_i = [y_i = 1]. With
    the bins of the module docstring (n_b rows in bin b, pbar_b and obar_b the means of p
    and o there, obar the mean of o)::

        brier       = (1/n) sum_i (p_i - o_i)^2        (= sklearn.metrics.brier_score_loss)
        reliability = sum_b (n_b / n) (pbar_b - obar_b)^2
        resolution  = sum_b (n_b / n) (obar_b - obar)^2
        uncertainty = obar (1 - obar)
        within_bin_variance   = (1/n) sum_b sum_{i in B_b} (p_i - pbar_b)^2
        within_bin_covariance = (1/n) sum_b sum_{i in B_b} (p_i - pbar_b)(o_i - obar_b)

    and always (up to rounding)::

        brier = reliability - resolution + uncertainty
                + within_bin_variance - 2 within_bin_covariance

    (Stephenson, Coelho and Jolliffe 2008). The last two terms vanish when every bin holds
    a single forecast value, which makes Murphy's three-term form exact; otherwise they are
    the error of that form. Returns a dict of these six floats, computed in float64 whatever
    the dtype of ``p``.
    """
    _check_options(n_bins, strategy)
    proba, n_classes = _check_proba(p)
    y = _check_labels(y_true, n_classes, proba.shape[0])
    if n_classes != 2:
        raise ValueError(f"brier_decomposition is binary only: p must have shape (n,) or "
                         f"(n, 2); got {n_classes} columns")
    forecast, outcome = _positive(y, proba, n_classes)
    forecast = forecast.astype(np.float64)
    outcome = outcome.astype(np.float64)
    n = forecast.shape[0]
    bin_ids = _bin_ids(forecast, n_bins, strategy)
    counts, forecast_sums, outcome_sums = _bin_totals(bin_ids, n_bins, forecast, outcome)
    weights = counts / n
    rows = np.maximum(counts, 1)                  # empty bins: weight 0, mean 0
    forecast_means = forecast_sums / rows
    outcome_means = outcome_sums / rows
    base_rate = outcome_sums.sum() / n
    forecast_deviation = forecast - forecast_means[bin_ids]
    outcome_deviation = outcome - outcome_means[bin_ids]
    return {
        "brier": float(np.mean((forecast - outcome) ** 2)),
        "reliability": float(np.sum(weights * (forecast_means - outcome_means) ** 2)),
        "resolution": float(np.sum(weights * (outcome_means - base_rate) ** 2)),
        "uncertainty": float(base_rate * (1.0 - base_rate)),
        "within_bin_variance": float(np.sum(forecast_deviation ** 2) / n),
        "within_bin_covariance": float(np.sum(forecast_deviation * outcome_deviation) / n),
    }


def _binary_slope_curvature(z, y):
    """Derivatives in beta of f(beta) = mean_i [log(1 + exp(beta z_i)) - beta z_i y_i]."""
    def slope_curvature(beta):
        p = expit(beta * z)
        return float(np.mean(z * (p - y))), float(np.mean(z * z * (p * (1.0 - p))))
    return slope_curvature


def _softmax_slope_curvature(logits, y):
    """Derivatives in beta of f(beta) = mean_i [logsumexp(beta z_i) - beta z_{i, y_i}]:
    f' = mean_i (E_p[z_i] - z_{i, y_i}) and f'' = mean_i Var_p(z_i), p = softmax(beta z_i).

    Computed from the logits shifted by their row maximum, u_i = z_i - max_k z_ik <= 0
    (beta > 0, so exp(beta u_ik) <= 1 never overflows and the largest term is 1):
    E_p[z_i] - z_{i, y_i} = E_p[u_i] - u_{i, y_i}, Var_p(z_i) = E_p[u_i^2] - E_p[u_i]^2 (no
    cancellation worth the name: p puts at least 1/K on u = 0). Row sums are BLAS
    matrix-vector products over blocks of rows.
    """
    n, n_classes = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    mean_true = float(np.sum(np.take_along_axis(shifted, y[:, None], axis=1))) / n
    ones = np.ones(n_classes)

    def slope_curvature(beta):
        slope = curvature = 0.0
        for start in range(0, n, _BLOCK_ROWS):
            u = shifted[start:start + _BLOCK_ROWS]
            weights = np.exp(u * beta)                 # unnormalised softmax(beta z_i)
            total = weights @ ones
            weights *= u
            mean_u = (weights @ ones) / total          # E_p[u_i]
            weights *= u
            slope += float(np.sum(mean_u))
            curvature += float(np.sum((weights @ ones) / total - mean_u * mean_u))
        return slope / n - mean_true, curvature / n
    return slope_curvature, not np.any(shifted)


def fit_temperature(logits, y_true, *, bounds=TEMPERATURE_BOUNDS):
    """Temperature scaling (Guo et al. 2017): the T > 0 minimising the mean cross-entropy

        L(T) = (1/n) sum_i [logsumexp_k(z_ik / T) - z_{i, y_i} / T]

    of softmax(logits / T). ``logits`` is (n, K), or (n,) for two classes (z_i meaning the
    logits [0, z_i], so softmax is sigmoid). In beta = 1/T, L is convex with
    L'(beta) = mean_i (E_p[z_i] - z_{i, y_i}) and L''(beta) = mean_i Var_p(z_i) under
    p = softmax(beta z_i). A safeguarded Newton iteration solves L'(beta) = 0 (as rtsafe:
    bisection in log beta when a step leaves the bracket or stops shrinking), to 1e-12
    relative in T, in typically 5-10 passes over the data; the softmax is taken of the
    logits minus their row maximum (an (n, K) copy), so no exponential overflows.

    The search is over T in ``bounds`` (default [0.01, 100]). If the minimum lies beyond a
    bound, that bound is returned: T = bounds[0] when L still falls as T -> bounds[0]
    (L' < 0 at beta = 1/bounds[0]; the argmax separates the data, e.g. every prediction is
    right), T = bounds[1] when L still falls as T -> bounds[1] (e.g. every prediction is
    wrong: scaling the logits towards 0 always helps). If every row's logits are equal, L
    does not depend on T and 1.0 (clipped to the bounds) is returned. Returns a float.
    """
    logits, n_classes, smallest, largest = _check_scores(logits, "logits")
    if not (np.isfinite(smallest) and np.isfinite(largest)):
        raise ValueError("logits must be finite")
    logits = logits.astype(np.float64, copy=False)
    n = logits.shape[0]
    y = _check_labels(y_true, n_classes, n, other="logits")
    t_min, t_max = (float(b) for b in bounds)
    if not 0 < t_min < t_max < np.inf:
        raise ValueError(f"bounds must satisfy 0 < low < high < inf; got {bounds!r}")
    if logits.ndim == 1:
        constant = not np.any(logits)
        slope_curvature = _binary_slope_curvature(logits, y.astype(np.float64))
    else:
        slope_curvature, constant = _softmax_slope_curvature(logits, y)
    if constant:
        return min(max(1.0, t_min), t_max)
    beta_min, beta_max = 1.0 / t_max, 1.0 / t_min
    low, high = beta_min, beta_max          # the root of L'(beta) (increasing) lies in here
    low_seen = high_seen = False            # whether L' has been evaluated at the bounds
    beta = min(max(1.0, beta_min), beta_max)
    last_step = step_before = beta_max - beta_min
    for _ in range(_MAX_NEWTON_STEPS):
        slope, curvature = slope_curvature(beta)
        if slope == 0:
            break
        if slope > 0:                       # the minimiser lies below beta
            if beta == beta_min:
                return t_max
            high, high_seen = beta, high_seen or beta == beta_max
        else:
            if beta == beta_max:
                return t_min
            low, low_seen = beta, low_seen or beta == beta_min
        newton_step = slope / curvature if curvature > 0 else np.copysign(np.inf, slope)
        if abs(newton_step) <= _RELATIVE_TOLERANCE * beta:
            beta -= newton_step
            break
        new_beta = beta - newton_step
        # Safeguard (as rtsafe): when Newton leaves the bracket or does not halve the step
        # before last, go to an unseen bound (the minimiser may lie beyond it), or bisect.
        if not low < new_beta < high or abs(newton_step) > 0.5 * abs(step_before):
            if slope < 0 and high == beta_max and not high_seen:
                new_beta = beta_max
            elif slope > 0 and low == beta_min and not low_seen:
                new_beta = beta_min
            else:
                new_beta = np.sqrt(low * high)
        step_before, last_step = last_step, new_beta - beta
        beta = new_beta
        if high - low <= _RELATIVE_TOLERANCE * beta:
            break
    return float(min(max(1.0 / beta, t_min), t_max))
