"""``python -m cecore train FILE --target COL``: the training page's pipeline without a UI;
``python -m cecore predict MODEL.json FILE``: a saved model's predictions for a file's rows;
``python -m cecore race FILE --target COL``: the optimisers raced (:mod:`cecore.race_command`).

Reads the CSV, prepares it, trains with a progress bar on stderr (Ctrl-C stops training and
keeps the model of the last finished epoch, like the page's Stop button), compares with
scikit-learn and prints a table, or with ``--json`` one JSON object on stdout. Exit status:
0 done, 1 training produced no model (it diverged in the first epoch), 2 bad data or options
(one line ``error: ...`` on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cecore.data import DataError, read_table
from cecore.export import jsonable, model_json, summary, table_csv
from cecore.hyperparameters import CLASS_WEIGHTS, SOLVERS
from cecore.model_file import load_model
from cecore.prepare.options import DATES, MISSING
from cecore.progress import ProgressBar, train_with_progress
from cecore.race_command import add_race_parser, race
from cecore.script import reproducing_script, sklearn_script
from cecore.training import MODELS, DataOptions, TrainConfig, TrainingRun, prepare_data

DEFAULTS, DATA_DEFAULTS = TrainConfig(), DataOptions()


def learning_rate(text):
    """``auto`` or a number (argparse names this function in its error message)."""
    return "auto" if text == "auto" else float(text)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m cecore",
        description="Cross-Entropy Lab from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", help="train logistic or softmax regression on a CSV file",
        description="Train logistic or softmax regression on a CSV file with cecore's gradient "
                    "descent and compare it with scikit-learn's lbfgs on the same objective.")
    train.add_argument("file", help="CSV file; delimiter, decimal comma, encoding and header "
                                    "are detected")
    train.add_argument("--target", required=True, help="the class column")
    train.add_argument("--features", nargs="+", metavar="COL",
                       help="feature columns (default: all useful columns but the target)")
    train.add_argument("--model", choices=MODELS, default=DEFAULTS.model,
                       help="auto: logistic for 2 classes, softmax for more (default: auto)")
    train.add_argument("--epochs", type=int, default=DEFAULTS.epochs,
                       help=f"at most this many epochs (default: {DEFAULTS.epochs})")
    train.add_argument("--learning-rate", type=learning_rate, default=DEFAULTS.learning_rate,
                       metavar="X|auto",
                       help="step size, or auto: 1/L (the curvature bound; 1/L(b) for "
                            "mini-batches), 0.1 for adam (default: auto)")
    train.add_argument("--batch-size", type=int, default=None, metavar="N",
                       help="mini-batch size (default: full batch)")
    train.add_argument("--solver", choices=SOLVERS, default=DEFAULTS.solver,
                       help="gd: gradient descent; nesterov: accelerated, with restarts; "
                            f"adam: Kingma and Ba's Adam (default: {DEFAULTS.solver})")
    train.add_argument("--alpha", type=float, default=DEFAULTS.alpha,
                       help=f"L2 penalty alpha/2 ||W||^2 (default: {DEFAULTS.alpha})")
    train.add_argument("--tol", type=float, default=DEFAULTS.tol,
                       help=f"stop when the gradient norm is at most this (default: "
                            f"{DEFAULTS.tol})")
    train.add_argument("--class-weight", choices=("none", *CLASS_WEIGHTS), default="none",
                       help="balanced: weight each class's rows by n / (K * rows of the "
                            "class), so every class counts the same in the loss (and in "
                            "scikit-learn's fit); none: every row counts once (default: none)")
    train.add_argument("--validation-share", type=float, default=DEFAULTS.validation_share,
                       metavar="F", help="share of the training rows held out of fitting to "
                                         "fit a temperature for the probabilities (default: 0)")
    train.add_argument("--early-stopping", action="store_true",
                       help="hold out --validation-fraction of the rows left for fitting "
                            "(not the --validation-share rows, never the test rows), stop when "
                            "their loss has not fallen by --tol for --n-iter-no-change epochs "
                            "and keep the best epoch's weights")
    train.add_argument("--validation-fraction", type=float, metavar="F",
                       default=DEFAULTS.validation_fraction,
                       help=f"with --early-stopping (default: {DEFAULTS.validation_fraction})")
    train.add_argument("--n-iter-no-change", type=int, metavar="N",
                       default=DEFAULTS.n_iter_no_change,
                       help=f"with --early-stopping (default: {DEFAULTS.n_iter_no_change})")
    train.add_argument("--threshold", type=float, default=0.5, metavar="T",
                       help="two classes: call the second class when its probability is at "
                            "least T, for per_class_test (default: 0.5)")
    train.add_argument("--test-size", type=float, default=DATA_DEFAULTS.test_size,
                       help=f"share of rows held out for testing (default: "
                            f"{DATA_DEFAULTS.test_size})")
    train.add_argument("--seed", type=int, default=DEFAULTS.seed,
                       help="seeds the split and the mini-batch order (default: 0)")
    train.add_argument("--missing", choices=MISSING, default=DATA_DEFAULTS.missing,
                       help="fill in missing values or drop those rows (default: impute)")
    train.add_argument("--dates", choices=DATES, default=DATA_DEFAULTS.dates,
                       help="leave date columns out or expand them (default: drop)")
    train.add_argument("--no-scale", action="store_true",
                       help="do not standardize the numeric features")
    train.add_argument("--degree", type=int, default=DATA_DEFAULTS.degree, metavar="D",
                       help="expand the numeric features into all products of at most D of "
                            "them, x1^2, x1 x2, ... (1 to 5; default: 1)")
    train.add_argument("--save-model", metavar="PATH",
                       help="write the model as JSON (read by `predict` and cecore.load_model)")
    train.add_argument("--script", metavar="PATH",
                       help="write a Python script that reproduces the run with cecore")
    train.add_argument("--sklearn-script", metavar="PATH",
                       help="write a Python script that reproduces the run with pandas and "
                            "scikit-learn only")
    train.add_argument("--json", action="store_true",
                       help="print one JSON object on stdout instead of a table")
    train.add_argument("--dask", metavar="local|ADDRESS",
                       help="train on a Dask cluster: FILE is then a glob of CSV or Parquet "
                            "parts; local starts one on this machine, or give a scheduler's "
                            "address (tcp://host:8786)")
    predict = commands.add_parser(
        "predict", help="predict the classes of a file's rows with a saved model",
        description="Predict each row's class and class probabilities with a model saved by "
                    "`train --save-model`. When FILE holds the model's target column, the "
                    "log loss and accuracy on its rows are reported too.")
    predict.add_argument("model", help="the model JSON file")
    predict.add_argument("file", help="CSV/TSV/TXT, Excel (.xlsx) or Parquet file with the "
                                      "model's input columns")
    predict.add_argument("--output", metavar="CSV",
                         help="write row, predicted and p(<class>) per row to this CSV "
                              "(default: print it, unless --json)")
    predict.add_argument("--json", action="store_true",
                         help="print one JSON object: n_rows, and log_loss and accuracy when "
                              "FILE holds the target column")
    add_race_parser(commands)
    return parser


def _table(result, run):
    c = run.evaluate().comparison
    lines = [
        f"model      {result['model']} ({result['estimator']}), classes: "
        f"{', '.join(result['classes'])}",
        f"data       {result['n_train']} training rows, {result['n_test']} test rows, "
        f"{len(result['features'])} features",
        f"training   {result['stop_reason']} after {result['epochs']} epochs "
        f"({result['seconds']:.3g} s)"
        + (f", class_weight={result['class_weight']}" if result["class_weight"] else ""),
        "",
        c.table().to_string(float_format=lambda v: f"{v:.8g}", na_rep="-"),
        "",
        f"largest |P_cecore - P_sklearn| = {c.max_proba_difference:.3g}; "
        f"objective gap {c.objective_gap:.3g} (relative)",
        run.evaluate().note,
    ]
    return "\n".join(lines)


def train(args):
    if not 0 <= args.threshold <= 1:
        raise DataError(f"--threshold must be a probability from 0 to 1, not {args.threshold}.")
    config = TrainConfig(model=args.model, learning_rate=args.learning_rate,
                         epochs=args.epochs, batch_size=args.batch_size, solver=args.solver,
                         alpha=args.alpha, tol=args.tol, seed=args.seed,
                         validation_share=args.validation_share,
                         early_stopping=args.early_stopping,
                         validation_fraction=args.validation_fraction,
                         n_iter_no_change=args.n_iter_no_change,
                         class_weight=None if args.class_weight == "none" else args.class_weight)
    options = DataOptions(test_size=args.test_size, missing=args.missing,
                          scale=not args.no_scale, dates=args.dates, degree=args.degree)
    _check_folders(args.save_model, args.script, args.sklearn_script)
    if args.dask:  # dask is imported only here
        from cecore.distributed_command import train_on_cluster

        return train_on_cluster(args, config, options, ProgressBar)
    frame = read_table(args.file)
    prepared = prepare_data(frame, args.target, args.features, options, config.seed)
    run = TrainingRun(prepared, config, options, frame=frame)
    train_with_progress(run, ProgressBar(config.epochs))
    if not run.usable:
        print(f"error: {run.message}", file=sys.stderr)
        return 1
    result = summary(run, threshold=args.threshold)
    _write_run_files(run, args)
    print(json.dumps(result) if args.json else _table(result, run))
    return 0


def _check_folders(*paths):
    """DataError before any work when a file to write has no folder to go to."""
    for path in paths:
        if path and not Path(path).resolve().parent.is_dir():
            raise DataError(f"Cannot write '{path}': the folder '{Path(path).parent}' does "
                            "not exist.")


def _write(path, text):
    """Write ``text`` to ``path`` (UTF-8); DataError saying why when it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise DataError(f"Cannot write '{path}': {error.strerror or error}.") from None


def _write_run_files(run, args):
    """The files asked for: the model JSON and the reproducing scripts (their FILE is the
    table's path from the script's folder)."""
    if args.save_model:
        _write(args.save_model, model_json(run))
    for path, write_script in ((args.script, reproducing_script),
                               (args.sklearn_script, sklearn_script)):
        if path:
            table = Path(args.file).resolve()
            try:
                file_name = os.path.relpath(table, Path(path).resolve().parent)
            except ValueError:  # another drive
                file_name = str(table)
            _write(path, write_script(run, file_name))


def predict(args):
    _check_folders(args.output)
    model = load_model(args.model)
    frame = read_table(args.file)
    proba = model.predict_proba(frame)
    table = model.prediction_table(frame, proba)
    if args.output:
        _write(args.output, table_csv(table))
    if args.json:
        print(json.dumps(jsonable({"target": model.target, "classes": list(model.classes_),
                                   **model.score(frame, proba)})))
    elif not args.output:
        print(table_csv(table), end="")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        command = {"predict": predict, "race": race, "train": train}[args.command]
        return command(args)
    except (DataError, ValueError) as error:
        message = " ".join(str(error).split())
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
