"""Small raw tables for tests, built from the schema."""

from __future__ import annotations

import pandas as pd

from loan_default.schema import TableSchema


def valid_table(table: TableSchema, n_rows: int = 6) -> pd.DataFrame:
    """A small table that obeys every rule of ``table``, as a CSV reader gives it."""
    columns = {}
    for spec in table.columns:
        if spec.name == table.key:
            values = list(range(100_001, 100_001 + n_rows))
        elif spec.name == "TARGET":
            values = [index % 2 for index in range(n_rows)]
        elif spec.dtype == "string":
            values = [
                spec.categories[index % len(spec.categories)] for index in range(n_rows)
            ]
        elif spec.minimum is not None:
            values = [spec.minimum] * n_rows
        elif spec.maximum is not None:
            values = [spec.maximum] * n_rows
        else:
            values = [1] * n_rows
        columns[spec.name] = pd.Series(
            values, dtype="float64" if spec.dtype == "float64" else None
        )
    return pd.DataFrame(columns)
