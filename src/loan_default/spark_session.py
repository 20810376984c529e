"""The SparkSession of a run whose environment configures Spark (``conf/<env>/spark.yml``).

Kedro's PySpark pattern: an ``after_context_created`` hook starts the session from the
``spark`` configuration before any dataset is created, so every ``spark.SparkDataset``
and every node shares it. An environment without ``spark*.yml`` (the default one)
starts nothing and never imports PySpark.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

from loan_default.errors import ProjectError

logger = logging.getLogger(__name__)

SPARK_CONFIG_KEY = "spark"
"""The config loader's key for ``spark*.yml`` (``settings.CONFIG_LOADER_ARGS``)."""
SPARK_CONFIG_PATTERNS = ["spark*", "spark*/**"]
MASTER_KEY = "spark.master"
DEFAULT_MASTER = "local[*]"


class SparkUnavailableError(ProjectError, RuntimeError):
    """The environment asks for Spark and this machine cannot start it."""


def java_available() -> bool:
    """Whether a Java runtime is on the PATH (Spark's driver is a JVM)."""
    return shutil.which("java") is not None


def spark_config(config_loader: Any) -> dict[str, str] | None:
    """The environment's Spark settings, or None when it has no ``spark*.yml``."""
    try:
        settings = config_loader[SPARK_CONFIG_KEY]
    except (KeyError, MissingConfigException):
        return None
    if not settings:
        return None
    if not isinstance(settings, Mapping):
        raise SparkUnavailableError(
            f"spark.yml: expected a mapping of Spark settings, got {type(settings)}"
        )
    # YAML booleans as Spark spells them.
    return {
        str(key): str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in settings.items()
    }


def start_spark_session(settings: Mapping[str, str], app_name: str) -> Any:
    """The SparkSession with ``settings`` (``spark.master`` default ``local[*]``)."""
    if not java_available():
        raise SparkUnavailableError(
            "This environment runs on Spark, which needs Java 17: install it (Debian: "
            "apt-get install openjdk-17-jre-headless) or run another environment"
        )
    from pyspark import SparkConf  # noqa: PLC0415 (only Spark environments need it)
    from pyspark.sql import SparkSession  # noqa: PLC0415

    conf = (
        SparkConf()
        .setAll([(MASTER_KEY, DEFAULT_MASTER), *settings.items()])
        .setAppName(app_name)
    )
    session = SparkSession.builder.config(conf=conf).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    logger.info(
        "SparkSession %s on %s (Spark %s)",
        app_name,
        session.sparkContext.master,
        session.version,
    )
    return session


class SparkSessionHooks:
    """Starts the SparkSession from ``spark.yml`` when the run's environment has one."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        settings = spark_config(context.config_loader)
        if settings is None:
            return
        start_spark_session(settings, app_name=context.project_path.name)
