import math

import pandas as pd

from loan_default.pipelines.reporting.narrative import (
    fairness_sentences,
    protected_feature_sentences,
    significance_sentences,
    with_interval,
)


def comparison(difference: float, p_value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "champion": ["xgboost"],
            "challenger": ["scorecard"],
            "champion_auc": [0.78],
            "challenger_auc": [0.78 - difference],
            "difference": [difference],
            "difference_low": [difference - 0.01],
            "difference_high": [difference + 0.01],
            "z": [2.0],
            "p_value": [p_value],
            "significant": [p_value < 0.05],
        }
    )


def test_a_significant_lead():
    (sentence,) = significance_sentences(comparison(0.02, 0.01), level=0.95)
    assert sentence.startswith(
        "The champion xgboost leads scorecard by an AUC of 0.020"
    )
    assert "p = 0.010" in sentence
    assert sentence.endswith("the lead is significant at the 5% level.")


def test_a_lead_that_is_not_significant():
    (sentence,) = significance_sentences(comparison(0.004, 0.3), level=0.95)
    assert "the lead is not significant at the 5% level" in sentence
    assert "cannot tell the two models apart" in sentence


def test_a_challenger_ahead_on_test():
    (sentence,) = significance_sentences(comparison(-0.03, 0.0004), level=0.9)
    assert sentence.startswith(
        "On the test split scorecard has the higher AUC, by 0.030"
    )
    assert "p < 0.001" in sentence and "10% level" not in sentence
    assert "a reason to review the choice" in sentence


def test_no_challenger():
    assert significance_sentences(comparison(0, 1).iloc[:0], 0.95) == [
        "There is no challenger to compare the champion with."
    ]


def test_intervals_in_words():
    assert with_interval(0.7456, 0.72, 0.77) == "0.746 (0.720 to 0.770)"
    assert with_interval(math.nan, 0.1, 0.2) == "n/a"
    assert with_interval(0.5, math.nan, math.nan) == "0.500"


def test_flagged_groups_are_named_with_their_ratio():
    table = pd.DataFrame(
        {
            "segment": ["age band", "age band"],
            "level": ["20-25", "40-45"],
            "adverse_impact_ratio": [0.7, 1.0],
            "adverse_impact_ratio_low": [0.6, 1.0],
            "adverse_impact_ratio_high": [0.8, 1.0],
            "reference_level": ["40-45", "40-45"],
            "flagged": [True, False],
        }
    )
    screen = {"screened": ["age band"], "air_screen": 0.8, "min_group_size": 50}
    intro, flagged = fairness_sentences(table, screen)
    assert "below 80% of the most favoured group's" in intro
    assert flagged == (
        "Flagged: age band = 20-25 (ratio 0.70, interval 0.60 to 0.80, against 40-45)."
    )
    assert fairness_sentences(table.assign(flagged=False), screen)[1] == (
        "No group is flagged."
    )


def test_protected_features_the_champion_reads_are_named():
    screen = {"protected_features": ["CODE_GENDER*", "AGE_YEARS"]}
    (sentence,) = protected_feature_sentences(
        ["EXT_SOURCE_1", "CODE_GENDER=F", "AGE_YEARS", "AGE_YEARS_SQUARED"], screen
    )
    assert "2 feature(s) that are or derive from protected attributes: " in sentence
    assert "CODE_GENDER=F, AGE_YEARS." in sentence
    assert protected_feature_sentences(["EXT_SOURCE_1"], screen) == [
        "The champion reads no feature matching the protected patterns."
    ]
