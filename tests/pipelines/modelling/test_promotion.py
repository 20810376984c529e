"""The promotion gate's nodes: both models scored on the same validation rows,
the margin, the first model, and the run's metrics and tags for MLflow."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from loan_default.model.registry import CHALLENGER, CHAMPION
from loan_default.pipelines.modelling.promotion import (
    PromotionConfigError,
    data_source_tags,
    decide_promotion,
    registration_request,
    tracked_metrics,
)
from loan_default.schema import TARGET

GATE = {"metric": "AUC", "min_gain": 0.002}


@pytest.fixture(scope="module")
def validation(raw_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    return raw_data.application.iloc[500:], raw_data.previous_application


def _auc(model, validation) -> float:
    applications, previous = validation
    probability = model.predict_proba(applications.drop(columns=[TARGET]), previous)
    return roc_auc_score(applications[TARGET], probability)


def test_the_first_model_ever_is_promoted(champion, validation):
    decision = decide_promotion(champion, None, *validation, GATE)
    assert decision["promoted"] and decision["alias"] == CHAMPION
    assert decision["incumbent"] is None
    assert decision["candidate"]["score"] == pytest.approx(_auc(champion, validation))
    assert "first registered model" in decision["reason"]


def test_both_models_are_scored_on_the_same_validation_rows(
    champion, tree_champion, validation
):
    incumbent = tree_champion.with_metadata(registered_version=3)
    decision = decide_promotion(champion, incumbent, *validation, GATE)
    candidate_auc, incumbent_auc = (
        _auc(champion, validation),
        _auc(tree_champion, validation),
    )
    assert decision["candidate"]["score"] == pytest.approx(candidate_auc)
    assert decision["incumbent"]["score"] == pytest.approx(incumbent_auc)
    assert decision["incumbent"]["registered_version"] == 3
    assert decision["gain"] == pytest.approx(candidate_auc - incumbent_auc)
    assert decision["promoted"] == (candidate_auc - incumbent_auc >= GATE["min_gain"])


def test_a_candidate_that_does_not_beat_the_champion_by_the_margin_is_the_challenger(
    champion, validation, caplog
):
    incumbent = champion.with_metadata(registered_version=1)
    decision = decide_promotion(champion, incumbent, *validation, GATE)
    assert not decision["promoted"] and decision["alias"] == CHALLENGER
    assert decision["gain"] == 0.0
    assert "does not beat champion version 1" in decision["reason"]
    assert "required 0.0020" in decision["reason"]
    assert "Promotion gate: candidate" in caplog.text


def test_a_zero_margin_promotes_an_equal_model(champion, validation):
    incumbent = champion.with_metadata(registered_version=1)
    decision = decide_promotion(
        champion, incumbent, *validation, {"metric": "AUC", "min_gain": 0.0}
    )
    assert decision["promoted"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metric": "Gini", "min_gain": 0.0}, "promotion.metric"),
        ({"metric": "AUC", "min_gain": -0.01}, "promotion.min_gain"),
        ({"metric": "AUC", "min_gain": True}, "promotion.min_gain"),
        ({"metric": "AUC", "min_gain": math.nan}, "promotion.min_gain"),
        ({"metric": "AUC"}, "promotion.min_gain"),
    ],
)
def test_bad_gate_parameters_are_refused(champion, validation, options, message):
    with pytest.raises(PromotionConfigError, match=message):
        decide_promotion(champion, None, *validation, options)


def test_tracked_metrics_name_each_algorithm_and_metric():
    results = pd.DataFrame(
        {"model": ["xgboost", "scorecard"], "AUC": [0.78, 0.75], "KS": [0.4, math.nan]}
    )
    assert tracked_metrics(results) == {
        "xgboost.AUC": {"value": 0.78, "step": 0},
        "xgboost.KS": {"value": 0.4, "step": 0},
        "scorecard.AUC": {"value": 0.75, "step": 0},
    }


def test_data_source_tags_give_the_seed_or_each_file_sha256():
    assert data_source_tags({"kind": "synthetic", "seed": 42}) == {
        "data_source.kind": "synthetic",
        "data_source.seed": "42",
    }
    tags = data_source_tags(
        {
            "kind": "files",
            "files": [{"file": "application_data.csv", "sha256": "ab12"}],
        }
    )
    assert tags["data_source.files.application_data.csv.sha256"] == "ab12"


def test_registration_request_records_raw_rows_without_the_label(champion, validation):
    applications = validation[0]
    decision = decide_promotion(champion, None, *validation, GATE)
    request = registration_request(
        champion, decision, applications, {"seed": 1}, {"input_example_rows": 4}
    )
    assert request.alias == CHAMPION and request.model is champion
    assert len(request.input_example) == 4 and TARGET not in request.input_example
    assert request.tags["validation_AUC"] == decision["candidate"]["score"]
    assert request.tags["data_source.seed"] == "1"
    with pytest.raises(PromotionConfigError, match="input_example_rows"):
        registration_request(
            champion, decision, applications, {}, {"input_example_rows": 0}
        )
