"""The one inference object: raw applications in; probability, decision, decile and
reason codes out; its decision rule, the booster route and its saved artifact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xgboost

from loan_default.features import build_features
from loan_default.model.calibration import PriorCorrectedClassifier
from loan_default.model.explanations import model_contributions
from loan_default.model.scoring_model import (
    SCORE_COLUMNS,
    assign_risk_deciles,
    reason_columns,
    risk_decile_edges,
)
from tests.conftest import THRESHOLD


@pytest.fixture(scope="module")
def applications(raw_data) -> pd.DataFrame:
    return raw_data.application.drop(columns="TARGET").iloc[:300]


def test_risk_deciles_split_scores_into_ten_equal_groups():
    scores = np.linspace(0, 1, 1000)
    deciles = assign_risk_deciles(scores, risk_decile_edges(scores))
    assert deciles.min() == 1
    assert deciles.max() == 10
    assert np.all(np.bincount(deciles)[1:] == 100)
    assert np.all(np.diff(deciles) >= 0)


def test_a_score_on_an_edge_goes_to_the_riskier_decile():
    edges = tuple(np.arange(1, 10) / 10)
    deciles = assign_risk_deciles([0.0, 0.1, 0.55, 0.9, 1.0], edges)
    assert deciles.tolist() == [1, 2, 6, 10, 10]


def test_risk_decile_edges_reject_bad_reference_scores():
    with pytest.raises(ValueError, match="without NaN"):
        risk_decile_edges([0.1, np.nan])
    with pytest.raises(ValueError, match="non-empty"):
        risk_decile_edges([])


def test_score_raw_applications(champion, raw_data, applications):
    scored = champion.score(applications, raw_data.previous_application)
    scores = scored.scores
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["SK_ID_CURR"].tolist() == applications["SK_ID_CURR"].tolist()
    flagged = scores["PROBABILITY"] >= THRESHOLD
    assert (scores["DECISION"] == flagged.astype("int64")).all()
    assert sorted(scores["RISK_DECILE"].unique()) == list(range(1, 11))
    assert (scores["MODEL_VERSION"] == "test-version").all()
    assert list(scored.features["SK_ID_CURR"]) == list(applications["SK_ID_CURR"])


def test_the_feature_path_is_training_s(champion, raw_data, applications):
    """The object builds features with the same functions as data engineering."""
    parameters = champion.feature_parameters
    expected = build_features(
        applications,
        raw_data.previous_application,
        parameters["cleaning"],
        parameters["features"],
    )
    pd.testing.assert_frame_equal(
        champion.features(applications, raw_data.previous_application), expected
    )
    probability = champion.predict_proba(applications, raw_data.previous_application)
    wrapped = champion.estimator.predict_proba(champion.transformer.transform(expected))
    np.testing.assert_array_equal(probability, wrapped[:, 1])


def test_history_of_other_applicants_is_ignored(champion, raw_data, applications):
    alone = champion.predict_proba(applications.iloc[:5], raw_data.previous_application)
    among_all = champion.predict_proba(applications, raw_data.previous_application)
    np.testing.assert_array_equal(alone, among_all[:5])


def test_no_rows(champion, applications):
    assert champion.predict_proba(applications.iloc[0:0]).shape == (0,)
    assert len(champion.score(applications.iloc[0:0]).scores) == 0


def test_score_needs_the_applicant_key(champion, applications):
    with pytest.raises(ValueError, match=r"required column\(s\) \['SK_ID_CURR'\]"):
        champion.score(applications.drop(columns="SK_ID_CURR"))


def test_a_model_without_decision_rule_gives_probabilities_only(champion, applications):
    bare = dataclasses.replace(champion, threshold=None, risk_decile_edges=None)
    assert bare.predict_proba(applications).shape == (len(applications),)
    with pytest.raises(ValueError, match="no decision rule yet"):
        bare.score(applications)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"threshold": 1.5}, r"threshold must lie in \[0, 1\]; got 1.5"),
        ({"feature_parameters": {"cleaning": {}}}, r"lacks \['features'\]"),
        ({"risk_decile_edges": (0.5,)}, "need 9 edges; got 1"),
    ],
)
def test_inconsistent_model_is_rejected(champion, change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(champion, **change)


def test_reason_codes_are_exact_treeshap(champion, applications):
    """Each reason's contribution is the sum of its encoded columns' exact TreeSHAP
    values, which with the bias add up to the applicant's log-odds."""
    scored = champion.score(applications.iloc[:20], reason_codes=50)
    encoded = champion.encode(scored.features)
    matrix = xgboost.DMatrix(encoded.to_numpy())
    booster = champion.estimator.get_booster()
    exact = booster.predict(matrix, pred_contribs=True, validate_features=False)
    margin = booster.predict(matrix, output_margin=True, validate_features=False)
    np.testing.assert_allclose(exact.sum(axis=1), margin, rtol=1e-5, atol=1e-5)
    grouped = champion.explainer.grouped_contributions(encoded)
    np.testing.assert_allclose(
        grouped.sum(axis=1), exact[:, :-1].sum(axis=1), atol=1e-5
    )
    approximate = model_contributions(champion.estimator, encoded).to_numpy()
    assert not np.allclose(approximate, exact[:, :-1])  # the approximation differs
    for row, reasons in enumerate(scored.reason_codes):
        contributions = [reason["contribution"] for reason in reasons]
        assert all(c > 0 for c in contributions)
        assert contributions == sorted(contributions, reverse=True)
        by_source = dict(zip(champion.explainer.sources, grouped[row], strict=True))
        for reason in reasons:
            assert reason["contribution"] == pytest.approx(by_source[reason["feature"]])


def test_reason_columns_name_the_features(champion, applications):
    scored = champion.score(applications.iloc[:10], reason_codes=4)
    table = reason_columns(scored.reason_codes, 4)
    assert list(table.columns) == [
        *(f"REASON_{rank}" for rank in range(1, 5)),
        *(f"REASON_{rank}_STATEMENT" for rank in range(1, 5)),
    ]
    assert table["REASON_1"].tolist() == [
        reasons[0]["feature"] if reasons else None for reasons in scored.reason_codes
    ]
    # Each statement is the one the model carries for that row's feature.
    for rank in range(1, 5):
        for feature, statement in zip(
            table[f"REASON_{rank}"], table[f"REASON_{rank}_STATEMENT"], strict=True
        ):
            if pd.isna(feature):
                assert pd.isna(statement)
            else:
                assert statement == champion.reason_statements[feature]


@pytest.mark.parametrize("which", ["champion", "tree_champion", "scorecard_champion"])
def test_reasons_are_at_most_the_number_asked_and_all_raised_the_risk(
    which, request, applications
):
    model = request.getfixturevalue(which)
    scored = model.score(applications.iloc[:40], reason_codes=4)
    assert any(scored.reason_codes)
    for reasons in scored.reason_codes:
        assert len(reasons) <= 4
        assert all(reason["contribution"] > 0 for reason in reasons)
        assert all(
            reason["statement"] == model.reason_statements[reason["feature"]]
            for reason in reasons
        )


def test_scorecard_reasons_are_points_below_the_best_bins(
    scorecard_champion, applications
):
    model = scorecard_champion
    features = model.features(applications.iloc[:20])
    encoded = model.encode(features)
    shortfall = model.estimator.contributions(encoded)
    grouped = model.explainer.grouped_contributions(encoded)
    np.testing.assert_allclose(grouped.sum(axis=1), shortfall.sum(axis=1))
    scored = model.score(applications.iloc[:20], reason_codes=4)
    for row, reasons in enumerate(scored.reason_codes):
        by_statement: dict[str, float] = {}
        for source, value in zip(model.explainer.sources, grouped[row], strict=True):
            key = model.reason_statements[source]
            by_statement[key] = max(by_statement.get(key, -np.inf), value)
        expected = sorted((v for v in by_statement.values() if v > 0), reverse=True)
        np.testing.assert_allclose([r["contribution"] for r in reasons], expected[:4])
        for reason in reasons:  # each the points of its own characteristic
            position = model.explainer.sources.index(reason["feature"])
            assert reason["contribution"] == pytest.approx(grouped[row, position])


@pytest.mark.parametrize("missing", [np.nan, -999.0])
def test_booster_probabilities_equal_the_wrapped_classifiers(
    champion, applications, missing
):
    """Early stopping (fewer trees than fitted), prior correction, another missing
    value: the booster route answers what predict_proba does, bit for bit."""
    encoded = champion.encode(champion.feature_columns(applications))
    encoded.iloc[::5, :3] = -999.0  # missing for one of the models
    labels = np.random.default_rng(0).random(len(encoded)) < 0.3
    model = xgboost.XGBClassifier(
        n_estimators=60,
        max_depth=3,
        early_stopping_rounds=3,
        missing=missing,
        n_jobs=1,
        random_state=0,
    ).fit(
        encoded.iloc[:200],
        labels[:200],
        eval_set=[(encoded.iloc[200:], labels[200:])],  # random labels: stops early
        verbose=False,
    )
    assert model.best_iteration < 59
    for estimator in (model, PriorCorrectedClassifier(model, positive_weight=4.0)):
        wrapped = dataclasses.replace(champion, estimator=estimator)
        expected = estimator.predict_proba(encoded.to_numpy())[:, 1].astype("float64")
        matrix = xgboost.DMatrix(encoded.to_numpy(), missing=missing)
        np.testing.assert_array_equal(wrapped._probability(encoded, matrix), expected)


@pytest.mark.parametrize("route", ["matrix", "frame"])
def test_contributions_check_the_feature_names(champion, applications, route):
    encoded = champion.encode(champion.feature_columns(applications.iloc[:5]))
    encoded = encoded.rename(columns=lambda name: f"x_{name}")
    if route == "frame":  # a column that is not float64 takes xgboost's own route
        encoded = encoded.astype({encoded.columns[0]: "float32"})
    with pytest.raises(ValueError, match="feature_names mismatch"):
        model_contributions(champion.estimator, encoded)
