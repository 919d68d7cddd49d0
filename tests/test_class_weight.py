"""class_weight in both estimators: sklearn's semantics and optimum, the step sizes with
weights, the comparison with lbfgs, TrainConfig and the command."""

import json
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from cecore import LogisticRegressionGD, SoftmaxRegressionGD, samples
from cecore.__main__ import main
from cecore.compare import compare, reference_weights
from cecore.export import summary
from cecore.hyperparameters import check_hyperparameters
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data
from cecore.weights import training_weights

LOADERS = {"breast_cancer": load_breast_cancer, "wine": load_wine, "iris": load_iris}
ALPHA = 0.01


def _standardized(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _estimator(y, **params):
    cls = LogisticRegressionGD if len(np.unique(y)) == 2 else SoftmaxRegressionGD
    return cls(**params)


def _our_objective(model_or_ref, X, y, w, alpha=ALPHA):
    """sum w l / sum w + alpha/2 ||W||^2 at the model's weights."""
    return (log_loss(y, model_or_ref.predict_proba(X), sample_weight=w)
            + 0.5 * alpha * float((model_or_ref.coef_ ** 2).sum()))


def _dict_weights(y):
    return {0: 3.0, 1: 0.5} if len(np.unique(y)) == 2 else {0: 3.0, 2: 0.25}


@pytest.mark.parametrize("weighted", [False, True], ids=["no_sample_weight", "sample_weight"])
@pytest.mark.parametrize("kind", ["balanced", "dict"])
@pytest.mark.parametrize("name", list(LOADERS))
def test_class_weight_reaches_the_optimum_of_sklearn_with_the_same_class_weight(name, kind,
                                                                                weighted):
    X, y = _standardized(name)
    class_weight = "balanced" if kind == "balanced" else _dict_weights(y)
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y)) if weighted else None
    w, _ = reference_weights(y, class_weight, sw)
    ours = _estimator(y, solver="nesterov", alpha=ALPHA, tol=1e-10, max_epochs=50_000,
                      class_weight=class_weight).fit(X, y, sample_weight=sw)
    ref = LogisticRegression(C=1 / (ALPHA * w.sum()), class_weight=class_weight, tol=1e-12,
                             max_iter=20_000).fit(X, y, sample_weight=sw)

    assert ours.stop_reason_ == "converged"
    ours_objective = ours.history_[-1]["objective"]
    assert ours_objective == pytest.approx(_our_objective(ours, X, y, w), rel=1e-12)
    ref_objective = _our_objective(ref, X, y, w)
    # measured: |gap| < 1e-13 on every case; the minimum is not below lbfgs's by more
    assert ours_objective == pytest.approx(ref_objective, rel=1e-6)
    assert ours_objective <= ref_objective * (1 + 1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    if np.allclose(ours.class_weight_, 1.0):   # iris is balanced: 50 rows per class
        assert name == "iris" and kind == "balanced" and not weighted
        return
    # a fit without class weights ends elsewhere: the weights matter
    plain = _estimator(y, solver="nesterov", alpha=ALPHA, tol=1e-10, max_epochs=50_000)
    plain.fit(X, y, sample_weight=sw)
    assert np.abs(plain.predict_proba(X) - ours.predict_proba(X)).max() > 1e-2


@pytest.mark.parametrize("name", list(LOADERS))
def test_balanced_is_n_over_k_bincount_and_a_dict_leaves_other_classes_at_one(name):
    X, y = _standardized(name)
    K = len(np.unique(y))
    model = _estimator(y, class_weight="balanced", max_epochs=2, solver="nesterov")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        np.testing.assert_allclose(model.class_weight_, len(y) / (K * np.bincount(y)),
                                   rtol=1e-15)
        sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
        model.fit(X, y, sample_weight=sw)      # sklearn 1.9: the weighted class counts
        np.testing.assert_allclose(
            model.class_weight_,
            compute_class_weight("balanced", classes=np.unique(y), y=y, sample_weight=sw))
        np.testing.assert_allclose(model.class_weight_, sw.sum() / (K * np.bincount(y, sw)))
        model.set_params(class_weight={1: 4.0}).fit(X, y)
        assert model.class_weight_.tolist() == [1.0, 4.0] + [1.0] * (K - 2)
        model.set_params(class_weight=None).fit(X, y)
        assert model.class_weight_.tolist() == [1.0] * K


def test_balanced_equals_its_dict_and_a_dict_equals_the_same_sample_weights():
    X, y = _standardized("wine")
    params = {"solver": "nesterov", "alpha": ALPHA, "max_epochs": 40}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        balanced = SoftmaxRegressionGD(class_weight="balanced", **params).fit(X, y)
        weights = dict(enumerate(len(y) / (3 * np.bincount(y))))
        as_dict = SoftmaxRegressionGD(class_weight=weights, **params).fit(X, y)
        as_rows = SoftmaxRegressionGD(**params).fit(X, y, sample_weight=as_dict.class_weight_[y])
    np.testing.assert_allclose(balanced.coef_, as_dict.coef_, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(as_rows.coef_, as_dict.coef_, rtol=1e-13, atol=1e-15)
    assert [r["objective"] for r in balanced.history_] == pytest.approx(
        [r["objective"] for r in as_rows.history_], rel=1e-13)


def test_string_labels_and_unknown_dict_labels():
    X, y = _standardized("breast_cancer")
    labels = np.array(["benign", "malignant"])[y]
    model = LogisticRegressionGD(class_weight={"malignant": 2.0}, max_epochs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, labels)
    assert model.class_weight_.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="not in class_weight"):
        LogisticRegressionGD(class_weight={"malignant": 2.0, "other": 1.0}).fit(X, labels)


@pytest.mark.parametrize("value", ["heavy", "Balanced", {0: -1.0}, {0: float("nan")},
                                   {0: float("inf")}, {0: "2"}, [1.0, 2.0], 2.0, True])
def test_invalid_class_weight_is_refused_by_the_one_check(value):
    with pytest.raises(ValueError) as direct:
        check_hyperparameters(class_weight=value)
    message = str(direct.value)
    assert message.startswith("class_weight must be None, 'balanced' or a dict")
    X, y = np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError) as from_fit:
        SoftmaxRegressionGD(class_weight=value).fit(X, y)
    assert str(from_fit.value) == message


def test_weights_that_sum_to_zero_are_refused():
    X, y = np.arange(8.0).reshape(4, 2), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="sum to zero"):
        LogisticRegressionGD(class_weight={0: 0.0, 1: 0.0}).fit(X, y)
    with pytest.raises(ValueError, match="sum to zero"):
        LogisticRegressionGD(class_weight={1: 0.0}).fit(X, y, sample_weight=[0, 1, 0, 1])


def test_balanced_with_a_class_of_zero_sample_weight_gives_its_rows_no_weight():
    w, c = training_weights([1.0, 1.0, 0.0, 0.0], "balanced", np.array([0, 1]), [0, 0, 1, 1])
    assert np.isinf(c[1]) and w.tolist() == [0.5, 0.5, 0.0, 0.0]   # 2 / (2 * 2)


@pytest.mark.parametrize("multinomial", [False, True])
def test_the_auto_step_uses_the_normalised_row_weights(multinomial):
    """1/L with L from w / sum(w): weights with mean 7 (or class weights of mean 1.75) give the
    step and the run of the same weights normalised, and full-batch gd never climbs."""
    X, y = _standardized("breast_cancer")
    cls = SoftmaxRegressionGD if multinomial else LogisticRegressionGD
    sw = np.random.default_rng(2).uniform(0.2, 3.0, len(y))
    cw = {0: 3.0, 1: 0.5}
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for scale in (1.0, 7.0):
            model = cls(max_epochs=30, alpha=ALPHA, class_weight=cw)
            runs.append(model.fit(X, y, sample_weight=scale * sw).history_)
    w = sw * np.array([3.0, 0.5])[y]
    A = np.column_stack([X, np.ones(len(y))])
    curvature = 0.5 if multinomial else 0.25
    L = curvature * np.linalg.eigvalsh(A.T @ (A * (w / w.sum())[:, None]))[-1] + ALPHA
    assert runs[0][0]["learning_rate"] == pytest.approx(1 / L, rel=1e-12)
    assert [r["learning_rate"] for r in runs[1]] == pytest.approx(
        [r["learning_rate"] for r in runs[0]], rel=1e-12)
    assert [r["objective"] for r in runs[1]] == pytest.approx(
        [r["objective"] for r in runs[0]], rel=1e-12)
    objectives = np.array([r["objective"] for r in runs[0]])
    assert np.all(np.diff(objectives) <= 1e-15)


# ------------------------------------------------------------------ the comparison with lbfgs
@pytest.mark.parametrize("name,cls", [("breast_cancer", LogisticRegressionGD),
                                      ("breast_cancer", SoftmaxRegressionGD),
                                      ("wine", SoftmaxRegressionGD)])
def test_compare_uses_the_fitted_class_weights(name, cls):
    X, y = _standardized(name)
    X_train, y_train, X_test, y_test = X[::2], y[::2], X[1::2], y[1::2]
    model = cls(solver="nesterov", alpha=ALPHA, tol=1e-10, max_epochs=20_000,
                class_weight="balanced")
    record = list(model.fit_iter(X_train, y_train, X_val=X_test, y_val=y_test))[-1]
    c = compare(model, X_train, y_train, X_test, y_test, alpha=ALPHA, record=record)

    w = model.class_weight_[y_train]
    halved = 2 if cls is SoftmaxRegressionGD and name == "breast_cancer" else 1
    assert c.sklearn_C == pytest.approx(halved / (ALPHA * w.sum()), rel=1e-14)
    assert c.class_weight == dict(enumerate(model.class_weight_.tolist()))
    assert c.log_loss_train == pytest.approx(c.ours_train_loss, rel=1e-12)  # both weighted
    assert c.log_loss_train == pytest.approx(
        log_loss(y_train, model.predict_proba(X_train), sample_weight=w), rel=1e-12)
    assert c.log_loss_test == pytest.approx(c.ours_test_loss, rel=1e-12)  # plain means
    assert abs(c.objective_gap) < 1e-6 and c.sklearn_converged
    assert c.max_proba_difference < 1e-5
    # the explicit setting is the same comparison
    explicit = compare(model, X_train, y_train, X_test, y_test, alpha=ALPHA, record=record,
                       class_weight="balanced")
    assert explicit.sklearn_objective == pytest.approx(c.sklearn_objective, rel=1e-9)


def test_compare_with_sample_weights_too():
    X, y = _standardized("iris")
    sw = np.random.default_rng(4).uniform(0.2, 3.0, len(y))
    model = SoftmaxRegressionGD(solver="nesterov", alpha=ALPHA, tol=1e-10, max_epochs=20_000,
                                class_weight={0: 3.0})
    record = list(model.fit_iter(X, y, sample_weight=sw))[-1]
    c = compare(model, X, y, X[:0], y[:0], alpha=ALPHA, record=record, sample_weight=sw)
    w = sw * model.class_weight_[y]
    assert c.sklearn_C == pytest.approx(1 / (ALPHA * w.sum()))
    assert abs(c.objective_gap) < 1e-6 and c.max_proba_difference < 1e-5


# ---------------------------------------------------------------- TrainConfig and the command
def test_train_config_offers_none_and_balanced():
    assert TrainConfig().class_weight is None
    frame = samples.load_sample("breast_cancer")
    config = TrainConfig(class_weight="balanced")
    run = TrainingRun(prepare_data(frame, "target", None, DataOptions(), 0), config)
    assert run.estimator.class_weight == "balanced"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in run.records():
            pass
    s = summary(run)
    assert s["class_weight"] == "balanced"
    assert s["objective"] == pytest.approx(s["sklearn_solver"]["objective"], rel=1e-6)
    assert s["train_loss"] == pytest.approx(s["sklearn_log_loss_train"], rel=1e-9)
    # the summary's class weights are those of the rows the model was fitted on
    counts = np.bincount(run.y_fit)
    w = (len(run.y_fit) / (2 * counts))[run.y_fit]
    assert s["sklearn_solver"]["C"] == pytest.approx(1 / (0.01 * w.sum()))
    for bad in ("heavy", {0: 1.0}):
        with pytest.raises(ValueError, match="class_weight must be None or 'balanced', not"):
            TrainConfig(class_weight=bad)


def test_the_command_takes_class_weight(capsys, tmp_path):
    path = tmp_path / "cancer.csv"
    samples.load_sample("breast_cancer").to_csv(path, index=False)
    assert main(["train", str(path), "--target", "target", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["train", str(path), "--target", "target", "--class-weight", "balanced",
                 "--json"]) == 0
    balanced = json.loads(capsys.readouterr().out)
    assert plain["class_weight"] is None and balanced["class_weight"] == "balanced"
    assert balanced["objective"] == pytest.approx(balanced["sklearn_solver"]["objective"],
                                                  rel=1e-6)
    # balanced weights sum to n, so C stays 1 / (alpha n); the fit is another one
    assert balanced["sklearn_solver"]["C"] == pytest.approx(plain["sklearn_solver"]["C"])
    assert balanced["objective"] != pytest.approx(plain["objective"], rel=1e-3)
    # balancing raises the recall of the smaller class (malignant) on the test rows
    assert (balanced["per_class_test"]["malignant"]["recall"]
            >= plain["per_class_test"]["malignant"]["recall"])
    assert main(["train", str(path), "--target", "target", "--class-weight", "balanced"]) == 0
    assert ", class_weight=balanced" in capsys.readouterr().out      # the table says so
    with pytest.raises(SystemExit):
        main(["train", str(path), "--target", "target", "--class-weight", "heavy"])
