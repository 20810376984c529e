"""Reporting nodes on hand-computed cases and on small fitted models."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from loan_default.metrics import evaluate_predictions, threshold_metrics
from loan_default.pipelines.reporting.nodes import (
    EVALUATION_COLUMNS,
    build_decile_table,
    build_evaluation_table,
    build_segment_metrics,
    choose_operating_threshold,
    compute_feature_importance,
    evaluate_on_test,
    expected_cost_per_applicant,
    markdown_table,
    oracle_auc,
    select_champion,
    select_operating_threshold,
    stack_predictions,
)

# Scores sorted from riskiest; 3 defaults among 6 applicants.
LABELS = [1, 1, 0, 1, 0, 0]
SCORES = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1]


def cost_rule(missed_default: float, rejected_good: float) -> dict:
    return {
        "rule": "min_expected_cost",
        "costs": {"missed_default": missed_default, "rejected_good": rejected_good},
    }


def recall_rule(target: float) -> dict:
    return {**cost_rule(5, 1), "rule": "target_recall", "target_recall": target}


# --- operating threshold --------------------------------------------------------------


@pytest.mark.parametrize(
    ("missed_default", "rejected_good", "expected"),
    [
        # Costs per threshold (nobody, .9, .8, .7, .6, .3, .1): 15, 10, 5, 6, 1, 2, 3.
        (5, 1, 0.6),
        # Costs: 3, 2, 1, 6, 5, 10, 15.
        (1, 5, 0.8),
    ],
)
def test_min_expected_cost_picks_the_cheapest_threshold(
    missed_default, rejected_good, expected
):
    rule = cost_rule(missed_default, rejected_good)
    assert select_operating_threshold(LABELS, SCORES, rule) == expected


def test_min_expected_cost_can_flag_nobody():
    threshold = select_operating_threshold(
        [0, 0, 1], [0.9, 0.8, 0.1], cost_rule(1, 100)
    )
    assert threshold > 0.9
    assert (
        threshold_metrics([0, 0, 1], [0.9, 0.8, 0.1], threshold)["flagged_share"] == 0
    )


def test_tied_scores_are_flagged_together():
    # Flagging at 0.5 flags both tied applicants: 1 default caught, 1 good rejected.
    threshold = select_operating_threshold([1, 0, 0], [0.5, 0.5, 0.2], cost_rule(5, 1))
    assert threshold == 0.5


def test_equal_costs_go_to_the_higher_threshold():
    # Flag nobody costs 1 (a missed default), flag at 0.5 costs 1 (a rejected good).
    threshold = select_operating_threshold([0, 1, 0], [0.9, 0.5, 0.1], cost_rule(1, 1))
    assert threshold > 0.9


@pytest.mark.parametrize(
    ("target", "expected"),
    [(0.5, 0.8), (2 / 3, 0.8), (0.7, 0.6), (1.0, 0.6), (0.01, 0.9)],
)
def test_target_recall_flags_as_few_as_possible(target, expected):
    threshold = select_operating_threshold(LABELS, SCORES, recall_rule(target))
    assert threshold == expected
    assert threshold_metrics(LABELS, SCORES, threshold)["recall"] >= target


def test_choose_operating_threshold_reads_a_predictions_frame():
    predictions = pd.DataFrame(
        {"SK_ID_CURR": range(6), "TARGET": LABELS, "PROBABILITY": SCORES}
    )
    assert choose_operating_threshold(predictions, cost_rule(5, 1)) == 0.6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rule": "max_profit"}, "operating_threshold.rule"),
        (cost_rule(-1, 1), "costs.missed_default"),
        (cost_rule(5, "one"), "costs.rejected_good"),
        (cost_rule(0, 0), "both 0"),
        (recall_rule(0), "target_recall"),
        (recall_rule(1.5), "target_recall"),
    ],
)
def test_bad_threshold_parameters_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        select_operating_threshold(LABELS, SCORES, options)


def test_target_recall_without_defaults_is_an_error():
    with pytest.raises(ValueError, match="at least one default"):
        select_operating_threshold([0, 0], [0.2, 0.4], recall_rule(0.5))


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("PROBABILITY", [0.1, np.nan, 0.3], r"PROBABILITY must lie in \[0, 1\].*nan"),
        ("PROBABILITY", [0.1, 1.2, 0.3], r"PROBABILITY .* 1 rows do not, e.g. \[1.2\]"),
        ("TARGET", [0, 2, 1], r"TARGET must hold 0 or 1; found \[2\]"),
    ],
)
def test_bad_predictions_are_named(column, values, message):
    predictions = pd.DataFrame(
        {"SK_ID_CURR": [1, 2, 3], "TARGET": [0, 1, 1], "PROBABILITY": [0.1, 0.2, 0.3]}
    )
    predictions[column] = values
    with pytest.raises(ValueError, match=f"predictions_validation: column {message}"):
        choose_operating_threshold(predictions, cost_rule(5, 1))


def test_missing_prediction_column_is_named():
    predictions = pd.DataFrame({"SK_ID_CURR": [1], "TARGET": [0]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['PROBABILITY'\]"):
        choose_operating_threshold(predictions, cost_rule(5, 1))


def test_expected_cost_per_applicant_by_hand():
    # One missed default (5) and one rejected good applicant (1) among four.
    cost = expected_cost_per_applicant([1, 1, 0, 0], [1, 0, 1, 0], cost_rule(5, 1))
    assert cost == pytest.approx(6 / 4)


# --- evaluation table and champion ------------------------------------------------------


def test_evaluation_table_matches_the_metrics_functions(upstream):
    options = cost_rule(5, 1)
    evaluations = {}
    for name in ("logistic", "tree"):
        threshold = choose_operating_threshold(
            upstream[f"{name}.predictions_validation"], options
        )
        evaluations[name] = evaluate_on_test(
            upstream[f"{name}.predictions_test"], threshold, options
        )
    table = build_evaluation_table(evaluations)
    assert list(table.columns[:7]) == [
        "model",
        "AUC",
        "Accuracy",
        "Precision",
        "Recall",
        "F1 Score",
        "Flagged share",
    ]
    assert list(table.columns[1:]) == list(EVALUATION_COLUMNS.values())
    assert list(table["model"]) == ["logistic", "tree"]
    test = upstream["tree.predictions_test"]
    at_half = evaluate_predictions(test["TARGET"], test["PROBABILITY"], 0.5)
    row = table.set_index("model").loc["tree"]
    assert row["AUC"] == at_half["roc_auc"]
    assert row["Brier score"] == at_half["brier"]
    assert row["Recall"] == at_half["recall"]
    at_threshold = threshold_metrics(
        test["TARGET"], test["PROBABILITY"], row["Operating threshold"]
    )
    assert row["Recall at threshold"] == at_threshold["recall"]
    assert row["Flagged share at threshold"] == at_threshold["flagged_share"]


def test_evaluation_table_rejects_incomplete_evaluations():
    with pytest.raises(ValueError, match=r"tree.evaluation: missing metrics"):
        build_evaluation_table({"tree": {"roc_auc": 0.7}})


CHAMPION_RULE = {
    "rank_by": [
        {"metric": "AUC", "higher_is_better": True},
        {"metric": "Brier score", "higher_is_better": False},
    ],
    "decimals": 4,
}


def comparison(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "AUC", "Brier score"])


def test_champion_has_the_highest_auc():
    table = comparison([("a", 0.70, 0.05), ("b", 0.75, 0.09), ("c", 0.72, 0.01)])
    assert select_champion(table, CHAMPION_RULE) == "b"


def test_auc_tie_goes_to_the_lower_brier_score():
    # Equal to 4 decimals: a tie.
    table = comparison([("a", 0.75001, 0.09), ("b", 0.75003, 0.08), ("c", 0.7, 0.01)])
    assert select_champion(table, CHAMPION_RULE) == "b"


def test_full_tie_goes_to_the_first_name():
    table = comparison([("zeta", 0.75, 0.08), ("alpha", 0.75, 0.08)])
    assert select_champion(table, CHAMPION_RULE) == "alpha"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"rank_by": [{"metric": "AUROC", "higher_is_better": True}], "decimals": 4},
            r"rank_by\[0\]: expected a metric among \['AUC', 'Brier score'\]",
        ),
        (
            {"rank_by": [{"metric": "AUC", "higher_is_better": "yes"}], "decimals": 4},
            r"rank_by\[0\]",
        ),
        ({"rank_by": [], "decimals": 4}, "non-empty list"),
        ({**CHAMPION_RULE, "decimals": -1}, "champion.decimals"),
    ],
)
def test_bad_champion_rule_is_named(rule, message):
    table = comparison([("a", 0.7, 0.05)])
    with pytest.raises(ValueError, match=message):
        select_champion(table, rule)


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
}


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
        predictions, "tree", {"tree": 0.3, "logistic": 0.9}, applications, SEGMENTS
    )
    assert list(table.columns) == [
        "segment",
        "level",
        "count",
        "default_rate",
        "flagged_rate",
        "AUC",
    ]
    by_level = table.set_index(["segment", "level"])
    young_row = by_level.loc[("age band", "20-40")]
    assert young_row["count"] == len(young_ids)
    assert young_row["default_rate"] == 0
    assert math.isnan(young_row["AUC"])
    assert not math.isnan(by_level.loc[("age band", "40-70"), "AUC"])
    gender = table.loc[table["segment"] == "CODE_GENDER"]
    assert gender["count"].sum() == len(tree)
    flagged = (tree["PROBABILITY"] >= 0.3).mean()
    overall = (gender["flagged_rate"] * gender["count"]).sum() / len(tree)
    assert overall == pytest.approx(flagged)


def test_segment_metrics_name_missing_applicants(upstream):
    applications = upstream["application_clean"].iloc[:-10]
    with pytest.raises(ValueError, match="application_clean: .* missing from it"):
        build_segment_metrics(
            stacked(upstream), "tree", {"tree": 0.3}, applications, SEGMENTS
        )


def test_segment_metrics_reject_a_column_outside_the_schema(upstream):
    segments = {**SEGMENTS, "categorical": ["CHANNEL"]}
    applications = upstream["application_clean"].assign(CHANNEL="web")
    with pytest.raises(
        ValueError, match="'CHANNEL' is not a column of application_data"
    ):
        build_segment_metrics(
            stacked(upstream), "tree", {"tree": 0.3}, applications, segments
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
            upstream["feature_transformer"],
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
            ThreeImportances(),
            upstream["feature_transformer"],
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
