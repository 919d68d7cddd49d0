"""Softmax cross-entropy: K logits, temperature and label smoothing; probabilities, gradient."""

import streamlit as st

from cecore import charts
from cecore.charts.softmax import softmax_explorer
from cecore.explorer import softmax_state
from pages._shared import BIND_URL, show_chart

DEFAULT_LOGITS = (2.0, 1.0, 0.1, -1.0, 0.5, -0.5, 1.5, -1.5, 0.0, -2.0)
LOGIT_COLUMNS = 5

st.title("Softmax cross-entropy")
st.markdown(
    "With $K$ classes a model outputs $K$ logits. Softmax exponentiates and normalises them, "
    "$p_k = e^{z_k/T} / \\sum_j e^{z_j/T}$, and the loss is the cross-entropy between the "
    "target $t$ and $p$: $J = -\\sum_k t_k \\log p_k$. With a one-hot target that is simply "
    "$-\\log$ of the probability given to the true class."
)

with st.container(border=True):
    k_col, t_col, s_col = st.columns(3)
    n_classes = k_col.slider("Number of classes K", 2, len(DEFAULT_LOGITS), 3, key="classes",
                             bind=BIND_URL)
    temperature = t_col.slider("Temperature T", 0.1, 5.0, 1.0, step=0.05, key="temperature",
                               bind=BIND_URL)
    smoothing = s_col.slider("Label smoothing s", 0.0, 0.5, 0.0, step=0.01, key="smoothing",
                             bind=BIND_URL)
    class_col, sweep_col = st.columns(2)
    classes = list(range(n_classes))
    true_class = class_col.segmented_control("True class", classes, default=0, required=True,
                                             key="true_class", bind=BIND_URL)
    sweep = sweep_col.segmented_control("Logit to sweep", classes, default=0, required=True,
                                        key="sweep", bind=BIND_URL)
    logit_cols = st.columns(LOGIT_COLUMNS)
    logits = [
        logit_cols[k % LOGIT_COLUMNS].slider(f"Logit z{k}", -10.0, 10.0, DEFAULT_LOGITS[k],
                                             step=0.1, key=f"z{k}", bind=BIND_URL)
        for k in classes
    ]

state = softmax_state(logits, true_class, temperature, smoothing)

with st.container(horizontal=True):
    st.metric("Loss J", f"{state.loss:.4f}")
    st.metric(f"p(class {true_class})", f"{state.probs[true_class]:.4f}")

st.subheader(f"Drag z{sweep}: the probabilities, the gradient and the loss")
chart_col, text_col = st.columns([3, 2], gap="medium")
with chart_col:
    # one figure: its frames over z{sweep} are drawn by the browser as the slider moves
    show_chart(softmax_explorer, state, sweep)
with text_col:
    st.caption(f"Drag the slider under the chart to move logit z{sweep}: the bars and the "
               "loss follow at once. The other logits, T and s are the controls above.")
    st.markdown(
        "**Probabilities.** Adding the same number to every logit changes nothing: only "
        "differences count. A higher temperature flattens the distribution, a lower one "
        "sharpens it towards the largest logit. Label smoothing takes a share $s$ of the "
        "target from the true class and spreads it evenly (the green marks), so $J$ can no "
        "longer reach 0: the best prediction is now $p = t$."
    )
    st.markdown(
        "**Gradient.** The gradient with respect to each logit is $(p_k - t_k)/T$. Without "
        "smoothing only the true class gets a negative bar, so gradient descent raises its "
        "logit, and every other logit is pushed down in proportion to the probability it "
        "took. With smoothing, a class holding less than its share $s/K$ is pulled up too. "
        "The bars always sum to zero."
    )
    st.markdown(
        "**Loss.** Sweep the true class's logit and the loss falls; sweep any other and it "
        "rises, soon along a straight line. These are the binary curves on the logit axis "
        "again: softmax with two classes is the sigmoid of $z_1 - z_0$. With label smoothing "
        "the true logit's curve has a minimum and climbs again beyond it: over-confidence "
        "now costs."
    )

st.subheader("The loss over the simplex")
simplex_col, simplex_text_col = st.columns([3, 2], gap="medium")
if n_classes == 3:
    with simplex_col:
        show_chart(charts.simplex_loss, state)
    simplex_text_col.markdown(
        "Every prediction for three classes is a point of this triangle; the corners are "
        "certainties. With a one-hot target the loss depends only on $p$ of the true class, "
        "so its contours run parallel to the side facing that corner. Smoothing moves the "
        "lowest point inside the triangle, onto $t$."
    )
else:
    simplex_col.info("Set K = 3 to see the loss over the triangle of all three-class "
                     "predictions.")
