"""``python -m cecore train``: the page's pipeline from the command line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cecore.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"model", "classes", "n_train", "n_test", "epochs", "train_loss", "test_loss",
        "objective", "sklearn_log_loss_train", "sklearn_log_loss_test", "accuracy_train",
        "accuracy_test", "sklearn_solver"}


@pytest.fixture(scope="module")
def messy_csv(tmp_path_factory):
    """A customer table: id, missing values, text categories, a date, free text, a constant."""
    rng = np.random.default_rng(3)
    n = 300
    age = rng.integers(18, 80, n).astype(float)
    city = rng.choice(["Paris", "Lyon", "Nice"], n)
    score = 0.05 * (age - 50) + (city == "Paris") + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "id": np.arange(n) + 1,
        "age": age,
        "city": city,
        "joined": pd.date_range("2023-03-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "note": [f"customer {i} said {rng.integers(10**6)}" for i in range(n)],
        "churned": np.where(score > 0, "yes", "no"),
    })
    frame.loc[rng.choice(n, 25, replace=False), "age"] = np.nan
    path = tmp_path_factory.mktemp("csv") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    """Iris written the European way: semicolons and decimal commas."""
    from cecore.samples import load_sample

    path = tmp_path_factory.mktemp("csv") / "iris_eu.csv"
    load_sample("iris").to_csv(path, index=False, sep=";", decimal=",")
    return path


def run_json(capsys, *args):
    assert main(["train", *map(str, args), "--json"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out), err


def test_json_has_the_keys_and_the_numbers_agree(capsys, iris_csv):
    result, err = run_json(capsys, iris_csv, "--target", "target")

    assert KEYS <= set(result)
    assert result["model"] == "softmax" and result["classes"] == ["setosa", "versicolor",
                                                                  "virginica"]
    assert (result["n_train"], result["n_test"]) == (112, 38)
    assert result["train_loss"] == pytest.approx(result["sklearn_log_loss_train"], abs=1e-9)
    assert result["test_loss"] == pytest.approx(result["sklearn_log_loss_test"], abs=1e-9)
    solver = result["sklearn_solver"]
    assert {"train_loss", "test_loss", "objective", "accuracy_test"} <= set(solver)
    assert result["stop_reason"] == "converged"
    assert result["objective"] == pytest.approx(solver["objective"], rel=1e-6)
    assert result["accuracy_test"] == pytest.approx(solver["accuracy_test"])
    assert "epoch" in err and "Converged" in err  # the progress bar went to stderr


def test_options_reach_the_model(capsys, messy_csv):
    result, _ = run_json(capsys, messy_csv, "--target", "churned", "--features", "age", "city",
                         "--model", "softmax", "--epochs", "40", "--learning-rate", "0.5",
                         "--batch-size", "32", "--solver", "gd", "--alpha", "0.1",
                         "--test-size", "0.2", "--seed", "7")

    assert result["model"] == "softmax" and result["classes"] == ["no", "yes"]
    assert result["epochs"] == 40 and result["stop_reason"] == "max_epochs"
    # mini-batches start at the given step and halve it after an epoch that went uphill
    halvings = np.log2(0.5 / result["learning_rate"])
    assert halvings >= 0 and halvings == round(halvings)
    assert (result["n_train"], result["n_test"]) == (240, 60)
    assert result["features"] == ["age", "city=Lyon", "city=Nice", "city=Paris"]
    assert result["sklearn_solver"]["C"] == pytest.approx(2 / (0.1 * 240))


def test_a_messy_table_trains_with_the_useful_columns(capsys, messy_csv):
    result, _ = run_json(capsys, messy_csv, "--target", "churned", "--dates", "expand")

    assert result["model"] == "logistic"
    assert "id" not in result["features"] and "note" not in result["features"]
    assert "joined_year" in result["features"] and "age" in result["features"]
    assert result["accuracy_test"] > 0.6


def test_the_table_output(capsys, iris_csv):
    assert main(["train", str(iris_csv), "--target", "target"]) == 0
    out = capsys.readouterr().out
    assert "scikit-learn lbfgs" in out and "train loss" in out and "here they do" in out


@pytest.mark.parametrize("args, message", [
    (["--target", "nope"], "no column 'nope'"),
    (["--target", "city", "--model", "logistic"], "3 classes"),
    (["--target", "churned", "--epochs", "0"], "epochs must be"),
    (["--target", "churned", "--test-size", "1.5"], "test_size must be"),
    (["--target", "note"], "different values"),
])
def test_bad_options_or_data_exit_2_with_one_error_line(capsys, messy_csv, args, message):
    assert main(["train", str(messy_csv), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert message in captured.err


def test_a_run_that_diverges_at_once_exits_1(capsys, messy_csv):
    code = main(["train", str(messy_csv), "--target", "churned", "--learning-rate", "1e6",
                 "--solver", "gd", "--alpha", "0"])
    assert code == 1
    assert "smaller learning rate" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00", b"", b"a,b\n"],
                         ids=["image", "empty", "header-only"])
def test_bad_files_exit_2_without_a_traceback(tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "cecore", "train", str(path), "--target", "b"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_a_missing_file_exits_2(capsys, tmp_path):
    assert main(["train", str(tmp_path / "missing.csv"), "--target", "y"]) == 2
    assert "There is no file" in capsys.readouterr().err


def test_the_json_says_what_the_probabilities_are_worth(capsys, messy_csv):
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        log_loss,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    from cecore.calibration import expected_calibration_error, fit_temperature
    from cecore.data import read_csv
    from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

    result, _ = run_json(capsys, messy_csv, "--target", "churned", "--threshold", "0.3",
                         "--validation-share", "0.25")
    config = TrainConfig(validation_share=0.25)
    run = TrainingRun(prepare_data(read_csv(messy_csv), "churned", None, DataOptions(), 0),
                      config)
    for _ in run.records():
        pass
    y, p = run.prepared.y_test, run.estimator.predict_proba(run.prepared.X_test)
    assert result["n_train"] == len(run.y_fit) and result["n_validation"] == len(run.y_validation)
    assert result["ece_test"] == pytest.approx(expected_calibration_error(y, p), abs=1e-12)
    assert result["brier_test"] == pytest.approx(brier_score_loss(y, p[:, 1]), abs=1e-12)
    assert result["roc_auc_test"] == pytest.approx(roc_auc_score(y, p[:, 1]), abs=1e-12)
    assert result["average_precision_test"] == pytest.approx(
        average_precision_score(y, p[:, 1]), abs=1e-12)
    precision, recall, _, _ = precision_recall_fscore_support(
        y, (p[:, 1] >= 0.3).astype(int), labels=[0, 1], zero_division=0)
    assert result["threshold"] == 0.3
    assert result["per_class_test"] == {
        "no": {"precision": pytest.approx(precision[0]), "recall": pytest.approx(recall[0])},
        "yes": {"precision": pytest.approx(precision[1]), "recall": pytest.approx(recall[1])}}
    temperature = fit_temperature(run.estimator.decision_function(run.X_validation),
                                  run.y_validation)
    assert result["temperature"] == pytest.approx(temperature, rel=1e-12)
    z = run.estimator.decision_function(run.prepared.X_test) / temperature
    scaled = np.column_stack([1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z))])
    assert result["log_loss_test_after_temperature"] == pytest.approx(log_loss(y, scaled),
                                                                      rel=1e-9)


def test_multiclass_per_class_and_no_temperature_without_validation(capsys, iris_csv):
    result, _ = run_json(capsys, iris_csv, "--target", "target")
    assert set(result["per_class_test"]) == {"setosa", "versicolor", "virginica"}
    assert "temperature" not in result and "roc_auc_test" not in result
    assert 0 <= result["ece_test"] < 0.5


def test_a_threshold_outside_0_1_is_an_error(capsys, messy_csv):
    assert main(["train", str(messy_csv), "--target", "churned", "--threshold", "1.5"]) == 2
    assert "--threshold must be a probability" in capsys.readouterr().err
