"""cecore: numerically stable cross-entropy losses and gradient-descent classifiers.

The numerical core of Cross-Entropy Lab; it never imports streamlit. The losses are numpy
only; the estimators (which need scikit-learn) are imported when first used, so the explorer
pages start without loading scikit-learn.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cecore")
except PackageNotFoundError:  # run from a checkout, not installed
    __version__ = "0.2.0"

from cecore.lazy_import import lazy_attributes
from cecore.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_with_logits,
    log_softmax,
    sigmoid,
    softmax,
)

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
    "load_model",
]

# public names imported on first use: name -> module
__getattr__, __dir__ = lazy_attributes(globals(), {
    "LogisticRegressionGD": "cecore.models", "SoftmaxRegressionGD": "cecore.models",
    "load_model": "cecore.model_file"})
