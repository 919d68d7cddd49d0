"""cecore.distributed_stats: the preparation's statistics merged from parts equal the
in-memory ones (numpy's median, StandardScaler, SimpleImputer, OneHotEncoder's grouping)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cecore.distributed_stats import (
    MedianSearch,
    float_keys,
    key_floats,
    merge_counts,
    merge_moments,
    most_frequent,
    part_category_counts,
    part_key_counts,
    part_moments,
    stand_in_counts,
    standard_scale,
)

RNG = np.random.default_rng(0)
COLUMNS = {
    "normal": RNG.normal(size=20_001),
    "even": RNG.normal(size=20_000),
    "tiny": RNG.normal(size=5_000) * 1e-300,
    "two values": np.r_[np.zeros(10_000), np.ones(10_001)],
    "few integers": RNG.integers(0, 3, 30_000).astype(float),
    "outlier": np.r_[RNG.uniform(size=9_999), [1e100]],
    "heavy tails": RNG.standard_cauchy(50_000),
    "signed zeros": np.array([-0.0, 0.0, -1.0, 2.0]),
    "one": np.array([5.0]),
    "small": RNG.normal(size=37),
    "two middle values, repeated": np.r_[np.full(500, 1.0), np.full(500, 2.0)],
    "repeated integers": RNG.integers(70, 162, 178).astype(float),
}


def test_float_keys_keep_the_order_and_come_back():
    values = np.r_[-np.inf, -1e308, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e308, np.inf]
    keys = float_keys(values)
    assert np.all(np.diff(keys) > 0)
    np.testing.assert_array_equal(key_floats(keys), values)
    assert float_keys(np.array([-0.0]))[0] == float_keys(np.array([0.0]))[0]


def _search(columns, n_parts):
    """The medians of the columns, each cut into n_parts, and what each round sent."""
    parts = [np.array_split(c, n_parts) for c in columns]
    search, sent = MedianSearch([len(c) for c in columns]), []
    while not search.done:
        requests = search.requests()
        answers = [part_key_counts([p[k] for p in parts], requests) for k in range(n_parts)]
        search.answer(requests, answers)
        sent.append(max(a.nbytes for answer in answers for a in answer))
    return search.medians, sent


@pytest.mark.parametrize("n_parts", [1, 3, 8])
def test_medians_by_selection_are_numpys_exactly(n_parts):
    medians, sent = _search(list(COLUMNS.values()), n_parts)
    expected = [np.median(c) for c in COLUMNS.values()]
    np.testing.assert_array_equal(medians, expected)
    assert len(sent) <= 20


def test_a_selection_round_sends_a_small_part_of_the_column():
    column = RNG.normal(size=1_000_000)
    medians, sent = _search([column], 4)
    assert medians[0] == np.median(column)
    assert max(sent) <= column.nbytes / 4 / 8          # at most an eighth of a part


def test_a_column_without_values_has_a_nan_median():
    medians, _ = _search([np.array([]), np.array([1.0, 3.0])], 2)
    assert np.isnan(medians[0]) and medians[1] == 2.0


def test_merged_moments_and_scales_are_standard_scalers():
    X = np.column_stack([RNG.normal(3, 2, 10_000), np.full(10_000, 0.1),
                         RNG.uniform(-1e6, 1e6, 10_000), np.r_[np.ones(9_999), 2.0]])
    n, mean, var = merge_moments([part_moments(p) for p in np.array_split(X, 7)]
                                 + [part_moments(X[:0])])
    scaler = StandardScaler().fit(X)
    assert n == scaler.n_samples_seen_
    # both are the mean to rounding: sklearn's sum of 10,000 times 0.1 is 1.6e-13 off, ours
    # (merged means of parts) 2.7e-14
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(var, scaler.var_, rtol=1e-12, atol=1e-28)
    np.testing.assert_allclose(standard_scale(var, mean, n), scaler.scale_, rtol=1e-12)
    assert standard_scale(var, mean, n)[1] == 1.0       # the constant column


def test_counts_the_mode_and_the_grouping_are_the_encoders():
    values = np.array([f"v{k:02d}" for k in RNG.integers(0, 35, 3_000)] + ["v00"] * 40
                      + ["v34"] * 40, dtype=object)   # ties at the top
    values[RNG.choice(len(values), 100, replace=False)] = np.nan
    frame = pd.DataFrame({"c": values})
    counts, missing = merge_counts([part_category_counts(p)[0]
                                    for p in (frame.iloc[k::5] for k in range(5))])
    assert missing == 100 and counts.sum() == len(values) - 100
    mode = most_frequent(counts)
    imputer = SimpleImputer(strategy="most_frequent").fit(frame)
    assert mode == imputer.statistics_[0]
    counts[mode] += missing
    encoder = OneHotEncoder(handle_unknown="ignore", max_categories=20).fit(
        imputer.transform(frame))
    stand_in = np.repeat(counts.index.to_numpy(dtype=object), stand_in_counts(counts, 20))
    small = OneHotEncoder(handle_unknown="ignore", max_categories=20).fit(stand_in[:, None])
    np.testing.assert_array_equal(small.categories_[0], encoder.categories_[0])
    np.testing.assert_array_equal(small.infrequent_categories_[0],
                                  encoder.infrequent_categories_[0])
    assert len(stand_in) < 60


@pytest.mark.parametrize("n_categories", [3, 19, 20, 21])
def test_the_stand_in_groups_as_the_counts_do_at_the_boundary(n_categories):
    counts = pd.Series(RNG.integers(1, 4, n_categories),
                       index=[f"c{k:02d}" for k in range(n_categories)])
    rows = np.repeat(counts.index.to_numpy(dtype=object), counts.to_numpy())
    stand_in = np.repeat(counts.index.to_numpy(dtype=object), stand_in_counts(counts, 20))
    fitted = [OneHotEncoder(max_categories=20).fit(r[:, None]) for r in (rows, stand_in)]
    assert [list(map(str, f.get_feature_names_out())) for f in fitted][0] == \
        list(map(str, fitted[1].get_feature_names_out()))
