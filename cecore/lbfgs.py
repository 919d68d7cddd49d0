"""scipy's L-BFGS on a cecore objective, one record per iteration, as a generator.

``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` minimises
``J(theta) = objective.loss_objective_gradient(theta)[1]`` with its gradient (one pass over X
per evaluation). minimize runs to its end in one call, so it runs in a worker thread that
hands each iteration's record over and waits: the caller advances it like a training run
(one iteration per ``next``, taking turns with other work) and can close it at any
iteration (the callback then raises StopIteration, which ends minimize). Only one of the
two threads computes at any time. ``seconds`` counts the worker's time in minimize, not
the time the caller held a record.

L-BFGS's own vector work (two-loop recursion, line search) goes through scipy's bundled
OpenBLAS on vectors of the parameters' length, where threads never pay; with two threads
on this 2-core machine, alternating with numpy's OpenBLAS (whose threads spin after each
gradient), breast cancer's 30 iterations took 215-246 ms instead of 1.4-1.8 ms. So scipy's
BLAS (only scipy's, not numpy's, which computes the gradient) runs on one thread here.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

__all__ = ["LBFGS_GTOL", "lbfgs_steps"]

#: the projected-gradient tolerance of the reference run (sklearn's own lbfgs uses 1e-4)
LBFGS_GTOL = 1e-10


def scipy_blas_on_one_thread():
    """A context in which the BLAS libraries bundled with scipy use one thread."""
    controller = ThreadpoolController()
    own = [lib.filepath for lib in controller.lib_controllers
           if "scipy.libs" in lib.filepath or "scipy/.dylibs" in lib.filepath]
    return controller.select(filepath=own).limit(limits=1)


def lbfgs_steps(objective, theta0, max_iterations=1000, gtol=LBFGS_GTOL, seconds_before=0.0):
    """Yield ``(record, theta)`` after each L-BFGS iteration from ``theta0``.

    ``record`` has ``epoch`` (the iteration), ``loss``, ``objective``, ``grad_norm``,
    ``evaluations`` (objective and gradient evaluations so far: passes over X) and
    ``seconds`` (``seconds_before``, e.g. the time to build the objective, plus the time in
    minimize so far).
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    shape = theta0.shape
    records, turns = queue.Queue(maxsize=1), queue.Queue(maxsize=1)
    state = {"evaluations": 0, "iterations": 0, "spent": seconds_before, "resumed": 0.0,
             "last": None}

    def value_and_gradient(flat):
        loss, value, grad = objective.loss_objective_gradient(flat.reshape(shape))
        state["evaluations"] += 1
        state["last"] = (flat.copy(), loss, float(np.linalg.norm(grad)))
        return value, np.ravel(grad)

    def callback(intermediate_result):
        x = intermediate_result.x
        if not np.array_equal(state["last"][0], x):   # the accepted point was evaluated
            value_and_gradient(x)                     # earlier in the line search
            state["evaluations"] -= 1
        state["spent"] += time.perf_counter() - state["resumed"]
        state["iterations"] += 1
        _, loss, grad_norm = state["last"]
        record = {"epoch": state["iterations"], "loss": float(loss),
                  "objective": float(intermediate_result.fun), "grad_norm": grad_norm,
                  "evaluations": state["evaluations"], "seconds": state["spent"]}
        records.put(("record", record, intermediate_result.x.reshape(shape).copy()))
        if turns.get() == "stop":
            raise StopIteration
        state["resumed"] = time.perf_counter()

    def work():
        try:
            if turns.get() == "stop":
                return
            with scipy_blas_on_one_thread():
                state["resumed"] = time.perf_counter()
                minimize(value_and_gradient, theta0.ravel(), jac=True, method="L-BFGS-B",
                         callback=callback,
                         options={"maxiter": max_iterations, "gtol": gtol, "ftol": 1e-15,
                                  "maxfun": 20 * max_iterations})
            records.put(("end", None, None))
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            records.put(("error", error, None))

    worker = threading.Thread(target=work, name="cecore-lbfgs", daemon=True)
    worker.start()
    try:
        while True:
            turns.put("next")
            kind, record, theta = records.get()
            if kind == "end":
                return
            if kind == "error":
                raise record
            yield record, theta
    finally:
        if worker.is_alive():
            try:
                turns.put_nowait("stop")
            except queue.Full:
                pass
            worker.join()
