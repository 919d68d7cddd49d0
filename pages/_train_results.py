"""The training page's results: the comparison with scikit-learn, the test rows (confusion,
per class, weights, per-row losses, decision boundary), what the probabilities are worth,
and the downloads."""

import streamlit as st

from cecore import charts
from cecore.evaluation import decision_grid
from cecore.export import history_csv, model_json, predictions_csv
from pages._shared import show_chart
from pages._train_common import UPLOADED, state
from pages._train_optimizer import show_optimizer
from pages._train_predict import show_new_rows, show_scripts
from pages._train_probabilities import show_probabilities
from pages._train_regularization import show_regularization_path


def show_comparison(results):
    c = results.comparison
    st.subheader("Compared with scikit-learn")
    table = c.table()
    st.dataframe(table, width="stretch", placeholder="",
                 column_config={name: st.column_config.NumberColumn(format="%.10g")
                                for name in table.columns})
    cols = st.columns(4)
    accuracy = c.ours_accuracy_test if results.split == "test" else c.ours_accuracy_train
    cols[0].metric(f"{results.split.capitalize()} accuracy", f"{accuracy:.2%}")
    cols[1].metric("Largest probability difference", f"{c.max_proba_difference:.2e}",
                   help="max over rows and classes of |P_cecore - P_sklearn|")
    cols[2].metric("Objective gap (relative)", f"{c.objective_gap:.2e}")
    cols[3].metric("scikit-learn C", "∞" if c.sklearn_C == float("inf") else f"{c.sklearn_C:.4g}",
                   help="C = 1/(alpha·n); 2/(alpha·n) for softmax on two classes")
    st.caption(results.note + " scikit-learn: LogisticRegression(C) solved by lbfgs to a "
               "gradient tolerance of 1e-10; log_loss is sklearn.metrics.log_loss on our "
               "predict_proba.")


def show_results(run):
    results = run.evaluate()
    show_comparison(results)
    st.subheader(f"On the {results.split} rows")
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Confusion matrix**")
        show_chart(charts.confusion_heatmap(results.confusion))
    with right:
        st.markdown("**Precision and recall per class**")
        st.dataframe(results.per_class, width="stretch",
                     column_config={"precision": st.column_config.NumberColumn(format="%.3f"),
                                    "recall": st.column_config.NumberColumn(format="%.3f")})
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Weights per class**")
        rows = list(results.coefficients.index)
        row = st.selectbox("Class", rows, key="train_coef_class") if len(rows) > 1 else rows[0]
        show_chart(charts.coefficient_bars(results.coefficients, row))
        st.caption("On standardized features a weight is the change of the class's logit "
                   "per standard deviation of the feature." if run.options.scale else
                   "Features are not standardized, so the weights are in their units.")
    with right:
        st.markdown("**Loss per row**")
        show_chart(charts.sample_loss_histogram(results.sample_losses, split=results.split))
        st.markdown("**Worst-predicted rows** (highest loss)")
        st.dataframe(results.worst, hide_index=True, width="stretch")
        if results.worst_note:
            st.caption(results.worst_note)
    grid = decision_grid(run)
    if grid is not None:
        st.markdown("**Decision boundary**")
        show_chart(charts.decision_map(grid))
        st.caption("The model's probabilities over the two features "
                   f"({'standardized' if run.options.scale else 'as in the table'}), with "
                   f"the {grid.split} rows on top.")
    show_probabilities(run)
    show_optimizer(run)
    show_regularization_path(run)
    st.subheader("Downloads")
    # the files are written when clicked: a wide model's take a second or two
    downloads = st.container(key="train_downloads", horizontal=True)
    downloads.download_button("Model (JSON)", lambda: model_json(run), file_name="model.json",
                            mime="application/json", key="train_download_model",
                            on_click="ignore")
    downloads.download_button("Loss history (CSV)", lambda: history_csv(run.history),
                            file_name="loss_history.csv", mime="text/csv",
                            key="train_download_history", on_click="ignore")
    downloads.download_button(f"Predictions on the {results.split} rows (CSV)",
                            lambda: predictions_csv(results), file_name="predictions.csv",
                            mime="text/csv", key="train_download_predictions",
                            on_click="ignore")
    uploaded = state.get(UPLOADED)
    show_scripts(run, None if uploaded is None else uploaded["file_name"],
                 None if uploaded is None else uploaded["sheet"])
    show_new_rows(run)
