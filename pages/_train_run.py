"""The training page's training part: the hyperparameters, Train and Stop, the live loss
chart while the run goes on, and the run's end."""

import time

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from cecore import charts
from cecore.live import Throttle, live_cost_caption
from cecore.training import TrainConfig, TrainingRun
from pages._shared import BIND_URL, show_chart
from pages._train_common import (
    KEEP,
    LIVE_COST,
    MAX_ALPHA,
    RUN,
    RUN_SIGNATURE,
    say,
    state,
    training_turns,
)
from pages._train_results import show_results

STATUS_BOX = {"converged": st.success, "max_epochs": st.info, "stopped": st.info,
              "diverged": st.error, "early_stopping": st.success}


def choose_settings():
    cols = st.columns(4, gap="medium")
    model = cols[0].selectbox(
        "Model", ["auto", "softmax"], key="train_model", bind=BIND_URL, persist_state=KEEP,
        help="auto: logistic regression (sigmoid) for 2 classes, softmax for more. softmax: "
             "softmax also for 2 classes (then scikit-learn's C is 2/(alpha·n)).")
    solver = cols[0].selectbox("Solver", ["nesterov", "gd", "adam"], key="train_solver",
                               bind=BIND_URL, persist_state=KEEP,
                               help="nesterov: accelerated gradient with adaptive restart; "
                                    "gd: plain gradient descent, one step per batch; adam: "
                                    "Kingma & Ba's adaptive moments (auto rate 0.1).")
    class_weight = cols[1].selectbox(
        "Class weights", ["none", "balanced"], key="train_class_weight", bind=BIND_URL,
        persist_state=KEEP,
        help="balanced: each class counts as much as the others in the loss (weight "
             "n / (K n_k)), so a rare class is found more often, at the price of honest "
             "probabilities. The comparison with scikit-learn uses the same weights.")
    auto_lr = cols[1].toggle("Auto learning rate", value=True, key="train_lr_auto",
                             bind=BIND_URL, persist_state=KEEP,
                             help="1/L, L the Lipschitz constant of the gradient: the largest "
                                  "step that cannot diverge. With nesterov on full batches, "
                                  "each step then adapts to the curvature measured along the "
                                  "last one (between 1/L and 30/L).")
    lr = cols[1].number_input("Learning rate", min_value=1e-6, max_value=1e3, value=0.5,
                              step=0.1, format="%g", key="train_lr", disabled=auto_lr,
                              bind=BIND_URL, persist_state=KEEP)
    epochs = cols[2].number_input("Epochs", min_value=1, max_value=100_000, value=1000,
                                  step=100, key="train_epochs", bind=BIND_URL,
                                  persist_state=KEEP)
    mini = cols[2].toggle("Mini-batches", value=False, key="train_mini_batch", bind=BIND_URL,
                          persist_state=KEEP, help="Off: every epoch is one full-batch step.")
    batch = cols[2].number_input("Batch size", min_value=1, max_value=1_000_000, value=64,
                                 step=16, key="train_batch_size", disabled=not mini,
                                 bind=BIND_URL, persist_state=KEEP)
    alpha = cols[3].number_input("L2 alpha", min_value=0.0, max_value=MAX_ALPHA, value=0.01,
                                 step=0.001, format="%g", key="train_alpha", bind=BIND_URL,
                                 persist_state=KEEP, help="Penalty alpha/2 ||W||²; the "
                                 "intercept is not penalised.")
    tol = cols[3].number_input("Tolerance (gradient norm)", min_value=0.0, max_value=1.0,
                               value=1e-6, step=1e-6, format="%g", key="train_tol",
                               bind=BIND_URL, persist_state=KEEP)
    seed = cols[3].number_input("Seed", min_value=0, max_value=2**32 - 1, value=0, step=1,
                                key="train_seed", bind=BIND_URL, persist_state=KEEP,
                                help="Seeds the train/test split and the mini-batch order.")
    validation = cols[0].slider(
        "Validation share", 0.0, 0.5, 0.0, step=0.05, key="train_validation_share",
        bind=BIND_URL, persist_state=KEEP,
        help="Training rows held out of fitting (stratified, seeded): a temperature fitted "
             "on them calibrates the probabilities. The test rows are never used for it, "
             "nor are these rows used by early stopping.")
    early = cols[1].toggle(
        "Early stopping", value=False, key="train_early_stopping", bind=BIND_URL,
        persist_state=KEEP,
        help="Hold out a validation fraction of the rows left for fitting (after the "
             "validation share's rows are set aside; never the test rows), train on the "
             "others and stop when the loss on the held-out rows has not fallen by the "
             "tolerance for so many epochs in a row; the weights of the epoch with the "
             "lowest validation loss are kept (scikit-learn's SGDClassifier rule).")
    fraction = cols[2].number_input(
        "Validation fraction", min_value=0.01, max_value=0.5, value=0.1, step=0.05,
        format="%g", key="train_validation_fraction", disabled=not early, bind=BIND_URL,
        persist_state=KEEP,
        help="Share of the rows left for fitting that early stopping holds out "
             "(stratified, seeded).")
    patience = cols[3].number_input(
        "Epochs without improvement", min_value=1, max_value=10_000, value=5, step=1,
        key="train_n_iter_no_change", disabled=not early, bind=BIND_URL,
        persist_state=KEEP,
        help="n_iter_no_change: early stopping ends training after this many epochs in a "
             "row whose validation loss is not below the best minus the tolerance.")
    return TrainConfig(model=model, learning_rate="auto" if auto_lr else float(lr),
                       epochs=int(epochs), batch_size=int(batch) if mini else None,
                       solver=solver, alpha=float(alpha), tol=float(tol), seed=int(seed),
                       validation_share=float(validation),
                       class_weight=None if class_weight == "none" else class_weight,
                       early_stopping=bool(early), validation_fraction=float(fraction),
                       n_iter_no_change=int(patience))


def stop_training():
    """on_click of Stop: runs before the rerun that the click caused."""
    run = state.get(RUN)
    if run is not None:
        run.stop()


def start_training(prepared, config, options, frame, signature):
    old = state.get(RUN)
    if old is not None:
        old.stop()
    try:
        state[RUN] = TrainingRun(prepared, config, options, frame=frame)
    except ValueError as error:  # DataError is a ValueError
        say(st.error, str(error))
        return
    state[RUN_SIGNATURE] = signature
    state[LIVE_COST] = {"seconds": 0.0, "drawing": 0.0, "redraws": 0}


def loss_chart(run, log_y, *, live):
    return charts.training_loss(run.history, max_epochs=run.config.epochs if live else None,
                                log_y=log_y)


def progress_text(run):
    last = run.last
    if last is None:
        return "Starting…"
    test = f", test loss {last['val_loss']:.5f}" if last["val_loss"] is not None else ""
    return (f"Epoch {last['epoch']:,} of {run.config.epochs:,}: train loss "
            f"{last['loss']:.5f}{test}")


def train_live(run, log_y):
    """Advance the run to its end, taking turns with other visitors' trainings and redrawing
    a few times a second (less often while others train too); then rerun the page.

    A click on Stop (or any widget) interrupts this at its next ``st`` call, the progress
    bar's update at most a quarter of a second later (plus the wait for this run's turn);
    the run stays in the session, so the next script run resumes it, or shows it stopped.
    Streamlit's own Stop (in the toolbar) ends the run too.
    """
    chart, progress = st.empty(), st.empty()
    turns = training_turns()
    throttle, progress_throttle = Throttle(shared=turns), Throttle()
    started = time.perf_counter()
    try:
        for _ in turns.take(run.records()):
            if throttle.due():
                with throttle.redraw(), chart.container():
                    show_chart(loss_chart(run, log_y, live=True))
            if progress_throttle.due():
                with progress_throttle.redraw():
                    progress.progress(run.last["epoch"] / run.config.epochs,
                                      text=progress_text(run))
    except StopException:
        # Streamlit's own Stop (toolbar) or the end of the session: end the run. With
        # runner.fastReruns (off in config.toml) every rerun would arrive this way too.
        if not st.get_option("runner.fastReruns"):
            run.stop()
        raise
    finally:
        cost = state.setdefault(LIVE_COST, {"seconds": 0.0, "drawing": 0.0, "redraws": 0})
        cost["seconds"] += time.perf_counter() - started
        cost["drawing"] += throttle.seconds
        cost["redraws"] += throttle.redraws
    if run.usable:
        with st.spinner("Comparing with scikit-learn…"):
            run.evaluate()
    st.rerun()



def early_stopping_caption(run):
    """Which epoch early stopping kept, and on which rows it was chosen."""
    fitted, trained = len(run.y_fit), len(run.trained_positions)
    return (f"Early stopping kept epoch {run.best_epoch:,} of {len(run.history):,}: the "
            f"lowest loss on {fitted - trained:,} held-out training rows (validation "
            f"fraction {run.config.validation_fraction:g} of the {fitted:,} rows left for "
            "fitting; neither the validation share's rows nor the test rows are among "
            f"them). The model and the comparison below are that epoch's, trained on the "
            f"other {trained:,} rows.")


def show_run(run, signature, log_y):
    if state.get(RUN_SIGNATURE) != signature:
        st.warning("The data or settings changed since this model was trained: the results "
                   "below are for the earlier settings. Press Train to train with the new ones.")
    if run.running:
        train_live(run, log_y)
    show_chart(loss_chart(run, log_y, live=False))
    STATUS_BOX[run.status](run.message)
    if run.best_epoch is not None:
        st.caption(early_stopping_caption(run))
    cost = state.get(LIVE_COST)
    if run.history and cost and cost["seconds"] > 0:
        st.caption(live_cost_caption(len(run.history), run.compute_seconds, cost))
    if run.usable:
        show_results(run)
