"""Reading a user's file into a DataFrame: the first stage of the data's trip.

``read_table`` (table_reader) is the front door: it decides the format from the content and
hands CSV text to ``read_csv``, Excel workbooks to ``excel`` (checked first by ``archive``:
zip bombs, encryption; cells to a table by ``sheet_table``) and Parquet files to ``parquet``.

    bytes or path --source--> bytes --encoding--> UTF-8 --dialect (header, titles)-->
    Dialect --engines (pyarrow, pandas' C engine)--> DataFrame (+ ``attrs["notes"]``)

``values`` says how a text value reads (numbers with a decimal comma or digit grouping,
dates, missing markers) and ``numbers`` decides a column's number format (its decimal mark
and thousands separator, from all its values); ``prepare`` uses them too. Every problem raises
:class:`cecore.errors.DataError` with a message a person can act on.
"""

from cecore.io.csv_reader import read_csv
from cecore.io.source import MAX_UPLOAD_MB
from cecore.io.table_reader import TABLE_EXTENSIONS, list_sheets, read_table

__all__ = ["MAX_UPLOAD_MB", "TABLE_EXTENSIONS", "list_sheets", "read_csv", "read_table"]
