"""Preparing a table for the classifiers: the second stage of the data's trip.

    DataFrame --profile (describe, suggest)--> target + features
              --target, features--> class codes, FeatureSpec per column
              --split--> train / test positions
              --transform (ColumnTransformer) or numeric (fast path)--> Prepared
"""

from cecore.prepare.expansion import MAX_DEGREE, expanded_feature_count
from cecore.prepare.features import FeatureSpec
from cecore.prepare.options import DataOptions
from cecore.prepare.pipeline import Prepared, prepare
from cecore.prepare.profile import describe_columns, suggest_features, suggest_target

__all__ = ["MAX_DEGREE", "DataOptions", "FeatureSpec", "Prepared", "describe_columns",
           "expanded_feature_count", "prepare", "suggest_features", "suggest_target"]
