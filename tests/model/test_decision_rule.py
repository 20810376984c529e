"""The operating threshold rule and its cost, on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loan_default.metrics import threshold_metrics
from loan_default.model.decision_rule import (
    expected_cost_per_applicant,
    select_operating_threshold,
)
from loan_default.pipelines.modelling.nodes import choose_operating_threshold

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
