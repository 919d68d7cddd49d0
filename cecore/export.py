"""A finished run as files: the model JSON (read back by :func:`cecore.load_model`), the
per-epoch history and the predictions as CSV, and the summary that
``python -m cecore train --json`` prints.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from cecore import __version__
from cecore.model_schema import MODEL_FORMAT
from cecore.prepare.transform import describe_preprocessing
from cecore.spreadsheet import escape_spreadsheet_cells


def jsonable(value):
    """A JSON-ready version of numpy / pandas values (NaN and inf become None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def probability_summary(results, class_names, threshold=0.5):
    """What the probabilities are worth on the evaluated rows, in numbers: ``ece_*``,
    ``brier_*``, ``roc_auc_*`` and ``average_precision_*`` (two classes), ``per_class_*``
    ({class: {precision, recall}}: for two classes at ``p >= threshold``, else of the most
    probable class), and the fitted ``temperature`` with the log loss and ECE after it."""
    report, split = results.probabilities, results.split
    summary = {f"ece_{split}": report.expected_calibration_error}
    if report.curves is not None:
        summary["threshold"] = threshold
        summary[f"brier_{split}"] = report.brier["brier"]
        summary[f"roc_auc_{split}"] = report.curves.roc_auc()
        summary[f"average_precision_{split}"] = report.curves.average_precision()
        summary[f"per_class_{split}"] = report.curves.at(threshold).per_class(class_names)
    else:
        summary[f"per_class_{split}"] = {
            str(name): {"precision": row["precision"], "recall": row["recall"]}
            for name, row in results.per_class.iterrows()}
    if results.temperature is not None:
        scaling = results.temperature
        summary["temperature"] = scaling.temperature
        summary["n_validation"] = scaling.n_validation
        summary[f"log_loss_{split}_after_temperature"] = scaling.after.log_loss
        summary[f"ece_{split}_after_temperature"] = scaling.after.expected_calibration_error
    return summary


def summary(run, threshold=0.5):
    """The run in numbers: what ``python -m cecore train --json`` prints.

    ``class_weight`` is the run's setting (None or "balanced"; the training loss and both
    objectives are then weighted by it). Our losses come from the training record,
    ``sklearn_log_loss_*`` from
    ``sklearn.metrics.log_loss`` on our probabilities, ``sklearn_solver`` from lbfgs; the
    probabilities' worth from :func:`probability_summary` at ``threshold``. With early
    stopping, ``best_epoch`` is the epoch whose weights were kept (None when the run was
    stopped by hand) and the losses are that epoch's.
    """
    results = run.evaluate()
    c = results.comparison
    p, last = run.prepared, run.last
    return jsonable({
        "model": run.kind,
        "estimator": type(run.estimator).__name__,
        "target": p.target,
        "classes": run.class_names(),
        "features": p.feature_names,
        "n_train": len(run.y_fit),
        "n_test": len(p.y_test),
        "epochs": last["epoch"],
        "stop_reason": run.status,
        "message": run.message,
        "learning_rate": last["learning_rate"],
        "class_weight": run.config.class_weight,
        "train_loss": c.ours_train_loss,
        "test_loss": c.ours_test_loss,
        "objective": c.ours_objective,
        "grad_norm": run.kept_record["grad_norm"],
        "sklearn_log_loss_train": c.log_loss_train,
        "sklearn_log_loss_test": c.log_loss_test,
        "accuracy_train": c.ours_accuracy_train,
        "accuracy_test": c.ours_accuracy_test,
        "seconds": c.ours_seconds,
        "sklearn_solver": {
            "solver": "lbfgs",
            "C": c.sklearn_C if math.isfinite(c.sklearn_C) else None,
            "train_loss": c.sklearn_train_loss,
            "test_loss": c.sklearn_test_loss,
            "objective": c.sklearn_objective,
            "accuracy_train": c.sklearn_accuracy_train,
            "accuracy_test": c.sklearn_accuracy_test,
            "seconds": c.sklearn_seconds,
            "converged": c.sklearn_converged,
        },
        "max_proba_difference": c.max_proba_difference,
        "objective_gap": c.objective_gap,
        **({"best_epoch": run.best_epoch} if run.config.early_stopping else {}),
        **probability_summary(results, run.class_names(), threshold),
    })


def model_json(run):
    """The trained model as JSON (format MODEL_FORMAT): enough to predict without cecore,
    and what :func:`cecore.load_model` reads (JSON only, never pickle).

    ``P(class k | x) = softmax(x' coef[k] + intercept[k])`` (softmax) or
    ``P(classes[1] | x) = sigmoid(x' coef[0] + intercept[0])`` (logistic), where ``x'`` is
    the row after ``preprocessing`` (see :func:`describe_preprocessing`): per input column
    its kind and learned numbers (imputed value, mean and scale, categories with the rare
    values grouped, date parts), then the polynomial terms and their second scaling.
    """
    model = run.estimator
    document = {
        "format": MODEL_FORMAT,
        "cecore_version": __version__,
        "model": run.kind,
        "estimator": type(model).__name__,
        "how_to_predict": (
            "x' = preprocessing(row): numbers and date parts (x - mean) / scale after "
            "imputing missing values, polynomial terms (term - mean) / scale, then one-hot "
            "columns; z = coef . x' + intercept; "
            + ("P(classes[1]) = sigmoid(z[0])" if run.kind == "logistic"
               else "P(classes[k]) = softmax(z)[k]")
        ),
        "target": run.prepared.target,
        "classes": run.class_names(),
        "input_columns": list(run.prepared.features),
        "feature_names": run.prepared.feature_names,
        "coef": model.coef_,
        "intercept": model.intercept_,
        "preprocessing": describe_preprocessing(run.prepared),
        "hyperparameters": {**asdict(run.config), "data": asdict(run.options)},
        "final": {key: value for key, value in summary(run).items()
                  if key in ("epochs", "best_epoch", "stop_reason", "learning_rate",
                             "train_loss", "test_loss", "objective", "grad_norm",
                             "accuracy_train", "accuracy_test")},
        "comparison_with_sklearn": run.evaluate().comparison.to_dict(),
    }
    return json.dumps(jsonable(document), indent=2, ensure_ascii=False)


def history_csv(history):
    """The records, one line per epoch (numbers only)."""
    columns = ["epoch", "loss", "val_loss", "objective", "grad_norm", "learning_rate",
               "seconds"]
    return pd.DataFrame(history, columns=columns).to_csv(index=False)


def table_csv(table):
    """A table as CSV text for a download or a file (no index), spreadsheet-safe: text cells
    and column names that a spreadsheet would run as a formula get a leading quote."""
    return escape_spreadsheet_cells(table).to_csv(index=False)


def predictions_csv(results):
    """The evaluated rows with their predictions; text cells that a spreadsheet would run as
    a formula (starting with = + - @) are prefixed with a quote."""
    return escape_spreadsheet_cells(results.predictions).to_csv(index=False)
