"""Reading a user's file into a DataFrame: the first stage of the data's trip.

    bytes or path --source--> bytes --encoding--> UTF-8 --dialect (header, titles)-->
    Dialect --engines (pyarrow, pandas' C engine)--> DataFrame (+ ``attrs["notes"]``)

``values`` says how a text value reads (numbers with a decimal comma or digit grouping,
dates, missing markers) and ``numbers`` decides a column's number format (its decimal mark
and thousands separator, from all its values); ``prepare`` uses them too. Every problem raises
:class:`cecore.errors.DataError` with a message a person can act on.
"""

from cecore.io.csv_reader import read_csv
from cecore.io.source import MAX_UPLOAD_MB

__all__ = ["MAX_UPLOAD_MB", "read_csv"]
