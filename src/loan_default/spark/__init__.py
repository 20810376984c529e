"""Running the project's pandas functions on Spark, partition by partition.

Nothing here builds a feature, a rule or a score: these helpers only move Spark
partitions into pandas frames, call the function they are given (the same function
the default environment calls on the whole table) and describe its output to Spark.
See docs/scale.md.
"""

from loan_default.spark.frames import (
    BUCKET,
    cogroup_by_applicant,
    collect_frame,
    map_frames,
    spark_schema,
    table_spark_schema,
    typed_like_schema,
)

__all__ = [
    "BUCKET",
    "cogroup_by_applicant",
    "collect_frame",
    "map_frames",
    "spark_schema",
    "table_spark_schema",
    "typed_like_schema",
]
