"""One thread per process for the native libraries that do the arithmetic (OpenBLAS, and
OpenMP under scikit-learn), for a server whose visitors share a few cores.

On this project's machine (2 cores, OpenBLAS 0.3.31 and 0.3.30, one thread per core by
default), Train -> results at 100 rows x 20,000 columns took 8.6 s in the browser with the
default threads and 4.3 s with one (medians of 3, load average 0.4-4; 5.0 and 3.4 s at
2-2.9: benchmarks/wide_tables_browser.py). In one process, without a browser
(benchmarks/blas_threads.py, load 3.5-4.4), it took 0.54-1.23 s against 0.25-0.31 s, at
200,000 x 20 0.49-0.76 s against 0.23-0.26 s, and an epoch there 3.30 against 3.16 ms: one
thread is not slower for a single visitor either. OpenBLAS's and libgomp's worker threads wait for work by spinning:
whenever anything else runs (a browser on the same machine, another visitor's training,
Streamlit's own threads sending the page), the second thread takes a core from it, and
the small products of a wide table's training gain nothing from it.

:func:`limit_native_threads` limits the libraries already loaded (threadpoolctl) and sets
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``, which each library
reads when it is loaded: scikit-learn's and scipy's copies are loaded later, on the first
visit to the training page.
"""

from __future__ import annotations

import functools
import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@functools.cache
def limit_native_threads(threads: int = 1) -> dict[str, int]:
    """Run BLAS and OpenMP on ``threads`` threads in this process from now on (once per
    process; later calls return the first call's result). Returns the thread count of
    each library loaded so far, by its file name."""
    from threadpoolctl import threadpool_info, threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    threadpool_limits(limits=threads)
    return {os.path.basename(lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
