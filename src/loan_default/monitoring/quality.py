"""Data quality of a current batch against the reference, feature by feature."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loan_default.monitoring.columns import (
    MISSING_LEVEL,
    as_float,
    as_levels,
    map_features,
)

QUALITY_COLUMNS = [
    "feature",
    "kind",
    "null_share_reference",
    "null_share_current",
    "null_share_change",
    "min_reference",
    "min_current",
    "max_reference",
    "max_current",
    "mean_reference",
    "mean_current",
    "median_reference",
    "median_current",
    "mode_reference",
    "mode_current",
    "out_of_range_share",
    "top_level_reference",
    "top_level_current",
    "unseen_levels",
    "unseen_share",
]


def _numeric_profile(values: np.ndarray) -> dict[str, float]:
    present = np.sort(values[~np.isnan(values)])
    profile = {
        "null_share": float(1 - present.size / values.size) if values.size else np.nan
    }
    if present.size == 0:
        return profile | dict.fromkeys(("min", "max", "mean", "median", "mode"), np.nan)
    # Mode from run lengths of the sorted values: no hashing of every float.
    run_starts = np.flatnonzero(np.r_[True, present[1:] != present[:-1]])
    run_lengths = np.diff(np.r_[run_starts, present.size])
    return profile | {
        "min": float(present[0]),
        "max": float(present[-1]),
        "mean": float(present.mean()),
        "median": float(np.median(present)),
        "mode": float(present[run_starts[np.argmax(run_lengths)]]),
    }


def _numeric_quality(name: str, reference: pd.Series, current: pd.Series) -> dict:
    reference_values, current_values = as_float(reference), as_float(current)
    before, after = _numeric_profile(reference_values), _numeric_profile(current_values)
    present = current_values[~np.isnan(current_values)]
    outside = (present < before["min"]) | (present > before["max"])
    row = {"feature": name, "kind": "numeric"}
    for statistic in ("null_share", "min", "max", "mean", "median", "mode"):
        row[f"{statistic}_reference"] = before[statistic]
        row[f"{statistic}_current"] = after[statistic]
    row["out_of_range_share"] = float(outside.mean()) if present.size else np.nan
    return row


def _categorical_quality(name: str, reference: pd.Series, current: pd.Series) -> dict:
    reference_counts = as_levels(reference).value_counts()
    current_counts = as_levels(current).value_counts()
    known = set(reference_counts.index)
    unseen = current_counts[
        [
            level not in known and level != MISSING_LEVEL
            for level in current_counts.index
        ]
    ]
    return {
        "feature": name,
        "kind": "categorical",
        "null_share_reference": float(reference.isna().mean()),
        "null_share_current": float(current.isna().mean()),
        "top_level_reference": _top_level(reference_counts),
        "top_level_current": _top_level(current_counts),
        "unseen_levels": "|".join(sorted(unseen.index)),
        "unseen_share": float(unseen.sum() / len(current)),
    }


def _top_level(counts: pd.Series) -> str:
    present = counts.drop(MISSING_LEVEL, errors="ignore")
    return str(present.index[0]) if len(present) else ""


def data_quality(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric_features: list[str],
    categorical_features: list[str],
    *,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per feature: null shares, range and centre, unseen levels.

    ``out_of_range_share`` is the share of the batch's non-missing values outside the
    reference [min, max]; ``unseen_levels`` the levels of the batch the reference never
    had ("|"-separated), ``unseen_share`` the share of batch rows holding one.
    """
    if len(current) == 0:
        raise ValueError("the current batch is empty: no data quality to measure")
    rows = map_features(
        lambda name: _numeric_quality(name, reference[name], current[name]),
        numeric_features,
        workers,
    ) + map_features(
        lambda name: _categorical_quality(name, reference[name], current[name]),
        categorical_features,
        workers,
    )
    quality = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    quality["null_share_change"] = (
        quality["null_share_current"] - quality["null_share_reference"]
    )
    quality["unseen_levels"] = quality["unseen_levels"].astype("string").fillna("")
    for column in ("top_level_reference", "top_level_current"):
        quality[column] = quality[column].astype("string")
    return quality
