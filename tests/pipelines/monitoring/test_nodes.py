"""Monitoring nodes: reference, joining the batch, the champion's test metrics."""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from loan_default.monitoring import MonitoringActAlertError
from loan_default.pipelines.monitoring.nodes import (
    build_reference,
    check_act_alerts,
    join_batch_scores,
    monitor_scored_batch,
    reference_performance,
)
from loan_default.schema import APPLICATION_ID, TARGET


@pytest.fixture(scope="module")
def reference(trained) -> pd.DataFrame:
    return build_reference(
        trained.applicant_features, trained.model_input_test, trained.champion
    )


@pytest.fixture(scope="module")
def batch(trained):
    """Some training applicants' features scored again, as scoring leaves them."""
    features = trained.applicant_features.head(400).drop(columns=TARGET)
    return features, trained.champion.score(features)


def test_reference_is_the_test_applicants_with_champion_scores(trained, reference):
    assert sorted(reference[APPLICATION_ID]) == sorted(
        trained.model_input_test[APPLICATION_ID]
    )
    assert {"PROBABILITY", "DECISION", "RISK_DECILE"} <= set(reference.columns)
    assert "MODEL_VERSION" not in reference.columns  # text, but not a feature
    # The decile edges were cut on these very scores.
    shares = reference["RISK_DECILE"].value_counts(normalize=True)
    assert shares.between(0.08, 0.12).all()


def test_reference_from_another_run_is_refused(trained):
    other_run = trained.model_input_test.assign(
        **{APPLICATION_ID: trained.model_input_test[APPLICATION_ID] + 10**7}
    )
    with pytest.raises(ValueError, match="different runs; run `kedro run` again"):
        build_reference(trained.applicant_features, other_run, trained.champion)


def test_batch_features_and_scores_must_belong_together(trained, batch):
    features, scores = batch
    joined = join_batch_scores(features, scores, trained.champion)
    assert joined["PROBABILITY"].tolist() == scores["PROBABILITY"].tolist()
    with pytest.raises(ValueError, match="different scoring runs"):
        join_batch_scores(features, scores.iloc[::-1], trained.champion)
    stale = scores.assign(MODEL_VERSION="2029-12-31T00.00.00.000Z")
    with pytest.raises(ValueError, match=r"\['2029-12-31T00.00.00.000Z'\].*scoring"):
        join_batch_scores(features, stale, trained.champion)


def test_reference_performance_uses_the_operating_threshold_metrics(trained):
    metrics_test = trained.champion.metadata["metrics_test"]
    reference = reference_performance(trained.champion.metadata)
    assert reference["roc_auc"] == metrics_test["AUC"]
    assert reference["gini"] == metrics_test["Gini"]
    assert reference["recall"] == metrics_test["Recall at threshold"]
    assert reference["flagged_share"] == metrics_test["Flagged share at threshold"]
    assert reference_performance({}) == {}


def test_an_estimator_without_contributions_skips_importance(
    trained, reference, batch, caplog
):
    features, _ = batch
    linear = LogisticRegression(max_iter=200).fit(
        trained.model_input_test.drop(columns=[APPLICATION_ID, TARGET]),
        trained.model_input_test[TARGET],
    )
    champion = dataclasses.replace(trained.champion, estimator=linear)
    current = join_batch_scores(features, champion.score(features), champion)
    with caplog.at_level(logging.WARNING):
        results = monitor_scored_batch(
            reference, current, champion, trained.parameters["monitoring"]
        )
    assert "importance" not in results
    assert "drift" in results
    assert "Importance stability and client profile skipped" in caplog.text


def test_check_act_alerts_raises_only_when_asked():
    document = {
        "alerts": [
            {
                "name": "feature_drift_X",
                "severity": "act",
                "source": "drift",
                "feature": "X",
                "statistic": "psi",
                "observed": 0.4,
                "rule": "psi >= 0.25",
            }
        ]
    }
    check_act_alerts(document, fail_on_act=False)
    check_act_alerts({"alerts": []}, fail_on_act=True)
    with pytest.raises(
        MonitoringActAlertError, match=r"X: psi = 0.4 breaks psi >= 0.25"
    ):
        check_act_alerts(document, fail_on_act=True)
