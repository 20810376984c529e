"""Reporting nodes on hand-computed cases and on small fitted models."""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import pandas as pd
import pytest

from loan_default.model.scoring_model import assign_risk_deciles
from loan_default.model_risk.calibration import calibration_intercept_and_slope
from loan_default.model_risk.fairness import FAIRNESS_COLUMNS
from loan_default.model_risk.intervals import delong_paired_test
from loan_default.monitoring.drift import numeric_psi
from loan_default.pipelines.reporting.nodes import (
    COMPARISON_COLUMNS,
    PAIR_COLUMNS,
    build_calibration_by_grade,
    build_decile_table,
    build_segment_metrics,
    build_stability_table,
    compare_model_pairs,
    compare_with_champion,
    compute_feature_importance,
    markdown_table,
    oracle_auc,
    stack_predictions,
    summarise_calibration,
    summarise_points_tables,
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


def test_markdown_table_writes_booleans_as_words():
    table = markdown_table(pd.DataFrame({"flagged": [True, False]}))
    assert table.splitlines()[2:] == ["| yes |", "| no |"]


# --- uncertainty, calibration and stability ---------------------------------------------


def test_champion_comparison_pairs_applicants_by_id(upstream):
    predictions = stacked(upstream)
    # The challenger's rows in another order: the test must pair them by id.
    shuffled = pd.concat(
        [
            predictions.loc[predictions["model"] == "tree"],
            predictions.loc[predictions["model"] == "logistic"].iloc[::-1],
        ],
        ignore_index=True,
    )
    table = compare_with_champion(shuffled, TREE_CHAMPION, UNCERTAINTY)
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(table["challenger"]) == ["logistic"]
    tree = upstream["tree.predictions_test"]
    logistic = upstream["logistic.predictions_test"]
    expected = delong_paired_test(
        tree["TARGET"], tree["PROBABILITY"], logistic["PROBABILITY"], 0.95
    )
    row = table.iloc[0]
    assert row["difference"] == pytest.approx(expected["difference"])
    assert row["p_value"] == pytest.approx(expected["p_value"])
    assert row["significant"] == (expected["p_value"] < 0.05)


def test_champion_comparison_needs_the_same_applicants(upstream):
    predictions = stacked(upstream)
    fewer = predictions.drop(
        index=predictions.index[predictions["model"] == "logistic"][:5]
    )
    with pytest.raises(ValueError, match="a paired test needs the same applicants"):
        compare_with_champion(fewer, TREE_CHAMPION, UNCERTAINTY)


def test_a_champion_without_predictions_is_named(upstream):
    with pytest.raises(ValueError, match="no rows of the champion 'forest'"):
        compare_with_champion(
            stacked(upstream),
            {"algorithm": "forest", "operating_threshold": 0.3},
            UNCERTAINTY,
        )


def test_calibration_by_grade_uses_the_champions_decile_edges(upstream):
    predictions = stacked(upstream)
    tree = predictions.loc[predictions["model"] == "tree"]
    edges = tuple(np.quantile(tree["PROBABILITY"], np.linspace(0.1, 0.9, 9)))
    champion = {**TREE_CHAMPION, "risk_decile_edges": list(edges)}
    table = build_calibration_by_grade(predictions, champion, {"significance": 0.05})
    grades = assign_risk_deciles(tree["PROBABILITY"].to_numpy(), edges)
    assert table["applicants"].sum() == len(tree)
    assert table["defaults"].sum() == tree["TARGET"].sum()
    for row in table.itertuples(index=False):
        in_grade = grades == row.risk_grade
        assert row.applicants == in_grade.sum()
        assert row.predicted_default_rate == pytest.approx(
            tree["PROBABILITY"].to_numpy()[in_grade].mean()
        )


def test_calibration_summary_has_one_row_per_model(upstream):
    table = summarise_calibration(stacked(upstream))
    assert list(table["model"]) == ["logistic", "tree"]
    tree = upstream["tree.predictions_test"]
    expected = calibration_intercept_and_slope(tree["TARGET"], tree["PROBABILITY"])
    assert table.set_index("model").loc["tree", "slope"] == pytest.approx(
        expected["slope"]
    )


PSI = {"bins": 10, "epsilon": 1e-4, "watch": 0.1, "act": 0.25}


def test_stability_compares_test_with_train_for_score_and_features(upstream):
    model = upstream["tree.model"]
    train, test = upstream["model_input_train"], upstream["model_input_test"]
    table = build_stability_table(model, train, test, PSI)
    assert table["variable"].iloc[0] == "probability of default"
    assert list(table["kind"]) == ["score"] + ["feature"] * len(model.feature_names)
    features = table.iloc[1:]
    assert features["psi"].is_monotonic_decreasing
    name = model.feature_names[0]
    expected = numeric_psi(
        train[name].to_numpy(dtype="float64"), test[name].to_numpy(dtype="float64")
    )
    assert features.set_index("variable").loc[name, "psi"] == pytest.approx(expected)
    # The same sample against itself does not move.
    same = build_stability_table(model, train, train, PSI)
    assert (same["psi"] < 1e-9).all() and (same["verdict"] == "ok").all()


def test_stability_names_a_missing_feature(upstream):
    model = upstream["tree.model"]
    test = upstream["model_input_test"].drop(columns=model.feature_names[0])
    with pytest.raises(ValueError, match="model_input_test: missing column"):
        build_stability_table(model, upstream["model_input_train"], test, PSI)


def test_a_scorecards_importance_is_its_information_value(
    scorecard_champion, reporting_parameters
):
    table = compute_feature_importance(
        scorecard_champion, pd.DataFrame(), reporting_parameters["feature_importance"]
    )
    assert (table["method"] == "information value").all()
    estimator = scorecard_champion.estimator
    top = table["feature"].iloc[0]
    position = estimator.characteristics_.index(top)
    assert table["importance"].iloc[0] == max(estimator.information_values_)
    assert estimator.information_values_[position] == table["importance"].iloc[0]


def test_model_pairs_are_tested_and_absent_blocks_left_out(upstream, caplog):
    pairs = [
        {"title": "Tree against linear", "model": "tree", "baseline": "logistic"},
        {"title": "Absent", "model": "scorecard", "baseline": "tree"},
    ]
    with caplog.at_level(logging.INFO):
        table = compare_model_pairs(stacked(upstream), pairs, UNCERTAINTY)
    assert list(table.columns) == PAIR_COLUMNS
    assert list(table["comparison"]) == ["Tree against linear"]
    champion = compare_with_champion(stacked(upstream), TREE_CHAMPION, UNCERTAINTY)
    assert table["difference"].iloc[0] == pytest.approx(champion["difference"].iloc[0])
    assert "Comparison 'Absent' left out: ['scorecard'] not in this run" in caplog.text


def test_a_pair_without_its_keys_is_refused(upstream):
    with pytest.raises(ValueError, match=r"reporting.comparisons\[0\]: expected title"):
        compare_model_pairs(stacked(upstream), [{"model": "tree"}], UNCERTAINTY)


def test_points_summary_per_characteristic():
    points = pd.DataFrame(
        {
            "characteristic": ["AGE", "AGE", "AGE", "INCOME"],
            "bin": ["a", "b", "c", "d"],
            "points": [10.0, 25.0, 40.0, 7.0],
        }
    )
    empty = pd.DataFrame({"characteristic": [], "bin": [], "points": []})
    summary = summarise_points_tables({"scorecard": points, "xgboost": empty})
    assert summary.to_dict("records") == [
        {
            "model": "scorecard",
            "characteristic": "AGE",
            "bins": 3,
            "min_points": 10.0,
            "max_points": 40.0,
        },
        {
            "model": "scorecard",
            "characteristic": "INCOME",
            "bins": 1,
            "min_points": 7.0,
            "max_points": 7.0,
        },
    ]
