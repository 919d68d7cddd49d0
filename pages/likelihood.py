"""From likelihood to log loss: the derivation, entropy / cross-entropy / KL, proper scoring
rules and a quiz."""

import streamlit as st

from cecore import charts
from cecore.explorer import (
    QUIZ,
    distribution_cross_entropy,
    entropy,
    format_value,
    kl_divergence,
    likelihood_steps,
    normalize_weights,
    quiz_score,
)
from pages._shared import BIND_URL, show_chart

EXAMPLE_LABELS = (1, 0, 1, 1, 0)
EXAMPLE_PROBS = (0.9, 0.2, 0.6, 0.95, 0.4)
OUTCOMES = ("A", "B", "C", "D")
DEFAULT_P = (0.5, 0.25, 0.15, 0.1)
DEFAULT_Q = (0.25, 0.25, 0.25, 0.25)

st.title("From likelihood to log loss")
st.markdown(
    "Cross-entropy is not an arbitrary choice of loss: it is what maximum likelihood gives "
    "when the model outputs probabilities. Here is the chain, one step at a time."
)

st.subheader("Binary labels")
st.markdown("**1. The model.** For input $x_i$ a logistic model predicts the probability of "
            "label 1 from the logit $z_i = w^\\top x_i$:")
st.latex(r"p_i = P(y_i = 1 \mid x_i; w) = \sigma(z_i) = \frac{1}{1 + e^{-z_i}}")
st.markdown("**2. The likelihood.** Each label is a Bernoulli draw: it has probability $p_i$ "
            "if $y_i = 1$ and $1 - p_i$ if $y_i = 0$, which one expression covers. If the "
            "$n$ labels are independent their joint probability is the product:")
st.latex(r"L(w) = \prod_{i=1}^{n} p_i^{\,y_i}\,(1 - p_i)^{\,1 - y_i}")
st.markdown("**3. The log-likelihood.** A product of many numbers below 1 underflows and is "
            "awkward to differentiate; its logarithm is a sum with the same maximiser:")
st.latex(r"\begin{aligned} \log L(w) = \sum_{i=1}^{n} \bigl[\, & y_i \log p_i \\ "
         r"& + (1 - y_i) \log(1 - p_i) \bigr] \end{aligned}")
st.markdown("**4. The loss.** Maximising $\\log L$ is minimising its negative; dividing by $n$ "
            "makes it an average that does not grow with the data. That average is the binary "
            "cross-entropy, or log loss:")
st.latex(r"\begin{aligned} J(w) &= -\frac{1}{n} \log L(w) \\ &= -\frac{1}{n} "
         r"\sum_{i=1}^{n} \bigl[\, y_i \log p_i \\ &\qquad\quad + (1 - y_i) \log(1 - p_i) "
         r"\bigr] \end{aligned}")
st.markdown("**5. The gradient.** Since $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$, the "
            "derivative of one term with respect to its logit collapses to $p_i - y_i$. With "
            "the inputs stacked as the rows of $X$:")
st.latex(r"\begin{aligned} \frac{\partial J}{\partial z_i} &= \frac{p_i - y_i}{n} \\ "
         r"\nabla_w J &= \frac{1}{n} X^\top \bigl(\sigma(Xw) - y\bigr) \end{aligned}")

steps = likelihood_steps(EXAMPLE_LABELS, EXAMPLE_PROBS)
with st.container(border=True):
    st.markdown(f"**With numbers.** Labels $y = {EXAMPLE_LABELS}$, predicted probabilities "
                f"$p = {EXAMPLE_PROBS}$:")
    st.latex(
        rf"\begin{{aligned}} L &= {steps.likelihood:.5f} \\ "
        rf"\log L &= {steps.log_likelihood:.5f} \\ "
        rf"-\tfrac{{1}}{{n}} \log L &= {steps.mean_negative_log_likelihood:.5f} \\ "
        rf"\text{{log loss}} &= {steps.log_loss:.5f} \end{{aligned}}"
    )

st.subheader("Many classes")
st.markdown("With $K$ classes the model gives one logit per class and softmax turns them into "
            "probabilities. A label is now a categorical draw; with $y_{ik} = 1$ for the true "
            "class and 0 otherwise, the same three steps give the categorical cross-entropy:")
st.latex(r"\begin{aligned} p_{ik} &= \frac{e^{z_{ik}}}{\sum_{j=1}^{K} e^{z_{ij}}} \\ "
         r"L(W) &= \prod_{i=1}^{n} \prod_{k=1}^{K} p_{ik}^{\,y_{ik}} \\ "
         r"J(W) &= -\frac{1}{n} \sum_{i=1}^{n} \sum_{k=1}^{K} y_{ik} \log p_{ik} \\ "
         r"\nabla_W J &= \frac{1}{n} X^\top (P - Y) \end{aligned}")
st.markdown("For $K = 2$ this is the binary case again, with $z = z_{i1} - z_{i0}$.")

st.subheader("Entropy, cross-entropy and KL divergence")
st.markdown(
    "Cross-entropy compares two distributions over the same outcomes: the true one $p$ and "
    "the model's $q$. It is the average surprise $-\\log q$ when outcomes really follow $p$. "
    "It splits into the surprise no model can avoid, the entropy $H(p)$, plus the extra "
    "cost of using $q$ instead of $p$, the Kullback–Leibler divergence. Training can only "
    "lower the second part. Move the weights (each side is normalised to sum to 1); values "
    "are in nats."
)
p_col, q_col, chart_col = st.columns([1, 1, 2], gap="medium")
p_weights = [p_col.slider(f"p({o})", 0.0, 1.0, d, step=0.01, key=f"p_{o.lower()}",
                          bind=BIND_URL) for o, d in zip(OUTCOMES, DEFAULT_P, strict=True)]
q_weights = [q_col.slider(f"q({o})", 0.0, 1.0, d, step=0.01, key=f"q_{o.lower()}",
                          bind=BIND_URL) for o, d in zip(OUTCOMES, DEFAULT_Q, strict=True)]
p, q = normalize_weights(p_weights), normalize_weights(q_weights)
h_p, h_pq, kl = entropy(p), distribution_cross_entropy(p, q), kl_divergence(p, q)
with chart_col:
    show_chart(charts.distribution_bars(p, q, list(OUTCOMES)))

with st.container(horizontal=True):
    st.metric("Entropy H(p)", format_value(h_p))
    st.metric("Cross-entropy H(p, q)", format_value(h_pq))
    st.metric("KL(p ‖ q)", format_value(kl))
h_pq_tex, h_p_tex, kl_tex = (format_value(x, infinity=r"\infty") for x in (h_pq, h_p, kl))
st.latex(rf"\begin{{aligned}} H(p, q) &= H(p) + \mathrm{{KL}}(p \,\|\, q) \\ "
         rf"{h_pq_tex} &= {h_p_tex} + {kl_tex} \end{{aligned}}")
st.markdown(
    "KL is 0 only when $q = p$. If $q$ gives probability 0 to an outcome that $p$ allows, "
    "both $H(p, q)$ and KL become infinite: the same reason a classifier that is certain and "
    "wrong pays an unbounded loss."
)

st.subheader("Proper scoring rules")
st.markdown(
    "Why judge probabilities by log loss and not by accuracy? Say an event happens with "
    "frequency $p$ and a forecaster reports $q$. A scoring rule charges a penalty for each "
    "forecast; averaged over the outcomes it is the expected score of reporting $q$:"
)
st.latex(r"\begin{aligned} \mathbb{E}[\text{log loss}] &= -\bigl(p \log q "
         r"+ (1 - p) \log(1 - q)\bigr) \\ &= H(p) + \mathrm{KL}(p \,\|\, q) \\ "
         r"\mathbb{E}[\text{Brier}] &= p\,(1 - q)^2 + (1 - p)\,q^2 \\ "
         r"&= (q - p)^2 + p\,(1 - p) \\ "
         r"\mathbb{E}[\text{0/1 loss}] &= \begin{cases} 1 - p & q > \tfrac12 "
         r"\text{ (call yes)} \\ p & q \le \tfrac12 \text{ (call no)} \end{cases} "
         r"\end{aligned}")
with st.container(border=True):
    freq = st.slider("True frequency p of the event", 0.01, 0.99, 0.7, step=0.01,
                     key="freq", bind=BIND_URL)
chart_col, text_col = st.columns([3, 2], gap="medium")
with chart_col:
    show_chart(charts.scoring_rules_chart(freq))
    st.caption(
        "One panel per rule, each on its own y-axis: nats, squared error and error rate are "
        "different units, so compare where each curve is lowest and how fast it rises, not "
        "the heights. Drag the slider under the chart to move p at once; the slider above "
        "sets the p that the page, and a shared link, open with."
    )
with text_col:
    st.markdown(
        "Log loss and the Brier score are **proper**: each is lowest at $q = p$ and only "
        "there, so honest reporting is the best strategy. The gap between the log loss and "
        "its dotted floor $H(p)$ is exactly $\\mathrm{KL}(p \\,\\|\\, q)$, the divergence of "
        "the section above."
    )
    st.markdown(
        "Accuracy is **not** proper: the 0/1 loss is the same for every $q$ on the right "
        "side of $\\tfrac12$ (the green band), so it cannot tell 0.51 from 0.99 and pays "
        "nothing for getting the probability right."
    )
    st.markdown(
        "That is why a model trained on log loss produces probabilities worth calibrating: "
        "every step towards the true frequency lowered the loss it minimised, so its outputs "
        "are estimates of $p$, and a calibration check only has to correct what is left. A "
        "model chosen for accuracy alone had no reason to get more than the side of "
        "$\\tfrac12$ right."
    )

st.subheader("Quiz")
choices = []
for number, question in enumerate(QUIZ, start=1):
    choice = st.radio(f"{number}. {question.prompt}", question.options, index=None,
                      key=f"quiz{number}", bind=BIND_URL)
    choices.append(choice)
    if choice is None:
        continue
    if question.is_correct(choice):
        st.success(f"Right. {question.explanation}")
    else:
        st.error(f"Not this one: the answer is “{question.options[question.answer]}”. "
                 f"{question.explanation}")
answered = sum(choice is not None for choice in choices)
st.markdown(f"**Score: {quiz_score(choices)} of {len(QUIZ)}** ({answered} answered)")
