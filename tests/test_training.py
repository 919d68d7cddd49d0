"""cecore.training (the pipeline of the page and the command) and the training charts."""

import io
import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from training_runs import trained as shared_trained

from cecore import charts, data, samples
from cecore.evaluation import decision_grid
from cecore.export import history_csv, model_json, predictions_csv, summary
from cecore.live import Throttle, TrainingTurns, format_duration, live_cost_caption
from cecore.losses import softmax
from cecore.models import DivergenceWarning
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data, resolve_model
from pages._markdown import markdown_text


def messy_frame(n=240, seed=0):
    """A table as people have them: an id, missing values, text categories (one of them a
    spreadsheet formula, one with HTML), a date, free text, a constant, a class column."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    city = rng.choice(["Paris", "Lyon", "=SUM(A1:A2)", "<b>Nice</b>"], n)
    score = 0.05 * (age - 50) + (city == "Paris") + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": age,
        "city": city,
        "signup": pd.date_range("2022-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "comment": [f"call {i} went fine, code {rng.integers(10**6)}" for i in range(n)],
        "country": "FR",
        "plan": np.where(score > 0.5, "premium", np.where(score > -0.5, "basic", "free")),
    })
    frame.loc[rng.choice(n, 20, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "city"] = None
    return data.read_csv(frame.to_csv(index=False).encode())


def trained(frame, target, features=None, config=None, options=None):
    """A finished run; only ConvergenceWarning is silenced (a test here expects the
    DivergenceWarning)."""
    return shared_trained(frame, target, features, options, config, ignore=ConvergenceWarning)


@pytest.fixture(scope="module")
def iris_run():
    return trained(samples.load_sample("iris"), "target")


@pytest.fixture(scope="module")
def messy_run():
    frame = messy_frame()
    return trained(frame, "plan", data.suggest_features(frame, "plan")[0])


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("field, value", [
    ("model", "tree"), ("learning_rate", 0), ("learning_rate", "fast"),
    ("learning_rate", float("nan")), ("epochs", 0), ("epochs", 2.5), ("batch_size", 0),
    ("solver", "sgd"), ("alpha", -1.0), ("tol", float("inf")), ("seed", -1),
    ("epochs", True),
])
def test_invalid_settings_raise_a_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("field, value", [("test_size", 1.0), ("missing", "zero"),
                                          ("dates", "keep"), ("scale", "yes")])
def test_invalid_data_options_raise(field, value):
    with pytest.raises(ValueError, match=field):
        DataOptions(**{field: value})


def test_the_defaults_converge_on_every_bundled_sample():
    for name in samples.SAMPLES:
        run = trained(samples.load_sample(name), "target")
        assert run.status == "converged", name
        assert len(run.history) < 1000


def test_auto_picks_logistic_for_two_classes_and_softmax_otherwise():
    assert resolve_model("auto", 2) == "logistic"
    assert resolve_model("auto", 3) == "softmax"
    assert resolve_model("softmax", 2) == "softmax"
    with pytest.raises(data.DataError, match="3 classes"):
        resolve_model("logistic", 3)


# --------------------------------------------------------------------------- the run
def test_records_are_the_history_and_the_estimator_holds_the_last_epoch(iris_run):
    run = iris_run
    assert run.status == "converged" and not run.running and run.usable
    assert [r["epoch"] for r in run.history] == list(range(1, len(run.history) + 1))
    p = run.prepared
    assert run.last["loss"] == pytest.approx(
        log_loss(p.y_train, run.estimator.predict_proba(p.X_train)), abs=1e-12)
    assert run.last["val_loss"] == pytest.approx(
        log_loss(p.y_test, run.estimator.predict_proba(p.X_test)), abs=1e-12)
    assert run.step() is None
    assert 0 < run.compute_seconds


def test_stop_keeps_the_model_of_the_last_finished_epoch():
    frame = samples.load_sample("breast_cancer")
    prepared = prepare_data(frame, "target", None, DataOptions(), 0)
    run = TrainingRun(prepared, TrainConfig(solver="gd"), frame=frame)
    for _ in range(3):
        run.step()
    coef = run.estimator.coef_.copy()
    run.stop()

    assert run.status == "stopped" and "epoch 3" in run.message
    assert run.step() is None and len(run.history) == 3
    np.testing.assert_array_equal(run.estimator.coef_, coef)
    assert run.evaluate().comparison.ours_train_loss == run.history[-1]["loss"]
    assert run.evaluate() is run.evaluate()


def test_stop_before_the_first_epoch_leaves_nothing_to_evaluate():
    frame = samples.load_sample("iris")
    run = TrainingRun(prepare_data(frame, "target", None, DataOptions(), 0), TrainConfig())
    run.stop()
    assert run.status == "stopped" and not run.usable
    with pytest.raises(ValueError, match="Nothing to evaluate"):
        run.evaluate()


def test_divergence_ends_the_run_with_the_fix_in_its_message():
    frame = samples.load_sample("breast_cancer")
    config = TrainConfig(learning_rate=1e4, solver="gd", alpha=0.0)
    with pytest.warns(DivergenceWarning):
        run = trained(frame, "target", config=config)
    assert run.status == "diverged"
    assert "smaller learning rate" in run.message
    assert not run.usable  # it diverged in epoch 1: no finished epoch to show


def test_bad_settings_for_the_data_fail_before_the_first_epoch():
    prepared = prepare_data(samples.load_sample("iris"), "target", None, DataOptions(), 0)
    with pytest.raises(data.DataError, match="logistic"):
        TrainingRun(prepared, TrainConfig(model="logistic"))


# --------------------------------------------------------------------------- results
def test_results_on_a_messy_table(messy_run):
    run, results = messy_run, messy_run.evaluate()
    p = run.prepared
    assert run.kind == "softmax" and list(p.classes) == ["basic", "free", "premium"]
    assert results.split == "test"
    assert results.confusion.to_numpy().sum() == len(p.y_test)
    assert list(results.per_class.index) == ["basic", "free", "premium"]
    assert results.per_class["rows"].sum() == len(p.y_test)
    assert results.coefficients.shape == (3, len(p.feature_names))
    assert list(results.coefficients.columns) == p.feature_names
    assert results.sample_losses.mean() == pytest.approx(run.last["val_loss"], abs=1e-12)
    worst = results.worst["loss"].to_numpy()
    assert len(worst) == 10 and np.all(np.diff(worst) <= 0)
    assert worst[0] == pytest.approx(results.sample_losses.max())


def test_predictions_name_the_rows_and_repeat_their_inputs(messy_run):
    predictions = messy_run.evaluate().predictions
    frame = messy_run.frame
    rows = predictions["row"].to_numpy()
    assert np.array_equal(predictions["true plan"].to_numpy(),
                          frame.loc[rows, "plan"].to_numpy())
    pd.testing.assert_series_equal(predictions["age"], frame.loc[rows, "age"],
                                   check_index=False)
    p_columns = [f"p({c})" for c in messy_run.prepared.classes]
    np.testing.assert_allclose(predictions[p_columns].sum(axis=1), 1.0)


def test_predictions_csv_never_starts_a_cell_with_a_formula(messy_run):
    text = predictions_csv(messy_run.evaluate())
    cells = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert (cells["city"] == "'=SUM(A1:A2)").any()
    for column in cells.columns:
        assert not cells[column].str.match(r"^[=+@]").any(), column
        assert not cells[column].str.match(r"^-[^0-9.]").any(), column


def test_history_csv_has_one_line_per_epoch(iris_run):
    history = pd.read_csv(io.StringIO(history_csv(iris_run.history)))
    assert list(history.columns) == ["epoch", "loss", "val_loss", "objective", "grad_norm",
                                     "learning_rate", "seconds"]
    assert len(history) == len(iris_run.history)
    assert history["loss"].iloc[-1] == pytest.approx(iris_run.last["loss"])


def test_model_json_is_enough_to_predict_without_cecore(iris_run):
    model = json.loads(model_json(iris_run))
    assert model["classes"] == ["setosa", "versicolor", "virginica"]
    assert model["hyperparameters"]["alpha"] == 0.01
    assert model["hyperparameters"]["data"]["test_size"] == 0.25
    assert model["final"]["epochs"] == len(iris_run.history)
    assert model["comparison_with_sklearn"]["ours_objective"] == iris_run.last["objective"]
    assert model["format"] == "cecore-model/2" and model["preprocessing"]["polynomial"] is None
    inputs = model["preprocessing"]["inputs"]
    assert {column["kind"] for column in inputs} == {"numeric"}
    rows = iris_run.frame[[column["column"] for column in inputs]].to_numpy()
    x = ((rows - np.array([column["mean"] for column in inputs]))
         / np.array([column["scale"] for column in inputs]))
    proba = softmax(x @ np.array(model["coef"]).T + np.array(model["intercept"]), axis=1)
    np.testing.assert_allclose(proba, iris_run.estimator.predict_proba(iris_run.prepared.X),
                               atol=1e-12)


def test_model_json_describes_one_hot_and_date_steps():
    frame = messy_frame()
    features = ["age", "city", "signup"]
    run = trained(frame, "plan", features, options=DataOptions(dates="expand"))
    model = json.loads(model_json(run))
    inputs = {column["column"]: column for column in model["preprocessing"]["inputs"]}
    assert inputs["signup"]["kind"] == "date" and inputs["city"]["kind"] == "categorical"
    assert "Paris" in inputs["city"]["categories"]
    assert [part["part"] for part in inputs["signup"]["parts"]] == ["year", "month", "day",
                                                                    "dayofweek"]
    assert "signup_year" in model["feature_names"]


def test_summary_holds_the_numbers_of_the_command(iris_run):
    s = summary(iris_run)
    assert s["model"] == "softmax" and s["n_train"] + s["n_test"] == 150
    assert s["train_loss"] == pytest.approx(s["sklearn_log_loss_train"], abs=1e-9)
    assert s["objective"] == pytest.approx(s["sklearn_solver"]["objective"], rel=1e-6)
    json.dumps(s, allow_nan=False)


def test_an_empty_test_set_evaluates_on_the_training_rows():
    run = trained(samples.load_sample("iris"), "target", options=DataOptions(test_size=0.0))
    results = run.evaluate()
    assert results.split == "training"
    assert results.confusion.to_numpy().sum() == 150
    assert summary(run)["test_loss"] is None


def test_decision_grid_only_for_two_numeric_features():
    run = trained(samples.load_sample("moons", noise=0.2), "target")
    grid = decision_grid(run, resolution=30)
    assert grid.proba.shape == (30, 30, 2)
    np.testing.assert_allclose(grid.proba.sum(axis=2), 1.0)
    assert grid.points.min() >= grid.x[0] and grid.points[:, 0].max() <= grid.x[-1]
    assert decision_grid(trained(samples.load_sample("iris"), "target")) is None


# --------------------------------------------------------------------------- helpers
def test_throttle_waits_the_interval_and_caps_the_share_of_slow_redraws():
    now = [0.0]
    throttle = Throttle(interval=0.25, share=0.1, clock=lambda: now[0])
    assert throttle.due()
    with throttle.redraw():
        now[0] += 0.01  # a fast redraw: the next one is due after the interval
    assert not throttle.due()
    now[0] = 0.26
    assert throttle.due()
    with throttle.redraw():
        now[0] += 0.1  # a slow redraw: wait 10 times as long, so drawing is <= 10 %
    now[0] += 0.9
    assert not throttle.due()
    now[0] += 0.11
    assert throttle.due()
    assert throttle.redraws == 2 and throttle.seconds == pytest.approx(0.11)


def test_throttle_stretches_its_interval_by_the_trainings_active_at_once():
    now = [0.0]
    turns = TrainingTurns()
    throttle = Throttle(interval=0.25, share=0.1, clock=lambda: now[0], shared=turns)
    turns.active = 3  # three trainings inside turns.take
    with throttle.redraw():
        now[0] += 0.01
    now[0] = 0.75
    assert not throttle.due()  # three at once: every 3 x 0.25 s after the last start
    now[0] = 0.76
    assert throttle.due()
    turns.active = 0
    with throttle.redraw():
        now[0] += 0.01
    now[0] += 0.25
    assert throttle.due()  # alone again: every 0.25 s


def test_training_turns_alone_yields_every_record_in_order():
    turns = TrainingTurns(slots=1, slice_seconds=0.0)  # a new turn after every record
    assert list(turns.take(iter(range(5)))) == [0, 1, 2, 3, 4]
    assert (turns.running, turns.active) == (0, 0)
    assert list(turns.take(iter([]))) == []


def test_training_turns_let_one_training_compute_at_a_time_first_come_first_served():
    turns = TrainingTurns(slots=1, slice_seconds=0.002)
    inside, most_inside, order, lock = [0], [0], [], threading.Lock()

    def epochs(name, n):
        for i in range(n):
            with lock:
                inside[0] += 1
                most_inside[0] = max(most_inside[0], inside[0])
            time.sleep(0.001)  # an epoch (sleeping releases the GIL, as numpy would)
            with lock:
                inside[0] -= 1
                order.append(name)
            yield (name, i)

    results = {}

    def train(name):
        results[name] = list(turns.take(epochs(name, 30)))

    threads = [threading.Thread(target=train, args=(name,)) for name in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not thread.is_alive() for thread in threads)
    assert most_inside[0] == 1  # never two epochs at once
    for name in "abc":
        assert results[name] == [(name, i) for i in range(30)]
    switches = sum(a != b for a, b in zip(order, order[1:], strict=False))
    assert switches >= 10  # they took turns, not one after the other
    assert (turns.running, turns.active) == (0, 0)


def test_training_turns_are_handed_over_when_a_training_fails_or_is_interrupted():
    turns = TrainingTurns(slots=1, slice_seconds=10.0)

    def failing():
        yield 1
        raise FloatingPointError("diverged")

    with pytest.raises(FloatingPointError):
        list(turns.take(failing()))
    assert (turns.running, turns.active) == (0, 0)
    # a consumer interrupted between records (a click reruns the page) closes the generator
    taken = turns.take(iter(range(100)))
    assert next(taken) == 0
    assert turns.active == 1
    taken.close()
    assert (turns.running, turns.active) == (0, 0)
    assert list(turns.take(iter(range(3)))) == [0, 1, 2]  # the slot is free again


def test_training_turns_survive_a_wait_that_is_interrupted(monkeypatch):
    turns = TrainingTurns(slots=1)
    for handed_over in (False, True):
        turns._acquire()  # another training computes now

        class Interrupted(threading.Event):
            def wait(self, timeout=None, handed_over=handed_over):
                if handed_over:
                    turns._release()  # the other training hands its slot over...
                raise KeyboardInterrupt  # ...as Ctrl-C arrives (a notebook, the CLI)

        monkeypatch.setattr(threading, "Event", Interrupted)
        with pytest.raises(KeyboardInterrupt):
            list(turns.take(iter(range(3))))
        monkeypatch.undo()
        if not handed_over:
            turns._release()  # the other training's turn ends
        assert (turns.running, turns.active, list(turns._waiting)) == (0, 0, [])
        assert list(turns.take(iter(range(3)))) == [0, 1, 2]  # no one waits for a lost slot


def test_markdown_text_shows_user_text_literally():
    joiner = "\u2060"  # invisible: keeps GFM from linking bare addresses
    assert markdown_text("[x](http://e.com)") == r"\[x\]\(http" + joiner + r"\:\/\/e\.com\)"
    assert markdown_text("**a** $b$ :red[c]") == r"\*\*a\*\* \$b\$ \:red\[c\]"
    assert markdown_text("plain words") == "plain words"
    # Streamlit links bare addresses and draws arrows for "a -> b" even when escaped
    for text in ("HTTPS://e.com", "www.e.com", "me@e.com", "'x' -> 'x.1'", "a <-> b",
                 "a -- b", "a >= b", "a <= b", "a ~= b"):
        shown = markdown_text(text).replace("\\", "")
        assert joiner in shown and shown.replace(joiner, "") == text


# --------------------------------------------------------------------------- charts
def test_live_loss_chart_has_fixed_axes(iris_run):
    history = iris_run.history
    early = charts.training_loss(history[:5], max_epochs=1000)
    late = charts.training_loss(history, max_epochs=1000)
    assert early.layout.xaxis.range == late.layout.xaxis.range == (0, 1000)
    assert early.layout.yaxis.range == late.layout.yaxis.range  # the first epoch sets it
    names = [trace.name for trace in late.data]
    assert names == ["train loss", "test loss"]
    assert len(late.data[0].x) == len(history)


def test_log_axis_moves_only_at_powers_of_ten():
    history = [{"loss": v, "val_loss": None} for v in (0.9, 0.5, 0.2, 0.05)]
    assert charts.loss_axis_range(history, log_y=True) == [-2.0, 0.0]
    assert charts.loss_axis_range(history[:3], log_y=True) == [-1.0, 0.0]
    fig = charts.training_loss([dict(h, epoch=i + 1) for i, h in enumerate(history)],
                               log_y=True)
    assert fig.layout.yaxis.type == "log" and len(fig.data) == 1


def test_long_histories_are_thinned_but_keep_the_last_epoch():
    history = [{"epoch": i, "loss": 1 / i, "val_loss": None} for i in range(1, 10_001)]
    fig = charts.training_loss(history, max_points=500)
    assert len(fig.data[0].x) <= 501 and fig.data[0].x[-1] == 10_000


def test_user_text_in_charts_is_shown_not_interpreted(messy_run):
    results = messy_run.evaluate()
    assert charts.plotly_text("<b>Nice</b> & co") == "&lt;b&gt;Nice&lt;/b&gt; &amp; co"
    bars = charts.coefficient_bars(results.coefficients, "premium")
    assert any("&lt;b&gt;" in label for label in bars.data[0].y)
    assert not any("<b>" in label for label in bars.data[0].y)
    heat = charts.confusion_heatmap(results.confusion)
    assert heat.layout.xaxis.type == heat.layout.yaxis.type == "category"
    assert heat.data[0].z.sum() == results.confusion.to_numpy().sum()


def test_other_training_charts_draw(messy_run):
    results = messy_run.evaluate()
    histogram = charts.sample_loss_histogram(results.sample_losses)
    assert len(histogram.data[0].x) == len(results.sample_losses)
    run = trained(samples.load_sample("blobs"), "target")
    fig = charts.decision_map(decision_grid(run, resolution=20))
    assert fig.data[0].type == "heatmap" and [t.name for t in fig.data[1:]] == ["A", "B", "C"]
    moons = trained(samples.load_sample("moons"), "target")
    fig = charts.decision_map(decision_grid(moons, resolution=20))
    assert [t.type for t in fig.data[:2]] == ["contour", "contour"]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.0, "0.0 ms"), (0.00042, "0.4 ms"), (0.0094, "9.4 ms"), (0.0096, "10 ms"),
    (0.0384, "38 ms"), (0.9994, "999 ms"), (0.9996, "1.00 s"), (1.254, "1.25 s"),
    (59.99, "59.99 s"), (59.996, "1 min 00 s"), (125.4, "2 min 05 s"),
])
def test_format_duration(seconds, shown):
    assert format_duration(seconds) == shown


def test_live_cost_caption_names_training_and_drawing_time():
    cost = {"seconds": 0.5, "drawing": 0.05, "redraws": 3}
    assert live_cost_caption(39, 0.0042, cost) == (
        "39 epochs in 4.2 ms of training; the live chart took 50 ms (10% of the time) "
        "for 3 redraws.")
    one = {"seconds": 2.0, "drawing": 0.0, "redraws": 1}
    assert live_cost_caption(1, 1.5, one) == (
        "1 epoch in 1.50 s of training; the live chart took 0.0 ms (0% of the time) "
        "for 1 redraw.")


def test_an_error_inside_an_epoch_stops_the_run_and_keeps_the_last_good_epoch(monkeypatch):
    from cecore.objective import MultinomialObjective

    frame = samples.load_sample("iris")
    config = TrainConfig(solver="gd", epochs=50)
    one_epoch = trained(frame, "target", config=TrainConfig(solver="gd", epochs=1))
    calls = []
    real = MultinomialObjective.loss_objective_gradient

    def fails_in_epoch_2(self, theta):
        calls.append(1)
        if len(calls) == 3:  # the starting point, epoch 1, then epoch 2
            raise MemoryError
        return real(self, theta)

    monkeypatch.setattr(MultinomialObjective, "loss_objective_gradient", fails_in_epoch_2)
    run = TrainingRun(prepare_data(frame, "target", None, DataOptions(), 0), config)
    assert run.step()["epoch"] == 1
    assert run.step() is None
    assert run.status == "stopped" and not run.running
    assert run.message == ("Training stopped in epoch 2 because there was not enough memory; "
                           "the model of epoch 1 is kept.")
    assert run.step() is None and run.status == "stopped"  # stays stopped, no AttributeError
    assert len(run.history) == 1 and run.usable
    np.testing.assert_array_equal(run.estimator.coef_, one_epoch.estimator.coef_)
    assert run.evaluate().split == "test"


def test_an_error_in_the_first_epoch_leaves_no_model(monkeypatch):
    from cecore.objective import MultinomialObjective

    def always_fails(self, theta):
        raise FloatingPointError("overflow in exp")

    run = TrainingRun(prepare_data(samples.load_sample("iris"), "target", None, DataOptions(),
                                   0), TrainConfig())
    monkeypatch.setattr(MultinomialObjective, "loss_objective_gradient", always_fails)
    assert run.step() is None
    assert run.status == "stopped" and not run.usable
    assert "FloatingPointError: overflow in exp" in run.message and "no model" in run.message


def test_a_validation_share_is_held_out_of_fitting_and_fits_the_temperature():
    frame = samples.load_sample("breast_cancer")
    run = trained(frame, "target", config=TrainConfig(validation_share=0.2))
    p = run.prepared
    assert len(run.y_fit) + len(run.y_validation) == len(p.y_train)
    assert len(run.y_validation) == int(np.ceil(0.2 * len(p.y_train)))
    assert set(run.y_validation) == set(run.y_fit) == {0, 1}
    np.testing.assert_array_equal(
        np.sort(np.r_[run.fit_positions, run.validation_positions]), np.arange(len(p.y_train)))
    assert run.estimator.n_features_in_ == p.X_train.shape[1]
    results = run.evaluate()
    assert results.comparison.log_loss_train == pytest.approx(
        log_loss(run.y_fit, run.estimator.predict_proba(run.X_fit)), rel=1e-12)
    scaling = results.temperature
    assert scaling is not None and scaling.n_validation == len(run.y_validation)
    from cecore.calibration import fit_temperature

    assert scaling.temperature == fit_temperature(
        run.estimator.decision_function(run.X_validation), run.y_validation)
    assert trained(frame, "target").evaluate().temperature is None
    with pytest.raises(ValueError, match="validation_share must be"):
        TrainConfig(validation_share=0.9)
