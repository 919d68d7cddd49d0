"""``python -m cecore train GLOB --dask ...``: the command on a real local cluster of worker
processes gives the single-file run's results, X never comes to the client, and the
failures it can meet are one ``error:`` line with exit status 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dask_cluster import require_dask
from sklearn.datasets import load_breast_cancer, load_wine

from cecore.__main__ import main

require_dask()

import dask.array as da  # noqa: E402
import distributed  # noqa: E402

from cecore.distributed_run import NOT_COMPUTED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: what the two runs may differ by: the objective's sums over the parts are added in another
#: order (1e-16), which the Barzilai-Borwein step turns into ~1e-11 relative near the optimum
OBJECTIVE_TOL, RTOL = 1e-10, 1e-8


def _table(loader):
    X, y = loader(return_X_y=True, as_frame=True)
    return X.assign(y=y)


def _messy(n=300):
    """A customer table: an id, missing numbers and categories, a date, free text, a
    category with rare values (grouped in one column), a yes/no target."""
    rng = np.random.default_rng(3)
    age = rng.integers(18, 80, n).astype(float)
    city = rng.choice(["Paris", "Lyon", "Nice"], n).astype(object)
    score = 0.05 * (age - 50) + (city == "Paris") + rng.normal(0, 1, n)
    shops = [f"s{k}" for k in range(30)]
    frame = pd.DataFrame({
        "id": np.arange(n) + 1, "age": age, "city": city,
        "joined": pd.date_range("2023-03-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "note": [f"customer {i} said {rng.integers(10**6)}" for i in range(n)],
        "shop": rng.choice(shops, n, p=np.r_[np.full(10, 0.06), np.full(20, 0.02)]),
        "churned": np.where(score > 0, "yes", "no"),
    })
    frame.loc[rng.choice(n, 25, replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "city"] = np.nan
    return frame


def _write(frame, folder, kind, n_parts):
    """The table as one CSV file and as ``n_parts`` files of consecutive rows; the glob."""
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / "whole.csv", index=False)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), n_parts)):
        part = frame.iloc[rows]
        if kind == "parquet":
            part.to_parquet(folder / f"part-{i}.parquet", index=False)
        else:
            part.to_csv(folder / f"part-{i}.csv", index=False)
    return str(folder / f"part-*.{kind}")


@pytest.fixture
def address(dask_client):
    return dask_client.scheduler.address


def _json(capsys, *args):
    assert main(["train", *map(str, args), "--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def _assert_same(memory, cluster, path=""):
    """Every key of the in-memory summary, but the timing and those the Dask path leaves
    null, has the same value (numbers to RTOL)."""
    if isinstance(memory, dict):
        for key, value in memory.items():
            if path == "" and (key in NOT_COMPUTED or key == "seconds"):
                continue
            _assert_same(value, cluster[key], f"{path}.{key}")
    elif isinstance(memory, float):
        assert cluster == pytest.approx(memory, rel=RTOL, abs=1e-12), path
    else:
        assert cluster == memory, path


def _compare(capsys, folder, glob, address, *options):
    memory, _ = _json(capsys, folder / "whole.csv", *options)
    cluster, err = _json(capsys, glob, *options, "--dask", address)
    _assert_same(memory, cluster)
    assert abs(cluster["objective"] - memory["objective"]) <= OBJECTIVE_TOL
    assert all(cluster[key] is None for key in NOT_COMPUTED)
    assert set(cluster["dask"]["not_computed"]) == set(NOT_COMPUTED)
    return memory, cluster, err


@pytest.mark.parametrize("loader, kind, target", [(load_breast_cancer, "parquet", "y"),
                                                  (load_wine, "csv", "y")])
def test_parts_on_the_cluster_give_the_single_file_run(capsys, tmp_path, address, loader,
                                                        kind, target):
    glob = _write(_table(loader), tmp_path / "t", kind, 4)
    _, cluster, err = _compare(capsys, tmp_path / "t", glob, address, "--target", target,
                               "--test-size", "0")
    assert cluster["dask"]["files"] == cluster["dask"]["parts"] == 4
    assert cluster["dask"]["workers"] == 2 and cluster["n_test"] == 0
    assert "epoch" in err                              # the progress bar, on stderr


@pytest.mark.parametrize("options", [
    (), ("--dates", "expand"), ("--missing", "drop", "--seed", "4", "--test-size", "0.3"),
    ("--degree", "2"), ("--class-weight", "balanced"),
    ("--no-scale", "--model", "softmax", "--solver", "gd", "--epochs", "60")],
    ids=["defaults", "dates", "drop", "degree-2", "balanced", "softmax-unscaled"])
def test_a_messy_table_in_parts_is_prepared_and_split_as_in_memory(capsys, tmp_path, address,
                                                                   options):
    glob = _write(_messy(), tmp_path / "m", "csv", 3)
    memory, cluster, _ = _compare(capsys, tmp_path / "m", glob, address, "--target",
                                  "churned", *options)
    assert memory["n_test"] > 0                        # the same stratified test rows
    notes = " ".join(cluster["dask"]["notes"])
    assert "'id' was left out" in notes and "'note' was left out: free text" in notes
    if "--degree" not in options:
        assert "shop=(other)" in cluster["features"]


def test_the_saved_model_predicts_as_the_in_memory_one(capsys, tmp_path, address):
    glob = _write(_messy(), tmp_path / "m", "parquet", 3)
    for name, source in (("memory", tmp_path / "m" / "whole.csv"), ("cluster", glob)):
        extra = () if name == "memory" else ("--dask", address)
        assert main(["train", str(source), "--target", "churned", "--save-model",
                     str(tmp_path / f"{name}.json"), *extra]) == 0
    capsys.readouterr()
    for name in ("memory", "cluster"):
        assert main(["predict", str(tmp_path / f"{name}.json"), str(tmp_path / "m" /
                                                                     "whole.csv"),
                     "--output", str(tmp_path / f"{name}.csv")]) == 0
    memory, cluster = (pd.read_csv(tmp_path / f"{n}.csv") for n in ("memory", "cluster"))
    assert (memory["predicted"] == cluster["predicted"]).all()
    np.testing.assert_allclose(cluster["p(yes)"], memory["p(yes)"], rtol=0, atol=1e-10)


def _sizes(value):
    """The bytes of the arrays and tables in a gathered result."""
    if isinstance(value, np.ndarray):
        return [value.nbytes]
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        return [int(np.sum(value.memory_usage(deep=True)))]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [size for item in value for size in _sizes(item)]
    return []


def test_the_command_never_gathers_X_to_the_client(capsys, tmp_path, address, monkeypatch):
    frame = _table(load_breast_cancer)
    glob = _write(frame, tmp_path / "t", "parquet", 4)
    x_bytes = frame.shape[0] * (frame.shape[1] - 1) * 8
    largest = []
    gather = distributed.Client.gather

    def watched(self, futures, *args, **kwargs):
        result = gather(self, futures, *args, **kwargs)
        largest.append(max(_sizes(result), default=0))
        return result

    def gathered(*args, **kwargs):
        raise AssertionError("a Dask array was gathered to the client")

    monkeypatch.setattr(distributed.Client, "gather", watched)
    monkeypatch.setattr(da.Array, "__array__", gathered)
    monkeypatch.setattr(da.Array, "compute", gathered)
    result, _ = _json(capsys, glob, "--target", "y", "--dask", address)   # a test split
    assert result["n_test"] == 143 and result["stop_reason"] == "converged"
    assert len(largest) > 50                           # the watch saw every result
    assert 0 < max(largest) < x_bytes / 10             # labels, probabilities: not X


@pytest.mark.parametrize("args, message", [
    (["--dask", "tcp://127.0.0.1:1"], "Cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    (["--dask", "127.0.0.1:1"], "Cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    (["--dask", "local", "--script", "again.py"], "--script is not supported with --dask"),
    (["--dask", "local", "--validation-share", "0.2"], "--validation-share is not supported"),
    (["--dask", "local", "--early-stopping"], "--early-stopping is not supported"),
])
def test_what_the_command_cannot_use_exits_2_with_one_line(capsys, tmp_path, args, message):
    glob = _write(_messy(40), tmp_path / "m", "csv", 2)
    assert main(["train", glob, "--target", "churned", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: ") and message in captured.err


@pytest.mark.parametrize("files, message", [
    ((), "No file matches"),
    (("a.parquet", "b.csv"), "mix CSV and Parquet"),
    (("a.json",), "'a.json' is neither"),
])
def test_parts_it_cannot_read_exit_2(capsys, tmp_path, address, files, message):
    for name in files:
        (tmp_path / name).write_text("y\n1\n")
    assert main(["train", str(tmp_path / "*.*"), "--target", "y", "--dask", address]) == 2
    assert message in capsys.readouterr().err


def test_bad_data_on_the_cluster_is_one_error_line(capsys, tmp_path, address):
    glob = _write(_messy(60), tmp_path / "m", "parquet", 2)
    assert main(["train", glob, "--target", "note", "--dask", address]) == 2
    assert main(["train", glob, "--target", "nope", "--dask", address]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert "more than 50 different values" in errors[0]
    assert errors[1] == "error: There is no column 'nope' in the table."


def test_local_starts_a_cluster_and_the_table_output(tmp_path):
    glob = _write(_table(load_wine), tmp_path / "t", "csv", 3)
    done = subprocess.run([sys.executable, "-m", "cecore", "train", glob, "--target", "y",
                           "--dask", "local"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cluster    local: " in done.stdout and "from 3 files in 3 parts" in done.stdout
    assert "Converged" in done.stderr and "Traceback" not in done.stderr


def test_dask_is_imported_only_on_the_dask_path(tmp_path):
    path = tmp_path / "wine.csv"
    _table(load_wine).to_csv(path, index=False)
    code = ("import sys\nfrom cecore.__main__ import main\n"
            f"assert main(['train', {str(path)!r}, '--target', 'y', '--json']) == 0\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
