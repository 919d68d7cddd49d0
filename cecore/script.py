"""Standalone Python scripts that reproduce a finished run from its file.

- :func:`reproducing_script`: reads the file with cecore and trains again with the run's
  TrainConfig and DataOptions, spelled out; it prints the test log loss, which equals the
  run's (the same numbers through the same code: to about 1e-12).
- :func:`sklearn_script`: pandas and scikit-learn only. The same preprocessing as a
  ColumnTransformer (median + StandardScaler [+ PolynomialFeatures + StandardScaler] for
  numbers and date parts, most frequent + OneHotEncoder(max_categories=20,
  handle_unknown="ignore") for the rest) and ``LogisticRegression(C = 1 / (alpha * n))``
  on the fitted rows (``2 / (alpha * n)`` for softmax on two classes), the optimum of the
  run's objective ``mean cross-entropy + alpha/2 ||W||^2``; lbfgs stops at a slightly
  different point than gradient descent, so the test log loss agrees to about 1e-6.

The split of the sklearn script: cecore's split is ``train_test_split(positions,
test_size, stratify=y, random_state=seed)`` over the usable rows in table order, then
:func:`cecore.prepare.split.with_every_class` swaps a row when a class would be missing
from one part (a rare class of 2 rows at a large or small test size). The script uses the
same train_test_split call when it gives cecore's split exactly (checked when the script
is written, for the test split and the validation split), and otherwise carries the exact
row positions cecore used, so it stays standalone and exact. pandas reads files less
forgivingly than cecore (no decimal commas, digit grouping, title lines above the header,
encodings other than UTF-8): the script checks the usable rows, the missing values, the
sums of the numeric columns and the number of distinct values of the others against what
cecore read, and stops with a message naming the first difference instead of training
on other numbers.
"""

from __future__ import annotations

from dataclasses import fields
from string import Template

import numpy as np
from sklearn.model_selection import train_test_split

from cecore import __version__
from cecore.compare import sklearn_C
from cecore.io.values import MISSING_MARKERS
from cecore.prepare.features import build_model_frame
from cecore.prepare.transform import MAX_CATEGORIES

__all__ = ["reproducing_script", "sklearn_script"]

_LINE = 96  # width of the lists written into the scripts


def _literal(value) -> str:
    """``value`` as Python source (repr of numbers round-trips exactly)."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [_literal(v) for v in value]
        text = "[" + ", ".join(items) + "]"
        if len(text) <= _LINE:
            return text
        lines, line = [], ""
        for item in items:  # whole items per line: never a break inside a string
            if line and len(line) + len(item) + 2 > _LINE:
                lines.append(line)
                line = ""
            line += ("" if not line else " ") + item + ","
        return "[\n" + "\n".join(f"    {text}" for text in [*lines, line]) + "\n]"
    if isinstance(value, dict):
        items = [f"    {_literal(k)}: {_literal(v)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n}" if items else "{}"
    raise ValueError(f"cannot write {type(value).__name__} into a script")


def _settings_call(settings) -> str:
    """``TrainConfig(model='auto', ...)``: every field spelled out."""
    items = [f"{f.name}={_literal(getattr(settings, f.name))}" for f in fields(settings)]
    return (f"{type(settings).__name__}(\n    " + ",\n    ".join(items) + ",\n)")


def _require_finished(run) -> None:
    if not run.usable:
        raise ValueError("The run has no model yet: a script can be written once it has "
                         "finished an epoch.")


_CECORE = Template('''\
"""Reproduces a Cross-Entropy Lab run with cecore $version.

Reads $file_text, prepares it with the run's data options, trains with the run's
hyperparameters and prints the test log loss (the run's: $loss_text).
Needs cecore (pip install cecore, or PYTHONPATH set to its folder); a relative FILE is
found next to this script.
"""

from pathlib import Path

from cecore.data import read_table
from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data

FILE = $file  # a relative path is taken from this script's folder
SHEET = $sheet  # the workbook's sheet (None: the first with data; CSV and Parquet: ignored)
TARGET = $target
FEATURES = $features

CONFIG = $config

OPTIONS = $options


def main():
    frame = read_table(Path(__file__).resolve().parent / FILE, sheet=SHEET)
    prepared = prepare_data(frame, TARGET, FEATURES, OPTIONS, CONFIG.seed)
    run = TrainingRun(prepared, CONFIG, OPTIONS, frame=frame)
    for _ in run.records():
        pass
    print(f"stopped: {run.status} after {len(run.history)} epochs")
    loss = run.last["val_loss"] if run.usable else None
    print("test log loss: " + ("none (no test rows)" if loss is None else f"{loss:.17g}"))


if __name__ == "__main__":
    main()
''')


def reproducing_script(run, file_name: str, *, sheet: str | None = None) -> str:
    """A standalone .py (text) that reads ``file_name`` (a relative path: from the script's
    folder) with cecore, prepares and trains as ``run`` did (its TrainConfig and DataOptions spelled out) and prints the test log
    loss; ``sheet`` names the workbook sheet the run's table came from."""
    _require_finished(run)
    loss = run.last["val_loss"]
    return _CECORE.substitute(
        version=__version__, file_text=repr(str(file_name)),
        loss_text="none" if loss is None else f"{loss:.17g}",
        file=_literal(str(file_name)), sheet=_literal(sheet),
        target=_literal(run.prepared.target), features=_literal(list(run.prepared.features)),
        config=_settings_call(run.config), options=_settings_call(run.options))


def _recipe(y: np.ndarray, share: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """What the sklearn script's split gives: train_test_split, stratified and seeded."""
    positions = np.arange(len(y))
    if share == 0:
        return positions, positions[:0]
    return tuple(train_test_split(positions, test_size=share, stratify=y, random_state=seed))


def _split_lists(run) -> dict:
    """The exact positions to write into the script where the train_test_split recipe
    would not reproduce cecore's split (None where it does)."""
    p, seed = run.prepared, run.config.seed
    train, test = _recipe(p.y, run.options.test_size, seed)
    same = np.array_equal(train, p.train_positions) and np.array_equal(test, p.test_positions)
    fit, validation = _recipe(p.y_train, run.config.validation_share, seed)
    same_fit = (np.array_equal(fit, run.fit_positions)
                and np.array_equal(validation, run.validation_positions))
    return {
        "train_rows": None if same else p.train_positions.tolist(),
        "test_rows": None if same else p.test_positions.tolist(),
        "fit_rows": None if same_fit else run.fit_positions.tolist(),
    }


def _expected(run) -> tuple[int, dict]:
    """What cecore read in the usable rows: per model column its missing values and its
    sum (numbers, date parts) or its number of distinct values (categories)."""
    p = run.prepared
    if run.frame is None:
        raise ValueError("The run has no table (TrainingRun(..., frame=table)), so the "
                         "script cannot check that pandas reads the file the same way.")
    frame = run.frame.loc[p.row_index, p.features]
    model_frame, _ = build_model_frame(frame, p.feature_specs)
    expected = {}
    for name in model_frame.columns:
        column = model_frame[name]
        missing = int(column.isna().sum())
        if name in p.feature_specs and p.feature_specs[name].kind == "categorical":
            expected[name] = [missing, int(column.nunique())]
        else:
            expected[name] = [missing, float(column.sum())]
    return len(frame), expected


def sklearn_script(run, file_name: str, *, sheet: str | None = None) -> str:
    """A standalone .py (text) with pandas and scikit-learn only that reads ``file_name``,
    prepares it as ``run`` did, fits LogisticRegression on the run's objective and prints
    the test log loss (see the module docstring for the split and the checks)."""
    _require_finished(run)
    p, config, options = run.prepared, run.config, run.options
    specs = p.feature_specs
    n_rows, expected = _expected(run)
    lists = _split_lists(run)
    numeric_columns = [name for name in expected if not (
        name in specs and specs[name].kind == "categorical")]
    loss = run.last["val_loss"]
    binary_softmax = run.kind == "softmax" and len(p.classes) == 2
    C = sklearn_C(config.alpha, len(run.y_fit), binary_softmax=binary_softmax)
    values = {
        "version": __version__, "file_text": repr(str(file_name)),
        "loss_text": "none" if loss is None else f"{loss:.17g}",
        "file": _literal(str(file_name)), "sheet": _literal(sheet),
        "target": _literal(p.target), "classes": _literal(run.class_names()),
        "inputs": _literal(list(p.features)),
        "numbers": _literal([n for n, s in specs.items() if s.kind == "numeric"]),
        "dates": _literal({n: s.date_format for n, s in specs.items() if s.kind == "date"}),
        "categories": _literal([n for n, s in specs.items() if s.kind == "categorical"]),
        "numeric_columns": _literal(numeric_columns),
        "missing": _literal(options.missing), "scale": _literal(bool(options.scale)),
        "degree": _literal(int(options.degree)), "test_size": _literal(options.test_size),
        "validation_share": _literal(config.validation_share), "seed": _literal(config.seed),
        "alpha": _literal(config.alpha),
        "binary_softmax": _literal(binary_softmax),
        "max_categories": _literal(MAX_CATEGORIES),
        "missing_markers": _literal(list(MISSING_MARKERS)),
        "expected_rows": _literal(n_rows), "expected": _literal(expected),
        "c_now": f"{C:.17g}",
        **{key: _literal(value) for key, value in lists.items()},
    }
    return _SKLEARN.substitute(values)


_SKLEARN = Template('''\
"""Reproduces a Cross-Entropy Lab run (cecore $version) with pandas and scikit-learn only.

Reads $file_text, prepares it as the run did, fits scikit-learn's LogisticRegression
(lbfgs) on the run's objective and prints the test log loss (the run's: $loss_text).

The objective: mean cross-entropy + alpha/2 ||W||^2, the intercept not penalised, which is
LogisticRegression(C = 1 / (alpha * n)) on the n fitted rows (C = $c_now here).
The preprocessing, fitted on the training rows: numbers and date parts (year, month, day,
weekday) get the median for missing values and are standardised, (x - mean) / std; with
DEGREE > 1 every product of at most DEGREE of them (PolynomialFeatures) is standardised
again; other columns get the most frequent value for missing values and are one-hot
encoded (at most MAX_CATEGORIES columns, the rarest values share one; unseen values are
zeros). Rows without a class are left out (and with MISSING = "drop" rows with a missing
value). The split is stratified and seeded as cecore's.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

FILE = $file  # a relative path is taken from this script's folder
SHEET = $sheet  # the workbook's sheet (None: the first)
TARGET = $target
CLASSES = $classes
INPUTS = $inputs
NUMBERS = $numbers
DATES = $dates  # column: its date format (None: as pandas reads it)
CATEGORIES = $categories
NUMERIC_COLUMNS = $numeric_columns  # the model's numeric columns, date parts in place
MISSING = $missing
SCALE = $scale
DEGREE = $degree
TEST_SIZE = $test_size
VALIDATION_SHARE = $validation_share
SEED = $seed
ALPHA = $alpha
BINARY_SOFTMAX = $binary_softmax  # softmax on two classes: its optimum is binomial with alpha/2
MAX_CATEGORIES = $max_categories
MISSING_MARKERS = $missing_markers

# What cecore read in the usable rows: [missing values, sum] of each numeric column and
# [missing values, distinct values] of each other column, to check pandas reads the same.
EXPECTED_ROWS = $expected_rows
EXPECTED = $expected

# None: train_test_split below gives cecore's split; else cecore's positions (of the
# usable rows in table order; FIT_ROWS: of the training rows) are used as they are.
TRAIN_ROWS = $train_rows
TEST_ROWS = $test_rows
FIT_ROWS = $fit_rows


def read_table(file):
    """The table as pandas reads it: categories as text, cecore's missing-value markers."""
    suffix = Path(file).suffix.lower()
    text = {name: str for name in CATEGORIES}
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(file)
    elif suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(file, sheet_name=0 if SHEET is None else SHEET, dtype=text,
                              keep_default_na=False, na_values=MISSING_MARKERS,
                              engine="calamine")
    else:
        frame = pd.read_csv(file, sep=None, engine="python", encoding="utf-8-sig", dtype=text,
                            keep_default_na=False, na_values=MISSING_MARKERS)
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def class_labels(column):
    """The class of each row as cecore names it: whole numbers as "0", "1", ...; missing: NaN."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.astype("float64")
        values = values.where(np.isfinite(values))
        whole = bool((values.dropna() % 1 == 0).all())
        return values.map(lambda v: str(int(v)) if whole else str(v), na_action="ignore")
    return column.astype(str).where(column.notna())


def model_frame(frame):
    """The model's input columns: numbers (inf as missing), date parts, categories as text."""
    columns = {}
    for name in INPUTS:
        column = frame[name]
        if name in NUMBERS:
            values = pd.to_numeric(column, errors="coerce").astype("float64")
            columns[name] = values.where(np.isfinite(values))
        elif name in DATES:
            if not pd.api.types.is_datetime64_any_dtype(column):
                column = pd.to_datetime(column.astype(str), format=DATES[name], errors="coerce",
                                        utc=True)
            for part, accessor in (("year", "year"), ("month", "month"), ("day", "day"),
                                   ("dayofweek", "day_of_week")):
                columns[f"{name}_{part}"] = getattr(column.dt, accessor).astype("float64")
        else:
            columns[name] = column.astype(str).to_numpy(dtype=object, na_value=np.nan)
    return pd.DataFrame(columns)


def check(X, labels):
    """Stop when pandas read the file differently from cecore."""
    problems = []
    if len(X) != EXPECTED_ROWS:
        problems.append(f"{len(X)} usable rows, cecore had {EXPECTED_ROWS}")
    unknown = sorted(set(labels) - set(CLASSES))
    if unknown:
        problems.append(f"classes {unknown[:3]} that cecore did not see")
    for name, (missing, value) in EXPECTED.items():
        column = X[name]
        found = int(column.isna().sum())
        if found != missing:
            problems.append(f"column {name!r} has {found} missing values, cecore had {missing}")
        elif name in CATEGORIES:
            if column.nunique() != value:
                problems.append(f"column {name!r} has {column.nunique()} distinct values, "
                                f"cecore had {value}")
        elif not np.isclose(column.sum(), value, rtol=1e-9, atol=1e-9):
            problems.append(f"column {name!r} sums to {column.sum():.10g}, cecore had {value:.10g}")
    if problems:
        sys.exit(f"pandas reads {FILE} differently from cecore ({problems[0]}). Run the cecore "
                 "script instead, or save the table as a plain UTF-8 CSV with a header row "
                 "and a decimal point.")


def preprocessing():
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if SCALE:
        numeric_steps.append(("scale", StandardScaler()))
    if DEGREE > 1:
        numeric_steps.append(("expand", PolynomialFeatures(DEGREE, include_bias=False)))
        if SCALE:
            numeric_steps.append(("rescale", StandardScaler()))
    one_hot = OneHotEncoder(handle_unknown="ignore", max_categories=MAX_CATEGORIES,
                            sparse_output=False)
    return ColumnTransformer(
        [("numeric", Pipeline(numeric_steps), NUMERIC_COLUMNS),
         ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                   ("one_hot", one_hot)]), CATEGORIES)],
        sparse_threshold=0.0)


def main():
    frame = read_table(Path(__file__).resolve().parent / FILE)
    labels = class_labels(frame[TARGET])
    X = model_frame(frame)
    usable = labels.notna().to_numpy()
    if MISSING == "drop":
        usable = usable & X.notna().all(axis=1).to_numpy()
    X, labels = X[usable].reset_index(drop=True), labels[usable].reset_index(drop=True)
    check(X, labels)
    y = labels.map({name: k for k, name in enumerate(CLASSES)}).to_numpy(dtype=np.int64)
    positions = np.arange(len(y))
    if TEST_ROWS is not None:
        train, test = np.array(TRAIN_ROWS, dtype=np.int64), np.array(TEST_ROWS, dtype=np.int64)
    elif TEST_SIZE == 0:
        train, test = positions, positions[:0]
    else:
        train, test = train_test_split(positions, test_size=TEST_SIZE, stratify=y,
                                       random_state=SEED)
    if FIT_ROWS is not None:
        fit = train[np.array(FIT_ROWS, dtype=np.int64)]
    elif VALIDATION_SHARE == 0:
        fit = train
    else:
        inner, _ = train_test_split(np.arange(len(train)), test_size=VALIDATION_SHARE,
                                    stratify=y[train], random_state=SEED)
        fit = train[inner]
    prepare = preprocessing().fit(X.iloc[train])
    effective = ALPHA / 2 if BINARY_SOFTMAX else ALPHA
    C = np.inf if ALPHA == 0 else 1 / (effective * len(fit))
    model = LogisticRegression(C=C, tol=1e-10, max_iter=10_000)
    model.fit(prepare.transform(X.iloc[fit]), y[fit])
    pipeline = Pipeline([("prepare", prepare), ("model", model)])  # fitted: predicts new rows
    if len(test) == 0:
        print("test log loss: none (no test rows)")
        return
    proba = pipeline.predict_proba(X.iloc[test])
    loss = log_loss(y[test], proba, labels=np.arange(len(CLASSES)))
    print(f"test log loss: {loss:.17g}")


if __name__ == "__main__":
    main()
''')
