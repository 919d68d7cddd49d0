"""``python -m cecore race FILE --target COL``: every optimiser on one table's training rows."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from cecore.__main__ import main
from cecore.race import RACERS
from cecore.samples import load_sample
from cecore.training import DataOptions, prepare_data

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("race") / "wine.csv"
    load_sample("wine").to_csv(path, index=False)
    return path


def race_json(capsys, *args):
    assert main(["race", *map(str, args), "--json"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1
    return json.loads(out), err


def test_the_json_gives_each_optimisers_epochs_and_seconds_to_1e6_and_its_final_objective(
        capsys, wine_csv):
    result, err = race_json(capsys, wine_csv, "--target", "target", "--epochs", "3000")
    assert set(result["optimizers"]) == set(RACERS) and result["model"] == "softmax"
    assert [line for line in err.splitlines()][0] == "racing L-BFGS (scipy)…"
    # the best objective is sklearn's multinomial minimum on the same training rows
    frame = load_sample("wine")
    prepared = prepare_data(frame, "target", None, DataOptions(), 0)
    X, y, alpha = prepared.X_train, prepared.y_train, 0.01
    model = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    proba = model.predict_proba(X)
    sk_objective = (-np.mean(np.log(proba[np.arange(len(y)), y]))
                    + alpha / 2 * float((model.coef_ ** 2).sum()))
    assert result["best_objective"] == pytest.approx(sk_objective, rel=1e-10)
    assert result["n_rows"] == len(y) and result["n_features"] == X.shape[1]
    nesterov = result["optimizers"]["nesterov"]
    assert nesterov["status"] == "finished" and 0 < nesterov["epochs_to_target"] <= 3000
    assert 0 < nesterov["seconds_to_target"] <= nesterov["seconds"]
    assert nesterov["final_objective"] == pytest.approx(sk_objective, rel=1e-8)


def test_a_chosen_few_on_raw_features_and_a_table_without_json(capsys, wine_csv):
    result, _ = race_json(capsys, wine_csv, "--target", "target", "--optimizers", "gd",
                          "lbfgs", "--raw", "--epochs", "300")
    assert list(result["optimizers"]) == ["lbfgs", "gd"]
    assert result["optimizers"]["gd"]["epochs_to_target"] is None       # crawls on raw units
    assert main(["race", str(wine_csv), "--target", "target", "--optimizers", "nesterov",
                 "--epochs", "50"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0].split()[:3] == ["optimiser", "epochs", "to"]


def test_a_bad_target_is_one_error_line(capsys, wine_csv):
    assert main(["race", str(wine_csv), "--target", "nope"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: There is no column 'nope'")
