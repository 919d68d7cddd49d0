"""The training page with a wide table (more columns than chips can show), under AppTest:
"All numeric columns" with a name filter, the paged preview, the largest weights only."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cecore import column_choice

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

APP = str(Path(__file__).resolve().parents[1] / "app.py")
N_GENES = 240


def wide_csv(n_rows=60, n_genes=N_GENES, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n_rows, n_genes)).round(3)
    frame = pd.DataFrame(values, columns=[f"gene_{j:04d}" for j in range(n_genes)])
    frame.insert(0, "sample", [f"s{i:03d}" for i in range(n_rows)])
    frame["batch"] = np.where(np.arange(n_rows) % 3 == 0, "a", "b")
    frame["label"] = np.where(values[:, 0] + values[:, 1] > 0, "tumour", "normal")
    return frame.to_csv(index=False).encode()


@pytest.fixture()
def at():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    at.file_uploader(key="train_upload").upload("wide.csv", wide_csv(), "text/csv").run()
    assert not at.exception
    return at


def captions(at):
    return [c.value.replace("\\", "") for c in at.caption]


def prepared(at):
    return at.session_state["train_prepared"][1]


def test_a_wide_table_uses_all_numeric_columns_without_chips(at):
    assert at.selectbox(key="train_target").value == "label"
    assert at.toggle(key="train_all_numeric").value is True
    assert not [m for m in at.multiselect if m.key == "train_features"]
    assert f"Using {N_GENES} numeric columns." in captions(at)
    assert prepared(at).features == [f"gene_{j:04d}" for j in range(N_GENES)]  # not batch

    at.text_input(key="train_feature_filter").set_value("GENE_000").run()
    assert ("Using 10 of the 240 numeric columns: those whose name contains 'GENE_000'."
            in captions(at))
    assert prepared(at).features == [f"gene_{j:04d}" for j in range(10)]
    assert not at.button(key="train_start").disabled


def test_turned_off_the_list_offers_the_matching_columns(at):
    at.text_input(key="train_feature_filter").set_value("gene_001").run()
    at.toggle(key="train_all_numeric").set_value(False).run()
    features = at.multiselect(key="train_features")
    used = [f"gene_{j:04d}" for j in range(10, 20)]
    assert features.value == used and features.options == used  # what it used, as chips
    at.text_input(key="train_feature_filter").set_value("gene_0").run()
    options = at.multiselect(key="train_features").options
    assert options == used + [f"gene_{j:04d}" for j in range(N_GENES) if not 10 <= j < 20]
    at.text_input(key="train_feature_filter").set_value("batch").run()
    features = at.multiselect(key="train_features")
    assert features.options[-1] == "batch" and len(features.value) == 10
    features.set_value(features.value + ["batch"]).run()
    assert prepared(at).features[-1] == "batch"


def test_the_preview_shows_a_page_of_columns(at):
    n_columns = N_GENES + 3
    preview, described = at.dataframe[0].value, at.dataframe[1].value
    assert preview.shape == (10, column_choice.PAGE_COLUMNS)
    assert list(described["name"]) == list(preview.columns)
    assert f"Columns 1 to 50 of {n_columns}." in captions(at)
    at.number_input(key="train_columns_page").set_value(5).run()
    preview, described = at.dataframe[0].value, at.dataframe[1].value
    assert list(preview.columns)[-1] == "label" and len(described) == n_columns - 200
    assert f"Columns 201 to {n_columns} of {n_columns}." in captions(at)


def test_the_results_show_the_largest_weights(at):
    at.button(key="train_start").click().run()
    assert not at.exception
    run = at.session_state["train_run"]
    results = run.evaluate()
    assert results.worst_note == ("The worst rows show the 10 of 240 input columns with the "
                                  "largest weights (|w|); the predictions download has them "
                                  "all.")
    assert results.worst_note in captions(at)
    shown = [c for c in results.worst.columns if c.startswith("gene_")]
    assert len(shown) == 10 and {"gene_0000", "gene_0001"} <= set(shown)
    assert len(results.predictions.columns) > N_GENES  # the download keeps every input
    assert {b.key for b in at.get("download_button")} >= {
        "train_download_model", "train_download_history", "train_download_predictions"}
    assert len(at.get("plotly_chart")) >= 3
