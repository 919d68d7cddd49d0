"""``python -m cecore train --degree/--save-model/--script/--sklearn-script`` and
``python -m cecore predict MODEL.json FILE [--output CSV] [--json]``."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cecore import load_model
from cecore.__main__ import main
from cecore.data import read_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def customers(tmp_path_factory):
    """A customer table: missing values, text categories (one a formula), a date, an id."""
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
        "churned": np.where(score > 0, "=yes", "no"),
    })
    frame.loc[rng.choice(n, 25, replace=False), "age"] = np.nan
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(customers, tmp_path_factory):
    """train with every new option; returns (folder, the --json output)."""
    folder = tmp_path_factory.mktemp("out")
    scripts = folder / "scripts"
    scripts.mkdir()
    code = main(["train", str(customers), "--target", "churned", "--dates", "expand",
                 "--degree", "2", "--tol", "1e-9", "--epochs", "20000",
                 "--save-model", str(folder / "model.json"),
                 "--script", str(scripts / "again.py"),
                 "--sklearn-script", str(scripts / "sklearn_again.py"), "--json"])
    assert code == 0
    return folder


def run_json(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("\n") == 1
    return json.loads(out)


def fail(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_train_writes_the_model_and_the_scripts(trained, capsys):
    capsys.readouterr()
    model = load_model(trained / "model.json")
    assert list(model.classes_) == ["=yes", "no"]
    assert "age^2" in model.feature_names_out_ and "joined_year" in model.feature_names_out_
    document = json.loads((trained / "model.json").read_text(encoding="utf-8"))
    assert document["hyperparameters"]["data"]["degree"] == 2
    text = (trained / "scripts" / "again.py").read_text(encoding="utf-8")
    assert "FILE = '../../" in text or "FILE = '/" in text  # from the script's folder
    assert "degree=2" in text


def test_the_written_script_reproduces_the_run_from_another_folder(trained, customers):
    test_loss = json.loads((trained / "model.json").read_text())["final"]["test_loss"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(trained / "scripts" / "again.py")],
                            cwd=ROOT.parent, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    printed = float(re.search(r"test log loss: (\S+)", result.stdout)[1])
    assert printed == pytest.approx(test_loss, abs=1e-9)


def test_predict_json_reports_log_loss_and_accuracy_with_the_target(trained, customers, capsys):
    result = run_json(capsys, "predict", trained / "model.json", customers, "--json")
    model = load_model(trained / "model.json")
    frame = read_table(customers)
    expected = model.score(frame)
    assert result["n_rows"] == 300 and result["n_scored"] == 300
    assert result["target"] == "churned" and result["classes"] == ["=yes", "no"]
    assert result["log_loss"] == pytest.approx(expected["log_loss"], abs=1e-15)
    assert 0.5 < result["accuracy"] <= 1


def test_predict_without_the_target_has_no_scores(trained, customers, tmp_path, capsys):
    path = tmp_path / "new.parquet"
    read_table(customers).drop(columns="churned").iloc[:40].to_parquet(path)
    result = run_json(capsys, "predict", trained / "model.json", path, "--json")
    assert result == {"target": "churned", "classes": ["=yes", "no"], "n_rows": 40}


def test_predict_writes_a_spreadsheet_safe_csv(trained, customers, tmp_path, capsys):
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(trained / "model.json"), str(customers),
                 "--output", str(output)]) == 0
    assert capsys.readouterr().out == ""
    table = pd.read_csv(output, dtype={"predicted": str})
    assert list(table.columns) == ["row", "predicted", "p(=yes)", "p(no)"]
    assert table["row"].tolist() == list(range(300))
    assert set(table["predicted"]) <= {"'=yes", "no"}  # the formula is quoted
    model = load_model(trained / "model.json")
    proba = model.predict_proba(read_table(customers))
    np.testing.assert_allclose(table[["p(=yes)", "p(no)"]].to_numpy(), proba, atol=1e-15)


def test_predict_prints_the_csv_without_output_or_json(trained, customers, capsys):
    assert main(["predict", str(trained / "model.json"), str(customers)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "row,predicted,p(=yes),p(no)"
    assert len(out.splitlines()) == 301


@pytest.mark.parametrize(("args", "message"), [
    (["--degree", "7"], "degree must be a whole number from 1 to 5"),
    (["--degree", "0"], "degree must be"),
    (["--save-model", "/nonexistent-folder/m.json"], "Cannot write '/nonexistent-folder/m.json'"),
])
def test_bad_train_options_exit_2(customers, capsys, args, message):
    err = fail(capsys, "train", customers, "--target", "churned", "--epochs", "5", *args)
    assert message in err


def test_predict_errors_exit_2_with_one_line(trained, customers, tmp_path, capsys):
    model = trained / "model.json"
    assert "There is no model file" in fail(capsys, "predict", tmp_path / "none.json", customers)
    damaged = tmp_path / "damaged.json"
    document = json.loads(model.read_text())
    document["coef"] = [[1.0, 2.0]]
    damaged.write_text(json.dumps(document))
    assert "'coef' has shape (1, 2)" in fail(capsys, "predict", damaged, customers)
    not_json = tmp_path / "notes.json"
    not_json.write_text("hello")
    assert "not valid JSON" in fail(capsys, "predict", not_json, customers)
    lacking = tmp_path / "lacking.csv"
    read_table(customers).drop(columns=["age", "city"]).to_csv(lacking, index=False)
    assert "'age', 'city'" in fail(capsys, "predict", model, lacking)
    assert "Cannot write" in fail(capsys, "predict", model, customers, "--output",
                                  tmp_path / "no" / "such" / "dir.csv")
