"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from loan_default.context import ProjectContext
from loan_default.hooks import OnceMlflowHook, ProjectHooks, TrackingHooks
from loan_default.spark_session import (
    SPARK_CONFIG_KEY,
    SPARK_CONFIG_PATTERNS,
    SparkSessionHooks,
)

RUN_LOCK_TIMEOUT_SECONDS = 0.0
"""How long a ``kedro run`` waits for another run of the project to finish before it
refuses; ``LOAN_DEFAULT_RUN_LOCK_TIMEOUT`` overrides it per run."""

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/<env>/spark.yml: the SparkSession of an environment that runs on Spark.
    "config_patterns": {SPARK_CONFIG_KEY: SPARK_CONFIG_PATTERNS},
}

# Kedro calls hooks in the reverse order of this tuple: ProjectHooks commits the
# run's files, TrackingHooks logs them and moves the registry's aliases, then
# kedro-mlflow closes the MLflow run. Its hook is registered here, in that order,
# rather than by its plugin entry point.
_MLFLOW_HOOK = OnceMlflowHook()
_PROJECT_HOOKS = ProjectHooks(run_lock_timeout=RUN_LOCK_TIMEOUT_SECONDS)
HOOKS = (
    _MLFLOW_HOOK,
    TrackingHooks(
        _MLFLOW_HOOK, _PROJECT_HOOKS, default_env=CONFIG_LOADER_ARGS["default_run_env"]
    ),
    _PROJECT_HOOKS,
    # Starts the SparkSession when the environment has a spark.yml (conf/spark).
    SparkSessionHooks(),
)
# The distribution's name as its metadata spells it (kedro_mlflow); both spellings,
# since installers normalise it differently.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-mlflow")

# Records the run's algorithm blocks for the pipeline registry (see context.py).
CONTEXT_CLASS = ProjectContext
