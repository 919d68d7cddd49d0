"""The front door to a user's data: read a table, describe it, prepare it for training.

The work is done in :mod:`cecore.io` (bytes to DataFrame) and :mod:`cecore.prepare`
(DataFrame to model input); this module gathers their public names so that code written
against ``cecore.data`` keeps working. Every problem with a user's data raises
:class:`DataError` with a message a person can act on.
"""

from cecore.errors import DataError
from cecore.io import TABLE_EXTENSIONS, list_sheets, read_csv, read_table
from cecore.prepare import (
    DataOptions,
    Prepared,
    describe_columns,
    expanded_feature_count,
    prepare,
    suggest_features,
    suggest_target,
)

__all__ = [
    "DataError",
    "DataOptions",
    "Prepared",
    "TABLE_EXTENSIONS",
    "describe_columns",
    "expanded_feature_count",
    "list_sheets",
    "prepare",
    "read_csv",
    "read_table",
    "suggest_features",
    "suggest_target",
]
