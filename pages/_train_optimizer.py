"""The training page's section on what the optimiser did: the loss surface of the run's own
objective with its path, and a race of optimisers on the same rows (computed in cecore)."""

import numpy as np
import streamlit as st

from cecore import charts
from cecore.live import Throttle
from cecore.race import TARGET_GAP, race_surface, race_table
from cecore.run_walks import parameter_names, run_race, run_surface, trained_theta
from pages._markdown import markdown_text
from pages._shared import show_chart
from pages._train_common import KEEP, say, state, training_turns

SURFACE = "train_surface"      # (run, plane choice, LossSurface figure, caption)
RACE = "train_race"            # (run, raw, Race)
PLANE = "train_surface_plane"
PRINCIPAL, TWO_WEIGHTS = "principal directions of the path", "two weights"
#: the weights offered for an exact plane: the largest by |w| (and the intercept)
PLANE_CHOICES = 30


def show_optimizer(run):
    st.subheader("What the optimiser did")
    show_surface(run)
    show_race(run)


def weight_choices(run):
    """Flat indices of theta worth offering: the largest |w| entries, then the intercepts."""
    trained = trained_theta(run)
    theta = trained.ravel()
    d = run.prepared.X_train.shape[1]
    per_row = trained.shape[1] if trained.ndim == 2 else 1
    weights = np.argsort(-np.abs(theta[: d * per_row]), kind="stable")[:PLANE_CHOICES]
    return [int(i) for i in weights] + list(range(d * per_row, theta.size))


def show_surface(run):
    st.markdown("**The loss surface it walked**")
    exact_only = trained_theta(run).size == 2
    names = parameter_names(run)
    if exact_only:
        plane, first, second = "exact", 0, 1
    else:
        left, middle, right = st.columns([2, 2, 2])
        choice = left.radio("Plane", [PRINCIPAL, TWO_WEIGHTS], key=PLANE, persist_state=KEEP,
                            horizontal=False,
                            help="principal directions: the plane through the trained "
                                 "weights that holds most of the path (Li et al. 2018). "
                                 "Two weights: those two vary, the others stay trained.")
        plane, first, second = "principal", None, None
        if choice == TWO_WEIGHTS:
            offered = weight_choices(run)
            label = {i: markdown_text(names[i]) for i in offered}
            first = middle.selectbox("Horizontal", offered, format_func=label.get,
                                     key="train_surface_first")
            second = right.selectbox("Vertical", offered, index=len(offered) - 1
                                     if run.kind != "softmax" else 1,
                                     format_func=label.get, key="train_surface_second")
            plane = "exact"
            if first == second:
                st.info("Choose two different weights.")
                return
    cached = state.get(SURFACE)
    key = (plane, first, second)
    if cached is None or cached[0] is not run or cached[1] != key:
        with st.spinner("Evaluating the objective over the plane…"):
            surface = run_surface(run, plane, first=first or 0, second=second)
        cached = (run, key, charts.loss_surface(surface), surface_caption(run, surface))
        state[SURFACE] = cached
    show_chart(cached[2])
    say(st.caption, cached[3])


def surface_caption(run, surface):
    epochs = len(run.history)
    shown = len(next(iter(surface.paths.values())).epochs)
    thinned = f" ({shown} of them drawn, evenly spaced)" if shown < epochs + 1 else ""
    if surface.kind == "principal":
        share = sum(surface.explained)
        where = (f"The plane through the trained weights spanned by the two directions the "
                 f"path moved along most (Li et al. 2018): they hold {share:.0%} of its "
                 "squared distance to the end. The path is projected onto it, so its points "
                 "lie above or below the surface by what the plane leaves out.")
    elif trained_theta(run).size == 2:
        where = ("The whole parameter space: one weight and the intercept. The path lies on "
                 "the surface.")
    else:
        where = ("Only these two parameters vary; every other one stays at its trained "
                 "value. The path shows the two parameters' values at each epoch; the others "
                 "moved too, so it is not on this surface until the end.")
    scale = ("The features are standardised, so the valley is only as narrow as their "
             "correlations make it; race on raw features below to see the difference."
             if run.options.scale else
             "The features are in their own units: the valley is long and narrow, and plain "
             "gradient descent zig-zags across it.")
    return (f"Contours of the training objective J = mean cross-entropy + α/2·‖W‖², the very "
            f"value training minimised, over a 60 × 60 grid; the line is the run's "
            f"{epochs} epochs{thinned}, from the circle to the star. {where} {scale}")


def start_race(run, raw, max_epochs):
    old = state.get(RACE)
    if old is not None:
        old[2].stop()
    try:
        state[RACE] = (run, raw, run_race(run, raw=raw, max_epochs=max_epochs))
    except ValueError as error:
        say(st.error, str(error))


def stop_race():
    """on_click of the race's Stop: runs before the rerun the click caused."""
    race = state.get(RACE)
    if race is not None:
        race[2].stop()


def show_race(run):
    st.markdown("**A race of optimisers on the same objective**")
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    raw = False
    if run.options.scale:
        raw = left.toggle("Race on raw features (not standardised)", key="train_race_raw",
                          persist_state=KEEP,
                          help="the same rows and model with the numeric features in their "
                               "own units: an ill-conditioned valley, where plain gradient "
                               "descent crawls")
    max_epochs = middle.number_input("Epochs per optimiser", min_value=10, max_value=20_000,
                                     value=1000, step=100, key="train_race_epochs",
                                     persist_state=KEEP)
    if right.button("Start the race", key="train_race_start", width="stretch"):
        start_race(run, raw, int(max_epochs))
    cached = state.get(RACE)
    if cached is not None and cached[0] is not run:   # a race of an earlier run: end it
        cached[2].stop()
        del state[RACE]
        cached = None
    if cached is None:
        st.caption("gradient descent, Nesterov, Adam, mini-batch SGD and scipy's L-BFGS on "
                   "the objective this run minimised, from the same start: how many epochs "
                   "and milliseconds each needs, and where each walks.")
        return
    race = cached[2]
    if race.running:
        st.button("Stop the race", key="train_race_stop", on_click=stop_race)
        race_live(race)
    show_race_results(race, cached[1])


def race_progress_text(lane, record):
    return f"{lane.label}: epoch {record['epoch']:,}, objective {record['objective']:.8g}"


def race_live(race):
    """Advance the race, taking turns with the visitors' trainings; redraw a few times a
    second. A click interrupts this at its next ``st`` call; the race stays in the session."""
    chart, progress = st.empty(), st.empty()
    turns = training_turns()
    throttle = Throttle(shared=turns)
    lanes = list(race.lanes)
    for lane, record in turns.take(race.steps()):
        if throttle.due():
            with throttle.redraw():
                with chart.container():
                    show_chart(charts.race_gap(race, x="epoch"))
                done = lanes.index(lane.name) + min(1.0, record["epoch"] / race.max_epochs)
                progress.progress(min(done / len(lanes), 1.0),
                                  text=race_progress_text(lane, record))
    st.rerun()


def show_race_results(race, raw):
    stopped = [lane.label for lane in race.lanes.values() if lane.status == "stopped"]
    skipped = [lane.label for lane in race.lanes.values() if lane.status == "not run"]
    if stopped or skipped:
        st.info(f"The race was stopped{' during ' + stopped[0] if stopped else ''}"
                + (f"; {', '.join(skipped)} did not run." if skipped else ".")
                + " Start it again to run every optimiser.")
    if not race.running and not race.settled:
        st.warning("No optimiser converged within its budget, so J* below is only the lowest "
                   "objective any of them reached, not the minimum: the times to 1e-6 are "
                   "measured against it. Give them more epochs per optimiser.")
    left, right = st.columns(2, gap="medium")
    with left:
        show_chart(charts.race_gap(race, x="epoch"))
    with right:
        show_chart(charts.race_gap(race, x="seconds"))
    table = race_table(race)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "ms to 1e-6": st.column_config.NumberColumn(format="%.1f"),
        "final objective": st.column_config.NumberColumn(format="%.10g"),
        "final gap": st.column_config.NumberColumn(format="%.1e")})
    st.caption(f"Each line is J − J*, J* the lowest objective any of them reached "
               f"({race.best_objective:.10g}); the table counts epochs, milliseconds of "
               f"computing and passes over the data until J is within {TARGET_GAP:g} of J* "
               "(relative). An epoch is one step on all rows (L-BFGS: one iteration, which "
               "may evaluate the objective more than once), or one pass of mini-batches. "
               "A lane stops within 1e-9 of L-BFGS's objective, or at its epoch or 10 s "
               "budget; None: it did not come within 1e-6 before that."
               f"{' Features in their own units.' if raw else ''}")
    if not race.running:
        cached = state.get(SURFACE + "_race")
        if cached is None or cached[0] is not race:
            with st.spinner("Evaluating the objective over the plane…"):
                cached = (race, charts.loss_surface(race_surface(race)))
            state[SURFACE + "_race"] = cached
            race.release_rows()         # the session keeps the records and paths only
        st.markdown("**Where each optimiser walked**")
        show_chart(cached[1])
        st.caption("The plane through the best point spanned by the two main directions of "
                   "all the paths together; each path projected onto it.")
