"""Spark partitions as pandas frames, and pandas frames' layouts as Spark schemas.

``map_frames`` (``mapInPandas``) calls a pandas function on each Arrow batch of a
partition: the row-wise steps (validation, cleaning, encoding). ``cogroup_by_applicant``
(``cogroup(...).applyInPandas``) hands a function every row of a set of applicants
from two tables at once: the history steps, which need all of an applicant's earlier
applications together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from loan_default.errors import ProjectError
from loan_default.schema import APPLICATION_ID, TableSchema
from loan_default.validation import typed_column

BUCKET = "__bucket"
"""The grouping column of ``cogroup_by_applicant``: a hash of ``SK_ID_CURR``."""


class DriverLimitError(ProjectError, ValueError):
    """A table to bring to the driver is larger than the parameters allow."""


def spark_type(dtype: object) -> DataType:
    """The Spark type holding a pandas column of ``dtype`` without loss."""
    if pd.api.types.is_bool_dtype(dtype):
        return BooleanType()
    if pd.api.types.is_integer_dtype(dtype):
        return LongType()
    if pd.api.types.is_float_dtype(dtype):
        return DoubleType()
    return StringType()


def spark_schema(frame: pd.DataFrame) -> StructType:
    """The Spark schema of ``frame``'s columns, in order (all nullable)."""
    return StructType(
        [
            StructField(str(name), spark_type(dtype), nullable=True)
            for name, dtype in frame.dtypes.items()
        ]
    )


_SCHEMA_TYPES: dict[str, DataType] = {
    "int64": LongType(),
    "float64": DoubleType(),
    "string": StringType(),
}


def table_spark_schema(table: TableSchema, columns: Iterable[str]) -> StructType:
    """The Spark schema of a validated table: ``table``'s columns among
    ``columns``, in the schema's order, typed as ``schema.py`` says."""
    present = set(columns)
    return StructType(
        [
            StructField(spec.name, _SCHEMA_TYPES[spec.dtype], nullable=True)
            for spec in table.columns
            if spec.name in present
        ]
    )


def typed_like_schema(frame: pd.DataFrame, table: TableSchema) -> pd.DataFrame:
    """A collected validated table in the dtypes validation gives it (Spark hands
    a long column with gaps back as floats)."""
    return pd.DataFrame(
        {
            spec.name: typed_column(frame[spec.name], spec)
            for spec in table.columns
            if spec.name in frame.columns
        }
    )


def _empty(schema: StructType) -> pd.DataFrame:
    dtypes = {LongType(): "int64", DoubleType(): "float64", BooleanType(): "bool"}
    return pd.DataFrame(
        {
            field.name: pd.Series(dtype=dtypes.get(field.dataType, "object"))
            for field in schema.fields
        }
    )


def map_frames(
    frame: DataFrame,
    function: Callable[[pd.DataFrame], pd.DataFrame],
    schema: StructType,
) -> DataFrame:
    """``function`` applied to every non-empty Arrow batch of ``frame`` (each
    batch's rows stay together and in order); its frames must have ``schema``."""

    def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if len(batch):
                yield function(batch.reset_index(drop=True))

    return frame.mapInPandas(apply, schema)


def with_bucket(frame: DataFrame, buckets: int) -> DataFrame:
    """``frame`` with ``BUCKET``: which of ``buckets`` groups its applicant is in."""
    return frame.withColumn(
        BUCKET, F.pmod(F.xxhash64(F.col(APPLICATION_ID)), F.lit(int(buckets)))
    )


def cogroup_by_applicant(
    left: DataFrame,
    right: DataFrame,
    function: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
    schema: StructType,
    buckets: int,
) -> DataFrame:
    """``function(left rows, right rows)`` per group of applicants: both tables are
    grouped by a hash of ``SK_ID_CURR``, so every row of an applicant, in either
    table, is in the same call. ``buckets`` groups (many applicants each: one call
    per applicant would cost more than the work)."""

    def apply(left_rows: pd.DataFrame, right_rows: pd.DataFrame) -> pd.DataFrame:
        if left_rows.empty:
            return _empty(schema)
        return function(
            left_rows.drop(columns=BUCKET).reset_index(drop=True),
            right_rows.drop(columns=BUCKET, errors="ignore").reset_index(drop=True),
        )

    grouped_left = with_bucket(left, buckets).groupBy(BUCKET)
    grouped_right = with_bucket(right, buckets).groupBy(BUCKET)
    return grouped_left.cogroup(grouped_right).applyInPandas(apply, schema)


def bucket_count(n_applications: int, applications_per_group: int) -> int:
    """How many applicant groups give about ``applications_per_group`` each."""
    if applications_per_group < 1:
        raise ValueError(
            "parameters spark.applications_per_group: expected a positive integer, "
            f"got {applications_per_group!r}"
        )
    return max(1, int(np.ceil(n_applications / applications_per_group)))


def collect_frame(
    frame: DataFrame, spark: Mapping[str, Any], what: str
) -> pd.DataFrame:
    """``frame`` on the driver as pandas, in no particular row order; refused beyond
    ``spark.driver_max_rows`` rows. It comes ``spark.collect_batch_rows`` rows or
    so at a time (rows bucketed by a hash of their values), so that Spark's JVM
    never holds the whole table on its way to Python."""
    max_rows = int(spark["driver_max_rows"])
    batch_rows = int(spark["collect_batch_rows"])
    if batch_rows < 1:
        raise ValueError(
            f"parameters spark.collect_batch_rows: expected at least 1, got {batch_rows}"
        )
    rows = frame.count()
    if rows > max_rows:
        raise DriverLimitError(
            f"{what}: {rows:,} rows, more than the {max_rows:,} the driver is allowed "
            "to hold (parameters spark.driver_max_rows); raise it if the driver has "
            "the memory, or train with the Spark algorithm block (docs/scale.md)"
        )
    batches = int(np.ceil(rows / batch_rows))
    if batches <= 1:
        return frame.toPandas()
    bucket = F.pmod(F.xxhash64(*frame.columns), F.lit(batches))
    parts = [frame.where(bucket == number).toPandas() for number in range(batches)]
    return pd.concat(parts, ignore_index=True)
