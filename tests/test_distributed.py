"""fit on Dask collections (cecore.distributed): every epoch on a real local cluster, X never
gathered to the client, the same records and weights as in memory; dask-ml's Incremental."""

import warnings

import numpy as np
import pytest
from dask_cluster import require_dask
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD

require_dask()

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from dask_ml.wrappers import Incremental  # noqa: E402

from cecore.objective import BinaryObjective, MultinomialObjective  # noqa: E402

TOL = 1e-10
COMPARED = ("loss", "objective", "grad_norm")
#: Nesterov's adaptive step is a quotient of gradient differences (Barzilai-Borwein), which
#: turns the rounding of the per-chunk sums (1e-16) into about 1e-10 relative near the optimum
STEP_RTOL = 1e-8


@pytest.fixture
def client(dask_client):
    return dask_client


def _standard(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


CANCER = _standard(load_breast_cancer)
IRIS = _standard(load_iris)


def _fit(model, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kw)


def _same(a, b):
    assert a.n_iter_ == b.n_iter_ and a.stop_reason_ == b.stop_reason_
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.n_features_in_ == b.n_features_in_
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=0, atol=TOL)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=0, atol=TOL)
    for ra, rb in zip(a.history_, b.history_, strict=True):
        assert ra["epoch"] == rb["epoch"] and rb["val_loss"] is None
        for key in COMPARED:
            assert abs(ra[key] - rb[key]) <= TOL * max(1.0, abs(ra[key])), key
        assert rb["learning_rate"] == pytest.approx(ra["learning_rate"], rel=STEP_RTOL)


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
@pytest.mark.parametrize("data, cls, alpha", [(CANCER, LogisticRegressionGD, 0.01),
                                              (IRIS, SoftmaxRegressionGD, 0.0)])
def test_a_dask_fit_equals_the_in_memory_fit(client, solver, data, cls, alpha):
    X, y = data
    params = dict(solver=solver, alpha=alpha, max_epochs=60, tol=1e-8)
    memory = _fit(cls(**params), X, y)
    dX = da.from_array(X, chunks=(len(X) // 3 + 1, 2))     # columns rechunked to one chunk
    dy = da.from_array(y, chunks=50)                        # y realigned on X's rows
    _same(memory, _fit(cls(**params), dX, dy))
    _same(memory, _fit(cls(**params), dX, y))               # y in memory


def test_sample_weights_and_a_dask_dataframe(client):
    X, y = CANCER
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    memory = _fit(LogisticRegressionGD(max_epochs=40, solver="nesterov"),
                  pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), y,
                  sample_weight=w)
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]),
                           npartitions=4)
    model = _fit(LogisticRegressionGD(max_epochs=40, solver="nesterov"), frame,
                 da.from_array(y, chunks=100), sample_weight=da.from_array(w, chunks=200))
    _same(memory, model)
    np.testing.assert_array_equal(model.feature_names_in_, memory.feature_names_in_)
    assert model.stop_message_ == memory.stop_message_


def test_fit_never_gathers_X_to_the_client(client, monkeypatch):
    X, y = IRIS
    memory = _fit(SoftmaxRegressionGD(max_epochs=30), X, y)
    dX, dy = da.from_array(X, chunks=(40, 4)), da.from_array(y, chunks=40)

    def gathered(*args, **kwargs):
        raise AssertionError("a Dask array was gathered to the client")

    monkeypatch.setattr(da.Array, "__array__", gathered)
    monkeypatch.setattr(da.Array, "compute", gathered)
    with pytest.raises(AssertionError, match="gathered"):
        np.asarray(dX)
    model = _fit(SoftmaxRegressionGD(max_epochs=30), dX, dy)
    _same(memory, model)


def test_the_chunks_live_on_the_workers(client):
    X, y = CANCER
    model = LogisticRegressionGD(max_epochs=3)
    fit = model.fit_iter(da.from_array(X, chunks=(200, 30)), da.from_array(y, chunks=200))
    next(fit)
    held = sum(len(keys) for keys in client.has_what().values())   # while training runs
    fit.close()
    assert model.stop_reason_ == "stopped" and model.n_iter_ == 1
    assert held >= 3                                                 # the three chunks


def test_unsupported_options_and_bad_labels_raise(client):
    X, y = IRIS
    dX, dy = da.from_array(X, chunks=(50, 4)), da.from_array(y, chunks=50)
    with pytest.raises(ValueError, match="early_stopping"):
        SoftmaxRegressionGD(early_stopping=True).fit(dX, dy)
    with pytest.raises(ValueError, match="binary"):
        LogisticRegressionGD().fit(dX, dy)
    with pytest.raises(ValueError, match=r"expected \(150,\)"):
        SoftmaxRegressionGD().fit(dX, dy[:100])
    with pytest.raises(ValueError, match="y_val contains labels"):
        next(SoftmaxRegressionGD().fit_iter(dX, dy, X_val=dX, y_val=dy + 1))


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 2: 0.5}])
def test_class_weights_on_dask_equal_the_in_memory_fit(client, class_weight):
    X, y = IRIS
    keep = np.r_[0:50, 50:70, 100:150]                  # unequal classes: balanced matters
    X, y = X[keep], y[keep]
    w = np.random.default_rng(4).uniform(0.0, 2.0, len(y))
    params = dict(solver="nesterov", alpha=0.01, max_epochs=50, class_weight=class_weight)
    memory = _fit(SoftmaxRegressionGD(**params), X, y, sample_weight=w)
    model = _fit(SoftmaxRegressionGD(**params), da.from_array(X, chunks=(45, 4)),
                 da.from_array(y, chunks=45), sample_weight=da.from_array(w, chunks=60))
    _same(memory, model)
    np.testing.assert_allclose(model.class_weight_, memory.class_weight_, rtol=1e-15)
    assert not np.all(model.class_weight_ == 1)


def test_validation_rows_give_the_same_val_loss_as_in_memory(client):
    X, y = CANCER
    params = dict(solver="nesterov", alpha=0.01, max_epochs=25)
    memory = _fit_val(LogisticRegressionGD(**params), X[:400], y[:400], X[400:], y[400:])
    model = _fit_val(LogisticRegressionGD(**params), da.from_array(X[:400], chunks=(150, 30)),
                     da.from_array(y[:400], chunks=150),
                     da.from_array(X[400:], chunks=(100, 30)), y[400:])
    for a, b in zip(memory.history_, model.history_, strict=True):
        assert abs(a["val_loss"] - b["val_loss"]) <= TOL
        assert abs(a["loss"] - b["loss"]) <= TOL


def _fit_val(model, X, y, X_val, y_val):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in model.fit_iter(X, y, X_val=X_val, y_val=y_val):
            pass
    return model


def _chunk_batches(chunks):
    """In-memory batches that are the Dask run's: the chunks' rows, in the order
    ``rng.permutation`` of the chunks gives each epoch."""
    starts = np.cumsum((0, *chunks))

    def batches(self, batch_size, rng):
        return [np.arange(starts[c], starts[c + 1]) for c in rng.permutation(len(chunks))]
    return batches


@pytest.mark.parametrize("solver", ["gd", "nesterov", "adam"])
@pytest.mark.parametrize("data, cls, objective", [
    (CANCER, LogisticRegressionGD, BinaryObjective),
    (IRIS, SoftmaxRegressionGD, MultinomialObjective)])
def test_minibatches_on_dask_are_the_chunks_and_match_in_memory_batches_of_those_rows(
        client, monkeypatch, solver, data, cls, objective):
    from cecore.distributed import batch_chunks

    X, y = data
    order = np.random.default_rng(2).permutation(len(y))
    X, y = X[order], y[order]
    params = dict(solver=solver, alpha=0.01, max_epochs=8, batch_size=64, random_state=5)
    model = _fit(cls(**params), da.from_array(X, chunks=(100, X.shape[1])),
                 da.from_array(y, chunks=100))
    chunks = batch_chunks(len(y), 64)
    assert len(chunks) == -(-len(y) // 64) and max(chunks) - min(chunks) <= 1
    with monkeypatch.context() as patch:
        patch.setattr(objective, "batches", _chunk_batches(chunks), raising=False)
        memory = _fit(cls(**params), X, y)
    _same(memory, model)
    plain = _fit(cls(**params), X, y)           # random rows: other batches, other records
    assert plain.history_[0]["loss"] != pytest.approx(model.history_[0]["loss"], rel=1e-9)


def test_dask_ml_incremental_trains_block_by_block(client):
    X, y = IRIS
    order = np.random.default_rng(1).permutation(len(y))      # every block holds classes
    X, y = X[order], y[order]
    params = dict(alpha=0.01, solver="nesterov")
    wrapped = Incremental(SoftmaxRegressionGD(**params), shuffle_blocks=False)
    wrapped.fit(da.from_array(X, chunks=(30, 4)), da.from_array(y, chunks=30),
                classes=[0, 1, 2])
    manual = SoftmaxRegressionGD(**params)
    for start in range(0, len(y), 30):
        manual.partial_fit(X[start:start + 30], y[start:start + 30], classes=[0, 1, 2])
    fitted = wrapped.estimator_
    assert fitted.n_iter_ == manual.n_iter_ == 5
    np.testing.assert_allclose(fitted.coef_, manual.coef_, rtol=0, atol=TOL)
    np.testing.assert_allclose(fitted.intercept_, manual.intercept_, rtol=0, atol=TOL)
    assert dask.is_dask_collection(wrapped.predict(da.from_array(X, chunks=(30, 4))))
