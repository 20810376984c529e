"""Fairness of the decisions by group, with bootstrap intervals.

fairlearn's ``MetricFrame`` splits the applicants by each attribute (sex, age band,
family status, ...) and evaluates, per group:

- the approval rate at the operating threshold (approved: probability below it);
- the adverse impact ratio, the group's approval rate over that of the most
  favoured group (the highest approval rate among groups large enough to judge);
  the four-fifths screen flags a ratio below ``air_screen`` (0.8 by custom);
- the equal-opportunity gap: the approval rate among applicants who repaid, minus
  that of the most favoured group (negative: repaying applicants of the group are
  approved less often);
- ROC AUC.

Intervals: the applicants are resampled as a whole (``intervals.bootstrap_counts``),
and every metric returns its value on the sample (weights of one) followed by its
value on each resample, so a group's ratio to the most favoured group is taken
within each resample. fairlearn's own ``n_boot`` rebuilds the frame per resample,
which is too slow for the default run and gives no per-group ratio intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from loan_default.metrics import checked_scores
from loan_default.model_risk.intervals import (
    bootstrap_counts,
    percentile_interval,
    weighted_auc,
)

MEASURES = (
    "approval_rate",
    "adverse_impact_ratio",
    "repaid_approval_rate",
    "equal_opportunity_gap",
    "AUC",
)
"""The measures of each group; each has ``_low`` and ``_high`` columns."""

FAIRNESS_COLUMNS = [
    "segment",
    "level",
    "count",
    "defaults",
    "default_rate",
    *[
        column
        for measure in MEASURES
        for column in (measure, f"{measure}_low", f"{measure}_high")
    ],
    "reference_level",
    "screened",
    "flagged",
]


def _weighted_rate(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean of ``values`` for each row of ``weights`` (NaN where a row
    has no weight)."""
    totals = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, (weights @ values) / totals, np.nan)


_PER_GROUP = ("approval_rate", "repaid_approval_rate", "AUC")


def _measures(weights: np.ndarray, scores: np.ndarray):
    """The one MetricFrame metric: for a group's applicants (``y_pred`` 1 when
    flagged as a likely default; the sample parameter ``rows`` says which
    applicants they are), the approval rate, the approval rate among those who
    repaid and AUC, each on the sample (``weights`` row 0) and on every resample
    (the other rows). One metric rather than three: fairlearn converts every
    column of every metric element by element, which is most of its cost."""

    def measures(y_true, y_pred, rows):
        labels = np.asarray(y_true)
        approved = 1.0 - np.asarray(y_pred, dtype="float64")
        group_weights = weights[:, rows]
        repaid = labels == 0
        auc = (
            weighted_auc(labels, scores[rows], group_weights)
            if np.unique(labels).size == 2
            else np.full(weights.shape[0], np.nan)
        )
        return np.vstack(
            [
                _weighted_rate(approved, group_weights),
                _weighted_rate(approved[repaid], group_weights[:, repaid]),
                auc,
            ]
        )

    return measures


def fairness_by_group(
    y_true: Any,
    probability: Any,
    threshold: float,
    sensitive_features: pd.DataFrame,
    *,
    screened: list[str],
    air_screen: float,
    min_group_size: int,
    n_resamples: int,
    seed: int,
    level: float,
) -> pd.DataFrame:
    """One row per level of each column of ``sensitive_features`` (text, one row
    per applicant), with ``FAIRNESS_COLUMNS``.

    The most favoured group of an attribute is the one with the highest approval
    rate among groups of at least ``min_group_size`` applicants. A group of a
    ``screened`` attribute is ``flagged`` when its adverse impact ratio is below
    ``air_screen``; smaller groups are reported but neither screened nor flagged.
    """
    labels, scores = checked_scores(y_true, probability)
    if len(sensitive_features) != len(labels):
        raise ValueError(
            f"sensitive_features has {len(sensitive_features)} rows but y_true has "
            f"{len(labels)}: one row per applicant is expected"
        )
    unknown = [name for name in screened if name not in sensitive_features.columns]
    if unknown:
        raise ValueError(
            f"fairness screen: attribute(s) {unknown} are not among the segments "
            f"{list(sensitive_features.columns)}"
        )
    if not 0 < air_screen <= 1:
        raise ValueError(f"air_screen must lie in (0, 1]; got {air_screen}")
    flagged_default = (scores >= threshold).astype("float64")
    weights = np.vstack(
        [np.ones(len(labels)), bootstrap_counts(len(labels), n_resamples, seed)]
    )
    rows = np.arange(len(labels))
    tables = []
    for attribute in sensitive_features.columns:
        groups = sensitive_features[attribute].astype("string").to_numpy(dtype=object)
        by_group = MetricFrame(
            metrics={"measures": _measures(weights, scores)},
            y_true=labels,
            y_pred=flagged_default,
            sensitive_features=pd.Series(groups, name=attribute),
            sample_params={"measures": {"rows": rows}},
        ).by_group["measures"]
        tables.append(
            _attribute_table(
                attribute,
                by_group,
                pd.DataFrame({"group": groups, "default": labels}),
                screened=attribute in screened,
                air_screen=air_screen,
                min_group_size=min_group_size,
                level=level,
            )
        )
    return pd.concat(tables, ignore_index=True)[FAIRNESS_COLUMNS]


def _attribute_table(
    attribute: str,
    by_group: pd.Series,
    outcomes: pd.DataFrame,
    *,
    screened: bool,
    air_screen: float,
    min_group_size: int,
    level: float,
) -> pd.DataFrame:
    """The rows of one attribute from MetricFrame's per-group value vectors."""
    counts = outcomes.groupby("group")["default"].agg(["size", "sum"])
    levels = list(by_group.index)
    stacked = np.stack(list(by_group.to_numpy()))  # (group, measure, resample)
    values = {measure: stacked[:, i, :] for i, measure in enumerate(_PER_GROUP)}
    large = np.array([counts.loc[name, "size"] >= min_group_size for name in levels])
    approval = values["approval_rate"]
    if large.any():
        candidates = np.where(large, approval[:, 0], -np.inf)
        reference = int(np.argmax(candidates))
        with np.errstate(invalid="ignore", divide="ignore"):
            values["adverse_impact_ratio"] = approval / approval[reference]
        values["equal_opportunity_gap"] = (
            values["repaid_approval_rate"] - values["repaid_approval_rate"][reference]
        )
        reference_level = levels[reference]
    else:
        values["adverse_impact_ratio"] = np.full_like(approval, np.nan)
        values["equal_opportunity_gap"] = np.full_like(approval, np.nan)
        reference_level = None
    table = pd.DataFrame(
        {
            "segment": attribute,
            "level": levels,
            "count": [int(counts.loc[name, "size"]) for name in levels],
            "defaults": [int(counts.loc[name, "sum"]) for name in levels],
        }
    )
    table["default_rate"] = table["defaults"] / table["count"]
    for measure in MEASURES:
        table[measure] = values[measure][:, 0]
        bounds = [percentile_interval(row[1:], level) for row in values[measure]]
        table[f"{measure}_low"] = [low for low, _ in bounds]
        table[f"{measure}_high"] = [high for _, high in bounds]
    table["reference_level"] = reference_level
    table["screened"] = screened & large
    table["flagged"] = table["screened"] & (table["adverse_impact_ratio"] < air_screen)
    return table
