"""Every hostile file (tests/hostile_files.py) through read_csv and prepare, the way the page
uses them, and a representative subset through ``python -m cecore train``.

Unreadable and unusable files give a DataError with a clear message and nothing else; files
that are legitimately readable load, prepare and train.
"""

import csv
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hostile_files import (
    FILES,
    FORMULAS,
    MARKUP,
    UPLOAD_LIMIT_MB,
    hostile,
    write_oversized,
)
from training_runs import trained as shared_trained

from cecore import errors
from cecore.data import (
    DataError,
    describe_columns,
    prepare,
    read_csv,
    suggest_features,
    suggest_target,
)
from cecore.export import history_csv, model_json, predictions_csv
from cecore.io import MAX_UPLOAD_MB
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::cecore.models.DivergenceWarning")]

ROOT = Path(__file__).resolve().parents[1]
READABLE = hostile("unusable") + hostile("trains")
CLI_FILES = [f for f in FILES if f.cli]


def ids(files):
    return [f.id for f in files]


def data_error(call, *args, **kwargs):
    """The message of the DataError the call raises, from a known check (not the catch-all
    that turns an unforeseen exception into a DataError)."""
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert not message.startswith(errors.UNEXPECTED), message
    return message


def test_the_catalogue_covers_the_three_outcomes_and_the_cli_subset_is_small():
    assert {f.outcome for f in FILES} == {"unreadable", "unusable", "trains"}
    assert all(f.target for f in READABLE)
    assert 6 <= len(CLI_FILES) <= 10
    assert {f.outcome for f in CLI_FILES} == {"unreadable", "unusable", "trains"}


@pytest.mark.parametrize("file", FILES, ids=ids(FILES))
def test_read_csv_gives_a_data_error_or_the_table(file, tmp_path):
    sources = {"bytes": file.content, "path": file.write(tmp_path),
               "file object": io.BytesIO(file.content)}
    for kind, source in sources.items():
        if file.outcome == "unreadable":
            message = data_error(read_csv, source)
            assert re.search(file.message, message), (kind, message)
        else:
            frame = read_csv(source)
            if file.check is not None:
                file.check(frame)


@pytest.mark.parametrize("file", READABLE, ids=ids(READABLE))
def test_prepare_gives_a_data_error_or_trains(file):
    frame = read_csv(file.content)
    # what the page computes from a new table before preparing it: never an exception
    describe_columns(frame)
    try:
        suggest_target(frame)
    except DataError:
        pass  # the page then offers the last column
    suggested, _ = suggest_features(frame, file.target)
    options = DataOptions()
    # the page passes the suggested features, the command passes none (prepare suggests)
    for features in (suggested, None):
        if file.outcome == "unusable":
            message = data_error(prepare_data, frame, file.target, features, options, 0)
            assert re.search(file.message, message), message
            continue
        prepared = prepare_data(frame, file.target, features, options, 0)
        if features is None:  # the page lists the columns it leaves out in a table instead
            notes = " ".join(frame.attrs["notes"] + prepared.notes)
            assert re.search(file.message, notes), notes
        assert np.isfinite(prepared.X).all() and len(prepared.classes) >= 2
    if file.outcome == "trains":
        run = TrainingRun(prepared, TrainConfig(epochs=30), options, frame=frame)
        assert all(np.isfinite(record["loss"]) for record in run.records())
        assert run.usable
        json.loads(model_json(run))
        assert history_csv(run.history).count("\n") == len(run.history) + 1
        predictions_csv(run.evaluate())


def test_inf_is_missing_and_1e308_is_refused_with_the_column_named():
    frame = read_csv(hostile_file("inf_and_1e308").content)
    message = data_error(prepare, frame, "label")
    assert "'huge'" in message and "Rescale" in message
    prepared = prepare(frame, "label", ["x1", "infinite"])
    assert any("infinite values in column 'infinite' were treated as missing" in note
               for note in prepared.notes)
    assert np.isfinite(prepared.X).all()


def test_an_all_missing_column_alone_is_no_feature():
    frame = read_csv(hostile_file("all_missing_column").content)
    assert "no usable feature" in data_error(prepare, frame, "label", ["nothing"])


def test_one_row_with_chosen_features_names_the_row_count():
    frame = read_csv(hostile_file("one_row").content)
    assert "at least 4" in data_error(prepare, frame, "label", ["x1", "x2"])


def test_markup_and_formulas_stay_data_and_downloads_defuse_formulas():
    markup = read_csv(hostile_file("markup").content)
    run = trained(markup)
    assert json.loads(model_json(run))["classes"] == sorted(MARKUP)
    assert set(run.prepared.features) == set(MARKUP[:3])

    formulas = read_csv(hostile_file("formulas").content)
    results = trained(formulas).evaluate()
    rows = list(csv.DictReader(io.StringIO(predictions_csv(results))))
    assert rows and {row["true label"] for row in rows} <= {"'=YES()", "'@no"}
    assert {row["cell"] for row in rows} <= {"'" + f for f in FORMULAS}
    text = [cell for row in rows for cell in row.values() if not is_number(cell)]
    assert text and not [cell for cell in text if cell.startswith(("=", "+", "-", "@"))]


def test_the_file_over_the_upload_limit(tmp_path):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert UPLOAD_LIMIT_MB == MAX_UPLOAD_MB == config["server"]["maxUploadSize"]
    path = write_oversized(tmp_path)
    assert path.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024
    assert f"larger than {MAX_UPLOAD_MB} MB" in data_error(read_csv, path)


# --------------------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """``python -m cecore train FILE --target T --json`` on each file of the subset, all at
    once (each process spends most of its time importing)."""
    folder = tmp_path_factory.mktemp("hostile")
    processes = {
        f.id: subprocess.Popen(
            [sys.executable, "-m", "cecore", "train", str(f.write(folder)),
             "--target", f.target or "label", "--json"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for f in CLI_FILES
    }
    results = {}
    for file_id, process in processes.items():
        out, err = process.communicate(timeout=120)
        results[file_id] = (process.returncode, out, err)
    return results


@pytest.mark.parametrize("file", CLI_FILES, ids=ids(CLI_FILES))
def test_the_command_exits_2_with_one_error_line_or_trains(file, cli_runs):
    status, out, err = cli_runs[file.id]
    assert "Traceback" not in err
    if file.outcome == "trains":
        assert status == 0, err
        result = json.loads(out)
        assert result["target"] == file.target and len(result["classes"]) >= 2
        assert result["stop_reason"] in ("converged", "max_epochs")
    else:
        assert status == 2, (out, err)
        assert out == ""
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert re.search(file.message, lines[0]), lines[0]


# --------------------------------------------------------------------------- helpers
def hostile_file(file_id):
    return next(f for f in FILES if f.id == file_id)


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def trained(frame, target="label"):
    return shared_trained(frame, target, config=TrainConfig(epochs=50), ignore=None)
