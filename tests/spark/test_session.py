"""The SparkSession hook starts Spark only for an environment with a spark.yml."""

from __future__ import annotations

from kedro.config import OmegaConfigLoader

from loan_default.settings import CONFIG_LOADER_ARGS
from loan_default.spark_session import spark_config
from tests.project import PROJECT_ROOT


def _loader(env: str) -> OmegaConfigLoader:
    arguments = {**CONFIG_LOADER_ARGS, "default_run_env": env}
    return OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env=env, **arguments)


def test_the_default_environment_has_no_spark_settings():
    assert spark_config(_loader("local")) is None


def test_the_spark_environment_starts_local_mode_by_default():
    settings = spark_config(_loader("spark"))
    assert settings["spark.master"] == "local[*]"
    # YAML booleans as Spark reads them.
    assert settings["spark.sql.execution.arrow.pyspark.enabled"] == "true"
