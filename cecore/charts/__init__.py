"""Pure functions that return Plotly figures; no Streamlit here, every chart is testable.

One module per page family: :mod:`~cecore.charts.binary`, :mod:`~cecore.charts.softmax`,
:mod:`~cecore.charts.scoring` (scoring rules, focal loss), :mod:`~cecore.charts.training`,
:mod:`~cecore.charts.probabilities`, :mod:`~cecore.charts.optimizer` (surface, race),
:mod:`~cecore.charts.regularization` (the regularisation path),
over the shared :mod:`~cecore.charts.style`.
"""

from cecore.charts.binary import (
    binary_loss_curves,
    ce_vs_mse_gradient,
    ce_vs_mse_loss,
    home_loss_chart,
)
from cecore.charts.optimizer import loss_surface, race_gap
from cecore.charts.probabilities import (
    precision_recall_chart,
    reliability_diagram,
    roc_chart,
    threshold_confusion,
)
from cecore.charts.regularization import regularization_losses, regularization_weights
from cecore.charts.scoring import (
    focal_loss_curves,
    focal_loss_gradients,
    scoring_rules_chart,
)
from cecore.charts.softmax import (
    distribution_bars,
    simplex_loss,
    softmax_gradient,
    softmax_logit_sweep,
    softmax_probabilities,
)
from cecore.charts.style import COLOR_Y0, COLOR_Y1, OKABE_ITO, base_layout, plotly_text
from cecore.charts.training import (
    coefficient_bars,
    confusion_heatmap,
    decision_map,
    loss_axis_range,
    sample_loss_histogram,
    training_loss,
)

__all__ = [
    "COLOR_Y0", "COLOR_Y1", "OKABE_ITO", "base_layout", "binary_loss_curves",
    "ce_vs_mse_gradient", "ce_vs_mse_loss", "coefficient_bars", "confusion_heatmap",
    "decision_map", "distribution_bars", "loss_surface", "race_gap", "precision_recall_chart", "reliability_diagram",
    "roc_chart", "threshold_confusion", "home_loss_chart", "loss_axis_range", "plotly_text",
    "sample_loss_histogram", "simplex_loss", "softmax_gradient", "softmax_logit_sweep",
    "softmax_probabilities", "training_loss",
    "focal_loss_curves", "focal_loss_gradients", "scoring_rules_chart",
    "regularization_losses", "regularization_weights",
]
