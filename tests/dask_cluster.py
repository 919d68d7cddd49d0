"""The Dask tests' shared set-up: dask, distributed and dask-ml are required (a skip outside CI,
a failure in CI: ``CI=true``), and one real local cluster of two worker processes serves them
all (the ``dask_client`` fixture of tests/conftest.py)."""

import importlib.util
import os

import pytest

DASK_MODULES = ("dask", "distributed", "dask_ml")


def require_dask():
    """Skip the calling test module when a Dask package is missing; fail it in CI."""
    for name in DASK_MODULES:
        if importlib.util.find_spec(name) is None:
            reason = f"{name} is not installed (pip install -r requirements-dev.txt)"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"the Dask tests cannot run in CI: {reason}", pytrace=False)
            pytest.skip(reason, allow_module_level=True)


def local_cluster():
    """A LocalCluster of two single-threaded worker processes, no dashboard."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=None)
