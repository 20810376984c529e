"""Small fitted models and their predictions, as modelling and data engineering
leave them, for the reporting tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from loan_default.features import FeatureTransformer, to_model_input
from loan_default.model.scoring_model import ScoringModel
from loan_default.schema import APPLICATION, APPLICATION_ID, TARGET
from tests.project import project_parameters

N_APPLICANTS = 900
ALGORITHMS = ("logistic", "tree")
"""A tree (has feature_importances_) and a linear model (permutation importance)."""


def make_applicant_features(n_rows: int, seed: int) -> pd.DataFrame:
    """Applicant features with a text column and gaps, ~15% defaults."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 1, n_rows)
    income = rng.lognormal(11, 0.5, n_rows)
    channel = rng.choice(["web", "branch", "phone"], n_rows)
    logit = -1.0 - 3.0 * (score - 0.5) + 0.5 * (channel == "phone")
    target = (rng.uniform(0, 1, n_rows) < 1 / (1 + np.exp(-logit))).astype("int64")
    score[rng.uniform(0, 1, n_rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            APPLICATION_ID: np.arange(200_000, 200_000 + n_rows),
            TARGET: target,
            "EXT_SOURCE_2": score,
            "AMT_INCOME_TOTAL": income,
            "CHANNEL": pd.array(channel, dtype="string"),
        }
    )


def make_application_clean(applicant_ids: np.ndarray, seed: int) -> pd.DataFrame:
    """The columns reporting segments by, with values the schema allows."""
    rng = np.random.default_rng(seed)
    n_rows = len(applicant_ids)
    columns = {APPLICATION_ID: applicant_ids}
    for name in ("CODE_GENDER", "NAME_CONTRACT_TYPE", "NAME_INCOME_TYPE"):
        levels = list(APPLICATION[name].categories)[:3]
        columns[name] = pd.array(rng.choice(levels, n_rows), dtype="string")
    columns["DAYS_BIRTH"] = -rng.integers(21 * 365, 69 * 365, n_rows)
    return pd.DataFrame(columns)


def predictions_of(model, model_input: pd.DataFrame) -> pd.DataFrame:
    features = model_input.drop(columns=[APPLICATION_ID, TARGET])
    return pd.DataFrame(
        {
            APPLICATION_ID: model_input[APPLICATION_ID].to_numpy(),
            TARGET: model_input[TARGET].to_numpy(),
            "PROBABILITY": model.predict_proba(features)[:, 1],
        }
    )


@pytest.fixture(scope="session")
def reporting_parameters() -> dict:
    return project_parameters()["reporting"]


@pytest.fixture(scope="session")
def upstream() -> dict:
    """Every dataset the reporting pipeline reads, keyed by its catalog name."""
    features = make_applicant_features(N_APPLICANTS, seed=1)
    half, three_quarters = N_APPLICANTS // 2, 3 * N_APPLICANTS // 4
    train = features.iloc[:half]
    validation = features.iloc[half:three_quarters]
    test = features.iloc[three_quarters:]
    transformer = FeatureTransformer().fit(train)
    inputs = {
        name: to_model_input(transformer, part)
        for name, part in (("train", train), ("validation", validation), ("test", test))
    }
    estimators = {
        "logistic": LogisticRegression(max_iter=500),
        "tree": DecisionTreeClassifier(
            max_depth=3, min_samples_leaf=20, random_state=0
        ),
    }
    datasets = {
        "feature_transformer": transformer,
        "model_input_train": inputs["train"],
        "model_input_test": inputs["test"],
        "application_clean": make_application_clean(
            features[APPLICATION_ID].to_numpy(), seed=2
        ),
        "data_source": {
            "kind": "synthetic",
            "seed": 1,
            "n_applications": N_APPLICANTS,
            "n_previous_applications": 0,
        },
        "true_default_probability": pd.DataFrame(
            {
                APPLICATION_ID: features[APPLICATION_ID],
                "TRUE_PD": np.clip(
                    0.15
                    + 0.1 * features[TARGET]
                    + 0.05 * np.sin(np.arange(N_APPLICANTS)),
                    0,
                    1,
                ),
            }
        ),
    }
    for name, estimator in estimators.items():
        training = inputs["train"]
        estimator.fit(training.drop(columns=[APPLICATION_ID, TARGET]), training[TARGET])
        datasets[f"{name}.model"] = ScoringModel(
            transformer=transformer,
            estimator=estimator,
            feature_parameters={"cleaning": {}, "features": {}},
        )
        datasets[f"{name}.predictions_validation"] = predictions_of(
            estimator, inputs["validation"]
        )
        datasets[f"{name}.predictions_test"] = predictions_of(estimator, inputs["test"])
    datasets["applicant_features_test"] = test.reset_index(drop=True)
    return datasets
