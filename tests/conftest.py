"""Fixtures shared across the suite: small champions trained in seconds on
generated data."""

from __future__ import annotations

import os
from pathlib import Path

# The test workers share the cores: OpenMP threads that spin while they wait (its
# default) would starve the other worker's XGBoost fits. Set before XGBoost loads
# OpenMP, and inherited by every `kedro run` a test starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pandas as pd
import pytest
import xgboost
from kedro.io import Version
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from loan_default.features import FeatureTransformer, build_features
from loan_default.model.artifact import ScoringModelDataset
from loan_default.model.explanations import source_feature_names
from loan_default.model.reason_statements import resolve_statements
from loan_default.model.scorecard import WoEScorecard
from loan_default.model.scoring_model import ScoringModel
from loan_default.schema import TARGET
from loan_default.synthetic import generate_loan_data
from tests.project import project_parameters
from tests.trained import train_project

THRESHOLD = 0.3


@pytest.fixture(scope="session")
def raw_data():
    return generate_loan_data(1500, seed=11)


@pytest.fixture(scope="session")
def new_applications(raw_data) -> pd.DataFrame:
    """Applications to score: raw rows without TARGET."""
    return raw_data.application.drop(columns=[TARGET]).iloc[:200]


def _champion(raw_data, estimator, algorithm: str) -> ScoringModel:
    """A model fitted as modelling fits one, on the raw tables' features."""
    parameters = project_parameters()
    features = build_features(
        raw_data.application,
        raw_data.previous_application,
        parameters["cleaning"],
        parameters["features"],
    )
    transformer = FeatureTransformer(
        parameters["transformer"]["min_category_frequency"]
    ).fit(features)
    estimator.fit(transformer.transform(features), features[TARGET])
    sources = source_feature_names(transformer, list(transformer.feature_names_out_))
    model = ScoringModel(
        transformer=transformer,
        estimator=estimator,
        feature_parameters={
            "cleaning": parameters["cleaning"],
            "features": parameters["features"],
        },
        metadata={
            "model_version": "test-version",
            "algorithm": algorithm,
            "estimator": type(estimator).__name__,
            "metrics_test": {"AUC": 0.7, "Brier score": float("nan")},
            "data_source": {"kind": "synthetic", "seed": 11},
            "training_date": "2025-01-01",
        },
        reason_statements=resolve_statements(
            dict.fromkeys(sources), parameters["reason_statements"]
        ),
    )
    reference = model.predict_proba(raw_data.application, raw_data.previous_application)
    return model.with_decision_rule(THRESHOLD, reference)


@pytest.fixture(scope="session")
def champion(raw_data) -> ScoringModel:
    estimator = xgboost.XGBClassifier(
        n_estimators=40, max_depth=3, learning_rate=0.2, n_jobs=1, random_state=0
    )
    return _champion(raw_data, estimator, "xgboost")


@pytest.fixture(scope="session")
def tree_champion(raw_data) -> ScoringModel:
    estimator = DecisionTreeClassifier(max_depth=4, min_samples_leaf=30, random_state=0)
    return _champion(raw_data, estimator, "decision_tree")


@pytest.fixture(scope="session")
def scorecard_champion(raw_data) -> ScoringModel:
    estimator = WoEScorecard(max_n_prebins=5, max_n_characteristics=8)
    return _champion(raw_data, estimator, "scorecard")


@pytest.fixture(scope="session")
def logistic_champion(raw_data) -> ScoringModel:
    return _champion(raw_data, LogisticRegression(max_iter=300), "logistic")


@pytest.fixture(scope="session")
def saved_champion(champion, tmp_path_factory) -> Path:
    """The versioned dataset folder, as ``kedro run`` leaves it."""
    folder = tmp_path_factory.mktemp("models") / "champion_model"
    ScoringModelDataset(filepath=str(folder), version=Version(None, None)).save(
        champion
    )
    return folder


@pytest.fixture(scope="session")
def trained_small_project(tmp_path_factory) -> Path:
    """A project copy after one small ``kedro run``, made once per session. Tests
    that change a project work on a copy of it (``tests.trained.copy_project``);
    its MLflow experiment keeps this folder's artifact location."""
    return train_project(tmp_path_factory.mktemp("trained"))
