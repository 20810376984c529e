"""One SparkSession for every Spark test: local mode on two cores, few partitions,
small Arrow batches (so a partition reaches the pandas functions in several)."""

from __future__ import annotations

import os
import sys

import pytest

from loan_default import pipeline_registry
from loan_default.spark_session import java_available

ARROW_BATCH_ROWS = 700
"""Rows per Arrow batch in the tests: several batches per partition."""


RUN_CONFIGURATION = ("_run_engine", "_run_algorithms", "_run_trained_on_spark")
"""The pipeline registry's record of the run's engine and blocks, one per process."""


@pytest.fixture(scope="module", autouse=True)
def _run_configuration_restored():
    """A Spark environment's session records its engine in the pipeline registry:
    put back what was there before the module, so that later tests in the same
    process build the default environment's pipelines."""
    before = {name: getattr(pipeline_registry, name) for name in RUN_CONFIGURATION}
    yield
    for name, value in before.items():
        setattr(pipeline_registry, name, value)


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="the Spark tests need PySpark (pip extra)")
    if not java_available():
        pytest.skip(
            "the Spark tests need Java 17 on the PATH (Debian: apt-get install "
            "openjdk-17-jre-headless; .ci/run installs it when run as root)"
        )
    from pyspark.sql import SparkSession  # noqa: PLC0415

    # Spark's Python workers run this interpreter, whatever `python3` the PATH has.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    session = (
        SparkSession.builder.master("local[2]")
        .appName("loan-default-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ROWS))
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
