"""cecore: numerically stable cross-entropy losses and gradient-descent classifiers.

The numerical core of Cross-Entropy Lab. It never imports streamlit.
"""

from cecore.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_with_logits,
    log_softmax,
    sigmoid,
    softmax,
)
from cecore.models import LogisticRegressionGD, SoftmaxRegressionGD

__all__ = [
    "sigmoid",
    "softmax",
    "log_softmax",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_with_logits",
    "LogisticRegressionGD",
    "SoftmaxRegressionGD",
]
