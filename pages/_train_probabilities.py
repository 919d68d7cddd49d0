"""The training page's section on the probabilities: calibration, the decision threshold
with its costs, and temperature scaling; every number comes from cecore."""

import streamlit as st

from cecore import charts
from cecore.probability_report import accuracy_note, reliability_table
from cecore.thresholds import cost_optimal_threshold
from cecore.weights_lesson import counterpart_run, weights_or_threshold
from pages._markdown import markdown_text
from pages._shared import show_chart
from pages._train_common import KEEP, say, state, training_turns

THRESHOLD = "train_threshold"
TWIN = "train_weights_twin"
COST_FP, COST_FN = "train_cost_fp", "train_cost_fn"


def show_probabilities(run):
    """The section for the evaluated rows of a finished run."""
    results = run.evaluate()
    report, split = results.probabilities, results.split
    st.subheader("What the probabilities are worth")
    note = accuracy_note(report, split)
    if note is not None:
        say(st.warning, note)
    cols = st.columns(4)
    cols[0].metric("Log loss", f"{report.log_loss:.4f}",
                   help="mean of -log p(true class): what training minimises, a proper "
                        "scoring rule (lowest for honest probabilities)")
    cols[1].metric("Expected calibration error", f"{report.expected_calibration_error:.4f}",
                   help="top-label ECE (Guo et al. 2017): over 10 bins of confidence, the "
                        "row-weighted mean |accuracy - confidence|")
    if report.brier is not None:
        cols[2].metric("Brier score", f"{report.brier['brier']:.4f}",
                       help="mean (p - y)²: reliability - resolution + uncertainty "
                            "(Murphy 1973)")
    if report.curves is not None:
        cols[3].metric("ROC AUC", f"{report.curves.roc_auc():.4f}",
                       help="the chance that a random positive row scores above a random "
                            "negative one")
    show_reliability(report, split)
    if report.curves is not None:
        show_threshold(run, report)
    show_temperature(results)


def show_reliability(report, split):
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.markdown("**Reliability diagram**")
        curves, scores = report.reliability, report.scores
        if len(curves) > 2:  # top label plus one curve per class: let the user pick
            chosen = st.selectbox("Curve", list(curves), key="train_reliability_curve",
                                  help="top label: the confidence of the predicted class "
                                       "against how often it is right; a class: its "
                                       "probability against how often the row is that class")
            curves, scores = {chosen: curves[chosen]}, {chosen: scores[chosen]}
        show_chart(charts.reliability_diagram(curves, scores))
    with right:
        st.markdown(
            f"Each point is a bin of {split} rows: how sure the model was (x) against how "
            "often it turned out right (y). On the dotted diagonal the probabilities are "
            "honest: of the rows given 0.8, 80% are positive. Below it the model is "
            "over-confident, above it timid. The bars show how many rows got each "
            "probability.")
        if report.brier is not None:
            brier = report.brier
            st.markdown(
                f"Brier {brier['brier']:.4f} = reliability {brier['reliability']:.4f} − "
                f"resolution {brier['resolution']:.4f} + uncertainty "
                f"{brier['uncertainty']:.4f} (+ a within-bin term "
                f"{brier['brier'] - brier['reliability'] + brier['resolution'] - brier['uncertainty']:+.4f}).")
            st.caption("Reliability: how far the bins are from the diagonal (0 is perfect). "
                       "Resolution: how much the bins' frequencies differ from the base rate "
                       "(higher is better). Uncertainty: the base rate's own p(1-p).")
        else:
            st.dataframe(reliability_table(report), hide_index=True, width="stretch",
                         column_config={"calibration error":
                                        st.column_config.NumberColumn(format="%.4f")})


def use_cost_optimal_threshold():
    """on_click: move the threshold slider to c_FP / (c_FP + c_FN)."""
    state[THRESHOLD] = round(cost_optimal_threshold(state[COST_FP], state[COST_FN]), 3)


def show_threshold(run, report):
    st.markdown("**Decision threshold**")
    curves, names = report.curves, report.class_names
    shown = markdown_text(names[1])  # widget labels and help render Markdown
    controls, costs = st.columns([3, 2], gap="medium")
    threshold = controls.slider(
        "Decision threshold", 0.0, 1.0, 0.5, step=0.005, format="%.3f", key=THRESHOLD,
        persist_state=KEEP,
        help=f"a row is called '{shown}' when its probability is at least this")
    cost_fp = costs.number_input(f"Cost of a false '{shown}'", min_value=0.0, value=1.0,
                                 step=1.0, key=COST_FP, persist_state=KEEP)
    cost_fn = costs.number_input(f"Cost of a missed '{shown}'", min_value=0.0, value=1.0,
                                 step=1.0, key=COST_FN, persist_state=KEEP)
    optimal = None
    if cost_fp + cost_fn > 0:
        best = cost_optimal_threshold(cost_fp, cost_fn)
        optimal = curves.at(best)
        costs.button(f"Use the cost-optimal threshold {best:.3f}", key="train_use_optimal",
                     on_click=use_cost_optimal_threshold)
    at = curves.at(threshold)
    cols = st.columns(5)
    cols[0].metric("Precision", f"{at.precision:.3f}", help="of the rows called positive, "
                   "the share that are")
    cols[1].metric("Recall", f"{at.recall:.3f}", help="of the positive rows, the share found")
    cols[2].metric("F1", f"{at.f1:.3f}")
    cols[3].metric("Accuracy", f"{at.accuracy:.3f}")
    cols[4].metric("Mean cost per row", f"{at.cost(cost_fp, cost_fn):.4f}")
    left, middle, right = st.columns(3, gap="medium")
    with left:
        show_chart(charts.threshold_confusion(at, names))
    with middle:
        show_chart(charts.roc_chart(curves, at, optimal=optimal))
    with right:
        show_chart(charts.precision_recall_chart(curves, at, optimal=optimal))
    say(st.caption,
        f"Lowering the threshold calls more rows '{names[1]}': recall rises, precision "
        "falls. For probabilities that are honest (close to the diagonal above), the "
        "cheapest threshold is c_FP / (c_FP + c_FN) (Elkan 2001): a row is worth calling "
        f"'{names[1]}' once the expected cost of missing it, p·c_FN, exceeds that of a "
        "false alarm, (1 − p)·c_FP. Average precision "
        f"{curves.average_precision():.4f}.")
    show_weights_or_threshold(run, report)


def show_weights_or_threshold(run, report):
    """The same data trained with the other class weighting, side by side with moving the
    threshold (computed on request: it trains a second model)."""
    st.markdown("**Class weights or a lower threshold?**")
    cached = state.get(TWIN)
    if cached is None or cached[0] is not run:
        other = "without" if run.config.class_weight == "balanced" else "with balanced"
        if not st.button(f"Train the same model {other} class weights and compare",
                         key="train_weights_lesson"):
            st.caption("Both ways find more of the rare class; the comparison shows what "
                       "each does to the probabilities.")
            return
        with st.spinner("Training the second model…"):
            cached = (run, counterpart_run(run, training_turns()))
        state[TWIN] = cached
    twin = cached[1]
    twin_report = twin.evaluate().probabilities
    pair = ((twin_report, report) if run.config.class_weight == "balanced"
            else (report, twin_report))
    table = weights_or_threshold(*pair)
    st.dataframe(table, width="stretch",
                 column_config={name: st.column_config.NumberColumn(format="%.4f")
                                for name in table.columns})
    st.caption("Weights and a lower threshold reach about the same recall and precision. "
               "The weights get there by pushing every probability of the rare class up, so "
               "log loss and the calibration error grow: the probabilities no longer mean "
               "what they say. The moved threshold leaves the probabilities as log loss "
               "made them, honest, and puts the trade-off where it belongs: in the decision.")


def show_temperature(results):
    st.markdown("**Temperature scaling**")
    scaling = results.temperature
    if scaling is None:
        st.caption("Set a validation share in the training settings to hold some training "
                   "rows out of fitting: a temperature T fitted on them rescales the logits, "
                   "softmax(z / T), to make the probabilities honest without changing any "
                   "prediction.")
        st.page_link("pages/softmax.py", label="See what a temperature does to softmax",
                     icon="📊")
        return
    before, after = scaling.before, scaling.after
    cols = st.columns(3)
    cols[0].metric("Temperature T", f"{scaling.temperature:.3f}",
                   help=f"fitted on {scaling.n_validation:,} held-out training rows; T > 1 "
                        "softens over-confident probabilities, T < 1 sharpens timid ones")
    cols[1].metric(f"{results.split.capitalize()} log loss", f"{after.log_loss:.4f}",
                   delta=f"{after.log_loss - before.log_loss:+.4f}", delta_color="inverse")
    cols[2].metric("Calibration error", f"{after.expected_calibration_error:.4f}",
                   delta=f"{after.expected_calibration_error - before.expected_calibration_error:+.4f}",
                   delta_color="inverse")
    name = next(iter(before.reliability))
    show_chart(charts.reliability_diagram(
        {"before (T = 1)": before.reliability[name],
         f"after (T = {scaling.temperature:.2f})": after.reliability[name]},
        {"before (T = 1)": before.scores[name],
         f"after (T = {scaling.temperature:.2f})": after.scores[name]}))
    st.page_link("pages/softmax.py", label="The same temperature on the softmax page", icon="📊")
