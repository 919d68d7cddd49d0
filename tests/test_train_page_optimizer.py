"""The training page's "What the optimiser did" under AppTest: the surface of the run's own
objective with its path, the two-weight plane, and the race of optimisers."""

import json

import numpy as np
import pytest

from cecore.fitted_objective import fitted_objective
from cecore.race import RACERS, race_table
from tests.test_train_page import open_sample, train

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::cecore.models.DivergenceWarning")]


def specs(at):
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def surfaces(at):
    """The charts with a contour of the objective, and their path traces by name."""
    found = []
    for spec in specs(at):
        types = [trace["type"] for trace in spec["data"]]
        if "contour" in types and spec["data"][0].get("name") == "objective":
            found.append({trace["name"]: trace for trace in spec["data"][1:]
                          if trace.get("showlegend", True)})
    return found, [spec for spec in specs(at) if spec["data"][0].get("name") == "objective"]


def captions(at, text):
    return [c.value.replace("\\", "") for c in at.caption if text in c.value.replace("\\", "")]


def test_after_a_run_the_surface_shows_its_path_on_the_principal_plane_or_two_weights():
    at = open_sample("breast_cancer")
    train(at)
    run = at.session_state["train_run"]
    paths, charts = surfaces(at)
    assert len(paths) == 1 and list(paths[0]) == ["this run"]
    path = paths[0]["this run"]
    assert len(path["x"]) == len(run.history) + 1          # epoch 0, then every epoch
    assert path["x"][-1] == 0 and path["y"][-1] == 0        # the plane goes through the end
    # the hover's objective is the run's records
    recorded = [r["objective"] for r in run.history]
    assert [row[1] for row in path["customdata"][1:]] == pytest.approx(recorded, rel=1e-6)
    assert charts[0]["layout"]["xaxis"]["title"]["text"] == "first principal direction"
    assert captions(at, "two directions the path moved along most")

    at.radio(key="train_surface_plane").set_value("two weights").run()
    assert not at.exception
    first, second = (at.selectbox(key=k).value for k in ("train_surface_first",
                                                          "train_surface_second"))
    names = run.prepared.feature_names + ["intercept"]
    _, charts = surfaces(at)
    assert charts[0]["layout"]["xaxis"]["title"]["text"] == names[first]
    assert charts[0]["layout"]["yaxis"]["title"]["text"] == "intercept" == names[second]
    # the largest weight is offered first
    assert abs(run.estimator.coef_[0, first]) == np.abs(run.estimator.coef_).max()
    assert captions(at, "Only these two parameters vary")


def test_the_race_runs_every_optimiser_on_the_runs_objective_and_draws_their_paths():
    at = open_sample("breast_cancer")
    train(at)
    run = at.session_state["train_run"]
    at.number_input(key="train_race_epochs").set_value(2000).run()
    at.button(key="train_race_start").click().run()
    assert not at.exception
    race = at.session_state["train_race"][2]
    assert not race.running and set(race.lanes) == set(RACERS)
    # the race minimised the run's own objective, from the run's start
    objective = fitted_objective(run.estimator, run.X_fit, run.y_fit)
    assert race.start_objective == objective.loss_objective_gradient(objective.initial())[1]
    nesterov_run = run.history[-1]["objective"]
    assert race.best_objective <= nesterov_run * (1 + 1e-9)

    assert not [w for w in at.warning if "No optimiser converged" in w.value]
    table = [t.value for t in at.dataframe if "optimiser" in t.value.columns][0]
    expected = race_table(race)
    assert list(table["optimiser"]) == list(expected["optimiser"])
    np.testing.assert_array_equal(table["epochs to 1e-6"], expected["epochs to 1e-6"])
    gap_charts = [s for s in specs(at)
                  if s["layout"].get("yaxis", {}).get("title", {}).get("text")
                  == "objective − best objective"]
    assert len(gap_charts) == 2 and all(s["layout"]["yaxis"]["type"] == "log"
                                        for s in gap_charts)
    assert {t["name"] for t in gap_charts[0]["data"]} == set(expected["optimiser"])
    paths, _ = surfaces(at)
    assert len(paths) == 2 and set(paths[1]) == set(expected["optimiser"])

    assert race.X is None and race.objective is None   # the session keeps records and paths

    at.toggle(key="train_race_raw").set_value(True).run()
    at.button(key="train_race_start").click().run()
    _, raw, raw_race = at.session_state["train_race"]
    assert raw and raw_race is not race
    # the same start, another valley: plain GD's first step lands elsewhere
    assert raw_race.start_objective == pytest.approx(race.start_objective, rel=1e-12)
    assert raw_race.lanes["gd"].records[1]["objective"] != pytest.approx(
        race.lanes["gd"].records[1]["objective"], rel=1e-3)
    assert captions(at, "Features in their own units.")


def test_a_race_cut_short_by_its_budget_says_that_its_best_is_not_the_minimum():
    at = open_sample("breast_cancer")
    train(at)
    at.number_input(key="train_race_epochs").set_value(10).run()
    at.button(key="train_race_start").click().run()
    race = at.session_state["train_race"][2]
    assert not race.settled
    assert [w for w in at.warning if "No optimiser converged within its budget" in w.value]
