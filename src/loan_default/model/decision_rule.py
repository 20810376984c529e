"""The decision rule of a scoring model: the operating threshold and its cost.

The threshold is chosen on validation predictions by the rule in parameters
(``min_expected_cost`` or ``target_recall``) and becomes part of the fitted
``ScoringModel``; its expected cost is reported on every split.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loan_default.schema import APPLICATION_ID, TARGET

PROBABILITY = "PROBABILITY"
PREDICTION_COLUMNS = [APPLICATION_ID, TARGET, PROBABILITY]
THRESHOLD_RULES = ("min_expected_cost", "target_recall")
_MAX_EXAMPLES = 5


def _require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {missing}; found {list(frame.columns)}"
        )


def labels_and_scores(
    predictions: pd.DataFrame, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """TARGET and PROBABILITY as arrays, or an error naming ``what`` and the values."""
    _require_columns(predictions, PREDICTION_COLUMNS, what)
    labels = predictions[TARGET].to_numpy()
    scores = pd.to_numeric(predictions[PROBABILITY], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    if len(labels) == 0:
        raise ValueError(f"{what}: no rows")
    not_binary = ~np.isin(labels, [0, 1])
    if not_binary.any():
        examples = pd.unique(labels[not_binary])[:_MAX_EXAMPLES].tolist()
        raise ValueError(f"{what}: column {TARGET} must hold 0 or 1; found {examples}")
    outside = ~((scores >= 0) & (scores <= 1))
    if outside.any():
        examples = predictions[PROBABILITY][outside].head(_MAX_EXAMPLES).tolist()
        raise ValueError(
            f"{what}: column {PROBABILITY} must lie in [0, 1] with no missing "
            f"values; {int(outside.sum())} rows do not, e.g. {examples}"
        )
    return labels.astype("int64"), scores


def costs_of(threshold_options: dict) -> tuple[float, float]:
    """(cost of a missed default, cost of a rejected good applicant)."""
    costs = threshold_options.get("costs") or {}
    values = []
    for key in ("missed_default", "rejected_good"):
        value = costs.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(
                f"parameters operating_threshold.costs.{key}: expected a number >= 0, "
                f"got {value!r}"
            )
        values.append(float(value))
    if values[0] + values[1] == 0:
        raise ValueError(
            "parameters operating_threshold.costs: missed_default and rejected_good "
            "are both 0, so every threshold costs the same"
        )
    return values[0], values[1]


def _counts_by_threshold(
    labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct decision ``flag if score >= threshold``, strictest first.

    Returns the thresholds and, at each, the defaults flagged (true positives) and
    good applicants flagged (false positives). The first threshold lies just above
    the highest score: flag nobody.
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    # Flagging at a score flags every applicant tied with it: keep each tie's end.
    tie_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]
    flag_nobody = min(float(np.nextafter(sorted_scores[0], np.inf)), 1.0)
    thresholds = np.r_[flag_nobody, sorted_scores[tie_ends]]
    true_positives = np.r_[0, np.cumsum(sorted_labels)[tie_ends]]
    false_positives = np.r_[0, np.cumsum(1 - sorted_labels)[tie_ends]]
    return thresholds, true_positives, false_positives


def select_operating_threshold(
    labels: Any, scores: Any, threshold_options: dict
) -> float:
    """The threshold the rule in ``threshold_options`` picks on these predictions.

    ``min_expected_cost``: minimise missed defaults x ``costs.missed_default`` +
    rejected good applicants x ``costs.rejected_good``. ``target_recall``: flag as
    few applicants as possible while catching at least ``target_recall`` of the
    defaults. Ties go to the higher threshold, which flags fewer applicants.
    """
    rule = threshold_options.get("rule")
    if rule not in THRESHOLD_RULES:
        raise ValueError(
            f"parameters operating_threshold.rule: expected one of {THRESHOLD_RULES}, "
            f"got {rule!r}"
        )
    labels = np.asarray(labels, dtype="int64")
    scores = np.asarray(scores, dtype="float64")
    thresholds, true_positives, false_positives = _counts_by_threshold(labels, scores)
    n_defaults = int(labels.sum())
    if rule == "min_expected_cost":
        missed_default, rejected_good = costs_of(threshold_options)
        cost = (
            missed_default * (n_defaults - true_positives)
            + rejected_good * false_positives
        )
        return float(thresholds[int(np.argmin(cost))])
    target = threshold_options.get("target_recall")
    if (
        not isinstance(target, int | float)
        or isinstance(target, bool)
        or not 0 < target <= 1
    ):
        raise ValueError(
            "parameters operating_threshold.target_recall: expected a share in "
            f"(0, 1], got {target!r}"
        )
    if n_defaults == 0:
        raise ValueError(
            "target_recall needs at least one default among the predictions; "
            f"all {len(labels)} have {TARGET} = 0"
        )
    reaching = np.flatnonzero(true_positives >= target * n_defaults)
    return float(thresholds[reaching[0]])


def expected_cost_per_applicant(
    labels: Any, flagged: Any, threshold_options: dict
) -> float:
    """Mean cost of the decisions ``flagged`` (1 = rejected) under the costs."""
    missed_default, rejected_good = costs_of(threshold_options)
    labels = np.asarray(labels, dtype="int64")
    flagged = np.asarray(flagged, dtype="int64")
    missed = (labels == 1) & (flagged == 0)
    rejected = (labels == 0) & (flagged == 1)
    return float((missed_default * missed + rejected_good * rejected).mean())
