"""What a fitted linear classifier outputs: logits, probabilities, log-probabilities, labels.

With ``coef_`` (1, d) and ``intercept_`` (1,) (sigmoid: ``z = X coef_^T + b`` is the log-odds
of ``classes_[1]``) or (K, d) and (K,) (softmax), :class:`LinearClassifierOutputs` gives
``decision_function``, ``predict_proba`` (``[sigmoid(-z), sigmoid(z)]`` or ``softmax(Z)``),
``predict_log_proba`` (log-softmax of the logits, stable) and ``predict``.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from cecore.losses import log_softmax, sigmoid, softmax

__all__ = ["LinearClassifierOutputs", "class_index"]


def class_index(scores):
    """Each row's class index from its logits (n, 1) or (n, K); ties go to the first."""
    if scores.shape[1] == 1:
        return (scores[:, 0] > 0).astype(np.intp)
    return scores.argmax(axis=1)


class LinearClassifierOutputs:
    """The prediction methods of a fitted estimator with ``coef_``, ``intercept_``,
    ``classes_`` and the validation state of ``sklearn.utils.validation.validate_data``."""

    def _logits(self, X):
        """Raw scores ``X coef_^T + intercept_``, shape (n, 1) for sigmoid, (n, K) for softmax."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X):
        """Logits. Two classes: the log-odds of ``classes_[1]``, shape (n,); else (n, K).

        For softmax with two classes the log-odds is ``z_1 - z_0``, as sklearn expects.
        """
        scores = self._logits(X)
        if scores.shape[1] == 1:
            return scores[:, 0]
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        scores = self._logits(X)
        if scores.shape[1] == 1:
            # 1 - sigmoid(z) would lose digits when sigmoid(z) is near 1; sigmoid(-z) does not.
            return np.column_stack([sigmoid(-scores[:, 0]), sigmoid(scores[:, 0])])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """``log predict_proba(X)``, computed stably from the logits."""
        scores = self._logits(X)
        if scores.shape[1] == 1:
            scores = np.column_stack([np.zeros(len(scores)), scores[:, 0]])
        return log_softmax(scores, axis=1)

    def predict(self, X):
        """The class with the highest probability (ties go to the first class)."""
        index = class_index(self._logits(X))      # checks that we are fitted first
        return self.classes_[index]
