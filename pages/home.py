"""Home: what the app is, a small live loss chart, and a card for every page."""

import streamlit as st

from cecore import charts
from cecore.explorer import binary_probe
from pages._shared import BIND_URL, show_chart

PAGE_CARDS = (
    ("pages/loss_curves.py", "Binary cross-entropy", ":material/show_chart:",
     "The two loss curves against p or the logit, a probe with its tangent, cross-entropy "
     "against squared error, and what floating point does at p = 0."),
    ("pages/softmax.py", "Softmax cross-entropy", ":material/bar_chart:",
     "K logits, temperature and label smoothing: probabilities, gradients, a logit sweep and "
     "the loss over the probability triangle."),
    ("pages/likelihood.py", "From likelihood to log loss", ":material/functions:",
     "The derivation step by step, entropy, cross-entropy and KL divergence side by side, and "
     "a five-question quiz."),
    ("pages/train.py", "Train on your data", ":material/model_training:",
     "Upload a CSV or pick a sample, train logistic or softmax regression live and compare it "
     "with scikit-learn."),
)

st.title("Cross-Entropy Lab")
st.markdown(
    "Cross-Entropy Lab turns cross-entropy, the log loss that trains almost every "
    "classifier, into charts you can move. You can probe the loss and its gradient, follow it "
    "back to the likelihood it comes from, and train logistic or softmax regression on your "
    "own data. Everything is computed live by a small, numerically stable numpy core."
)

chart_col, text_col = st.columns([3, 2], gap="medium")
with text_col:
    p = st.slider("Predicted probability p of label 1", 0.01, 0.99, 0.8, step=0.01,
                  key="home_p", bind=BIND_URL)
    if_one, if_zero = (binary_probe(y, p).loss for y in (1, 0))
    with st.container(horizontal=True):
        st.metric("Loss if y = 1", f"{if_one:.3f}")
        st.metric("Loss if y = 0", f"{if_zero:.3f}")
    st.caption("The same prediction is cheap if it was right and expensive if it was wrong, "
               "and the price of a wrong one grows without limit as p becomes certain.")
    st.page_link("pages/loss_curves.py", label="Explore this chart", icon=":material/open_in_new:",
                 query_params={"p": f"{p:g}"})
with chart_col:
    show_chart(charts.home_loss_chart, p)

st.subheader("Pages")
for row in range(0, len(PAGE_CARDS), 2):
    for column, (path, title, icon, blurb) in zip(st.columns(2), PAGE_CARDS[row:row + 2],
                                                  strict=False):
        with column.container(border=True, height="stretch"):
            st.page_link(path, label=title, icon=icon)
            st.caption(blurb)
