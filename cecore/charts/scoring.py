"""Charts of proper scoring rules and of focal loss.

:func:`scoring_rules_chart` draws the expected log loss, Brier score and 0/1 loss of a
report q for a true frequency p (one panel each, on its own y-axis), with frames and a Plotly
slider so that dragging p in the browser redraws the curves without a Streamlit rerun.
:func:`focal_loss_curves` and :func:`focal_loss_gradients` put focal loss next to
cross-entropy for label y = 1.
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
    OKABE_ITO,
    base_layout,
)
from cecore.explorer import logit_grid
from cecore.focal import (
    focal_loss_gradient,
    focal_loss_with_logits,
    focal_loss_with_logits_gradient,
)
from cecore.losses import sigmoid
from cecore.scoring_rules import (
    DECISION_THRESHOLD,
    FREQUENCY_GRID,
    SCORING_RULES,
    binary_entropy,
    nearest_frequency_index,
    report_grid,
)

RULE_COLORS = {"log": COLOR_Y1, "brier": COLOR_ALT, "zero_one": COLOR_Y0}
RULE_AXIS_TITLES = {"log": "E[log loss] (nats)", "brier": "E[Brier score]",
                    "zero_one": "E[0/1 loss]"}
RULE_Y_RANGES = {"log": (0.0, 3.0), "brier": (0.0, 1.0), "zero_one": (0.0, 1.0)}
"""Fixed y-ranges: frames move the curves without redrawing the axes, so they must fit every p."""
TRUE_P_NAME = "true frequency p"
BEST_NAME = "lowest expected score"
ENTROPY_NAME = "entropy H(p)"
SCORING_CHART_HEIGHT = CHART_HEIGHT + 200
ANIMATE_OPTIONS = {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                   "transition": {"duration": 0}}
"""How a slider step plays its frame: at once, without a full redraw (cheap while dragging)."""
P_LINE_COLOR = OKABE_ITO["grey"]


def true_p_name(rule):
    """Name of the vertical line at p in ``rule``'s panel (the first one is in the legend)."""
    return TRUE_P_NAME if rule.key == "log" else f"{TRUE_P_NAME}, {rule.name}"


def best_name(rule):
    """Name of the marker (a segment for the 0/1 loss) at ``rule``'s lowest expected score."""
    return BEST_NAME if rule.key == "log" else f"lowest expected {rule.name}"


def best_report_xy(rule, p):
    """Where ``rule``'s minimum is drawn: ``([p], [value])`` for a strictly proper rule, the
    two ends of the flat optimal side at height ``min(p, 1 - p)`` for the 0/1 loss."""
    best = rule.best(p)
    if best.unique:
        return [best.low], [best.value]
    return [best.low, best.high], [best.value, best.value]


def report_grids(n=101, n_brier=41):
    """The reports q of each curve: ``n`` on [0.005, 0.995] for the log loss (infinite at 0
    and 1), ``n_brier`` evenly on [0, 1] for the Brier parabola; the 0/1 step needs 5 points.

    The log-loss reports are ``0.5 - 0.495 cos(pi k / (n - 1))``: close together at the ends,
    where the curve bends sharply. Kept few because every frame carries the curves again."""
    log_q = 0.5 - 0.495 * np.cos(np.pi * np.arange(n) / (n - 1))
    return {"log": log_q, "brier": report_grid(n_brier, margin=0.0)}


def _curve_y(rule, p, q):
    """The y-values of ``rule``'s curve over the reports ``q``."""
    return _zero_one_curve(p)[1] if rule.key == "zero_one" else rule.expected(p, q)


def _panel_data(p, grids):
    """Per trace, in the chart's order, the data that change with p (see :func:`_panel_traces`)."""
    data = []
    for rule in SCORING_RULES:
        data.append({"y": _curve_y(rule, p, grids.get(rule.key))})
        if rule.key == "log":
            data.append({"y": [binary_entropy(p)] * 2})
        data.append({"x": [p, p]})
        x, y = best_report_xy(rule, p)
        data.append({"x": x, "y": y})
    return data


def _zero_one_curve(p):
    """``(x, y)`` of the expected 0/1 loss over q in [0, 1]: p up to 1/2, 1 - p after it
    (``None`` leaves a gap at the jump)."""
    t = DECISION_THRESHOLD
    return [0.0, t, None, t, 1.0], [p, p, None, 1.0 - p, 1.0 - p]


def _panel_traces(p, grids):
    """The chart's traces for frequency p: per panel the curve, (log loss: the entropy floor,)
    the line at p and the minimum."""
    traces, data = [], iter(_panel_data(p, grids))
    for row, rule in enumerate(SCORING_RULES, start=1):
        color, axis = RULE_COLORS[rule.key], RULE_AXIS_TITLES[rule.key]
        traces.append((row, go.Scatter(
            x=grids.get(rule.key, _zero_one_curve(p)[0]), **next(data), name=rule.name,
            mode="lines", showlegend=False,
            line={"color": color, "width": 2.5},
            hovertemplate="q = %{x:.3f}<br>" + axis + " = %{y:.4f}<extra>" + rule.name
                          + "</extra>",
        )))
        if rule.key == "log":
            traces.append((row, go.Scatter(
                x=[0.0, 1.0], **next(data), name=ENTROPY_NAME, mode="lines",
                line={"color": COLOR_ACCENT, "width": 1.5, "dash": "dot"},
                hovertemplate="H(p) = %{y:.4f}<extra></extra>",
            )))
        top = RULE_Y_RANGES[rule.key][1]
        traces.append((row, go.Scatter(
            **next(data), y=[0.0, top], name=true_p_name(rule), mode="lines",
            legendgroup="p", showlegend=rule.key == "log",
            line={"color": P_LINE_COLOR, "width": 1.5, "dash": "dash"},
            hovertemplate="p = %{x:.2f}<extra></extra>",
        )))
        unique = rule.best(p).unique
        traces.append((row, go.Scatter(
            **next(data), name=best_name(rule), mode="markers" if unique else "lines",
            legendgroup="best", showlegend=rule.key == "log", cliponaxis=False,
            marker={"color": COLOR_ACCENT, "size": 12, "symbol": "diamond",
                    "line": {"color": "white", "width": 1.5}},
            line={"color": COLOR_ACCENT, "width": 7},
            opacity=1.0 if unique else 0.6,
            hovertemplate=("best report q = p = %{x:.2f}" if unique
                           else "any q on this side is best") + "<br>"
                          + axis + " = %{y:.4f}<extra></extra>",
        )))
    return traces


def _frame(p, grids):
    """One animation frame: only the data that move with p, for every trace."""
    data = [go.Scatter(**d) for d in _panel_data(p, grids)]
    return go.Frame(name=f"{p:.2f}", data=data, traces=list(range(len(data))))


def _frequency_slider(grid, active):
    """A Plotly slider over the frequencies of ``grid``, each step playing its frame."""
    return {
        "active": active, "x": 0, "len": 1, "pad": {"t": 50, "b": 0},
        "currentvalue": {"prefix": "drag: true frequency p = ", "xanchor": "left",
                         "font": {"color": P_LINE_COLOR, "size": 14}},
        "font": {"color": "rgba(0, 0, 0, 0)"},  # 99 step labels would overlap: only the value
        "transition": {"duration": 0},
        "steps": [{"label": f"{p:.2f}", "method": "animate",
                   "args": [[f"{p:.2f}"], ANIMATE_OPTIONS]} for p in grid],
    }


def scoring_rules_chart(p, *, animate=True, grid=FREQUENCY_GRID, n=101):
    """Expected log loss, Brier score and 0/1 loss of a report q in (0, 1), true frequency p.

    Three panels sharing the q axis, each on its own y-axis (nats, squared error, error
    rate): the shapes compare, not the heights. In each, a dashed line at q = p and the
    minimum: a marker at q = p for the log loss (at H(p), a floor drawn dotted: the gap
    above it is KL(p || q)) and the Brier score (at p (1 - p)), and for the 0/1 loss a band
    over every q on the right side of 1/2 (at min(p, 1 - p)).

    With ``animate``, one frame per frequency of ``grid`` and a slider under the chart that
    plays them (``redraw`` off): dragging it moves every curve in the browser, no rerun.
    The slider starts at the grid frequency nearest to ``p``; ``n`` reports draw the log
    loss (see :func:`report_grids`).
    """
    grids = report_grids(n)
    fig = make_subplots(rows=len(SCORING_RULES), cols=1, shared_xaxes=True,
                        vertical_spacing=0.05)
    for row, trace in _panel_traces(float(p), grids):
        fig.add_trace(trace, row=row, col=1)
    fig.update_layout(**base_layout(height=SCORING_CHART_HEIGHT))
    for row, rule in enumerate(SCORING_RULES, start=1):
        fig.update_yaxes(title_text=RULE_AXIS_TITLES[rule.key], range=RULE_Y_RANGES[rule.key],
                         automargin=True, row=row, col=1)
    fig.update_xaxes(range=[0, 1], automargin=True)
    fig.update_xaxes(title_text="reported probability q", row=len(SCORING_RULES), col=1)
    fig.add_vline(x=DECISION_THRESHOLD, line={"color": P_LINE_COLOR, "width": 1, "dash": "dot"},
                  row=len(SCORING_RULES), col=1)
    if animate:
        fig.frames = [_frame(float(f), grids) for f in grid]
        fig.update_layout(sliders=[_frequency_slider(grid, nearest_frequency_index(p, grid))])
    return fig


# --------------------------------------------------------------------------- focal loss
AXIS_P = "predicted probability p = σ(z)"
AXIS_Z = "logit z"
HOVER_PZ = "p = %{customdata[0]:.4g}<br>z = %{customdata[1]:.3f}<br>"


def _focal_trace(z, values, *, name, color, logit_axis, value_label, dash=None):
    """A curve over logits ``z``, drawn against z or p = sigmoid(z), hover showing both."""
    return go.Scatter(
        x=z if logit_axis else sigmoid(z), y=values, name=name, mode="lines",
        line={"color": color, "width": 2.5, "dash": dash},
        customdata=np.column_stack([sigmoid(z), z]),
        hovertemplate=HOVER_PZ + value_label + " = %{y:.4g}<extra>%{fullData.name}</extra>",
    )


def _focal_names(gamma):
    return "cross-entropy (γ = 0)", f"focal loss (γ = {gamma:g})"


def focal_loss_curves(gamma, *, logit_axis=False, log_y=False, n=801):
    """Cross-entropy ``-log p`` and focal loss ``-(1 - p)^gamma log p`` for y = 1.

    Over logits z in [-10, 10], computed in logit form (``sigmoid(-z)^gamma softplus(-z)``),
    drawn against p or (``logit_axis``) z; ``log_y`` shows the factor ``(1 - p)^gamma`` by
    which focal loss shrinks the well-classified examples.
    """
    z = logit_grid(n)
    ce_name, fl_name = _focal_names(gamma)
    fig = go.Figure([
        _focal_trace(z, focal_loss_with_logits(1, z, 0.0), name=ce_name, color=COLOR_Y1,
                     logit_axis=logit_axis, value_label="J"),
        _focal_trace(z, focal_loss_with_logits(1, z, gamma), name=fl_name, color=COLOR_ALT,
                     logit_axis=logit_axis, value_label="FL", dash="dash"),
    ])
    fig.update_layout(**base_layout(x_title=AXIS_Z if logit_axis else AXIS_P,
                                    y_title="loss for y = 1"))
    fig.update_yaxes(**({"type": "log"} if log_y else {"rangemode": "tozero"}))
    return fig


def focal_loss_gradients(gamma, *, logit_axis=False, wrt="z", n=801):
    """Gradient magnitudes of cross-entropy and focal loss for y = 1.

    ``wrt="z"``: ``|dJ/dz| = 1 - p`` and ``|dFL/dz| = (1 - p)^gamma (1 - p - gamma p log p)``
    (linear axis); ``wrt="p"``: ``|dJ/dp| = 1/p`` and
    ``|dFL/dp| = (1 - p)^gamma / p - gamma (1 - p)^(gamma - 1) log p`` (log axis).
    """
    if wrt not in ("z", "p"):
        raise ValueError(f"wrt must be 'z' or 'p', got {wrt!r}")
    z = logit_grid(n)
    if wrt == "z":
        ce, fl = (np.abs(focal_loss_with_logits_gradient(1, z, g)) for g in (0.0, gamma))
    else:
        ce, fl = (np.abs(focal_loss_gradient(1, sigmoid(z), g)) for g in (0.0, gamma))
    label = f"|d/d{wrt}|"
    ce_name, fl_name = _focal_names(gamma)
    fig = go.Figure([
        _focal_trace(z, ce, name=ce_name, color=COLOR_Y1, logit_axis=logit_axis,
                     value_label=label),
        _focal_trace(z, fl, name=fl_name, color=COLOR_ALT, logit_axis=logit_axis,
                     value_label=label, dash="dash"),
    ])
    fig.update_layout(**base_layout(x_title=AXIS_Z if logit_axis else AXIS_P,
                                    y_title=f"gradient {label} for y = 1"))
    fig.update_yaxes(**({"rangemode": "tozero"} if wrt == "z" else {"type": "log"}))
    return fig
