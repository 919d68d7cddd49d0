"""The preparation's statistics as reductions over row parts, exactly as in memory.

Plain numpy and pandas (no dask): the ``part_*`` functions run on a worker over one part's
training rows and return something small; the others merge those results on the client.

* Medians (:class:`MedianSearch`): exact, by selection. Each float64 is mapped to an int64
  key in the same order (:func:`float_keys`: the bits, the magnitude bits flipped for
  negative numbers), and every round each part counts its keys in the bins of the window
  that holds the middle rank (each of the two, for an even count): ``n / 64`` bins for ``n`` values, from 16 up to
  :data:`BINS` (then the window shrinks 4096-fold a round: at most 6 rounds for 64-bit
  keys), until it holds at most ``n / 256`` values (:data:`GATHER_LIMIT` at most), which
  are then sent to the client and sorted. So what a round sends is a small fraction of
  the column, whatever its length. The median is the middle value, or for an even
  count ``np.mean`` of the two middle values: what ``np.nanmedian`` (and SimpleImputer's
  median) gives.
* Means and variances (:func:`part_moments`, :func:`merge_moments`): per part ``(n, mean,
  M2)``, merged by Chan, Golub and LeVeque's pairwise update (``M2 = M2_a + M2_b + delta^2
  n_a n_b / n``); :func:`standard_scale` is StandardScaler's ``scale_`` rule (sqrt of the
  variance, 1 for a constant column by scikit-learn's error bound).
* Category counts (:func:`part_category_counts`, :func:`merge_counts`), the most frequent
  value (:func:`most_frequent`: ties to the smallest, as SimpleImputer), and the stand-in
  counts (:func:`stand_in_counts`) that make a OneHotEncoder fitted on a small table group
  the same rare values as one fitted on all the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BINS", "GATHER_LIMIT", "MedianSearch", "float_keys", "key_floats",
           "merge_counts", "merge_moments", "most_frequent", "part_category_counts",
           "part_key_counts", "part_moments", "stand_in_counts", "standard_scale"]

BINS = 4096  # most bins per selection round
MIN_BINS = 16  # fewest bins per selection round
GATHER_LIMIT = 1 << 16  # most values of one column sent to the client to finish a selection
_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)
_LOWEST, _HIGHEST = -(1 << 63), (1 << 63) - 1


def float_keys(values):
    """int64 keys of float64 values (no NaN) in the same order; -0.0 is keyed as 0.0."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.int64)
    return bits ^ ((bits >> 63) & _FLIP)


def key_floats(keys):
    """The float64 values of :func:`float_keys` (the map is its own inverse on the bits)."""
    keys = np.asarray(keys, dtype=np.int64)
    return (keys ^ ((keys >> 63) & _FLIP)).view(np.float64)


def part_key_counts(columns, requests):
    """One part's answer to a selection round: for each request ``(j, how, lo, hi, bins)``
    on ``columns[j]`` (a 1-d float64 array of present values): ``how`` "count", the counts
    of its keys in ``bins`` bins of [lo, hi] (:func:`_edges`); "gather", those keys,
    sorted."""
    answers = []
    for j, how, lo, hi, bins in requests:
        keys = float_keys(columns[j])
        keys = keys[(keys >= lo) & (keys <= hi)]
        if how == "gather":
            answers.append(np.sort(keys))
        else:
            lower = np.array(_edges(lo, hi, bins)[:-1], dtype=np.int64)
            index = np.searchsorted(lower, keys, side="right") - 1
            answers.append(np.bincount(index, minlength=len(lower)))
    return answers


def _edges(lo, hi, bins):
    """The edges of ``bins`` bins (fewer for a narrow window) over the keys lo..hi (Python
    ints): bin i holds the keys from edge i up to (not including) edge i + 1."""
    span = hi - lo + 1
    bins = min(bins, span)
    return [lo + (span * i) // bins for i in range(bins + 1)]


class _Selection:
    """The search for the key of 0-based rank ``rank`` among ``n`` values: the window
    [lo, hi] of keys that holds it, the number of keys below the window, the key found.
    Each round the window shrinks to the bin holding the rank, so it ends with one key
    (however many values share it) or few enough values to gather."""

    def __init__(self, n, rank):
        self.lo, self.hi, self.below, self.inside, self.rank = _LOWEST, _HIGHEST, 0, n, rank
        self.bins = int(min(BINS, max(MIN_BINS, n // 64)))
        self.gather = int(min(GATHER_LIMIT, max(2, n // 256)))
        self.key = None

    def request(self, j):
        how = "gather" if self.inside <= self.gather else "count"
        return (j, how, self.lo, self.hi, self.bins)

    def answer(self, parts, how):
        if how == "gather":
            self.key = int(np.sort(np.concatenate(parts))[self.rank - self.below])
            return
        counts = np.sum(parts, axis=0)
        edges = _edges(self.lo, self.hi, self.bins)
        ends = self.below + np.cumsum(counts)         # keys below each bin's upper edge
        b = int(np.searchsorted(ends, self.rank, side="right"))
        self.below = int(ends[b] - counts[b])
        self.lo, self.hi, self.inside = edges[b], edges[b + 1] - 1, int(counts[b])
        if self.lo == self.hi:                         # one key: found
            self.key = self.lo


class MedianSearch:
    """Exact medians of several columns spread over parts (see the module docstring), of
    ``counts[j]`` present values in column j: one selection of the middle rank, two for
    an even count.

    Loop: ``requests = search.requests()``; each part answers with
    :func:`part_key_counts` ``(its columns, requests)``; ``search.answer(requests,
    answers)`` with the list of the parts' answers; until ``search.done``. ``medians`` is
    then one float per column (NaN for a column without values).
    """

    def __init__(self, counts):
        self.columns = [[_Selection(n, r) for r in sorted({(n - 1) // 2, n // 2})]
                        if n else [] for n in map(int, counts)]

    def _open(self):
        return [(j, s) for j, column in enumerate(self.columns) for s in column
                if s.key is None]

    @property
    def done(self):
        return not self._open()

    def requests(self):
        return [s.request(j) for j, s in self._open()]

    def answer(self, requests, answers):
        for k, ((_, selection), request) in enumerate(zip(self._open(), requests,
                                                          strict=True)):
            selection.answer([part[k] for part in answers], request[1])

    @property
    def medians(self):
        medians = []
        for column in self.columns:
            if not column:
                medians.append(np.nan)
                continue
            values = key_floats(np.array([s.key for s in column]))
            medians.append(float(values[0]) if len(values) == 1
                           else float(np.mean(values)))
        return np.array(medians, dtype=np.float64)


def part_moments(X):
    """``(n, mean, M2)`` of the columns of a 2-d float64 array (no NaN): M2 the sum of
    squared deviations from the part's mean."""
    n = X.shape[0]
    if not n:
        return 0, np.zeros(X.shape[1]), np.zeros(X.shape[1])
    mean = X.mean(axis=0)
    return n, mean, ((X - mean) ** 2).sum(axis=0)


def merge_moments(parts):
    """``(n, mean, var)`` of all the parts' rows from their :func:`part_moments`."""
    n, mean, m2 = 0, None, None
    for n_b, mean_b, m2_b in parts:
        if not n_b:
            continue
        if mean is None:
            n, mean, m2 = n_b, mean_b.astype(np.float64), m2_b.astype(np.float64)
            continue
        total = n + n_b
        delta = mean_b - mean
        mean = mean + delta * (n_b / total)
        m2 = m2 + m2_b + delta ** 2 * (n * n_b / total)
        n = total
    return n, mean, m2 / n


def standard_scale(var, mean, n):
    """StandardScaler's ``scale_``: ``sqrt(var)``, and 1 for a column it takes for constant
    (``var <= n eps var + (n mean eps)^2``, scikit-learn's bound on the rounding of a
    two-pass variance)."""
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.sqrt(var)
    scale[constant] = 1.0
    return scale


def part_category_counts(frame):
    """Per column of a frame of category strings (NaN missing): ``(counts, n_missing)``,
    ``counts`` a Series value -> number of rows."""
    return [(frame[name].value_counts(dropna=True), int(frame[name].isna().sum()))
            for name in frame.columns]


def merge_counts(parts):
    """``(counts, n_missing)`` of all the parts (each the :func:`part_category_counts` of one
    column): counts summed by value and sorted by value (as the encoder sorts them)."""
    counts = [c for c, _ in parts if len(c)]
    merged = (pd.concat(counts).groupby(level=0, sort=True).sum() if counts
              else pd.Series(dtype=np.int64))
    merged.index = merged.index.astype(object)
    return merged.astype(np.int64), sum(m for _, m in parts)


def most_frequent(counts):
    """The most frequent value (the smallest of those tied), as SimpleImputer's
    "most_frequent" strategy for text; ``counts`` sorted by value."""
    return counts.index[int(np.argmax(counts.to_numpy()))]


def stand_in_counts(counts, max_categories):
    """Row counts per category (in the order of ``counts``) that make OneHotEncoder
    (``max_categories``) group the same values as the true ``counts`` do: with more than
    ``max_categories - 1`` categories, the encoder keeps the ``max_categories - 1`` most
    frequent (a stable sort of the counts: among ties the later categories are kept) and
    groups the rest; the stand-in gives the kept ones 2 rows and the others 1, so the same
    ones are kept. With fewer categories nothing is grouped: 1 row each."""
    values = counts.to_numpy()
    stand_in = np.ones(len(values), dtype=np.int64)
    if len(values) >= max_categories:
        kept = np.argsort(values, kind="mergesort")[len(values) - (max_categories - 1):]
        stand_in[kept] = 2
    return stand_in
