"""The reproducing scripts: written for a run, run in a subprocess, they print the run's
test log loss (cecore: to 1e-9; pandas + scikit-learn only: to 1e-6)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from training_runs import trained as shared_trained

from cecore.data import DataOptions, read_table
from cecore.prepare.split import split_positions
from cecore.samples import load_sample
from cecore.script import reproducing_script, sklearn_script
from cecore.training import TrainConfig, TrainingRun, prepare_data

ROOT = Path(__file__).resolve().parents[1]
TIGHT = TrainConfig(tol=1e-9, epochs=20_000)


def trained(path, target, features=None, options=None, config=TIGHT):
    run = shared_trained(read_table(path), target, features, options, config)
    assert run.status == "converged"
    return run


def run_script(text, folder, name, cecore=True):
    script = folder / name
    script.write_text(text, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if cecore:
        env["PYTHONPATH"] = str(ROOT)
    else:  # the sklearn script must not need cecore: run it where cecore is not importable
        env["PYTHONNOUSERSITE"] = "1"
    return subprocess.run([sys.executable, "-I" if not cecore else "-B", str(script)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def printed_loss(result):
    assert result.returncode == 0, result.stderr
    match = re.search(r"test log loss: (\S+)", result.stdout)
    assert match, result.stdout
    return float(match[1])


def customers(n=300, seed=3):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    city = rng.choice(["Paris", "Lyon", "Nice", "=cmd|' /C calc'!A0", "007"], n)
    score = 0.05 * (age - 50) + (city == "Paris") + rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "id": np.arange(n) + 1,
        "age": age,
        "city": city,
        "joined": pd.date_range("2023-03-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "note": [f"customer {i} said {rng.integers(10**6)}" for i in range(n)],
        "churned": np.where(score > 0.3, "yes", np.where(score > -0.7, "maybe", "no")),
    })
    frame.loc[rng.choice(n, 25, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 12, replace=False), "city"] = None
    frame.loc[rng.choice(n, 5, replace=False), "churned"] = None
    return frame


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("scripts")


@pytest.mark.parametrize(("options", "config"), [
    (DataOptions(dates="expand", degree=2), TIGHT),
    (DataOptions(missing="drop", test_size=0.3), TrainConfig(tol=1e-9, epochs=20_000, seed=7)),
    (DataOptions(dates="expand"), TrainConfig(tol=1e-9, epochs=20_000, validation_share=0.2,
                                              model="softmax", alpha=0.05)),
])
def test_both_scripts_print_the_runs_test_log_loss(folder, options, config):
    path = folder / "customers.csv"
    customers().to_csv(path, index=False)
    run = trained(path, "churned", ["age", "city", "joined"], options, config)
    loss = run.last["val_loss"]
    ours = printed_loss(run_script(reproducing_script(run, path.name), folder, "cecore_run.py"))
    assert ours == pytest.approx(loss, abs=1e-9)
    text = sklearn_script(run, path.name)
    assert not re.search(r"^(import|from) cecore", text, re.MULTILINE)
    assert "TRAIN_ROWS = None" in text and "FIT_ROWS = None" in text  # the recipe is exact
    theirs = printed_loss(run_script(text, folder, "sklearn_run.py", cecore=False))
    assert theirs == pytest.approx(loss, abs=1e-6)


def test_the_cecore_script_spells_out_the_settings(folder):
    path = folder / "moons.csv"
    load_sample("moons").to_csv(path, index=False)
    run = trained(path, "target", options=DataOptions(degree=3, test_size=0.2),
                  config=TrainConfig(alpha=1e-3, tol=1e-8, epochs=20_000))
    text = reproducing_script(run, path.name)
    for spelled in ("degree=3", "test_size=0.2", "alpha=0.001", "solver='nesterov'", "tol=1e-08",
                    "epochs=20000",
                    "learning_rate='auto'", "FEATURES = ['x1', 'x2']", "FILE = 'moons.csv'"):
        assert spelled in text
    compile(text, "cecore_run.py", "exec")
    ours = printed_loss(run_script(text, folder, "moons_cecore.py"))
    assert ours == pytest.approx(run.last["val_loss"], abs=1e-9)
    theirs = printed_loss(run_script(sklearn_script(run, path.name), folder, "moons_sk.py",
                                     cecore=False))
    assert theirs == pytest.approx(run.last["val_loss"], abs=1e-6)


def test_a_split_that_needed_a_swap_is_written_as_positions(folder):
    """29, 29 and 2 rows at a test size of 0.9: train_test_split puts both rows of the
    small class in the test part and cecore swaps one back; the script carries cecore's
    positions instead of the recipe."""
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 29 + ["b"] * 29 + ["c"] * 2)
    frame = pd.DataFrame({"x1": rng.normal(size=60) + (y == "b"), "x2": rng.normal(size=60),
                          "label": y})
    path = folder / "rare.csv"
    frame.to_csv(path, index=False)
    options = DataOptions(test_size=0.9)
    run = trained(path, "label", options=options)
    from sklearn.model_selection import train_test_split
    _, test = train_test_split(np.arange(60), test_size=0.9, stratify=run.prepared.y,
                               random_state=0)
    assert not np.array_equal(test, run.prepared.test_positions)  # the swap happened
    train_check, _ = split_positions(run.prepared.y, run.prepared.classes, 0.9, 0)
    np.testing.assert_array_equal(train_check, run.prepared.train_positions)
    text = sklearn_script(run, path.name)
    assert "TRAIN_ROWS = None" not in text and "TEST_ROWS = [" in text
    theirs = printed_loss(run_script(text, folder, "rare_sk.py", cecore=False))
    assert theirs == pytest.approx(run.last["val_loss"], abs=1e-6)


def test_the_sklearn_script_stops_when_pandas_reads_the_file_differently(folder):
    """Decimal commas: cecore reads them, pandas does not; the script says so."""
    path = folder / "iris_eu.csv"
    load_sample("iris").to_csv(path, index=False, sep=";", decimal=",")
    run = trained(path, "target")
    ours = printed_loss(run_script(reproducing_script(run, path.name), folder, "eu_cecore.py"))
    assert ours == pytest.approx(run.last["val_loss"], abs=1e-9)
    result = run_script(sklearn_script(run, path.name), folder, "eu_sk.py", cecore=False)
    assert result.returncode != 0
    assert "pandas reads iris_eu.csv differently from cecore" in result.stderr
    assert "Run the cecore script instead" in result.stderr


def test_a_script_needs_a_finished_run(folder):
    frame = load_sample("iris")
    run = TrainingRun(prepare_data(frame, "target", None, DataOptions(), 0), TrainConfig(),
                      frame=frame)
    with pytest.raises(ValueError, match="finished an epoch"):
        reproducing_script(run, "iris.csv")
    with pytest.raises(ValueError, match="finished an epoch"):
        sklearn_script(run, "iris.csv")


def test_column_names_with_spaces_and_a_degree(folder):
    path = folder / "breast cancer.csv"
    load_sample("breast_cancer").to_csv(path, index=False)
    run = trained(path, "target", options=DataOptions(degree=2))
    loss = run.last["val_loss"]
    text = reproducing_script(run, path.name)
    assert "'mean radius'" in text
    assert printed_loss(run_script(text, folder, "bc_cecore.py")) == pytest.approx(loss, abs=1e-9)
    theirs = printed_loss(run_script(sklearn_script(run, path.name), folder, "bc_sk.py",
                                     cecore=False))
    assert theirs == pytest.approx(loss, abs=1e-6)
