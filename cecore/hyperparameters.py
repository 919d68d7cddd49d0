"""The estimators' hyperparameters: their names, allowed values and the one check of them,
used by the estimators and by the app's and the command's settings (TrainConfig)."""

from __future__ import annotations

import numpy as np

from cecore.checks import is_nonnegative_number, is_whole_number

#: The class weightings named by a string (a dict {label: weight} is the other choice).
CLASS_WEIGHTS = ("balanced",)

#: The optimisers: plain gradient descent, Nesterov's accelerated gradient, and Adam.
SOLVERS = ("gd", "nesterov", "adam")


def is_class_weight(value) -> bool:
    """None, "balanced", or a dict whose weights are finite numbers >= 0 (its labels are
    checked against the classes when the estimator is fitted)."""
    if value is None or (isinstance(value, str) and value in CLASS_WEIGHTS):
        return True
    return isinstance(value, dict) and all(is_nonnegative_number(w) for w in value.values())


def check_hyperparameters(*, learning_rate="auto", max_epochs=1000, batch_size=None, alpha=0.0,
                          solver="gd", tol=1e-6, dtype="float64", class_weight=None,
                          early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                          warm_start=False, names=None):
    """Raise ValueError for the first invalid hyperparameter: ``"<name> must be <what>, not
    <value>."`` (booleans are not numbers here). ``names`` renames parameters in the
    message (TrainConfig calls ``max_epochs`` "epochs")."""
    try:
        dtype_ok = dtype is not None and np.dtype(dtype) in (np.float64, np.float32)
    except (TypeError, ValueError):
        dtype_ok = False
    auto = isinstance(learning_rate, str) and learning_rate == "auto"
    for name, value, ok, wanted in [
        ("learning_rate", learning_rate,
         auto or is_nonnegative_number(learning_rate, positive=True),
         "'auto' or a finite number > 0"),
        ("max_epochs", max_epochs, is_whole_number(max_epochs) and max_epochs >= 1,
         "a whole number >= 1"),
        ("batch_size", batch_size,
         batch_size is None or (is_whole_number(batch_size) and batch_size >= 1),
         "None (full batches) or a whole number >= 1"),
        ("alpha", alpha, is_nonnegative_number(alpha), "a finite number >= 0"),
        ("solver", solver, isinstance(solver, str) and solver in SOLVERS,
         "one of " + ", ".join(map(repr, SOLVERS))),
        ("tol", tol, is_nonnegative_number(tol), "a finite number >= 0"),
        ("dtype", dtype, dtype_ok, "'float64' or 'float32'"),
        ("class_weight", class_weight, is_class_weight(class_weight),
         "None, 'balanced' or a dict {label: weight} of finite weights >= 0"),
        ("early_stopping", early_stopping, isinstance(early_stopping, (bool, np.bool_)),
         "True or False"),
        ("validation_fraction", validation_fraction,
         is_nonnegative_number(validation_fraction, positive=True) and validation_fraction < 1,
         "a number strictly between 0 and 1"),
        ("n_iter_no_change", n_iter_no_change,
         is_whole_number(n_iter_no_change) and n_iter_no_change >= 1, "a whole number >= 1"),
        ("warm_start", warm_start, isinstance(warm_start, (bool, np.bool_)), "True or False"),
    ]:
        if not ok:
            shown = (names or {}).get(name, name)
            raise ValueError(f"{shown} must be {wanted}, not {value!r}.")
