"""A small trained project, without kedro: generated data -> features -> transformer ->
small XGBoost -> the champion artifact, with the datasets scoring and monitoring read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from xgboost import XGBClassifier

from loan_default.features import build_features, to_model_input
from loan_default.model.champion import ChampionModel
from loan_default.pipelines.data_engineering.nodes import (
    fit_feature_transformer,
    split_applicants,
    validate_raw_data,
)
from loan_default.pipelines.reporting.nodes import (
    build_champion_model,
    build_evaluation_table,
    evaluate_on_test,
)
from loan_default.schema import APPLICATION_ID, TARGET
from loan_default.synthetic import generate_loan_data
from tests.project import project_parameters

N_TRAINING_APPLICATIONS = 6_000
MODEL_VERSION = "2030-01-01T00.00.00.000Z"


@dataclass
class TrainedProject:
    """What a ``kedro run`` leaves behind that scoring and monitoring read."""

    champion: ChampionModel
    parameters: dict[str, Any]
    application_validated: pd.DataFrame
    previous_application_validated: pd.DataFrame
    applicant_features: pd.DataFrame
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
            "champion_model": self.champion,
            "previous_application_validated": self.previous_application_validated,
            "applicant_features": self.applicant_features,
            "model_input_test": self.model_input_test,
            **parameters,
        }


def train_small_project(n_applications: int, seed: int) -> TrainedProject:
    parameters = project_parameters()
    data = generate_loan_data(n_applications=n_applications, seed=seed)
    application, previous, source, _ = validate_raw_data(
        {
            "application": data.application,
            "previous_application": data.previous_application,
            "true_default_probability": data.true_default_probability,
            "source": {"kind": "synthetic", "seed": seed},
        },
        parameters["validation"],
    )
    features = build_features(
        application, previous, parameters["cleaning"], parameters["features"]
    )
    train, _, test = split_applicants(features, parameters["split"])
    transformer = fit_feature_transformer(train, parameters["transformer"])
    model_input_train = to_model_input(transformer, train)
    model_input_test = to_model_input(transformer, test)
    estimator = XGBClassifier(
        n_estimators=60, max_depth=3, learning_rate=0.1, n_jobs=2, random_state=0
    ).fit(
        model_input_train.drop(columns=[APPLICATION_ID, TARGET]),
        model_input_train[TARGET],
    )
    predictions_test = pd.DataFrame(
        {
            APPLICATION_ID: model_input_test[APPLICATION_ID],
            TARGET: model_input_test[TARGET],
            "PROBABILITY": estimator.predict_proba(
                model_input_test.drop(columns=[APPLICATION_ID, TARGET])
            )[:, 1],
        }
    )
    threshold_options = parameters["reporting"]["operating_threshold"]
    threshold = float(predictions_test["PROBABILITY"].quantile(0.8))
    evaluation = evaluate_on_test(predictions_test, threshold, threshold_options)
    champion = build_champion_model(
        champion_name="xgboost",
        models={"xgboost": estimator},
        operating_thresholds={"xgboost": threshold},
        test_predictions=predictions_test.assign(model="xgboost"),
        evaluation_results=build_evaluation_table({"xgboost": evaluation}),
        feature_transformer=transformer,
        data_source=source,
        cleaning=parameters["cleaning"],
        features=parameters["features"],
    ).with_model_version(MODEL_VERSION)
    return TrainedProject(
        champion=champion,
        parameters=parameters,
        application_validated=application,
        previous_application_validated=previous,
        applicant_features=features,
        model_input_test=model_input_test,
    )


@pytest.fixture(scope="session")
def trained() -> TrainedProject:
    return train_small_project(N_TRAINING_APPLICATIONS, seed=21)
