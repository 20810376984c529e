"""The champion artifact: scoring, risk deciles, the transformer and persistence."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
from kedro.io import Version
from sklearn.linear_model import LogisticRegression

from loan_default.features import FeatureTransformer, build_features
from loan_default.model.champion import (
    SCORE_COLUMNS,
    ChampionModel,
    ChampionModelDataset,
    assign_risk_deciles,
    risk_decile_edges,
)
from loan_default.synthetic import generate_loan_data
from tests.pipelines.reporting.conftest import make_applicant_features
from tests.project import project_parameters

THRESHOLD = 0.35


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return make_applicant_features(600, seed=5)


@pytest.fixture(scope="module")
def champion(features) -> ChampionModel:
    train, reference = features.iloc[:400], features.iloc[400:]
    transformer = FeatureTransformer().fit(train)
    encoded = transformer.transform(train)
    estimator = LogisticRegression(max_iter=500).fit(encoded, train["TARGET"])
    reference_scores = estimator.predict_proba(transformer.transform(reference))[:, 1]
    return ChampionModel(
        transformer=transformer,
        estimator=estimator,
        threshold=THRESHOLD,
        risk_decile_edges=risk_decile_edges(reference_scores),
        metadata={
            "model_version": "unsaved",
            "algorithm": "logistic",
            "feature_names": list(transformer.feature_names_out_),
        },
    )


def test_risk_deciles_split_scores_into_ten_equal_groups():
    scores = np.linspace(0, 1, 1000)
    deciles = assign_risk_deciles(scores, risk_decile_edges(scores))
    assert deciles.min() == 1
    assert deciles.max() == 10
    assert np.all(np.bincount(deciles)[1:] == 100)
    assert np.all(np.diff(deciles) >= 0)


def test_a_score_on_an_edge_goes_to_the_riskier_decile():
    edges = tuple(np.arange(1, 10) / 10)
    assert assign_risk_deciles([0.0, 0.1, 0.55, 0.9, 1.0], edges).tolist() == [
        1,
        2,
        6,
        10,
        10,
    ]


def test_risk_decile_edges_reject_bad_reference_scores():
    with pytest.raises(ValueError, match="without NaN"):
        risk_decile_edges([0.1, np.nan])
    with pytest.raises(ValueError, match="non-empty"):
        risk_decile_edges([])


def test_score_columns_decision_and_deciles(champion, features):
    reference = features.iloc[400:]
    scores = champion.score(reference)
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["SK_ID_CURR"].tolist() == reference["SK_ID_CURR"].tolist()
    flagged = scores["PROBABILITY"] >= THRESHOLD
    assert (scores["DECISION"] == flagged.astype("int64")).all()
    assert 0 < flagged.sum() < len(scores)
    # The reference scores themselves fill every decile about equally.
    counts = scores["RISK_DECILE"].value_counts()
    assert sorted(counts.index) == list(range(1, 11))
    assert counts.min() >= 18
    assert (scores["MODEL_VERSION"] == "unsaved").all()
    riskiest = scores.loc[scores["RISK_DECILE"] == 10, "PROBABILITY"].min()
    safest = scores.loc[scores["RISK_DECILE"] == 1, "PROBABILITY"].max()
    assert riskiest > safest


def test_predict_proba_applies_the_fitted_transformer_without_refitting(
    champion, features
):
    before = copy.deepcopy(champion.transformer.__dict__)
    # Unseen text level and shifted numbers: a refit would learn new levels/medians.
    new = features.iloc[:50].assign(
        CHANNEL=pd.array(["kiosk"] * 50, dtype="string"),
        AMT_INCOME_TOTAL=features["AMT_INCOME_TOTAL"].iloc[:50] * 100,
    )
    probability = champion.predict_proba(new)
    expected = champion.estimator.predict_proba(champion.transformer.transform(new))
    np.testing.assert_allclose(probability, expected[:, 1])
    after = champion.transformer.__dict__
    assert after.keys() == before.keys()
    assert after["medians_"] == before["medians_"]
    assert after["levels_"] == before["levels_"]
    assert after["feature_names_out_"] == before["feature_names_out_"]


def test_predict_proba_of_no_rows(champion, features):
    assert champion.predict_proba(features.iloc[0:0]).shape == (0,)


def test_score_needs_the_applicant_key(champion, features):
    with pytest.raises(ValueError, match="must carry the applicant key SK_ID_CURR"):
        champion.score(features.drop(columns="SK_ID_CURR"))


def test_estimator_features_missing_from_the_transformer_output(champion, features):
    broken = dataclasses.replace(
        champion, metadata={**champion.metadata, "feature_names": ["NOT_A_FEATURE"]}
    )
    with pytest.raises(ValueError, match=r"lacks 1 columns .* \['NOT_A_FEATURE'\]"):
        broken.predict_proba(features)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"threshold": 1.5}, r"threshold must lie in \[0, 1\]; got 1.5"),
        (
            {"metadata": {"algorithm": "x"}},
            "lacks \\['feature_names', 'model_version'\\]",
        ),
        ({"risk_decile_edges": (0.5,)}, "need 9 edges; got 1"),
    ],
)
def test_inconsistent_champion_is_rejected(champion, change, message):
    fields = {
        "transformer": champion.transformer,
        "estimator": champion.estimator,
        "threshold": champion.threshold,
        "risk_decile_edges": champion.risk_decile_edges,
        "metadata": champion.metadata,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        ChampionModel(**fields)


def test_dataset_round_trip_stamps_the_save_version(champion, features, tmp_path):
    version = "2030-01-02T03.04.05.678Z"
    dataset = ChampionModelDataset(
        filepath=str(tmp_path / "champion_model.pkl"),
        backend="joblib",
        version=Version(None, version),
    )
    dataset.save(champion)
    assert (tmp_path / "champion_model.pkl" / version / "champion_model.pkl").exists()
    loaded = ChampionModelDataset(
        filepath=str(tmp_path / "champion_model.pkl"),
        backend="joblib",
        version=Version(None, None),
    ).load()
    assert isinstance(loaded, ChampionModel)
    assert loaded.model_version == version
    assert champion.model_version == "unsaved"  # the saved copy was stamped, not this
    expected = champion.score(features).assign(MODEL_VERSION=version)
    pd.testing.assert_frame_equal(loaded.score(features), expected)


def test_dataset_refuses_other_objects(tmp_path):
    dataset = ChampionModelDataset(
        filepath=str(tmp_path / "model.pkl"), backend="joblib"
    )
    with pytest.raises(Exception, match="holds a ChampionModel; got dict"):
        dataset.save({"not": "a model"})


def test_scoring_raw_applications_builds_features_as_training_did(champion):
    parameters = project_parameters()
    feature_parameters = {
        "cleaning": parameters["cleaning"],
        "features": parameters["features"],
    }
    trained = dataclasses.replace(champion, feature_parameters=feature_parameters)
    raw = generate_loan_data(n_applications=50, seed=11)
    application = raw.application.drop(columns="TARGET")

    scores = trained.score_applications(application, raw.previous_application)

    expected = trained.score(
        build_features(
            application,
            raw.previous_application,
            feature_parameters["cleaning"],
            feature_parameters["features"],
        )
    )
    pd.testing.assert_frame_equal(scores, expected)
    without_history = trained.score_applications(application.iloc[:3])
    assert (
        without_history["SK_ID_CURR"].tolist()
        == application["SK_ID_CURR"].iloc[:3].tolist()
    )
