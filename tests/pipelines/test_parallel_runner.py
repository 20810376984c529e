"""Every registered pipeline gives the same outputs under ParallelRunner as under
SequentialRunner (the project's catalog, datasets in shared memory between
processes)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from kedro.io import DataCatalog, SharedMemoryDataCatalog
from kedro.runner import ParallelRunner, SequentialRunner
from mlflow.tracking import MlflowClient

from loan_default.features import FeatureTransformer
from loan_default.model.registry import registry_at
from loan_default.model.scoring_model import ScoringModel
from loan_default.pipelines import (
    data_engineering,
    modelling,
    monitoring,
    reporting,
    scoring,
)
from tests.pipelines.conftest import project_catalog, train_project

# Run-time figures and timestamps differ between any two runs.
VARYING_KEYS = {"fit_seconds", "created_at", "training_date", "absent_file", "path"}
VARYING_COLUMNS = ["run", "first_run"]  # monitoring trends: run timestamps
VARYING_TEXT = re.compile(r"built \S+|\d{4}-\d\d-\d\dT[\d:.+Z-]+")


@pytest.fixture(scope="module")
def parallel_project(tmp_path_factory, monkeypatch_module):
    # Forked workers hang in OpenMP once this process has trained a model (GNU
    # libgomp is not fork-safe); `kedro run` forks from a parent that never trains.
    monkeypatch_module.setenv("KEDRO_MP_CONTEXT", "spawn")
    return train_project(
        tmp_path_factory.mktemp("parallel"),
        runner=ParallelRunner(max_workers=2),
        catalog_class=SharedMemoryDataCatalog,
    )


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def assert_same(name: str, first: Any, second: Any, applications: pd.DataFrame) -> None:
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(
            first.drop(columns=VARYING_COLUMNS, errors="ignore"),
            second.drop(columns=VARYING_COLUMNS, errors="ignore"),
            obj=name,
        )
    elif isinstance(first, ScoringModel):
        pd.testing.assert_frame_equal(
            first.score(applications).scores, second.score(applications).scores
        )
    elif isinstance(first, dict):
        assert _stable(first) == _stable(second), name
    elif isinstance(first, str):
        assert VARYING_TEXT.sub("", first) == VARYING_TEXT.sub("", second), name
    elif isinstance(first, FeatureTransformer):
        assert first.feature_names_out_ == second.feature_names_out_, name
        assert first.medians_ == second.medians_, name
        assert first.levels_ == second.levels_, name
    else:
        assert first == second, name


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VARYING_KEYS}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def _compare(pipeline, sequential_catalog, parallel_catalog, applications) -> int:
    compared = 0
    for name in sorted(pipeline.all_outputs()):
        if name not in sequential_catalog:
            continue  # kept in memory only
        kind = type(sequential_catalog.get(name)).__name__
        if kind.startswith("Mlflow"):
            continue  # logged to MLflow, nothing to load back
        if "Matplotlib" in kind:
            continue  # figures cannot be loaded back; drawn from the tables compared
        if not sequential_catalog.exists(name):
            continue  # kept in memory only
        assert_same(
            name,
            sequential_catalog.load(name),
            parallel_catalog.load(name),
            applications,
        )
        compared += 1
    return compared


@pytest.mark.slow
@pytest.mark.parametrize(
    "pipeline_name", ["data_engineering", "modelling", "reporting"]
)
def test_training_pipelines_match_sequential(
    pipeline_name, trained_project, parallel_project
):
    algorithms = trained_project.algorithms
    pipeline = {
        "data_engineering": data_engineering.create_pipeline(),
        "modelling": modelling.create_pipeline(algorithms),
        "reporting": reporting.create_pipeline(algorithms),
    }[pipeline_name]
    compared = _compare(
        pipeline,
        trained_project.catalog,
        parallel_project.catalog,
        trained_project.load("application_test"),
    )
    assert compared >= 3


@pytest.fixture(scope="module")
def inference_runs(trained_project, tmp_path_factory, monkeypatch_module):
    """Scoring then monitoring of the same batch under both runners."""
    monkeypatch_module.setenv("KEDRO_MP_CONTEXT", "spawn")
    pipeline = scoring.create_pipeline() + monitoring.create_pipeline()
    upstream = {
        name: trained_project.load(name)
        for name in ("previous_application_validated", "application_test")
    }
    upstream["in_house_history"] = upstream["previous_application_validated"]
    # The registry's champion, as production reads it.
    upstream["production_model"] = trained_project.load("champion_model")
    catalogs = {}
    # Spawned workers inherit MLflow's URI variables: give them a database that
    # exists, so that no two workers create (migrate) one at the same time.
    database = tmp_path_factory.mktemp("registry") / "mlflow.db"
    with registry_at(f"sqlite:///{database}"):
        MlflowClient().search_experiments()
        for label, runner, catalog_class in (
            ("sequential", SequentialRunner(), DataCatalog),
            ("parallel", ParallelRunner(max_workers=2), SharedMemoryDataCatalog),
        ):
            catalog = project_catalog(
                tmp_path_factory.mktemp(label),
                pipeline,
                trained_project.parameters,
                catalog_class,
                **upstream,
            )
            runner.run(pipeline, catalog)
            catalogs[label] = catalog
    return catalogs


@pytest.mark.slow
@pytest.mark.parametrize("pipeline_name", ["scoring", "monitoring"])
def test_inference_pipelines_match_sequential(
    pipeline_name, inference_runs, trained_project
):
    pipeline = {"scoring": scoring, "monitoring": monitoring}[
        pipeline_name
    ].create_pipeline()
    compared = _compare(
        pipeline,
        inference_runs["sequential"],
        inference_runs["parallel"],
        trained_project.load("application_test"),
    )
    assert compared >= 3
