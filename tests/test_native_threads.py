"""The app's server runs BLAS and OpenMP on one thread (cecore.native_threads), the
libraries loaded after app.py's first run (scikit-learn's, on the training page) too."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh process (the test process's own libraries keep their defaults): app.py's home
# page, then the training page, which loads scikit-learn and with it its OpenBLAS and
# OpenMP; then every native thread pool of the process, as threadpoolctl sees it.
APP_CHILD = """
import json, sys
from streamlit.testing.v1 import AppTest
from threadpoolctl import threadpool_info
at = AppTest.from_file("app.py", default_timeout=300).run()
assert not at.exception, at.exception
before = [lib["num_threads"] for lib in threadpool_info()]
at.switch_page("pages/train.py").run()
assert not at.exception, at.exception
assert "sklearn" in sys.modules  # loaded by the page, after app.py set the limit
print(json.dumps({"home": before, "train": threadpool_info()}))
"""


def test_a_running_app_uses_one_blas_and_openmp_thread():
    done = subprocess.run([sys.executable, "-c", APP_CHILD], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=True)
    pools = json.loads(done.stdout.strip().splitlines()[-1])
    assert pools["home"] and set(pools["home"]) == {1}
    libraries = pools["train"]
    assert {lib["user_api"] for lib in libraries} == {"blas", "openmp"}
    assert len([lib for lib in libraries if lib["user_api"] == "blas"]) >= 2  # numpy's, scipy's
    assert {lib["num_threads"] for lib in libraries} == {1}, libraries

