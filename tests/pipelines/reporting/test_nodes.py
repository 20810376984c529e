"""Reporting nodes on hand-computed cases and on small fitted models."""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import pandas as pd
import pytest

from loan_default.model_risk.fairness import FAIRNESS_COLUMNS
from loan_default.pipelines.reporting.nodes import (
    build_decile_table,
    build_segment_metrics,
    compute_feature_importance,
    markdown_table,
    oracle_auc,
    stack_predictions,
)

# --- tables ---------------------------------------------------------------------------


def stacked(upstream: dict) -> pd.DataFrame:
    return stack_predictions(
        logistic=upstream["logistic.predictions_test"],
        tree=upstream["tree.predictions_test"],
    )


SEGMENTS = {
    "categorical": ["CODE_GENDER"],
    "age_band": {
        "column": "DAYS_BIRTH",
        "days_per_year": 365.25,
        "bins_years": [20, 40, 70],
    },
    "fairness": {
        "screened": ["CODE_GENDER", "age band"],
        "air_screen": 0.8,
        "min_group_size": 10,
    },
}
UNCERTAINTY = {"level": 0.95, "n_resamples": 30, "seed": 3}


TREE_CHAMPION = {"algorithm": "tree", "operating_threshold": 0.3}


def test_segment_metrics_with_a_one_class_segment(upstream):
    predictions = stacked(upstream)
    applications = upstream["application_clean"].copy()
    tree = predictions.loc[predictions["model"] == "tree"]
    # Make every test applicant under 40 a good payer: that segment has one class.
    young = applications["SK_ID_CURR"].isin(tree["SK_ID_CURR"]) & (
        applications["DAYS_BIRTH"] > -40 * 365.25
    )
    young_ids = set(applications.loc[young, "SK_ID_CURR"])
    predictions.loc[predictions["SK_ID_CURR"].isin(young_ids), "TARGET"] = 0
    table = build_segment_metrics(
        predictions, TREE_CHAMPION, applications, SEGMENTS, UNCERTAINTY
    )
    assert list(table.columns) == FAIRNESS_COLUMNS
    by_level = table.set_index(["segment", "level"])
    young_row = by_level.loc[("age band", "20-40")]
    assert young_row["count"] == len(young_ids)
    assert young_row["default_rate"] == 0
    assert math.isnan(young_row["AUC"])
    assert not math.isnan(by_level.loc[("age band", "40-70"), "AUC"])
    gender = table.loc[table["segment"] == "CODE_GENDER"]
    assert gender["count"].sum() == len(tree)
    approved = (tree["PROBABILITY"] < 0.3).mean()
    overall = (gender["approval_rate"] * gender["count"]).sum() / len(tree)
    assert overall == pytest.approx(approved)


def test_segment_metrics_flag_and_log_a_group_below_the_screen(upstream, caplog):
    predictions = stacked(upstream)
    applications = upstream["application_clean"]
    tree = predictions["model"] == "tree"
    women = set(applications.loc[applications["CODE_GENDER"] == "F", "SK_ID_CURR"])
    # Every woman is scored above the threshold: none is approved.
    predictions.loc[tree & predictions["SK_ID_CURR"].isin(women), "PROBABILITY"] = 0.9
    with caplog.at_level(logging.WARNING):
        table = build_segment_metrics(
            predictions, TREE_CHAMPION, applications, SEGMENTS, UNCERTAINTY
        )
    row = table.set_index(["segment", "level"]).loc[("CODE_GENDER", "F")]
    assert row["approval_rate"] == 0 and row["adverse_impact_ratio"] == 0
    assert row["flagged"]
    assert "Fairness screen: CODE_GENDER = F is approved at 0.0%" in caplog.text


def test_segment_metrics_name_missing_applicants(upstream):
    applications = upstream["application_clean"].iloc[:-10]
    with pytest.raises(ValueError, match="application_clean: .* missing from it"):
        build_segment_metrics(
            stacked(upstream), TREE_CHAMPION, applications, SEGMENTS, UNCERTAINTY
        )


def test_segment_metrics_reject_a_column_outside_the_schema(upstream):
    segments = {**SEGMENTS, "categorical": ["CHANNEL"]}
    applications = upstream["application_clean"].assign(CHANNEL="web")
    with pytest.raises(
        ValueError, match="'CHANNEL' is not a column of application_data"
    ):
        build_segment_metrics(
            stacked(upstream), TREE_CHAMPION, applications, segments, UNCERTAINTY
        )


def test_decile_table_gains_reach_one(upstream):
    table = build_decile_table(stacked(upstream))
    for _, deciles in table.groupby("model"):
        assert list(deciles["risk_decile"]) == list(range(10, 0, -1))
        assert deciles["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
        assert deciles["applicants"].sum() == len(upstream["tree.predictions_test"])
        assert deciles["cumulative_gain"].is_monotonic_increasing


def test_feature_importance_from_the_estimator_or_by_permutation(
    upstream, reporting_parameters
):
    options = reporting_parameters["feature_importance"]
    names = upstream["feature_transformer"].feature_names_out_
    for algorithm, method in (("tree", "impurity"), ("logistic", "permutation")):
        table = compute_feature_importance(
            upstream[f"{algorithm}.model"],
            upstream["model_input_test"],
            options,
        )
        assert set(table["feature"]) == set(names)
        assert (table["method"] == method).all()
        assert table["importance"].is_monotonic_decreasing
        # The informative score is the top feature for both.
        assert table["feature"].iloc[0] == "EXT_SOURCE_2"


def test_feature_importance_length_mismatch_is_an_error(upstream, reporting_parameters):
    class ThreeImportances:
        feature_importances_ = np.array([0.5, 0.3, 0.2])

    with pytest.raises(ValueError, match="has 3 feature importances"):
        compute_feature_importance(
            dataclasses.replace(upstream["tree.model"], estimator=ThreeImportances()),
            upstream["model_input_test"],
            reporting_parameters["feature_importance"],
        )


# --- report helpers --------------------------------------------------------------------


def test_oracle_auc_only_for_synthetic_data(upstream):
    predictions = upstream["tree.predictions_test"]
    truth = upstream["true_default_probability"]
    synthetic = oracle_auc(upstream["data_source"], truth, predictions)
    assert 0.5 < synthetic <= 1
    files = {"kind": "files", "files": []}
    assert oracle_auc(files, truth.iloc[0:0], predictions) is None


def test_markdown_table_formats_numbers_and_escapes_pipes():
    table = markdown_table(
        pd.DataFrame(
            {"name": ["a|b"], "value": [0.12345], "count": [1234], "x": [np.nan]}
        )
    )
    assert table.splitlines() == [
        "| name | value | count | x |",
        "|---|---|---|---|",
        "| a\\|b | 0.123 | 1,234 | n/a |",
    ]
