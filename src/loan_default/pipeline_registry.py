"""Project pipelines.

The modelling and reporting pipelines have one namespace per algorithm block of the
run's parameters, so the registry needs the names of those blocks. The project's
context (``loan_default.context``) reads them from the configuration Kedro loaded for
the run (its env, conf source and ``--params``) and records them here before Kedro
builds the registry. See docs/architecture.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kedro.framework.project import pipelines as project_pipelines
from kedro.pipeline import Pipeline

from loan_default.errors import ProjectError
from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    algorithm_block_names,
    spark_trained_block_names,
)

PIPELINES = ("data_engineering", "modelling", "reporting", "scoring", "monitoring")
"""Every registered pipeline, by its folder under ``pipelines/``."""
PER_ALGORITHM = ("modelling", "reporting")
"""Pipelines whose ``create_pipeline`` takes the algorithm block names."""
DEFAULT_PIPELINES = ("data_engineering", "modelling", "reporting")
"""What a bare ``kedro run`` runs: raw data to the evaluation report."""

_run_algorithms: tuple[str, ...] | None = None
"""The algorithm block names of the current run's configuration, once read."""

ENGINE_KEY = "engine"
"""The parameter naming where data engineering and scoring run: absent or
``pandas`` (the default), or ``spark`` (conf/spark, see docs/scale.md)."""
ENGINES = ("pandas", "spark")
_run_engine: str = "pandas"
_run_trained_on_spark: tuple[str, ...] = ()
"""The run's algorithm blocks with ``trains_on: spark``."""


class RunConfigurationMissingError(ProjectError, RuntimeError):
    """The pipelines were asked for before any Kedro context read the run's config."""


def use_algorithms(names: Iterable[str], trained_on_spark: Iterable[str] = ()) -> None:
    """Record the algorithm block names of the run's configuration, and those of
    them that train on Spark.

    Kedro builds its registry once per process and keeps it: when the names change
    (another env or conf source in the same process, e.g. a notebook's
    ``%reload_kedro --env``), the registry is built again on its next use.
    """
    global _run_algorithms, _run_trained_on_spark  # noqa: PLW0603 (one run's configuration per process)
    names, on_spark = tuple(names), tuple(trained_on_spark)
    previous = (_run_algorithms, _run_trained_on_spark)
    _run_algorithms, _run_trained_on_spark = names, on_spark
    if previous[0] is not None and previous != (names, on_spark):
        _rebuild_registry()


def use_run_parameters(parameters: Mapping[str, Any]) -> None:
    """Record the algorithm blocks and the engine named in a run's parameters."""
    use_engine(parameters.get(ENGINE_KEY) or "pandas")
    use_algorithms(
        algorithm_block_names(parameters), spark_trained_block_names(parameters)
    )


def check_spark_training(trained_on_spark: Sequence[str], engine: str) -> None:
    """A clear error for a block that trains on Spark in a run without Spark."""
    if trained_on_spark and engine != "spark":
        blocks = ", ".join(f"params:{ALGORITHMS_KEY}.{n}" for n in trained_on_spark)
        raise ProjectError(
            f"{blocks}: trains_on 'spark' trains on the Spark model input, which "
            f"only the Spark engine has ({ENGINE_KEY}: spark, kedro run --env "
            f"spark); this run's {ENGINE_KEY} is {engine!r}. Train it on the "
            "driver (trains_on: driver, with a scikit-learn-style estimator) or "
            "run the Spark environment"
        )


def use_engine(engine: str) -> None:
    """Record the run's engine; the registry is built again when it changes."""
    global _run_engine  # noqa: PLW0603 (one run's configuration per process)
    if engine not in ENGINES:
        raise ProjectError(
            f"parameters {ENGINE_KEY}: expected one of {list(ENGINES)}, got {engine!r}"
        )
    previous, _run_engine = _run_engine, engine
    if previous != engine and _run_algorithms is not None:
        _rebuild_registry()


def _rebuild_registry() -> None:
    # configure() is Kedro's way to drop the cached registry; it also forgets which
    # pipelines the run asked for (`kedro run --pipelines`), so ask again.
    requested = project_pipelines._requested_pipelines
    project_pipelines.configure(project_pipelines._pipelines_module)
    project_pipelines.set_requested(requested)


def run_algorithms() -> tuple[str, ...]:
    """The algorithm block names recorded from the run's configuration."""
    # No fallback to reading conf/ ourselves: that read another configuration than
    # the run's (a packaged project has no conf/ beside its code, and `kedro run
    # --env` does not set KEDRO_ENV) and silently trained the wrong set of models.
    # Every Kedro entry point that runs or draws pipelines (run, a packaged run, viz,
    # airflow create, jupyter) creates the project context first.
    if _run_algorithms is None:
        raise RunConfigurationMissingError(
            "The modelling and reporting pipelines have one namespace per algorithm "
            "block of the run's parameters, and no Kedro context has read them yet: "
            "build the pipelines through a KedroSession (session.run() or "
            "session.load_context() first), or call "
            "register_pipelines(algorithms=[...]) with the block names."
        )
    return _run_algorithms


def build_pipelines(
    algorithms: Sequence[str],
    engine: str = "pandas",
    trained_on_spark: Sequence[str] = (),
) -> dict[str, Pipeline]:
    """Every pipeline of the project, modelling and reporting for ``algorithms``;
    the blocks ``trained_on_spark`` fit on the Spark model input."""
    check_spark_training(trained_on_spark, engine)
    built = {}
    for name in PIPELINES:
        module = importlib.import_module(f"loan_default.pipelines.{name}")
        arguments = {"algorithms": list(algorithms)} if name in PER_ALGORITHM else {}
        if name == "modelling":
            arguments["trained_on_spark"] = list(trained_on_spark)
        built[name] = module.create_pipeline(**arguments)
    if engine == "spark":
        built = _on_spark(built)
    return built


def _on_spark(pipelines: dict[str, Pipeline]) -> dict[str, Pipeline]:
    """data_engineering and scoring on Spark; the others read driver copies."""
    spark = importlib.import_module("loan_default.pipelines.spark")
    on_spark = {
        "data_engineering": spark.create_data_engineering_pipeline(),
        "scoring": spark.create_scoring_pipeline(),
    }
    return {
        name: on_spark.get(name) or spark.on_the_driver(pipeline)
        for name, pipeline in pipelines.items()
    }


def register_pipelines(algorithms: Sequence[str] | None = None) -> dict[str, Pipeline]:
    """Register every pipeline by its folder name, and the default run.

    ``algorithms``: the algorithm block names (all trained on the driver);
    default: those of the run's configuration, recorded by the project context.
    (Not ``find_pipelines``: it would call each ``create_pipeline`` without them.)
    """
    if algorithms is None:
        names, on_spark = run_algorithms(), _run_trained_on_spark
    else:
        names, on_spark = tuple(algorithms), ()
    pipelines = build_pipelines(names, _run_engine, on_spark)
    pipelines["__default__"] = sum(
        (pipelines[name] for name in DEFAULT_PIPELINES), Pipeline([])
    )
    return pipelines
