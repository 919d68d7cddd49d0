"""The weight of each training row: its sample weight times its class's weight.

    w_i = s_i * c[y_i]

with ``s`` the sample weights (:func:`cecore.losses.check_sample_weight`: ones by default) and
``c`` the class weights of ``class_weight``, computed by scikit-learn's public
:func:`sklearn.utils.class_weight.compute_class_weight` exactly as ``LogisticRegression``
computes them:

* ``None``: ``c_k = 1``;
* ``"balanced"``: ``c_k = sum(s) / (K * sum_{i: y_i = k} s_i)``, i.e. ``n / (K * bincount(y))``
  without sample weights: every class then carries the same total weight ``sum(s) / K``;
* a dict ``{label: weight}``: those weights, 1 for the labels it leaves out (a key that is
  not a class raises ValueError).

The estimators minimise ``sum_i w_i CE_i / sum_i w_i + alpha/2 ||W||^2``, which is
``LogisticRegression(class_weight=..., C=1 / (alpha * sum_i w_i))`` on the same sample weights.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from cecore.losses import check_sample_weight

__all__ = ["class_weights", "training_weights"]


def class_weights(class_weight, classes, y_index, sample_weight=None):
    """``c``, shape (K,): the weight of each class of ``classes`` (sorted, as ``classes_``)
    for the rows of class indices ``y_index`` and sample weights ``sample_weight``.

    "balanced" needs every class in the rows; a class whose rows all have weight 0 gets an
    infinite weight that no row uses (:func:`training_weights` gives those rows 0).
    """
    classes = np.asarray(classes)
    if class_weight is None:
        return np.ones(len(classes))
    y = classes[np.asarray(y_index, dtype=np.intp)]
    with np.errstate(divide="ignore", invalid="ignore"):
        c = compute_class_weight(class_weight, classes=classes, y=y,
                                 sample_weight=sample_weight)
    return np.asarray(c, dtype=np.float64)


def training_weights(sample_weight, class_weight, classes, y_index):
    """``(w, c)``: each row's weight ``w_i = s_i * c[y_i]`` (shape (n,); 0 where ``s_i = 0``)
    and the class weights ``c`` (shape (K,)). ``sample_weight`` is checked by
    :func:`~cecore.losses.check_sample_weight`."""
    y_index = np.asarray(y_index, dtype=np.intp)
    s = check_sample_weight(sample_weight, len(y_index))
    c = class_weights(class_weight, classes, y_index, s)
    if class_weight is None:
        return s, c
    with np.errstate(invalid="ignore"):
        w = np.where(s > 0, s * c[y_index], 0.0)
    return w, c
