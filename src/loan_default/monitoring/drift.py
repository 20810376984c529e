"""Feature drift between a reference sample and a current batch.

Population stability index (PSI), the credit-risk standard, decides the verdict:

- numeric features are cut at the REFERENCE deciles (edges learnt on the reference
  only; the outer bins are open-ended, so values beyond the reference range still
  land in a bin). Edges are de-duplicated, so a value holding more than a decile of
  the reference takes a bin of its own; a feature with no more distinct reference
  values than bins gets one bin per value (flags, counts);
- missing values form a bin of their own, so a batch whose only change is more
  missing values still shows drift (a test on non-missing values alone misses it);
- categorical features use one bin per level, missing being a level;
- an empty bin would make the logarithm infinite: proportions below ``epsilon`` are
  raised to ``epsilon`` (not renormalised) before the sum, which bounds one empty
  bin's contribution instead of letting it dominate.

PSI = sum((current - reference) * ln(current / reference)); the verdict is ``ok``
below ``watch`` (0.1), ``watch`` below ``act`` (0.25) and ``act`` above. The KS test
(numeric, non-missing values, plus the change in missing share) and the Jensen-Shannon
distance (categorical, base 2, missing as a level) are reported alongside.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from loan_default.monitoring.columns import as_float, as_levels, map_features

VERDICTS = ("ok", "watch", "act")


def verdict(psi: float, watch: float, act: float) -> str:
    """``ok``, ``watch`` or ``act`` for a PSI value (NaN counts as ``ok``)."""
    if not watch <= act:
        raise ValueError(f"psi thresholds need watch <= act; got {watch} and {act}")
    if psi >= act:
        return "act"
    if psi >= watch:
        return "watch"
    return "ok"


def reference_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Interior bin edges learnt on the reference's non-missing values.

    Quantile edges at 1/bins, ..., (bins-1)/bins, de-duplicated; when the reference
    has no more distinct values than ``bins``, every distinct value starts a bin.
    """
    if bins < 2:
        raise ValueError(f"psi bins must be at least 2; got {bins}")
    values = reference[~np.isnan(reference)]
    if values.size == 0:
        return np.empty(0)
    edges = np.unique(np.quantile(values, np.arange(1, bins) / bins))
    if edges.size < bins - 1:
        distinct = np.unique(values)
        if distinct.size <= bins:
            return distinct[1:]
    return edges


def binned_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per bin: ``len(edges) + 1`` value bins, then the missing bin.

    Bin ``i`` holds ``edges[i-1] <= value < edges[i]``; the first and last are open.
    """
    if values.size == 0:
        raise ValueError("cannot compute bin shares of an empty sample")
    missing = np.isnan(values)
    bin_index = np.searchsorted(edges, values[~missing], side="right")
    counts = np.bincount(bin_index, minlength=edges.size + 1).astype("float64")
    return np.append(counts, missing.sum()) / values.size


def psi_from_shares(
    reference: np.ndarray, current: np.ndarray, epsilon: float
) -> float:
    """PSI of two share vectors over the same bins, empty bins raised to ``epsilon``."""
    if reference.shape != current.shape:
        raise ValueError(
            f"share vectors must have the same bins; got {reference.shape} "
            f"and {current.shape}"
        )
    if not 0 < epsilon < 1:
        raise ValueError(f"psi epsilon must lie in (0, 1); got {epsilon}")
    reference = np.maximum(reference, epsilon)
    current = np.maximum(current, epsilon)
    return float(np.sum((current - reference) * np.log(current / reference)))


def numeric_psi(
    reference: np.ndarray, current: np.ndarray, bins: int = 10, epsilon: float = 1e-4
) -> float:
    """PSI of a numeric sample over the reference's deciles plus a missing bin."""
    edges = reference_edges(reference, bins)
    return psi_from_shares(
        binned_shares(reference, edges), binned_shares(current, edges), epsilon
    )


def level_shares(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Share of each level (missing as a level) in both samples, on the union of levels.

    Columns ``reference`` and ``current``; index the levels, most common first.
    """
    shares = pd.DataFrame(
        {
            "reference": as_levels(reference).value_counts(normalize=True),
            "current": as_levels(current).value_counts(normalize=True),
        }
    ).fillna(0.0)
    return shares.sort_values("reference", ascending=False, kind="stable")


def categorical_psi(
    reference: pd.Series, current: pd.Series, epsilon: float = 1e-4
) -> float:
    """PSI of a categorical sample over the union of levels, missing as a level."""
    shares = level_shares(reference, current)
    return psi_from_shares(
        shares["reference"].to_numpy(), shares["current"].to_numpy(), epsilon
    )


def js_distance(reference: pd.Series, current: pd.Series) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between the level distributions."""
    shares = level_shares(reference, current)
    return float(
        jensenshannon(
            shares["reference"].to_numpy(), shares["current"].to_numpy(), base=2
        )
    )


def ks_test(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    """Two-sample KS on non-missing values, and the change in missing share."""
    reference_missing = np.isnan(reference)
    current_missing = np.isnan(current)
    result = {
        "ks_statistic": np.nan,
        "ks_pvalue": np.nan,
        "missing_share_change": float(
            current_missing.mean() - reference_missing.mean()
        ),
    }
    if reference_missing.all() or current_missing.all():
        return result
    test = ks_2samp(reference[~reference_missing], current[~current_missing])
    result["ks_statistic"] = float(test.statistic)
    result["ks_pvalue"] = float(test.pvalue)
    return result


def _numeric_drift(
    name: str, reference: pd.Series, current: pd.Series, bins: int, epsilon: float
) -> dict[str, Any]:
    reference_values, current_values = as_float(reference), as_float(current)
    return {
        "feature": name,
        "kind": "numeric",
        "psi": numeric_psi(reference_values, current_values, bins, epsilon),
        **ks_test(reference_values, current_values),
        "js_distance": np.nan,
    }


def _categorical_drift(
    name: str, reference: pd.Series, current: pd.Series, epsilon: float
) -> dict[str, Any]:
    shares = level_shares(reference, current)
    reference_shares = shares["reference"].to_numpy()
    current_shares = shares["current"].to_numpy()
    return {
        "feature": name,
        "kind": "categorical",
        "psi": psi_from_shares(reference_shares, current_shares, epsilon),
        "ks_statistic": np.nan,
        "ks_pvalue": np.nan,
        "missing_share_change": float(current.isna().mean() - reference.isna().mean()),
        "js_distance": float(jensenshannon(reference_shares, current_shares, base=2)),
    }


def feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric_features: list[str],
    categorical_features: list[str],
    psi_params: Mapping[str, Any],
    *,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per feature: PSI and verdict, KS (numeric) or JS distance (categorical).

    ``psi_params``: ``bins``, ``epsilon``, ``watch``, ``act``. Sorted by PSI, largest
    first. Features are measured on ``workers`` threads.
    """
    if len(current) == 0:
        raise ValueError("the current batch is empty: no drift can be measured")
    bins, epsilon = int(psi_params["bins"]), float(psi_params["epsilon"])
    rows = map_features(
        lambda name: _numeric_drift(
            name, reference[name], current[name], bins, epsilon
        ),
        numeric_features,
        workers,
    ) + map_features(
        lambda name: _categorical_drift(name, reference[name], current[name], epsilon),
        categorical_features,
        workers,
    )
    columns = [
        "feature",
        "kind",
        "psi",
        "ks_statistic",
        "ks_pvalue",
        "missing_share_change",
        "js_distance",
    ]
    drift = pd.DataFrame(rows, columns=columns)
    watch, act = float(psi_params["watch"]), float(psi_params["act"])
    drift.insert(3, "verdict", [verdict(value, watch, act) for value in drift["psi"]])
    return drift.sort_values("psi", ascending=False, kind="stable").reset_index(
        drop=True
    )
