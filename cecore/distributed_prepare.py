""":func:`cecore.prepare.prepare` on a Dask DataFrame: the statistics on the cluster, X never
on the client.

    parts --part_scan--> column kinds, target classes (cecore.distributed_columns)
          --build_model_frame per part--> usable rows (labelled; complete with "drop")
          --labels to the client, split_positions--> the same stratified split as in memory
          --medians, modes, means, scales, categories of the training rows (exact reductions,
            cecore.distributed_stats)--> the fitted ColumnTransformer
          --transform_rows per part--> X_train, X_test: Dask arrays kept on the workers

The rows are the parts' rows in order, so the parts of one table in order give the rows of
that table. Every step is the in-memory one applied per part (``build_model_frame``,
``transform_rows``) or its exact reduction over the parts, so with the same options the
preprocessing, X and y are the in-memory ones (the means and variances to rounding, the
medians, modes and categories exactly). The fitted preprocessor is a real ColumnTransformer:
fitted on a small stand-in table (numbers 0 and 1; each category once or twice, see
:func:`cecore.distributed_stats.stand_in_counts`, so the one-hot encoder groups the same
rare values), then given the training rows' statistics, as the numeric fast path does.

What comes to the client: the parts' summaries, the distinct values of text columns and of
the target, the categories with their counts, a few thousand values of a column to finish a
median, and, when there are test rows, one class index per usable row (for the split).
"""

from __future__ import annotations

from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np
import pandas as pd

from cecore.distributed_columns import feature_specs_on_cluster, part_scan, target_codes
from cecore.distributed_stats import (
    MedianSearch,
    merge_counts,
    merge_moments,
    most_frequent,
    part_category_counts,
    part_key_counts,
    part_moments,
    stand_in_counts,
    standard_scale,
)
from cecore.errors import DataError
from cecore.prepare.expansion import check_expansion_size, numeric_column_count
from cecore.prepare.features import (
    MAX_ABS_VALUE,
    build_model_frame,
    date_part_columns,
    huge_value_error,
)
from cecore.prepare.numeric import fit_by_position
from cecore.prepare.split import split_positions
from cecore.prepare.table import named_table, require_column
from cecore.prepare.target import check_classes, require_rows
from cecore.prepare.transform import (
    MAX_CATEGORIES,
    grouping_notes,
    make_preprocessor,
    reject_not_finite,
    transform_rows,
)
from cecore.wording import count_of, were

__all__ = ["ClusterPrepared", "prepare_on_cluster"]


@dataclass(eq=False)
class ClusterPrepared:
    """:class:`cecore.prepare.Prepared` on a cluster: ``X_train``, ``y_train`` (class
    indices) and, with test rows, ``X_test``, ``y_test`` are Dask arrays persisted on the
    workers (without test rows: empty numpy arrays); the rest as in ``Prepared``."""

    target: str
    features: list
    feature_specs: dict
    feature_names: list
    classes: np.ndarray
    preprocessor: object
    notes: list
    dropped_rows: int
    n_parts: int
    X_train: object
    y_train: object
    X_test: object
    y_test: object


class _Rows:
    """One part's usable rows on a worker: the model frame, the target codes, then the
    class indices and which rows train (None: all)."""

    def __init__(self, model, codes, y=None, train=None):
        self.model, self.codes, self.y, self.train = model, codes, y, train

    def positions(self, which):
        every = np.arange(len(self.codes))
        if self.train is None:
            return every if which == "train" else every[:0]
        return np.flatnonzero(self.train if which == "train" else ~self.train)


def _usable(frame, codes, specs, drop_incomplete):
    """The part's usable rows and what the client needs to know of them."""
    code = codes.codes(frame)
    model, infinite = build_model_frame(frame, specs)
    has_label = code >= 0
    keep = has_label.copy()
    incomplete = 0
    if drop_incomplete:
        complete = model.notna().all(axis=1).to_numpy()
        incomplete = int((has_label & ~complete).sum())
        keep &= complete
    model = model.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    numeric = [name for name, spec in specs.items() if spec.kind == "numeric"]
    largest = model[numeric].abs().max().to_dict() if numeric else {}
    info = {"rows": len(frame), "kept": int(keep.sum()), "unlabelled": int((~has_label).sum()),
            "incomplete": incomplete, "infinite": infinite, "largest": largest,
            "classes": np.bincount(code[keep], minlength=len(codes.labels))}
    return _Rows(model, code[keep]), info


def _info(pair):
    return pair[1]


def _rows_of(pair):
    return pair[0]


def _class_index(rows, remap):
    return remap[rows.codes]


def _with_split(rows, remap, train):
    return _Rows(rows.model, rows.codes, remap[rows.codes], train)


def _train_frame(rows, columns):
    return rows.model[columns].iloc[rows.positions("train")]


def _present_in_training(rows, columns):
    return _train_frame(rows, columns).notna().sum().to_numpy()


def _key_counts(rows, columns, requests):
    frame = _train_frame(rows, columns)
    wanted = {request[0] for request in requests}
    values = [frame[c].to_numpy(dtype=np.float64) if j in wanted else None
              for j, c in enumerate(columns)]
    return part_key_counts([v if v is None else v[~np.isnan(v)] for v in values], requests)


def _categories(rows, columns):
    return part_category_counts(_train_frame(rows, columns))


def _moments(rows, columns, medians):
    X = _train_frame(rows, columns).to_numpy(dtype=np.float64, copy=True)
    np.copyto(X, medians, where=np.isnan(X))
    return part_moments(X)


def _transform(rows, preprocessor, which):
    return transform_rows(preprocessor, rows.model, rows.positions(which))


def _rescale_moments(rows, preprocessor, n_terms):
    X, _ = _transform(rows, preprocessor, "train")
    return part_moments(X[:, :n_terms])


def _each(function, parts, *args):
    """``function(part, *args)`` for every part, computed together (small results)."""
    return dask.compute(*[dask.delayed(function, pure=True)(p, *args) for p in parts])


def _notes(infos, specs, drop_incomplete):
    """The notes on infinite values and dropped rows (as prepare's), DataError when no
    usable row is left."""
    notes, infinite = [], {}
    for info in infos:
        for name, n in info["infinite"].items():
            infinite[name] = infinite.get(name, 0) + n
    notes += [f"{count_of(n, 'infinite value')} in column '{name}' {were(n)} treated as "
              "missing." for name, n in infinite.items()]
    unlabelled = sum(i["unlabelled"] for i in infos)
    if unlabelled:
        notes.append(f"{count_of(unlabelled, 'row')} without a target value {were(unlabelled)} "
                     "dropped.")
    incomplete = sum(i["incomplete"] for i in infos)
    kept = sum(i["kept"] for i in infos)
    if drop_incomplete:
        if incomplete:
            notes.append(f"{count_of(incomplete, 'row')} with missing values "
                         f"{were(incomplete)} dropped.")
        if not kept:
            raise DataError("No rows are left after dropping the rows with missing values. "
                            "Fill in missing values instead (missing='impute') or use fewer "
                            "columns.")
    require_rows(kept)
    for name, spec in specs.items():
        if spec.kind == "numeric":
            largest = max((i["largest"][name] for i in infos if i["kept"]), default=np.nan)
            if largest > MAX_ABS_VALUE:
                raise huge_value_error(name, largest)
    return notes


def _split(parts, infos, remap, classes, options):
    """The parts with class indices and the in-memory split's training rows."""
    sizes = [i["kept"] for i in infos]
    masks = [None] * len(parts)
    if options.test_size > 0:
        y = np.concatenate(_each(_class_index, parts, remap))
        _, test = split_positions(y, classes, options.test_size, options.random_state)
        train = np.ones(len(y), dtype=bool)
        train[test] = False
        masks = np.split(train, np.cumsum(sizes)[:-1])
    split = [dask.delayed(_with_split, pure=True)(p, remap, m)
             for p, m in zip(parts, masks, strict=True)]
    return dask.persist(*split), masks


def _trained_columns(parts, specs, columns):
    """Leave out the input columns without a value in the training rows (as prepare's
    ``without_untrained_columns``): the specs, the model columns, notes, and the number
    of training values of each model column."""
    present = np.sum(_each(_present_in_training, parts, columns), axis=0)
    has = dict(zip(columns, present, strict=True))
    lost = [name for name, spec in specs.items()
            if all(has[c] == 0 for c in (date_part_columns(name) if spec.kind == "date"
                                         else [name]))]
    if len(lost) == len(specs):
        listed = ", ".join(f"'{name}'" for name in lost)
        raise DataError(f"There is no usable feature column: {listed} "
                        f"{'has' if len(lost) == 1 else 'have'} no values in the training "
                        "rows. Choose columns with values.")
    gone = {c for name in lost for c in (date_part_columns(name) if specs[name].kind == "date"
                                         else [name])}
    specs = {name: spec for name, spec in specs.items() if name not in lost}
    return specs, [c for c in columns if c not in gone], [
        f"Column '{name}' has no values in the training rows and was left out." for name in lost
    ], has


def _medians(parts, columns, present):
    search = MedianSearch([present[c] for c in columns])
    while not search.done:
        requests = search.requests()
        search.answer(requests, _each(_key_counts, parts, columns, requests))
    return search.medians


def _fitted_preprocessor(parts, specs, columns, options, n_train, present):
    """The ColumnTransformer of the training rows (see the module docstring)."""
    categorical = [c for c in columns if c in specs and specs[c].kind == "categorical"]
    numeric = [c for c in columns if c not in categorical]
    medians = _medians(parts, numeric, present) if numeric else None
    encoded = []
    if categorical:
        found = _each(_categories, parts, categorical)
        for j in range(len(categorical)):
            counts, missing = merge_counts([part[j] for part in found])
            mode = most_frequent(counts)
            counts[mode] += missing           # the imputed values count for the encoder
            encoded.append((mode, counts))
    stand_in_rows = [np.repeat(counts.index.to_numpy(dtype=object),
                               stand_in_counts(counts, MAX_CATEGORIES)) for _, counts in encoded]
    length = max([2, *map(len, stand_in_rows)])
    stand_in = {c: np.resize([0.0, 1.0], length) for c in numeric}
    for name, rows, (_, counts) in zip(categorical, stand_in_rows, encoded, strict=True):
        top = counts.index[int(np.argmax(stand_in_counts(counts, MAX_CATEGORIES)))]
        stand_in[name] = np.concatenate([rows, np.full(length - len(rows), top, dtype=object)])
    stand_in = pd.DataFrame(stand_in)[columns]
    preprocessor = fit_by_position(
        make_preprocessor(stand_in, specs, options.scale, options.degree), stand_in)
    if numeric:
        steps = preprocessor.named_transformers_["numeric"].named_steps
        steps["impute"].statistics_ = medians
        if options.scale:
            _set_scaling(steps["scale"], merge_moments(_each(_moments, parts, numeric,
                                                             medians)))
        if "rescale" in steps:
            scaler, n_terms = steps["rescale"], len(steps["expand"].powers_)
            _set_scaling(scaler, (n_train, np.zeros(n_terms), np.ones(n_terms)))  # identity
            _set_scaling(scaler, merge_moments(_each(_rescale_moments, parts, preprocessor,
                                                     n_terms)))
    if categorical:
        pipeline = preprocessor.named_transformers_["categorical"]
        pipeline.named_steps["impute"].statistics_ = np.array([m for m, _ in encoded],
                                                              dtype=object)
    return preprocessor


def _set_scaling(scaler, moments):
    n, mean, var = moments
    scaler.mean_, scaler.var_, scaler.n_samples_seen_ = mean, var, n
    scaler.scale_ = standard_scale(var, mean, n)


def _arrays(parts, preprocessor, which, sizes, d):
    """``(X, y, not_finite)`` of the ``which`` rows: Dask arrays over the parts (numpy
    and empty without rows) and the delayed not-finite masks of X's columns."""
    keep = [(p, s) for p, s in zip(parts, sizes, strict=True) if s]
    if not keep:
        return np.empty((0, d)), np.empty(0, dtype=np.int64), []
    done = [dask.delayed(_transform, pure=True, nout=2)(p, preprocessor, which)
            for p, _ in keep]
    X = da.concatenate([da.from_delayed(x, shape=(s, d), dtype=np.float64)
                        for (x, _), (_, s) in zip(done, keep, strict=True)])
    y = da.concatenate([da.from_delayed(dask.delayed(_labels, pure=True)(p, which),
                                        shape=(s,), dtype=np.int64) for p, s in keep])
    return X, y, [flags for _, flags in done]


def _labels(rows, which):
    return rows.y[rows.positions(which)]


def _empty_frame(frame):
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in frame.dtypes.items()})


def prepare_on_cluster(frame, target, features, options):
    """:func:`cecore.prepare.prepare` (``options`` a DataOptions) of a Dask DataFrame whose
    partitions are the rows in order; returns a :class:`ClusterPrepared`."""
    names = list(named_table(_empty_frame(frame)).columns)
    if names != list(frame.columns):
        frame = frame.rename(columns=dict(zip(frame.columns, names, strict=True)))
    target = require_column(_empty_frame(frame), target)
    frame = frame.persist()
    raw = frame.to_delayed()
    candidates = [n for n in frame.columns if n != target] if features is None else \
        [str(n) for n in ([features] if isinstance(features, str) else features)
         if str(n) in frame.columns and str(n) != target]
    scans = _each(part_scan, raw, target, candidates, options.max_classes)
    codes = target_codes(scans, target, frame.dtypes[target], options.max_classes)
    specs, notes = feature_specs_on_cluster(frame, scans, target, features, options.dates)
    drop = options.missing == "drop"
    pairs = [dask.delayed(_usable, pure=True, nout=2)(p, codes, specs, drop) for p in raw]
    usable = dask.persist(*[dask.delayed(_rows_of)(p) for p in pairs],
                          *[dask.delayed(_info)(p) for p in pairs])
    parts, infos = usable[:len(raw)], dask.compute(*usable[len(raw):])
    del frame, raw, pairs, usable                      # the read parts are no longer needed
    notes += _notes(infos, specs, drop)
    present = np.sum([i["classes"] for i in infos], axis=0) > 0
    classes = codes.labels[present].astype(object)
    check_classes(classes, target)
    remap = np.cumsum(present) - 1
    n_kept = sum(i["kept"] for i in infos)
    check_expansion_size(n_kept, numeric_column_count(specs), options.degree)
    parts, masks = _split(parts, infos, remap, classes, options)
    columns = list(build_model_frame(pd.DataFrame({n: [] for n in specs}), specs)[0].columns)
    specs, columns, untrained, present = _trained_columns(parts, specs, columns)
    notes += untrained
    sizes = {"train": [int(m.sum()) if m is not None else i["kept"]
                       for m, i in zip(masks, infos, strict=True)]}
    sizes["test"] = [i["kept"] - s for i, s in zip(infos, sizes["train"], strict=True)]
    preprocessor = _fitted_preprocessor(parts, specs, columns, options, sum(sizes["train"]),
                                        present)
    notes += grouping_notes(preprocessor)
    feature_names = [str(n) for n in preprocessor.get_feature_names_out()]
    d = len(feature_names)
    X_train, y_train, flags = _arrays(parts, preprocessor, "train", sizes["train"], d)
    X_test, y_test, test_flags = _arrays(parts, preprocessor, "test", sizes["test"], d)
    lazy = [a for a in (X_train, y_train, X_test, y_test) if isinstance(a, da.Array)]
    persisted = iter(dask.persist(*lazy, *flags, *test_flags))
    X_train, y_train, X_test, y_test = (next(persisted) if isinstance(a, da.Array) else a
                                        for a in (X_train, y_train, X_test, y_test))
    flags = dask.compute(*persisted)
    reject_not_finite(preprocessor, np.any(flags, axis=0))
    return ClusterPrepared(
        target=target, features=list(specs), feature_specs=specs, feature_names=feature_names,
        classes=classes, preprocessor=preprocessor, notes=notes,
        dropped_rows=sum(i["rows"] for i in infos) - n_kept, n_parts=len(parts),
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
