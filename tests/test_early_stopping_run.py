"""Early stopping in a training run (TrainConfig, TrainingRun, the comparison, the summary and
the command): which rows each held-out set uses, and that every number is the kept epoch's."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss
from test_training import trained

from cecore.__main__ import main
from cecore.early_stopping import validation_split
from cecore.export import model_json, summary
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data


def wide_frame(n=200, d=500, seed=0):
    """200 rows, 500 random features, 5 of them informative: alpha=1e-4 overfits at once."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, :5].sum(axis=1) + rng.normal(size=n) > 0
    frame = pd.DataFrame(X.round(4), columns=[f"g{j:03d}" for j in range(d)])
    frame["label"] = np.where(y, "tumour", "normal")
    return frame


def run_of(frame, **settings):
    return trained(frame, "label", config=TrainConfig(**settings))


@pytest.fixture(scope="module")
def stopped():
    return run_of(wide_frame(), alpha=1e-4, early_stopping=True, validation_share=0.2,
                  validation_fraction=0.25, n_iter_no_change=4, seed=3)


def test_the_settings_are_checked_with_the_estimators_names():
    for field, value in [("early_stopping", 1), ("validation_fraction", 1.0),
                         ("validation_fraction", 0), ("n_iter_no_change", 0)]:
        with pytest.raises(ValueError, match=field):
            TrainConfig(**{field: value})
    estimator = TrainingRun(prepare_data(wide_frame(n=40, d=3), "label", None, DataOptions(),
                                         0),
                            TrainConfig(early_stopping=True, validation_fraction=0.3,
                                        n_iter_no_change=7)).estimator
    assert (estimator.early_stopping, estimator.validation_fraction,
            estimator.n_iter_no_change) == (True, 0.3, 7)


def test_early_stopping_ends_the_run_and_keeps_the_best_validation_epoch(stopped):
    run = stopped
    assert run.status == "early_stopping"
    assert len(run.history) == run.best_epoch + 4                    # n_iter_no_change=4
    assert run.kept_record is run.history[run.best_epoch - 1]
    assert "Kept the weights of epoch" in run.message


def test_the_three_sets_of_held_out_rows_never_overlap(stopped):
    run = stopped
    p = run.prepared
    # the validation share (temperature) comes out of the training rows first ...
    assert len(run.y_validation) == int(np.ceil(0.2 * len(p.y_train)))
    # ... early stopping then holds out its fraction of the rows left for fitting,
    fit_rows, held = validation_split(run.y_fit, 0.25, 3)
    np.testing.assert_array_equal(run.trained_positions, fit_rows)
    assert len(held) == int(np.ceil(0.25 * len(run.y_fit)))
    # ... the estimator's own split: the kept model's loss on the rows it trained on is the
    # kept record's, and on the held-out rows the lowest validation loss of the run
    X_trained, y_trained = run.trained_rows()
    proba = run.estimator.predict_proba(X_trained)
    assert log_loss(y_trained, proba) == pytest.approx(run.kept_record["loss"], rel=1e-12)
    held_loss = log_loss(run.y_fit[held], run.estimator.predict_proba(run.X_fit[held]))
    assert f"whose validation loss {held_loss:.6g} was the lowest" in run.message
    # the test rows are none of them: the records' val_loss is the test loss
    assert run.kept_record["val_loss"] == pytest.approx(
        log_loss(p.y_test, run.estimator.predict_proba(p.X_test)), rel=1e-12)
    positions = np.r_[run.fit_positions[fit_rows], run.fit_positions[held],
                      run.validation_positions]
    np.testing.assert_array_equal(np.sort(positions), np.arange(len(p.y_train)))


def test_the_comparison_and_the_summary_are_the_kept_epochs(stopped):
    run = stopped
    c = run.evaluate().comparison
    assert c.ours_train_loss == run.kept_record["loss"]
    assert c.log_loss_train == pytest.approx(c.ours_train_loss, rel=1e-12)  # the same rows
    assert c.log_loss_test == pytest.approx(c.ours_test_loss, rel=1e-12)
    # lbfgs fits the same rows at the same alpha: C = 1 / (alpha * rows trained on)
    assert c.sklearn_C == pytest.approx(1 / (1e-4 * len(run.trained_positions)))
    assert c.sklearn_objective < c.ours_objective
    assert "early stopping kept the weights of the epoch" in run.evaluate().note
    result = summary(run)
    assert result["best_epoch"] == run.best_epoch and result["epochs"] == len(run.history)
    assert result["stop_reason"] == "early_stopping"
    assert result["test_loss"] == run.kept_record["val_loss"]
    final = json.loads(model_json(run))["final"]
    assert final["best_epoch"] == run.best_epoch and final["stop_reason"] == "early_stopping"


def test_without_early_stopping_nothing_changes():
    run = run_of(wide_frame(n=80, d=4))
    assert run.best_epoch is None and run.kept_record is run.last
    assert len(run.trained_positions) == len(run.y_fit)
    assert "best_epoch" not in summary(run)


def test_the_command_stops_early_and_prints_the_best_epoch(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    wide_frame().to_csv(path, index=False)
    assert main(["train", str(path), "--target", "label", "--alpha", "1e-4",
                 "--early-stopping", "--validation-fraction", "0.25", "--n-iter-no-change",
                 "4", "--seed", "3", "--validation-share", "0.2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    run = run_of(wide_frame(), alpha=1e-4, early_stopping=True, validation_share=0.2,
                 validation_fraction=0.25, n_iter_no_change=4, seed=3)
    assert result["stop_reason"] == "early_stopping"
    assert result["best_epoch"] == run.best_epoch
    assert result["epochs"] == result["best_epoch"] + 4
    assert result["test_loss"] == pytest.approx(run.kept_record["val_loss"], rel=1e-12)
    assert main(["train", str(path), "--target", "label", "--early-stopping",
                 "--validation-fraction", "1.5"]) == 2
    assert "validation_fraction must be" in capsys.readouterr().err
