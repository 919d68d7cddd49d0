"""The training pipeline shared by ``pages/train.py`` and ``python -m cecore train``.

    DataFrame --prepare_data--> Prepared --TrainingRun--> one record per epoch
              --TrainingRun.evaluate--> Results (metrics, sklearn comparison)
              --model_json / history_csv / predictions_csv--> downloads

The page adds widgets and charts; the command adds a progress bar; neither computes anything
itself. A :class:`TrainingRun` can be advanced one epoch at a time, paused between epochs
(a Streamlit rerun) and stopped: its estimator is always fitted with the last finished epoch.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from cecore.compare import Comparison, agreement_note, compare
from cecore.data import DataError, escape_spreadsheet_cells, prepare
from cecore.losses import cross_entropy
from cecore.models import LogisticRegressionGD, SoftmaxRegressionGD

__all__ = [
    "DataOptions",
    "DecisionGrid",
    "Results",
    "Throttle",
    "TrainConfig",
    "TrainingTurns",
    "TrainingRun",
    "build_estimator",
    "decision_grid",
    "describe_preprocessing",
    "format_duration",
    "history_csv",
    "live_cost_caption",
    "markdown_text",
    "model_json",
    "predictions_csv",
    "prepare_data",
    "resolve_model",
    "summary",
]

MODELS = ("auto", "logistic", "softmax")
SOLVERS = ("gd", "nesterov")
MAX_EPOCHS = 100_000
WORST_ROWS = 10


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one run.

    The defaults (Nesterov, the "auto" step: ``1/L`` adapted to the measured curvature,
    ``alpha = 0.01``) converge to ``tol`` on every
    bundled sample within 500 epochs. ``seed`` seeds the train/test split and the
    mini-batch order. Invalid values raise ValueError naming the field.
    """

    model: str = "auto"
    learning_rate: float | str = "auto"
    epochs: int = 1000
    batch_size: int | None = None
    solver: str = "nesterov"
    alpha: float = 0.01
    tol: float = 1e-6
    seed: int = 0

    def __post_init__(self):
        lr = self.learning_rate
        _check(self, {
            "model": (self.model in MODELS, f"one of {', '.join(MODELS)}"),
            "learning_rate": (lr == "auto" or _is_number(lr, positive=True),
                              "'auto' or a positive number"),
            "epochs": (_is_int(self.epochs) and 1 <= self.epochs <= MAX_EPOCHS,
                       f"a whole number from 1 to {MAX_EPOCHS}"),
            "batch_size": (self.batch_size is None or (_is_int(self.batch_size)
                                                       and self.batch_size >= 1),
                           "a positive whole number, or None for full batches"),
            "solver": (self.solver in SOLVERS, f"one of {', '.join(SOLVERS)}"),
            "alpha": (_is_number(self.alpha), "a number >= 0"),
            "tol": (_is_number(self.tol), "a number >= 0"),
            "seed": (_is_int(self.seed) and 0 <= self.seed < 2**32,
                     "a whole number from 0 to 2**32 - 1"),
        })


@dataclass(frozen=True)
class DataOptions:
    """How :func:`cecore.data.prepare` turns the table into model input."""

    test_size: float = 0.25
    missing: str = "impute"
    scale: bool = True
    dates: str = "drop"

    def __post_init__(self):
        _check(self, {
            "test_size": (_is_number(self.test_size) and self.test_size < 1,
                          "a fraction from 0 up to (not including) 1"),
            "missing": (self.missing in ("impute", "drop"), "'impute' or 'drop'"),
            "scale": (isinstance(self.scale, bool), "True or False"),
            "dates": (self.dates in ("drop", "expand"), "'drop' or 'expand'"),
        })


def _check(settings, checks):
    """Raise ValueError for the first field whose check failed: ``{name: (ok, wanted)}``."""
    for name, (ok, wanted) in checks.items():
        if not ok:
            raise ValueError(f"{name} must be {wanted}, not {getattr(settings, name)!r}.")


def _is_number(value, *, positive=False):
    """A finite real number (not a bool) that is >= 0, or > 0 when ``positive``."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        return False
    return math.isfinite(value) and (value > 0 if positive else value >= 0)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- pipeline
def prepare_data(df, target, features, options, seed):
    """:func:`cecore.data.prepare` with the options and the run's seed (DataError on problems)."""
    return prepare(df, target, features, missing=options.missing, scale=options.scale,
                   dates=options.dates, test_size=options.test_size, random_state=seed)


def resolve_model(model, n_classes):
    """"logistic" or "softmax" for ``model`` on ``n_classes`` classes.

    "auto" is logistic (sigmoid, one weight vector) for two classes and softmax for more;
    "softmax" can be forced on two classes; "logistic" on more is a DataError.
    """
    if model == "auto":
        return "logistic" if n_classes == 2 else "softmax"
    if model == "logistic" and n_classes > 2:
        raise DataError(f"The target has {n_classes} classes, but logistic regression (sigmoid) "
                        "separates exactly two. Use the model 'auto' or 'softmax'.")
    return model


def build_estimator(config, kind):
    """The unfitted estimator of ``kind`` ("logistic" | "softmax") for ``config``."""
    cls = LogisticRegressionGD if kind == "logistic" else SoftmaxRegressionGD
    return cls(learning_rate=config.learning_rate, max_epochs=config.epochs,
               batch_size=config.batch_size, alpha=config.alpha, solver=config.solver,
               tol=config.tol, random_state=config.seed)


class TrainingRun:
    """One training run: its data, estimator, records so far and the epochs still to come.

    ``status`` is "running", then "converged", "max_epochs", "diverged" (the estimator's
    ``stop_reason_``) or "stopped" (by :meth:`stop`); ``message`` says it in words.
    ``compute_seconds`` counts only the time spent inside the epochs, not in the consumer.
    :meth:`step` and :meth:`stop` may be called from different threads (a Streamlit session
    can start a new script thread while the old one finishes an epoch).
    """

    def __init__(self, prepared, config, options=DataOptions(), frame=None):
        self.prepared = prepared
        self.config = config
        self.options = options
        self.frame = frame
        self.kind = resolve_model(config.model, len(prepared.classes))
        self.estimator = build_estimator(config, self.kind)
        self.history = []
        self.status = "running"
        self.message = ""
        self.compute_seconds = 0.0
        self._results = None
        self._lock = threading.Lock()
        has_test = len(prepared.y_test) > 0
        # fit_iter validates now, so bad settings fail before the first epoch
        self._epochs = self.estimator.fit_iter(
            prepared.X_train, prepared.y_train,
            X_val=prepared.X_test if has_test else None,
            y_val=prepared.y_test if has_test else None,
        )

    @property
    def running(self):
        return self.status == "running"

    @property
    def last(self):
        """The last finished epoch's record, or None before the first."""
        return self.history[-1] if self.history else None

    def step(self):
        """Train one epoch and return its record; None when training has ended."""
        with self._lock:
            if not self.running:
                return None
            started = time.perf_counter()
            try:
                record = next(self._epochs)
            except StopIteration:
                self.status = self.estimator.stop_reason_
                self.message = self.estimator.stop_message_
                return None
            finally:
                self.compute_seconds += time.perf_counter() - started
            self.history.append(record)
            return record

    def records(self):
        """Yield each new record until training ends; resumable after an interruption."""
        while (record := self.step()) is not None:
            yield record

    def stop(self):
        """End training now; the estimator keeps the weights of the last finished epoch."""
        with self._lock:
            if not self.running:
                return
            self._epochs.close()
            self.status = "stopped"
            epoch = len(self.history)
            self.message = (f"Stopped after epoch {epoch}; the model of that epoch is kept."
                            if epoch else "Stopped before the first epoch finished.")

    @property
    def usable(self):
        """Whether the run has a model to evaluate: it ended after at least one epoch."""
        return not self.running and bool(self.history)

    def evaluate(self):
        """The :class:`Results` of the finished run (computed once; needs :attr:`usable`)."""
        if self._results is None:
            if not self.usable:
                raise ValueError("Nothing to evaluate: the run has not finished an epoch.")
            self._results = _evaluate(self)
        return self._results

    def class_names(self):
        return [str(c) for c in self.prepared.classes]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Results:
    """What the finished run achieved, on the test rows (the training rows when there are
    none: ``split`` says which).

    ``sample_losses`` is each row's cross-entropy ``-log p_true`` (clipped like log_loss);
    ``coefficients`` has one row per weight vector (logistic: the log-odds of the second
    class), one column per model feature (standardized when scaling is on).
    """

    comparison: Comparison
    note: str
    split: str
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    coefficients: pd.DataFrame
    sample_losses: np.ndarray
    predictions: pd.DataFrame
    worst: pd.DataFrame


def _evaluate(run):
    p, model, names = run.prepared, run.estimator, run.class_names()
    comparison = compare(model, p.X_train, p.y_train, p.X_test, p.y_test,
                         alpha=run.config.alpha, record=run.last, seconds=run.compute_seconds)
    has_test = len(p.y_test) > 0
    split = "test" if has_test else "training"
    X, y = (p.X_test, p.y_test) if has_test else (p.X_train, p.y_train)
    proba = model.predict_proba(X)
    predicted = proba.argmax(axis=1)
    labels = np.arange(len(names))
    confusion = pd.DataFrame(confusion_matrix(y, predicted, labels=labels),
                             index=pd.Index(names, name="true class"),
                             columns=pd.Index(names, name="predicted class"))
    precision, recall, _, support = precision_recall_fscore_support(
        y, predicted, labels=labels, zero_division=0)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "rows": support},
                             index=pd.Index(names, name="class"))
    row_names = ([f"{names[1]} (vs {names[0]})"] if run.kind == "logistic" else names)
    coefficients = pd.DataFrame(model.coef_, index=pd.Index(row_names, name="weights for"),
                                columns=p.feature_names)
    losses = cross_entropy(y, proba, reduction="none")
    predictions = _predictions(run, split, y, proba, losses)
    worst = predictions.sort_values("loss", ascending=False, kind="stable").head(WORST_ROWS)
    return Results(comparison=comparison, note=agreement_note(comparison, run.status),
                   split=split, confusion=confusion, per_class=per_class,
                   coefficients=coefficients, sample_losses=losses, predictions=predictions,
                   worst=worst)


def _split_positions(run, split):
    """Positions (into the prepared rows, ``prepared.row_index``) of the rows of ``split``."""
    p = run.prepared
    return p.test_positions if split == "test" else p.train_positions


def _predictions(run, split, y, proba, losses):
    """One row per evaluated row: its label in the table, true and predicted class, the
    probabilities, the loss, then its input columns as they were in the table."""
    p, names = run.prepared, np.asarray(run.class_names(), dtype=object)
    positions = _split_positions(run, split)
    frame = pd.DataFrame({
        "row": p.row_index[positions],
        f"true {p.target}": names[y],
        "predicted": names[proba.argmax(axis=1)],
        "p(true class)": proba[np.arange(len(y)), y],
        "loss": losses,
    })
    for k, name in enumerate(names):
        frame[f"p({name})"] = proba[:, k]
    if run.frame is not None:
        inputs = run.frame.loc[p.row_index[positions], p.features].reset_index(drop=True)
        inputs.columns = [f"input {c}" if c in frame.columns else c for c in inputs.columns]
        frame = pd.concat([frame, inputs], axis=1)
    return frame


@dataclass(frozen=True)
class DecisionGrid:
    """Class probabilities over a grid spanning the data, for a model on two features.

    ``proba[i, j, k]`` is P(class k) at ``(x[j], y[i])``, in the model's feature units
    (standardized when scaling is on); ``points`` / ``labels`` are the rows of ``split``.
    """

    x: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    points: np.ndarray
    labels: np.ndarray
    feature_names: list
    class_names: list
    split: str


def decision_grid(run, resolution=120, margin=0.1):
    """The probability map of a usable run whose model has exactly two numeric features,
    over their range widened by ``margin`` on each side; None for any other model."""
    p = run.prepared
    numeric = all(spec.kind == "numeric" for spec in p.feature_specs.values())
    if len(p.feature_names) != 2 or not numeric or not run.usable:
        return None
    X = p.X                                   # assembled from X_train and X_test: once
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    x, y = (np.linspace(lo[i] - pad[i], hi[i] + pad[i], resolution) for i in range(2))
    xx, yy = np.meshgrid(x, y)
    proba = run.estimator.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))
    has_test = len(p.y_test) > 0
    return DecisionGrid(
        x=x, y=y, proba=proba.reshape(resolution, resolution, -1),
        points=p.X_test if has_test else p.X_train, labels=p.y_test if has_test else p.y_train,
        feature_names=list(p.feature_names), class_names=run.class_names(),
        split="test" if has_test else "training",
    )


# --------------------------------------------------------------------------- downloads
def _plain(value):
    """A JSON-ready version of numpy / pandas values (NaN and inf become None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


#: fitted attributes of the preprocessing steps that a reimplementation needs
_STEP_ATTRIBUTES = ("strategy", "statistics_", "mean_", "scale_", "categories_",
                    "infrequent_categories_", "handle_unknown")


def describe_preprocessing(prepared):
    """The fitted preprocessing as plain data: per input group, its columns and each step
    with the numbers it learned (imputed values, means and scales, categories)."""
    groups = []
    for name, pipeline, columns in prepared.preprocessor.transformers_:
        if name == "remainder" or len(columns) == 0:
            continue
        steps = []
        for step_name, step in pipeline.steps:
            learned = {attr: getattr(step, attr) for attr in _STEP_ATTRIBUTES
                       if getattr(step, attr, None) is not None}
            steps.append({"step": step_name, "class": type(step).__name__, **learned})
        groups.append({"group": name, "columns": list(columns), "steps": steps})
    specs = {name: {"kind": spec.kind, **({"date_format": spec.date_format}
                                          if spec.date_format else {})}
             for name, spec in prepared.feature_specs.items()}
    return _plain({"input_columns": specs, "groups": groups,
                   "output_features": prepared.feature_names})


def summary(run):
    """The run in numbers: what ``python -m cecore train --json`` prints.

    Our losses come from the training record, ``sklearn_log_loss_*`` from
    ``sklearn.metrics.log_loss`` on our probabilities, ``sklearn_solver`` from lbfgs.
    """
    c = run.evaluate().comparison
    p, last = run.prepared, run.last
    return _plain({
        "model": run.kind,
        "estimator": type(run.estimator).__name__,
        "target": p.target,
        "classes": run.class_names(),
        "features": p.feature_names,
        "n_train": len(p.y_train),
        "n_test": len(p.y_test),
        "epochs": last["epoch"],
        "stop_reason": run.status,
        "message": run.message,
        "learning_rate": last["learning_rate"],
        "train_loss": c.ours_train_loss,
        "test_loss": c.ours_test_loss,
        "objective": c.ours_objective,
        "grad_norm": last["grad_norm"],
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
    })


def model_json(run):
    """The trained model as JSON: enough to predict without cecore.

    ``P(class k | x) = softmax(x' coef[k] + intercept[k])`` (softmax) or
    ``P(classes[1] | x) = sigmoid(x' coef[0] + intercept[0])`` (logistic), where ``x'`` is
    the row after ``preprocessing``.
    """
    model = run.estimator
    document = {
        "format": "cecore-model/1",
        "model": run.kind,
        "estimator": type(model).__name__,
        "how_to_predict": (
            "x' = preprocessing(row); z = coef . x' + intercept; "
            + ("P(classes[1]) = sigmoid(z[0])" if run.kind == "logistic"
               else "P(classes[k]) = softmax(z)[k]")
        ),
        "target": run.prepared.target,
        "classes": run.class_names(),
        "feature_names": run.prepared.feature_names,
        "coef": model.coef_,
        "intercept": model.intercept_,
        "preprocessing": describe_preprocessing(run.prepared),
        "hyperparameters": {**asdict(run.config), "data": asdict(run.options)},
        "final": {key: value for key, value in summary(run).items()
                  if key in ("epochs", "stop_reason", "learning_rate", "train_loss",
                             "test_loss", "objective", "grad_norm", "accuracy_train",
                             "accuracy_test")},
        "comparison_with_sklearn": run.evaluate().comparison.to_dict(),
    }
    return json.dumps(_plain(document), indent=2, ensure_ascii=False)


def history_csv(history):
    """The records, one line per epoch (numbers only)."""
    columns = ["epoch", "loss", "val_loss", "objective", "grad_norm", "learning_rate",
               "seconds"]
    return pd.DataFrame(history, columns=columns).to_csv(index=False)


def predictions_csv(results):
    """The evaluated rows with their predictions; text cells that a spreadsheet would run as
    a formula (starting with = + - @) are prefixed with a quote."""
    return escape_spreadsheet_cells(results.predictions).to_csv(index=False)


_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
#: Streamlit rewrites the text itself, after escapes are resolved: GFM links bare addresses
#: (``http://``, ``https://``, ``www.``, ``name@host``) and a typography step turns
#: ``->`` ``<-`` ``<->`` ``--`` ``>=`` ``<=`` ``~=`` between spaces into arrows and symbols.
#: An invisible WORD JOINER after ``http``, ``https``, ``www`` and ``@``, and between two
#: of ``< > - = ~``, breaks those patterns without changing what is shown.
_REWRITTEN = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?<=@)"
                        r"|(?<=[<>~=-])(?=[<>~=-])")
WORD_JOINER = "\u2060"


def markdown_text(value):
    """Text that Markdown shows literally: every ASCII punctuation mark backslash-escaped
    (CommonMark allows it for all of them), so a column name like ``[x](http://...)``,
    ``**x**``, ``$x$`` or ``:red[x]`` is shown as typed, never as a link, math or color;
    and a WORD JOINER keeps Streamlit from linking bare addresses (``http://...``,
    ``www.x``, ``a@b.c``) or turning ``a -> b`` into an arrow."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _REWRITTEN.sub(WORD_JOINER, str(value)))


# --------------------------------------------------------------------------- live drawing
class TrainingTurns:
    """Trainings in one server take turns: at most ``slots`` of them compute epochs at once,
    each for about ``slice_seconds`` before it hands over, first come first served.

    Python runs one thread's bytecode at a time (the GIL). Four trainings running side by
    side would each get about a quarter of it anyway, and the threads that answer the other
    visitors (the server's event loop, an explorer page's rerun) would queue behind all four
    of them at every switch. Taking turns, they queue behind one. Each run's epochs and
    results are exactly those it computes alone.

    ``active`` counts the trainings inside :meth:`take`, running or waiting: a
    :class:`Throttle` given this object redraws its live chart that many times less often.
    """

    def __init__(self, slots=1, slice_seconds=0.05, clock=time.perf_counter):
        self.slots = slots
        self.slice_seconds = slice_seconds
        self.clock = clock
        self.running = 0
        self.active = 0
        self._lock = threading.Lock()
        self._waiting = deque()

    def _acquire(self):
        with self._lock:
            if self.running < self.slots and not self._waiting:
                self.running += 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        try:
            turn.wait()  # the slot is handed over with `running` unchanged
        except BaseException:  # interrupted while waiting (Ctrl-C in a notebook or a CLI)
            with self._lock:
                handed_over = turn not in self._waiting
                if not handed_over:
                    self._waiting.remove(turn)
            if handed_over:
                self._release()
            raise

    def _release(self):
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self.running -= 1

    def take(self, records):
        """Yield the items of ``records`` (a generator that computes as it advances), advancing
        it only during this caller's turns. The caller works on each turn's items (draws them)
        after the turn is handed over."""
        records = iter(records)
        finished = False
        with self._lock:
            self.active += 1
        try:
            while not finished:
                self._acquire()
                batch = []
                try:
                    deadline = self.clock() + self.slice_seconds
                    for record in records:
                        batch.append(record)
                        if self.clock() >= deadline:
                            break
                    else:
                        finished = True
                finally:
                    self._release()
                yield from batch
        finally:
            with self._lock:
                self.active -= 1


class Throttle:
    """When to redraw a live chart: at most every ``interval`` seconds (times the number of
    trainings active in ``shared``, a :class:`TrainingTurns`, if given), and so that drawing
    takes at most a ``share`` of the wall-clock time.

    After a redraw that took ``c`` seconds, the next is due ``max(interval * n, c / share)``
    later, ``n`` the active trainings at that moment: the live charts of all visitors together
    redraw about ``1 / interval`` times a second, and redraws cost at most
    ``share / (1 + share)`` of the time however slow they are.
    """

    def __init__(self, interval=0.25, share=0.1, clock=time.perf_counter, shared=None):
        self.interval = interval
        self.share = share
        self.clock = clock
        self.shared = shared
        self.next_due = clock()
        self.redraws = 0
        self.seconds = 0.0

    def due(self):
        return self.clock() >= self.next_due

    @contextmanager
    def redraw(self):
        """Time the redraw inside the ``with`` block and schedule the next one."""
        started = self.clock()
        yield
        cost = self.clock() - started
        self.redraws += 1
        self.seconds += cost
        at_once = max(1, self.shared.active) if self.shared is not None else 1
        self.next_due = started + cost + max(self.interval * at_once, cost / self.share)


def format_duration(seconds: float) -> str:
    """A duration as people read it: ``0.4 ms``, ``38 ms``, ``1.25 s``, ``2 min 05 s``."""
    if seconds < 0.0095:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 0.9995:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 59.995:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def live_cost_caption(n_epochs: int, training_seconds: float, cost: dict) -> str:
    """What a run cost, split between training and the live chart: ``cost`` holds the
    wall-clock ``seconds`` of the live loop, the ``drawing`` seconds and the ``redraws``."""
    share = cost["drawing"] / cost["seconds"] if cost["seconds"] > 0 else 0.0
    redraws = cost["redraws"]
    return (
        f"{n_epochs:,} epoch{'s' if n_epochs != 1 else ''} in "
        f"{format_duration(training_seconds)} of training; the live chart took "
        f"{format_duration(cost['drawing'])} ({share:.0%} of the time) for {redraws} "
        f"redraw{'s' if redraws != 1 else ''}."
    )
