"""A small trained project, made by the real data_engineering and modelling
pipelines, with the datasets scoring and monitoring read."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from loan_default.model.scoring_model import ScoringModel
from tests.pipelines.conftest import train_project

N_TRAINING_APPLICATIONS = 4_000


@dataclass
class TrainedProject:
    """What a ``kedro run`` leaves behind that scoring and monitoring read."""

    champion: ScoringModel
    parameters: dict[str, Any]
    application_validated: pd.DataFrame
    previous_application_validated: pd.DataFrame
    applicant_features: pd.DataFrame
    application_test: pd.DataFrame
    model_input_test: pd.DataFrame

    def catalog_inputs(self) -> dict[str, Any]:
        """Datasets by catalog name, parameters as ``params:`` entries."""
        parameters = {
            f"params:{name}": value for name, value in self.parameters.items()
        }
        for block in ("scoring", "monitoring"):
            for key, value in self.parameters[block].items():
                parameters[f"params:{block}.{key}"] = value
        return {
            # The registry's champion, as production reads it.
            "production_model": self.champion,
            "previous_application_validated": self.previous_application_validated,
            # Scoring looks the history up by key; a table in memory answers too.
            "in_house_history": self.previous_application_validated,
            "applicant_features": self.applicant_features,
            "application_test": self.application_test,
            "model_input_test": self.model_input_test,
            **parameters,
        }


def train_small_project(n_applications: int, seed: int) -> TrainedProject:
    project = train_project(
        Path(tempfile.mkdtemp(prefix="trained-")),
        n_applications=n_applications,
        seed=seed,
        with_reporting=False,
    )
    load = project.load
    return TrainedProject(
        champion=load("champion_model"),
        parameters=project.parameters,
        application_validated=load("application_validated"),
        previous_application_validated=load("previous_application_validated"),
        applicant_features=load("applicant_features"),
        application_test=load("application_test"),
        model_input_test=load("model_input_test"),
    )


@pytest.fixture(scope="session")
def trained() -> TrainedProject:
    return train_small_project(N_TRAINING_APPLICATIONS, seed=21)
