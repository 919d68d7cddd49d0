"""The training page's regularisation path: the run's model at every alpha of a grid (on a
click, taking turns with the trainings), train / validation / test log loss and the weights
against alpha, the best alpha marked, and one click to train with it."""

from dataclasses import replace

import streamlit as st

from cecore import charts
from cecore.live import Throttle, format_duration
from cecore.regularization_path import PATH_VALIDATION_SHARE, path_for_run
from pages._shared import show_chart
from pages._train_common import MAX_ALPHA, RUN_SIGNATURE, say, state, training_turns

PATH = "train_regularization_path"


def path_key(run):
    """What the path depends on besides the alpha: the data (the prepared object), the
    model and its row weights, the validation rows (share and seed)."""
    c = run.config
    return (run.prepared, run.kind, c.class_weight, c.validation_share, c.seed)


def kept_tracer(run):
    """The path computed (or begun) for this run's data and model, when the run's alpha is
    on its grid (a run trained from the path's best alpha shares it); else None."""
    cached = state.get(PATH)
    if cached is None:
        return None
    key, tracer = cached
    same = key[0] is run.prepared and key[1:] == path_key(run)[1:]
    return tracer if same and run.config.alpha in tracer.alphas else None


def compute(tracer):
    """Run the path to its end, taking turns with every visitor's trainings, with a progress
    bar. Any click interrupts it (the tracer keeps what it has; the button continues)."""
    progress = st.progress(tracer.progress, text="Fitting the first alpha…")
    throttle = Throttle()
    for index, epoch in training_turns().take(tracer.steps()):
        if throttle.due():
            with throttle.redraw():
                progress.progress(tracer.progress,
                                  text=f"alpha {index + 1} of {len(tracer.alphas)} "
                                       f"({tracer.alphas[index]:.3g}), epoch {epoch:,}")
    progress.empty()


def train_with_alpha(run, alpha):
    """on_click: set the L2 alpha widget to ``alpha`` and train the run's model with it (the
    widget must be set before it is drawn: a callback runs before the rerun)."""
    from pages._train_run import start_training  # the run part draws this section

    state["train_alpha"] = alpha
    config = replace(run.config, alpha=alpha)
    signature = state.get(RUN_SIGNATURE)
    start_training(run.prepared, config, run.options, run.frame,
                   None if signature is None else (*signature[:-1], config))


def rows_caption(run, path):
    held = ("the validation share's rows" if len(run.y_validation)
            else f"{PATH_VALIDATION_SHARE:.0%} of the fitted rows, stratified and seeded")
    test = (f"the test loss on the {path.n_test:,} test rows is drawn, never used to choose"
            if path.n_test else "there are no test rows")
    n = (f"{round(path.n_fit):,} fitted rows" if run.config.class_weight is None
         else f"{path.n_fit:,.6g}, the total weight of the fitted rows")
    return (f"Each point is the model trained to its minimum (gradient norm ≤ {path.tol:g}) "
            f"at that alpha, starting from the weights of the larger alphas before it (warm "
            f"starts): {len(path.alphas)} alphas, {int(path.epochs.sum()):,} epochs in "
            f"{format_duration(path.seconds)}. scikit-learn's C = 1/(alpha·n) with n = {n}"
            + (" (2/(alpha·n): softmax on two classes)" if path.coef.shape[1] == 2
               and len(run.prepared.classes) == 2 else "")
            + f": from C = {path.C[0]:.3g} at alpha {path.alphas[0]:.3g} to C = "
            f"{path.C[-1]:.3g} at alpha {path.alphas[-1]:.3g}. The validation loss on "
            f"{path.n_validation:,} training rows held out of fitting ({held}) chooses "
            f"alpha; {test}.")


def show_weights(run, path):
    names = run.class_names()
    if path.coef.shape[1] == 1:
        row, label = 0, f"{names[1]} (vs {names[0]})"
    else:
        label = st.selectbox("Weights for class", names, key="train_path_class")
        row = names.index(label)
    show_chart(charts.regularization_weights(path, run.prepared.feature_names,
                                             class_index=row, class_name=label))


def show_regularization_path(run):
    """The section for a finished run: the button, then the charts and the best alpha."""
    st.subheader("Regularisation path")
    tracer = kept_tracer(run)
    if tracer is None or not tracer.done:
        done = 0 if tracer is None else len(tracer.points)
        label = ("Compute the regularisation path" if not done else
                 f"Continue the regularisation path ({done} of {len(tracer.alphas)} alphas "
                 "done)")
        slot = st.empty()                     # the button goes once it is clicked
        if not slot.button(label, key="train_path_start"):
            st.caption("Trains this model at about 20 alphas, from a penalty that flattens "
                       "every weight to one that hardly matters, and draws the training, "
                       "validation and test log loss and the weights against alpha: where "
                       "the validation loss is lowest, the penalty balances under- and "
                       "overfitting.")
            return
        slot.empty()
        if tracer is None:
            try:
                tracer = path_for_run(run, largest=MAX_ALPHA)
            except ValueError as error:       # DataError too: too few rows to hold out
                say(st.error, str(error))
                return
            state[PATH] = (path_key(run), tracer)
        compute(tracer)
    path = tracer.result()
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**Log loss against alpha**")
        show_chart(charts.regularization_losses(path, run_alpha=run.config.alpha))
    with right:
        st.markdown("**Weights against alpha**")
        show_weights(run, path)
    st.caption(rows_caption(run, path))
    best, i = path.best_alpha, path.best_index
    test = (f", test loss {path.test_loss[i]:.4f}" if path.test_loss is not None else "")
    st.markdown(f"Lowest validation loss: **alpha = {best:.3g}** (C = {path.C[i]:.3g}): "
                f"validation loss {path.validation_loss[i]:.4f}{test}; this run's alpha "
                f"{run.config.alpha:g}.")
    if path.best_at_an_end:
        st.info("The lowest validation loss is at an end of the grid: the best alpha may lie "
                f"beyond it (the grid stops at alpha {MAX_ALPHA:g}, the largest the page "
                "takes)." if i == 0 and path.alphas[0] == MAX_ALPHA else
                "The lowest validation loss is at an end of the grid: the best alpha may lie "
                "beyond it.")
    if not path.converged.all():
        st.caption(f"{int((~path.converged).sum())} alphas stopped at the epoch limit before "
                   f"reaching the tolerance; their points are a little off the minimum.")
    st.button(f"Train with alpha = {best:.3g}", key="train_path_use_best",
              on_click=train_with_alpha, args=(run, best), disabled=best == run.config.alpha)
    st.caption("The click sets the L2 alpha in the settings above and trains this model "
               "with it, on all the fitted rows.")
