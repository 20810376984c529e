import math
import warnings

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from loan_default.metrics import (
    calibration_metrics,
    discrimination_metrics,
    evaluate_predictions,
    threshold_metrics,
)


@pytest.fixture
def scored_sample() -> tuple[np.ndarray, np.ndarray]:
    """Defaulters score higher on average, with overlap, and ~8% of them."""
    rng = np.random.default_rng(0)
    y_true = (rng.random(2_000) < 0.08).astype(int)
    logits = -2.5 + 1.5 * y_true + rng.normal(0, 1, size=y_true.size)
    return y_true, 1 / (1 + np.exp(-logits))


# A hand-checkable sample: scores 0.1..0.8, defaulters at 0.4, 0.7 and 0.8.
HAND_Y = np.array([0, 0, 0, 1, 0, 0, 1, 1])
HAND_P = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])


def test_discrimination_matches_sklearn_and_scipy(scored_sample):
    y_true, probability = scored_sample
    result = discrimination_metrics(y_true, probability)

    assert result["roc_auc"] == pytest.approx(roc_auc_score(y_true, probability))
    assert result["gini"] == pytest.approx(2 * result["roc_auc"] - 1)
    assert result["pr_auc"] == pytest.approx(
        average_precision_score(y_true, probability)
    )
    two_sample = ks_2samp(probability[y_true == 1], probability[y_true == 0])
    assert result["ks"] == pytest.approx(two_sample.statistic)
    assert 0.7 < result["roc_auc"] < 0.95


def test_discrimination_by_hand():
    result = discrimination_metrics(HAND_Y, HAND_P)

    # Of the 3 x 5 (defaulter, good) pairs, the defaulter ranks higher in 3 + 5 + 5.
    assert result["roc_auc"] == pytest.approx(13 / 15)
    assert result["gini"] == pytest.approx(11 / 15)
    # At threshold 0.7: TPR 2/3, FPR 0; at 0.4: TPR 1, FPR 2/5.
    assert result["ks"] == pytest.approx(2 / 3)
    # Precision at each defaulter's rank: 1/1, 2/2, 3/5.
    assert result["pr_auc"] == pytest.approx((1 + 1 + 3 / 5) / 3)


def test_perfect_and_inverted_scores():
    perfect = discrimination_metrics(HAND_Y, HAND_Y.astype(float))
    assert perfect["roc_auc"] == 1.0
    assert perfect["gini"] == 1.0
    assert perfect["ks"] == 1.0

    inverted = discrimination_metrics(HAND_Y, 1 - HAND_Y.astype(float))
    assert inverted["roc_auc"] == 0.0
    assert inverted["gini"] == -1.0


def test_calibration_matches_sklearn_and_hand(scored_sample):
    y_true, probability = scored_sample
    result = calibration_metrics(y_true, probability)
    assert result["brier"] == pytest.approx(brier_score_loss(y_true, probability))
    assert result["log_loss"] == pytest.approx(log_loss(y_true, probability))

    by_hand = calibration_metrics([0, 1], [0.2, 0.6])
    assert by_hand["brier"] == pytest.approx((0.2**2 + 0.4**2) / 2)
    assert by_hand["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_threshold_metrics_by_hand():
    result = threshold_metrics(HAND_Y, HAND_P, threshold=0.5)

    # Flagged (>= 0.5): 0.5, 0.6, 0.7, 0.8 -> 2 true positives, 2 false positives.
    assert result == pytest.approx(
        {
            "threshold": 0.5,
            "accuracy": 5 / 8,
            "precision": 2 / 4,
            "recall": 2 / 3,
            "f1": 2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3),
            "flagged_share": 4 / 8,
        }
    )


def test_threshold_is_inclusive():
    assert threshold_metrics(HAND_Y, HAND_P, threshold=0.8)["flagged_share"] == 1 / 8


def test_nobody_flagged_gives_zeros_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = threshold_metrics(HAND_Y, HAND_P * 0.5, threshold=0.9)
    assert result["precision"] == 0.0
    assert result["recall"] == 0.0
    assert result["f1"] == 0.0
    assert result["flagged_share"] == 0.0
    assert result["accuracy"] == 5 / 8


def test_evaluate_predictions_merges_all_three(scored_sample):
    y_true, probability = scored_sample
    result = evaluate_predictions(y_true, probability, threshold=0.3)

    assert result == {
        **discrimination_metrics(y_true, probability),
        **calibration_metrics(y_true, probability),
        **threshold_metrics(y_true, probability, 0.3),
    }
    assert evaluate_predictions(y_true, probability)["threshold"] == 0.5
    assert all(type(value) is float for value in result.values())


@pytest.mark.parametrize(
    ("y_true", "probability", "message"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], r"only 0 and 1; found \[2\]"),
        ([0, 1], [0.1, 0.2, 0.3], "y_true has 2 values but probability has 3"),
        ([0, 0, 0], [0.1, 0.2, 0.3], "both classes"),
        ([], [], "empty"),
        ([0, 1], [0.1, 1.5], r"\[0, 1\].*1\.5"),
        ([0, 1], [0.1, float("nan")], "no NaN"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
    ],
)
def test_bad_input_is_rejected_with_the_offending_values(y_true, probability, message):
    for metric in (discrimination_metrics, calibration_metrics, evaluate_predictions):
        with pytest.raises(ValueError, match=message):
            metric(y_true, probability)


def test_bad_threshold_is_rejected():
    with pytest.raises(ValueError, match=r"threshold must lie in \[0, 1\]; got 1.2"):
        threshold_metrics(HAND_Y, HAND_P, threshold=1.2)
