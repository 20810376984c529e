"""Metrics of a probability of default against the observed outcome.

Credit-risk practice reads a score three ways: how well it ranks defaulters above
good payers (discrimination), how close its probabilities are to observed rates
(calibration), and what a decision at a threshold does (threshold metrics). Every
function takes ``y_true`` (0/1) and ``probability`` (of default, in [0, 1]) and
returns a dict of plain floats, ready for JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

_MAX_EXAMPLES = 5


def checked_scores(y_true: Any, probability: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as 1-D arrays, or a ValueError naming the rule and the values."""
    labels = np.asarray(y_true)
    scores = np.asarray(probability, dtype="float64")
    if labels.ndim != 1 or scores.ndim != 1:
        raise ValueError(
            f"y_true and probability must be 1-D; got shapes {labels.shape} "
            f"and {scores.shape}"
        )
    if len(labels) != len(scores):
        raise ValueError(
            f"y_true has {len(labels)} values but probability has {len(scores)}"
        )
    if len(labels) == 0:
        raise ValueError("y_true and probability are empty: nothing to evaluate")
    not_binary = ~np.isin(labels, [0, 1])
    if not_binary.any():
        examples = list(dict.fromkeys(labels[not_binary].tolist()))[:_MAX_EXAMPLES]
        raise ValueError(f"y_true must hold only 0 and 1; found {examples}")
    if np.unique(labels).size < 2:
        raise ValueError(
            "y_true must hold both classes (0 and 1) for the metrics to be defined; "
            f"all {len(labels)} values are {labels[0]}"
        )
    outside = ~((scores >= 0) & (scores <= 1))  # also catches NaN
    if outside.any():
        examples = scores[outside][:_MAX_EXAMPLES].tolist()
        raise ValueError(
            f"probability must lie in [0, 1] with no NaN; {int(outside.sum())} "
            f"values do not, e.g. {examples}"
        )
    return labels.astype("int64"), scores


def discrimination_metrics(y_true: Any, probability: Any) -> dict[str, float]:
    """ROC AUC, Gini (2 * AUC - 1), KS (max TPR - FPR) and PR AUC (average precision)."""
    labels, scores = checked_scores(y_true, probability)
    roc_auc = float(roc_auc_score(labels, scores))
    false_positive_rate, true_positive_rate, _ = roc_curve(labels, scores)
    return {
        "roc_auc": roc_auc,
        "gini": 2 * roc_auc - 1,
        "ks": float(np.max(true_positive_rate - false_positive_rate)),
        "pr_auc": float(average_precision_score(labels, scores)),
    }


def calibration_metrics(y_true: Any, probability: Any) -> dict[str, float]:
    """Brier score and log loss (both: lower is better)."""
    labels, scores = checked_scores(y_true, probability)
    return {
        "brier": float(brier_score_loss(labels, scores)),
        "log_loss": float(log_loss(labels, scores, labels=[0, 1])),
    }


def threshold_metrics(
    y_true: Any, probability: Any, threshold: float
) -> dict[str, float]:
    """Decision metrics when every applicant with ``probability >= threshold`` is flagged.

    ``flagged_share`` is the share of applicants flagged; precision is 0 when nobody
    is flagged (rather than a warning).
    """
    labels, scores = checked_scores(y_true, probability)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1]; got {threshold}")
    flagged = (scores >= threshold).astype("int64")
    return {
        "threshold": float(threshold),
        "accuracy": float(accuracy_score(labels, flagged)),
        "precision": float(precision_score(labels, flagged, zero_division=0)),
        "recall": float(recall_score(labels, flagged, zero_division=0)),
        "f1": float(f1_score(labels, flagged, zero_division=0)),
        "flagged_share": float(flagged.mean()),
    }


def evaluate_predictions(
    y_true: Any, probability: Any, threshold: float = 0.5
) -> dict[str, float]:
    """Discrimination, calibration and threshold metrics in one flat dict."""
    return {
        **discrimination_metrics(y_true, probability),
        **calibration_metrics(y_true, probability),
        **threshold_metrics(y_true, probability, threshold),
    }


EVALUATION_COLUMNS = {
    "roc_auc": "AUC",
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1 Score",
    "flagged_share": "Flagged share",
    "gini": "Gini",
    "ks": "KS",
    "pr_auc": "PR AUC",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "operating_threshold": "Operating threshold",
    "operating_accuracy": "Accuracy at threshold",
    "operating_precision": "Precision at threshold",
    "operating_recall": "Recall at threshold",
    "operating_f1": "F1 at threshold",
    "operating_flagged_share": "Flagged share at threshold",
    "expected_cost": "Expected cost per applicant",
}
"""Metric keys to the columns of evaluation_results.csv, in column order. The first
six (at the 0.5 threshold) are the origin project's columns."""


INTERVAL_COLUMNS = {
    f"{key}_{end}": f"{EVALUATION_COLUMNS[key]} CI {end}"
    for key in ("roc_auc", "gini", "ks", "pr_auc", "brier")
    for end in ("low", "high")
}
"""Confidence-interval keys (``loan_default.model_risk.intervals.headline_intervals``)
to the columns that follow EVALUATION_COLUMNS in evaluation_results.csv: DeLong for
AUC, a seeded bootstrap for the others."""
