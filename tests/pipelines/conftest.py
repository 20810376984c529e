"""A small project trained by the real pipelines: generated raw data through
data_engineering and modelling, over the project's own catalog (files under a
temporary folder) and parameters, with small algorithm blocks."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from loan_default.model.registry import apply_pending_aliases, registry_at
from loan_default.pipelines import data_engineering, modelling, reporting
from loan_default.synthetic import generate_loan_data
from tests.pipelines.algorithms import SMALL_ALGORITHMS
from tests.project import PROJECT_ROOT, project_parameters

SAVE_VERSION = "2030-01-02T03.04.05.678Z"
N_APPLICATIONS = 4_000


def small_parameters() -> dict[str, Any]:
    parameters = copy.deepcopy(project_parameters())
    parameters["algorithms"] = copy.deepcopy(SMALL_ALGORITHMS)
    return parameters


def parameter(parameters: dict[str, Any], name: str) -> Any:
    """The value of ``params:a.b.c``."""
    value: Any = parameters
    for key in name.removeprefix("params:").split("."):
        value = value[key]
    return value


def catalog_config(data_root: Path) -> dict[str, Any]:
    """The project's base catalog, writing under ``data_root`` instead of data/."""
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )
    config = copy.deepcopy(loader["catalog"])
    for entry in config.values():
        for key in (
            "filepath",
            "application_filepath",
            "previous_application_filepath",
        ):
            if isinstance(entry.get(key), str) and entry[key].startswith("data/"):
                entry[key] = f"{data_root}/{entry[key]}"
    return config


def project_catalog(
    data_root: Path,
    pipeline: Pipeline,
    parameters: dict[str, Any],
    catalog_class: type = DataCatalog,
    **datasets: Any,
) -> Any:
    """The project's catalog under ``data_root`` with the pipeline's parameters and
    the given datasets in memory."""
    catalog = catalog_class.from_config(
        catalog_config(data_root), save_version=SAVE_VERSION
    )
    for name in pipeline.inputs():
        if name.startswith("params:"):
            catalog[name] = MemoryDataset(parameter(parameters, name))
    for name, value in datasets.items():
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    return catalog


def training_pipeline(algorithms: list[str]) -> Pipeline:
    return data_engineering.create_pipeline() + modelling.create_pipeline(algorithms)


def raw_loan_data(n_applications: int, seed: int) -> dict[str, Any]:
    data = generate_loan_data(n_applications=n_applications, seed=seed)
    return {
        "application": data.application,
        "previous_application": data.previous_application,
        "true_default_probability": data.true_default_probability,
        "source": {"kind": "synthetic", "seed": seed},
    }


@dataclass
class TrainedProject:
    """What ``kedro run`` leaves behind: its catalog and the folder it writes in."""

    catalog: Any
    data_root: Path
    parameters: dict[str, Any]
    algorithms: list[str]

    def load(self, name: str) -> Any:
        return self.catalog.load(name)


def train_project(
    data_root: Path,
    *,
    n_applications: int = N_APPLICATIONS,
    seed: int = 21,
    runner: Any = None,
    catalog_class: type = DataCatalog,
    with_reporting: bool = True,
) -> TrainedProject:
    parameters = small_parameters()
    algorithms = list(parameters["algorithms"])
    pipeline = training_pipeline(algorithms)
    if with_reporting:
        pipeline += reporting.create_pipeline(algorithms)
    catalog = project_catalog(
        data_root,
        pipeline,
        parameters,
        catalog_class,
        raw_loan_data=raw_loan_data(n_applications, seed),
    )
    # As kedro-mlflow sets it up for a run: the project's registry in a SQLite
    # database under the data folder, and an active MLflow run to log into.
    with registry_at(f"sqlite:///{data_root}/mlflow.db"):
        experiment = mlflow.create_experiment(
            "loan_default", artifact_location=(data_root / "mlartifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment) as run:
            (runner or SequentialRunner()).run(pipeline, catalog)
            # What the project's hooks do once a run's files are committed.
            apply_pending_aliases(parameters["registry"]["model_name"], run.info.run_id)
    return TrainedProject(catalog, data_root, parameters, algorithms)


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory) -> TrainedProject:
    return train_project(tmp_path_factory.mktemp("project"))
