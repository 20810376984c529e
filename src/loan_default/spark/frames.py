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
from pyspark.sql import Column, DataFrame
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


def applicant_bucket(buckets: int) -> Column:
    """Which of ``buckets`` groups a row's applicant is in (a hash of SK_ID_CURR)."""
    return F.pmod(F.xxhash64(F.col(APPLICATION_ID)), F.lit(int(buckets)))


def with_bucket(frame: DataFrame, buckets: int) -> DataFrame:
    """``frame`` with ``BUCKET``: which of ``buckets`` groups its applicant is in."""
    return frame.withColumn(BUCKET, applicant_bucket(buckets))


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


def positive_setting(spark: Mapping[str, Any], key: str) -> int:
    """The ``spark`` parameter ``key`` as an integer, refused below 1 by name."""
    value = int(spark[key])
    if value < 1:
        raise ValueError(f"parameters spark.{key}: expected at least 1, got {value}")
    return value


def bucket_count(n_rows: int, rows_per_bucket: int) -> int:
    """How many buckets give about ``rows_per_bucket`` rows each."""
    return max(1, int(np.ceil(n_rows / rows_per_bucket)))


def collect_frame(
    frame: DataFrame, spark: Mapping[str, Any], what: str
) -> pd.DataFrame:
    """``frame`` (which has SK_ID_CURR) on the driver as pandas, in no particular
    row order; refused beyond ``spark.driver_max_rows`` rows. It comes by groups of
    applicants of about ``spark.collect_batch_rows`` rows, so that Spark's JVM never
    holds the whole table on its way to Python."""
    max_rows = int(spark["driver_max_rows"])
    batch_rows = positive_setting(spark, "collect_batch_rows")
    rows = frame.count()
    if rows > max_rows:
        raise DriverLimitError(
            f"{what}: {rows:,} rows, more than the {max_rows:,} the driver is allowed "
            "to hold (parameters spark.driver_max_rows); raise it if the driver has "
            "the memory, or train with the Spark algorithm block (docs/scale.md)"
        )
    batches = bucket_count(rows, batch_rows)
    if batches == 1:
        return frame.toPandas()
    bucket = applicant_bucket(batches)
    parts = [frame.where(bucket == number).toPandas() for number in range(batches)]
    return pd.concat(parts, ignore_index=True)
