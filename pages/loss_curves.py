"""Binary cross-entropy: the two loss curves, a probe with its tangent, CE vs MSE, stability."""

import streamlit as st
from streamlit import column_config

from cecore import charts
from cecore.charts.binary import binary_explorer, move_probe
from cecore.explorer import P_MAX, P_MIN, binary_probe, stability_table
from pages._shared import BIND_URL, show_chart

st.title("Binary cross-entropy")
st.markdown(
    "A binary classifier produces a logit $z$; the sigmoid turns it into $p = \\sigma(z)$, the "
    "probability it gives to label 1. Cross-entropy charges $-\\log p$ when the label turns out "
    "to be 1 and $-\\log(1-p)$ when it is 0: the logarithm of the probability the model gave "
    "to what really happened, with the sign flipped."
)

with st.container(border=True):
    col_y, col_p, col_switches = st.columns([1, 2, 1.3], vertical_alignment="center")
    y = col_y.segmented_control("True label y", [1, 0], default=1, required=True, key="y",
                                bind=BIND_URL)
    p = col_p.slider("Predicted probability p", P_MIN, P_MAX, 0.25, step=0.001, format="%.3f",
                     key="p", bind=BIND_URL,
                     help="Where the probe starts; drag the slider under the chart to move it "
                          "at once. A copied link keeps this value.")
    logit_axis = col_switches.toggle("x-axis: logit z", key="logit_x", bind=BIND_URL)
    log_y = col_switches.toggle("Log-scale y-axis", key="log_y", bind=BIND_URL)

probe = binary_probe(y, p)

st.subheader("The loss curves and a probe")
chart_col, text_col = st.columns([3, 2], gap="medium")
with chart_col:
    # built once per label and axes; the p slider only moves the probe among its frames
    show_chart(binary_explorer, y, logit_axis=logit_axis, log_y=log_y, place=(move_probe, p))
with text_col:
    with st.container(horizontal=True):
        st.metric("J", f"{probe.loss:.4g}")
        st.metric("dJ/dp", f"{probe.dloss_dp:.4g}")
        st.metric("dJ/dz = p − y", f"{probe.dloss_dz:.4g}")
    st.caption(f"At p = {probe.p:.3f} (the slider above) the logit is z = {probe.z:.3f}. "
               "Drag the slider under the chart: the probe, its tangent and the values in "
               "the chart follow at once.")
    st.markdown(
        "- Each curve is 0 where the prediction is surely right and rises without bound as it "
        "becomes surely wrong. Halving the probability of the true label always adds "
        "$\\log 2 \\approx 0.69$, so confident mistakes cost far more than hesitant ones.\n"
        "- The dotted tangent is the gradient. Against $p$ its slope $-1/p$ (or $1/(1-p)$) "
        "explodes as the prediction becomes surely wrong; against the logit it is always "
        "$p - y$, between −1 and 1, because the sigmoid's slope $p(1-p)$ cancels the $1/p$.\n"
        "- On the logit axis the same curves are $\\mathrm{softplus}(-z)$ and "
        "$\\mathrm{softplus}(z)$: close to the straight line $|z|$ on the wrong side, decaying "
        "like $e^{-|z|}$ on the right side (switch on the log scale to see it)."
    )

st.subheader("Cross-entropy against squared error")
loss_col, grad_col = st.columns(2, gap="medium")
with loss_col:
    show_chart(charts.ce_vs_mse_loss, y, logit_axis=logit_axis, log_y=log_y)
with grad_col:
    show_chart(charts.ce_vs_mse_gradient, y, logit_axis=logit_axis)
st.markdown(
    "Squared error $(p - y)^2$ never exceeds 1: a mistake costs at most 1, however "
    "confident it was. Its gradient with respect to the logit, "
    "$2(p - y)\\,p(1 - p)$, carries the sigmoid's slope $p(1-p)$, which is nearly 0 exactly "
    "when the model is confidently wrong: gradient descent barely moves it, and learning "
    "stalls. Cross-entropy's gradient $p - y$ has no such factor: the worse the mistake, the "
    "bigger the step."
)

st.subheader("Focal loss")
st.markdown(
    "Focal loss (Lin et al. 2017) scales cross-entropy by $(1 - p_t)^\\gamma$, where $p_t$ "
    "is the probability given to the true label ($p$ for $y = 1$, $1 - p$ for $y = 0$):"
)
st.latex(r"\mathrm{FL}(p_t) = -(1 - p_t)^{\gamma} \log p_t, \qquad \gamma \ge 0")
gamma = st.slider("Focusing parameter γ", 0.0, 5.0, 2.0, step=0.1, key="gamma",
                  bind=BIND_URL)
focal_col, focal_grad_col = st.columns(2, gap="medium")
with focal_col:
    show_chart(charts.focal_loss_curves, gamma, logit_axis=logit_axis, log_y=log_y)
with focal_grad_col:
    show_chart(charts.focal_loss_gradients, gamma, logit_axis=logit_axis)
st.markdown(
    "At $\\gamma = 0$ it is cross-entropy. A larger $\\gamma$ barely changes the loss of a "
    "badly classified example ($p_t$ small, the factor near 1) but shrinks that of an easy "
    "one: at $p_t = 0.9$ and $\\gamma = 2$ it is 100 times smaller (switch on the log "
    "scale to see the factor). Training then spends its effort on the hard examples, which "
    "is what object detectors need when easy background boxes outnumber the rest. For "
    "$y = 1$ the gradient with respect to the logit is"
)
st.latex(r"\frac{\partial \mathrm{FL}}{\partial z} = (1 - p)^{\gamma}"
         r"\bigl(\gamma\, p \log p + p - 1\bigr)")
st.markdown(
    "which is $p - 1$ at $\\gamma = 0$. It is not bounded by the cross-entropy gradient: "
    "for a hard example it can be a little larger (1.13 against 0.95 at $z = -3$, "
    "$\\gamma = 2$). Nor is focal loss a proper scoring rule: for an event of frequency "
    "$p = 0.8$ its expected value at $\\gamma = 2$ is lowest at $q \\approx 0.63$, so a "
    "model trained on it is under-confident; calibrate it before reading its outputs as "
    "frequencies."
)

st.subheader("What happens at p = 0")
st.markdown(
    "On paper $-\\log p$ is fine for every $p > 0$. In floating point, $\\sigma(z)$ underflows "
    "to exactly 0 below $z \\approx -745$ and rounds to exactly 1 above $z \\approx 37$, and "
    "the naive formula then returns `inf` (with a warning) or 0. scikit-learn's `log_loss` "
    "clips $p$ into $[\\varepsilon, 1 - \\varepsilon]$, $\\varepsilon$ the machine epsilon, "
    "so the loss can never exceed $-\\log\\varepsilon$: 36.04 in float64 and 15.94 in float32, "
    "finite but wrong whenever the true loss is larger. Working from the logit, "
    "$J = \\mathrm{softplus}(-z) = \\max(-z, 0) + \\log(1 + e^{-|z|})$ needs no clipping and "
    "stays exact for every finite $z$. This app computes every curve that way."
)
table = stability_table()
number_format = column_config.NumberColumn(format="%.4g")
st.dataframe(table, hide_index=True,
             column_config=dict.fromkeys(table.columns, number_format))
st.caption("Label y = 1 in every row, computed live with cecore when the page loads.")
