"""The training page under AppTest: early stopping (the settings, the status, the kept epoch)
and the regularisation path (computed on a click, the best alpha marked, one click trains
with it)."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_early_stopping_run import wide_frame

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def wide_csv(n=200, d=500):
    """200 rows, 500 random features, 5 of them informative: a small alpha overfits."""
    return wide_frame(n=n, d=d).to_csv(index=False).encode()


def open_with(content, name="wide.csv", **query):
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/train.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.file_uploader(key="train_upload").upload(name, content, "text/csv").run()
    assert not at.exception
    return at


def train(at):
    at.button(key="train_start").click().run()
    assert not at.exception


def captions(at):
    return [c.value.replace("\\", "") for c in at.caption]


def test_early_stopping_on_the_page_ends_the_run_and_names_the_kept_epoch():
    at = open_with(wide_csv(), train_alpha="0.0001")
    assert at.toggle(key="train_early_stopping").value is False
    assert at.number_input(key="train_validation_fraction").disabled
    at.toggle(key="train_early_stopping").set_value(True).run()
    assert not at.number_input(key="train_validation_fraction").disabled
    at.number_input(key="train_validation_fraction").set_value(0.2).run()
    at.number_input(key="train_n_iter_no_change").set_value(3).run()
    train(at)

    run = at.session_state["train_run"]
    assert (run.config.early_stopping, run.config.validation_fraction,
            run.config.n_iter_no_change) == (True, 0.2, 3)
    assert run.status == "early_stopping" and len(run.history) == run.best_epoch + 3
    assert at.success[0].value.startswith(f"Stopped early at epoch {len(run.history)}")
    held = len(run.y_fit) - len(run.trained_positions)
    assert held == int(np.ceil(0.2 * len(run.y_fit)))
    kept = [c for c in captions(at) if c.startswith("Early stopping kept epoch")]
    assert kept == [f"Early stopping kept epoch {run.best_epoch:,} of {len(run.history):,}: "
                    f"the lowest loss on {held:,} held-out training rows (validation fraction "
                    f"0.2 of the {len(run.y_fit):,} rows left for fitting; neither the "
                    "validation share's rows nor the test rows are among them). The model "
                    "and the comparison below are that epoch's, trained on the other "
                    f"{len(run.trained_positions):,} rows."]
    table = [t.value for t in at.dataframe if "cecore (training record)" in t.value.columns][0]
    assert table.loc["train loss", "cecore (training record)"] == run.kept_record["loss"]


def charts_named(at, prefix):
    """The Plotly specs with a trace whose name starts with ``prefix``."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [s for s in specs if any(t.get("name", "").startswith(prefix) for t in s["data"])]


def test_the_path_is_computed_on_a_click_and_one_click_trains_with_its_best_alpha():
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/train.py")
    at.query_params["train_source"] = "Sample dataset"
    at.query_params["train_sample"] = "breast_cancer"
    at.run()
    train(at)
    run = at.session_state["train_run"]
    assert at.button(key="train_path_start").label == "Compute the regularisation path"
    assert not charts_named(at, "best alpha")
    at.button(key="train_path_start").click().run()
    assert not at.exception

    key, tracer = at.session_state["train_regularization_path"]
    path = tracer.result()
    assert key[0] is run.prepared and 0.01 in path.alphas      # the run's alpha on the grid
    (losses,) = charts_named(at, "validation loss")
    traces = {t["name"]: t for t in losses["data"]}
    best = f"best alpha {path.best_alpha:.3g}"
    assert traces[best]["x"] == [path.best_alpha] * 2
    star = traces["lowest validation loss"]
    assert star["x"] == [pytest.approx(path.best_alpha)]
    assert star["y"] == [pytest.approx(min(traces["validation loss"]["y"]))]
    assert traces["this run's alpha 0.01"]["x"] == [0.01, 0.01]
    assert len(charts_named(at, best)) == 2                      # the weights chart too
    caption = [c for c in captions(at) if c.startswith("Each point is the model")][0]
    n = round(path.n_fit)
    assert n == len(run.y_fit) - int(np.ceil(0.2 * len(run.y_fit)))    # 20% held out
    assert tracer.X is None                       # the session keeps the path, not its rows
    assert f"C = 1/(alpha·n) with n = {n:,} fitted rows" in caption
    assert f"from C = {1 / (path.alphas[0] * n):.3g} at alpha {path.alphas[0]:.3g}" in caption
    assert f"validation loss on {path.n_validation:,} training rows" in caption

    button = at.button(key="train_path_use_best")
    assert button.label == f"Train with alpha = {path.best_alpha:.3g}"
    assert path.best_alpha != 0.01 and not button.disabled
    button.click().run()
    assert not at.exception
    trained = at.session_state["train_run"]
    assert trained is not run and trained.config.alpha == path.best_alpha
    assert trained.usable and trained.prepared is run.prepared
    assert at.number_input(key="train_alpha").value == path.best_alpha
    assert not [w for w in at.warning if "settings changed" in w.value]
    # the same data and model: the path stays, with the new run's alpha on it
    (losses,) = charts_named(at, "validation loss")
    names = {t["name"] for t in losses["data"]}
    assert f"this run's alpha {path.best_alpha:g}" in names
    assert at.button(key="train_path_use_best").disabled


def test_on_issue_14s_wide_table_the_page_shows_the_overfitting_and_a_larger_best_alpha():
    at = open_with(wide_csv(n=100, d=20_000), train_alpha="0.01")
    train(at)
    run = at.session_state["train_run"]
    tests = [r["val_loss"] for r in run.history]
    assert tests[-1] > tests[0]                   # the run: the test loss climbs
    at.button(key="train_path_start").click().run()
    assert not at.exception
    path = at.session_state["train_regularization_path"][1].result()
    at_run = int(np.flatnonzero(path.alphas == 0.01)[0])
    assert path.best_alpha > 0.01
    assert path.test_loss[at_run] > path.test_loss[path.best_index]
    assert path.train_loss[at_run] < path.train_loss[path.best_index]
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text")
              for c in at.get("plotly_chart")]
    assert "30 of 20,000 weights, the largest by |w| at the smallest alpha" in titles
    assert at.button(key="train_path_use_best").label == (
        f"Train with alpha = {path.best_alpha:.3g}")
