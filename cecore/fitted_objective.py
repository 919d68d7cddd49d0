"""The objective a cecore estimator minimises, on given rows, as an object to evaluate anywhere.

    J(theta) = sum_i w_i CE_i(theta) / sum_i w_i + alpha / 2 ||W||^2,    w_i = s_i c[y_i]

with the estimator's ``alpha``, ``class_weight`` (``c``, :mod:`cecore.weights`) and model
(sigmoid for :class:`~cecore.LogisticRegressionGD`, softmax for
:class:`~cecore.SoftmaxRegressionGD`): the very :mod:`cecore.objective` object its ``fit``
builds, so values and gradients equal the records' ``objective`` (tested).
"""

from __future__ import annotations

import numpy as np

from cecore.models import SoftmaxRegressionGD
from cecore.objective import BinaryObjective, MultinomialObjective
from cecore.weights import training_weights

__all__ = ["fitted_objective", "is_multinomial"]


def is_multinomial(estimator):
    """Whether ``estimator`` packs its parameters as a (d + 1, K) softmax matrix."""
    return isinstance(estimator, SoftmaxRegressionGD)


def fitted_objective(estimator, X, y, sample_weight=None, classes=None, alpha=None):
    """The training objective of ``estimator``'s settings on ``(X, y)``.

    ``classes`` (default: the fitted ``classes_``) give the class order of the parameters;
    ``alpha`` overrides the estimator's penalty (a regularisation path, a race at another
    alpha). Labels outside ``classes`` raise ValueError.
    """
    classes = np.asarray(estimator.classes_ if classes is None else classes)
    y = np.asarray(y)
    y_index = np.searchsorted(classes, y)
    if len(y) and (y_index.max() >= len(classes)
                   or not np.array_equal(classes[y_index], y)):
        raise ValueError("y holds labels that are not among the classes.")
    weights, _ = training_weights(sample_weight, estimator.class_weight, classes, y_index)
    cls = MultinomialObjective if is_multinomial(estimator) else BinaryObjective
    return cls(np.asarray(X), y_index, weights, n_classes=len(classes),
               alpha=estimator.alpha if alpha is None else alpha)
