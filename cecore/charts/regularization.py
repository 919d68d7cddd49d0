"""Charts of the regularisation path (:class:`cecore.regularization_path.RegularizationPath`):
the log loss against alpha with the best alpha marked, and the weights against alpha.

Both put alpha on a log axis that runs from the strongest penalty on the left to the
weakest on the right, so the model grows more flexible from left to right: the training
loss falls all the way, the validation and test losses fall, then climb once it overfits.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cecore.charts.style import (
    CHART_HEIGHT,
    COLOR_ACCENT,
    COLOR_ALT,
    COLOR_Y0,
    COLOR_Y1,
    base_layout,
    class_color,
    plotly_text,
    rounded,
)

__all__ = ["PATH_WEIGHTS_SHOWN", "largest_weights", "regularization_losses",
           "regularization_weights"]

#: The weights chart draws at most this many features' lines.
PATH_WEIGHTS_SHOWN = 30
ALPHA_TITLE = "alpha (L2 penalty, log scale; weaker to the right)"
HOVER = "alpha %{x:.3g} (C %{customdata:.3g})<br>%{fullData.name} %{y:.5g}<extra></extra>"


def best_label(path):
    return f"best alpha {path.best_alpha:.3g}"


def vertical(x, low, high, *, name, color, dash, showlegend=True):
    """A vertical line at ``x`` from ``low`` to ``high``, as a trace (a shape's x on a log
    axis would need its own units; a trace is in the data's, and has a legend entry)."""
    return go.Scatter(x=[x, x], y=[low, high], mode="lines", name=name,
                      line={"color": color, "width": 1.5, "dash": dash},
                      hoverinfo="skip", showlegend=showlegend)


def alpha_axis(fig):
    fig.update_xaxes(type="log", autorange="reversed", exponentformat="power")


def regularization_losses(path, *, run_alpha=None):
    """Log loss on the fitted, validation and test rows against alpha; the best alpha (the
    lowest validation loss) marked with a star and a dashed line, ``run_alpha`` (the
    run's own, when on the grid's range) with a dotted one. Hover shows each alpha's C."""
    alphas, C = rounded(path.alphas), rounded(path.C)
    curves = [("train loss (fitted rows)", path.train_loss, COLOR_Y1, "solid"),
              ("validation loss", path.validation_loss, COLOR_ACCENT, "solid")]
    if path.test_loss is not None:
        curves.append(("test loss", path.test_loss, COLOR_Y0, "dash"))
    traces = [go.Scatter(x=alphas, y=rounded(values), customdata=C, name=name,
                         mode="lines+markers", line={"color": color, "width": 2.5,
                                                     "dash": dash},
                         marker={"size": 5}, hovertemplate=HOVER)
              for name, values, color, dash in curves]
    everything = np.concatenate([values for _, values, _, _ in curves])
    low, high = 0.0, float(np.nanmax(everything)) * 1.05
    best = path.best_index
    traces.append(vertical(path.best_alpha, low, high, name=best_label(path),
                           color=COLOR_ACCENT, dash="dash"))
    traces.append(go.Scatter(
        x=[alphas[best]], y=[rounded(path.validation_loss[best])], customdata=[C[best]],
        mode="markers", marker={"symbol": "star", "size": 15, "color": COLOR_ACCENT,
                                "line": {"color": "white", "width": 1}},
        name="lowest validation loss", showlegend=False, hovertemplate=HOVER))
    if run_alpha is not None and path.alphas[-1] <= run_alpha <= path.alphas[0]:
        traces.append(vertical(run_alpha, low, high, name=f"this run's alpha {run_alpha:.3g}",
                               color=COLOR_ALT, dash="dot"))
    fig = go.Figure(traces)
    fig.update_layout(**base_layout(x_title=ALPHA_TITLE, y_title="log loss (nats)",
                                    height=CHART_HEIGHT + 20))
    alpha_axis(fig)
    fig.update_yaxes(range=[low, high])
    return fig


def largest_weights(path, class_index=0, top=PATH_WEIGHTS_SHOWN):
    """The indices of the ``top`` features whose weight (for ``class_index``) is largest in
    size at the smallest alpha, where the weights are largest; ties in column order."""
    size = np.abs(path.coef[-1, class_index])
    order = np.lexsort((np.arange(size.size), -size))
    return np.sort(order[:top])


def regularization_weights(path, feature_names, *, class_index=0, class_name=None,
                           top=PATH_WEIGHTS_SHOWN):
    """One line per feature: its weight (for ``class_index``: the only row of a logistic
    model, or one softmax class, ``class_name``) against alpha; the best alpha marked. With
    more than ``top`` features, those of largest |w| at the smallest alpha, said in the
    title."""
    shown = largest_weights(path, class_index, top)
    total = path.coef.shape[2]
    weights = path.coef[:, class_index, :]
    alphas, C = rounded(path.alphas), rounded(path.C)
    traces = [go.Scatter(x=alphas, y=rounded(weights[:, j]), customdata=C,
                         name=plotly_text(feature_names[j]), mode="lines",
                         line={"color": class_color(k), "width": 1.5},
                         hovertemplate=HOVER)
              for k, j in enumerate(shown)]
    values = weights[:, shown]
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    pad = 0.05 * (high - low or 1.0)
    traces.append(vertical(path.best_alpha, low - pad, high + pad, name=best_label(path),
                           color=COLOR_ACCENT, dash="dash"))
    title = (f"{len(shown)} of {total:,} weights, the largest by |w| at the smallest alpha"
             if len(shown) < total else None)
    y_title = "weight" if class_name is None else f"weight for {plotly_text(class_name)}"
    fig = go.Figure(traces)
    fig.update_layout(**base_layout(title=title, x_title=ALPHA_TITLE, y_title=y_title,
                                    height=CHART_HEIGHT + 60, showlegend=len(shown) <= 12))
    alpha_axis(fig)
    fig.update_yaxes(range=[low - pad, high + pad], zeroline=True)
    return fig
