"""Pure functions that return Plotly figures; no Streamlit here, every chart is testable.

One module per page family: :mod:`~cecore.charts.binary`, :mod:`~cecore.charts.softmax`,
:mod:`~cecore.charts.scoring` (scoring rules, focal loss), :mod:`~cecore.charts.training`,
:mod:`~cecore.charts.probabilities`, :mod:`~cecore.charts.optimizer` (surface, race),
:mod:`~cecore.charts.regularization` (the regularisation path), over the shared
:mod:`~cecore.charts.style`.

The names below are imported from their module when first used (``charts.name`` or
``from cecore.charts import name``): a page loads the modules of the charts it draws only
(the home page: binary and style, not scipy through scoring, nor plotly's subplots).
"""

from cecore.lazy_import import lazy_attributes

MODULES = {
    "binary": ("binary_loss_curves", "ce_vs_mse_gradient", "ce_vs_mse_loss",
               "home_loss_chart"),
    "optimizer": ("loss_surface", "race_gap"),
    "probabilities": ("precision_recall_chart", "reliability_diagram", "roc_chart",
                      "threshold_confusion"),
    "regularization": ("regularization_losses", "regularization_weights"),
    "scoring": ("focal_loss_curves", "focal_loss_gradients", "scoring_rules_chart"),
    "softmax": ("distribution_bars", "simplex_loss", "softmax_gradient",
                "softmax_logit_sweep", "softmax_probabilities"),
    "style": ("COLOR_Y0", "COLOR_Y1", "OKABE_ITO", "base_layout", "plotly_text"),
    "training": ("coefficient_bars", "confusion_heatmap", "decision_map", "loss_axis_range",
                 "sample_loss_histogram", "training_loss"),
}
"""Module (in this package) -> the public names it gives the package."""

__all__ = sorted(name for names in MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(globals(), {
    name: f"cecore.charts.{module}" for module, names in MODULES.items() for name in names})
