"""Charts of what the probabilities are worth: the reliability diagram with the histogram of
the predictions under it, and the ROC and precision-recall curves with thresholds marked.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cecore.charts.style import (
    CHART_HEIGHT,
    COLOR_ACCENT,
    COLOR_ALT,
    COLOR_Y0,
    COLOR_Y1,
    base_layout,
    class_color,
    plotly_text,
)

CURVE_MAX_POINTS = 2000  # points drawn of a ROC or precision-recall curve
HISTOGRAM_BINS = 50
COLOR_MODEL = COLOR_Y1
COLOR_OTHER = COLOR_Y0


def thinned_curve(x, y, max_points=CURVE_MAX_POINTS):
    """At most about ``max_points`` of a curve's points, evenly spaced along its index, the
    first and the last always kept (1,000,000 test rows give as many thresholds)."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) <= max_points:
        return x, y
    keep = np.unique(np.r_[np.linspace(0, len(x) - 1, max_points).astype(np.intp), len(x) - 1])
    return x[keep], y[keep]


def reliability_diagram(curves, scores, *, x_title="predicted probability",
                        y_title="observed frequency", n_bins=HISTOGRAM_BINS):
    """Observed frequency against mean predicted probability per bin (points sized by the
    bin's rows), the diagonal of perfect calibration, and under it the histogram of the
    predicted probabilities.

    ``curves`` maps a name to a :func:`cecore.calibration.reliability_curve` frame (one
    line each: a model before and after temperature scaling, or one per class);
    ``scores`` maps the same names to the predicted probabilities binned in the histogram.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25],
                        vertical_spacing=0.04)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line={"color": "gray", "dash": "dot", "width": 1},
                             hoverinfo="skip"), row=1, col=1)
    total = max(1, max((int(c["count"].sum()) for c in curves.values()), default=1))
    edges = np.linspace(0, 1, n_bins + 1)
    for k, (name, curve) in enumerate(curves.items()):
        color = class_color(k)
        size = 6 + 24 * np.sqrt(curve["count"].to_numpy() / total)
        fig.add_trace(go.Scatter(
            x=curve["mean_predicted"], y=curve["observed"], name=plotly_text(name),
            mode="lines+markers", legendgroup=str(k), line={"color": color, "width": 2},
            marker={"size": size, "color": color, "line": {"width": 1, "color": "white"}},
            customdata=curve["count"],
            hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{customdata:,} rows"
                          "<extra></extra>"), row=1, col=1)
        counts, _ = np.histogram(np.asarray(scores[name], dtype=np.float64), bins=edges)
        fig.add_trace(go.Bar(
            x=(edges[:-1] + edges[1:]) / 2, y=counts, width=1 / n_bins, name=plotly_text(name),
            legendgroup=str(k), showlegend=False, marker={"color": color}, opacity=0.6,
            hovertemplate="%{x:.2f}: %{y:,} rows<extra></extra>"), row=2, col=1)
    fig.update_layout(**base_layout(height=CHART_HEIGHT + 80), barmode="overlay", bargap=0)
    fig.update_xaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(range=[0, 1], title={"text": x_title}, row=2, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], title={"text": y_title}, row=1, col=1)
    fig.update_yaxes(title={"text": "rows"}, row=2, col=1)
    return fig


def _marker(x, y, name, color, symbol, text):
    return go.Scatter(x=[x], y=[y], mode="markers", name=name,
                      marker={"size": 13, "color": color, "symbol": symbol,
                              "line": {"width": 1.5, "color": "white"}},
                      hovertemplate=f"{text}<extra></extra>")


def roc_chart(curves, counts, *, optimal=None, label="model"):
    """The ROC curve of :class:`cecore.thresholds.BinaryCurves` with the chance diagonal,
    the current threshold's point (``counts``, a ThresholdCounts) and, when given, the point
    of the cost-optimal threshold (``optimal``)."""
    fpr, tpr, _ = curves.roc()
    x, y = thinned_curve(fpr, tpr)
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                   line={"color": "gray", "dash": "dot", "width": 1}, hoverinfo="skip"),
        go.Scatter(x=x, y=y, mode="lines", name=f"{plotly_text(label)} (AUC "
                   f"{curves.roc_auc():.3f})", line={"color": COLOR_MODEL, "width": 2.5},
                   hovertemplate="FPR %{x:.3f}<br>TPR %{y:.3f}<extra></extra>"),
        _marker(counts.false_positive_rate, counts.recall,
                f"threshold {counts.threshold:.3g}", COLOR_ACCENT, "circle",
                f"threshold {counts.threshold:.3g}"),
    ])
    if optimal is not None:
        fig.add_trace(_marker(optimal.false_positive_rate, optimal.recall,
                              f"cost-optimal {optimal.threshold:.3g}", COLOR_ALT, "diamond",
                              f"cost-optimal threshold {optimal.threshold:.3g}"))
    fig.update_layout(**base_layout(x_title="false-positive rate",
                                    y_title="true-positive rate (recall)"))
    fig.update_xaxes(range=[-0.01, 1.01])
    fig.update_yaxes(range=[-0.01, 1.01])
    return fig


def precision_recall_chart(curves, counts, *, optimal=None, label="model"):
    """The precision-recall curve with the positive rate as the no-skill line, the current
    threshold's point and, when given, the cost-optimal threshold's."""
    precision, recall, _ = curves.precision_recall()
    x, y = thinned_curve(recall, precision)
    base_rate = curves.n_positive / (curves.n_positive + curves.n_negative)
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[base_rate, base_rate], mode="lines",
                   name=f"no skill ({base_rate:.1%} positive)",
                   line={"color": "gray", "dash": "dot", "width": 1}, hoverinfo="skip"),
        go.Scatter(x=x, y=y, mode="lines", name=f"{plotly_text(label)} (AP "
                   f"{curves.average_precision():.3f})", line={"color": COLOR_MODEL,
                                                              "width": 2.5},
                   hovertemplate="recall %{x:.3f}<br>precision %{y:.3f}<extra></extra>"),
        _marker(counts.recall, counts.precision, f"threshold {counts.threshold:.3g}",
                COLOR_ACCENT, "circle", f"threshold {counts.threshold:.3g}"),
    ])
    if optimal is not None:
        fig.add_trace(_marker(optimal.recall, optimal.precision,
                              f"cost-optimal {optimal.threshold:.3g}", COLOR_ALT, "diamond",
                              f"cost-optimal threshold {optimal.threshold:.3g}"))
    fig.update_layout(**base_layout(x_title="recall", y_title="precision"))
    fig.update_xaxes(range=[-0.01, 1.01])
    fig.update_yaxes(range=[-0.01, 1.01])
    return fig


def threshold_confusion(counts, class_names):
    """The 2 x 2 confusion matrix at a threshold, counts written in the cells."""
    negative, positive = (plotly_text(name) for name in class_names)
    z = [[counts.true_negatives, counts.false_positives],
         [counts.false_negatives, counts.true_positives]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[negative, positive], y=[negative, positive], text=z, texttemplate="%{text:,}",
        colorscale="Cividis", showscale=False,
        hovertemplate="true %{y}<br>called %{x}<br>%{z:,} rows<extra></extra>"))
    fig.update_layout(**base_layout(x_title="called (p ≥ threshold)", y_title="true class",
                                    height=300))
    fig.update_yaxes(autorange="reversed")
    return fig
