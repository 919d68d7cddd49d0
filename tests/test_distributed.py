"""fit on Dask collections (cecore.distributed): every epoch on a real local cluster, X never
gathered to the client, the same records and weights as in memory; dask-ml's Incremental."""

import importlib.util
import os
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from cecore import LogisticRegressionGD, SoftmaxRegressionGD


def _missing(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the Dask tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


for _name in ("dask", "distributed", "dask_ml"):
    if importlib.util.find_spec(_name) is None:
        _missing(f"{_name} is not installed (pip install -r requirements-dev.txt)")

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from dask_ml.wrappers import Incremental  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

TOL = 1e-10
COMPARED = ("loss", "objective", "grad_norm")
#: Nesterov's adaptive step is a quotient of gradient differences (Barzilai-Borwein), which
#: turns the rounding of the per-chunk sums (1e-16) into about 1e-10 relative near the optimum
STEP_RTOL = 1e-8


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


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
    fit.close()
    assert model.stop_reason_ == "stopped" and model.n_iter_ == 1
    assert sum(len(keys) for keys in client.has_what().values()) >= 3   # three chunks held


def test_unsupported_options_and_bad_labels_raise(client):
    X, y = IRIS
    dX, dy = da.from_array(X, chunks=(50, 4)), da.from_array(y, chunks=50)
    with pytest.raises(ValueError, match="batch_size"):
        SoftmaxRegressionGD(batch_size=10).fit(dX, dy)
    with pytest.raises(ValueError, match="class_weight"):
        SoftmaxRegressionGD(class_weight="balanced").fit(dX, dy)
    with pytest.raises(ValueError, match="binary"):
        LogisticRegressionGD().fit(dX, dy)
    with pytest.raises(ValueError, match=r"expected \(150,\)"):
        SoftmaxRegressionGD().fit(dX, dy[:100])


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
