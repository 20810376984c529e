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
    counts = np.bincount(bin_index(values, edges), minlength=edges.size + 2)
    return counts.astype("float64") / values.size


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin of each value: ``i`` for ``edges[i-1] <= value < edges[i]``, and
    ``len(edges) + 1`` (the last) for a missing value."""
    index = np.searchsorted(edges, values, side="right")
    return np.where(np.isnan(values), edges.size + 1, index)


def psi_contributions(
    reference: np.ndarray, current: np.ndarray, epsilon: float
) -> np.ndarray:
    """Each bin's term of the PSI, empty bins raised to ``epsilon``; their sum is
    the PSI (the characteristic analysis lists them)."""
    if reference.shape != current.shape:
        raise ValueError(
            f"share vectors must have the same bins; got {reference.shape} "
            f"and {current.shape}"
        )
    if not 0 < epsilon < 1:
        raise ValueError(f"psi epsilon must lie in (0, 1); got {epsilon}")
    reference = np.maximum(reference, epsilon)
    current = np.maximum(current, epsilon)
    return (current - reference) * np.log(current / reference)


def psi_from_shares(
    reference: np.ndarray, current: np.ndarray, epsilon: float
) -> float:
    """PSI of two share vectors over the same bins, empty bins raised to ``epsilon``."""
    return float(np.sum(psi_contributions(reference, current, epsilon)))


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
    return _shares_of_levels(as_levels(reference), as_levels(current))


def _shares_of_levels(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    shares = pd.DataFrame(
        {
            "reference": reference.value_counts(normalize=True),
            "current": current.value_counts(normalize=True),
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
    name: str,
    reference: pd.Series,
    current: pd.Series,
    scores: tuple[np.ndarray, np.ndarray] | None,
    *,
    bins: int,
    epsilon: float,
) -> tuple[dict[str, Any], pd.DataFrame]:
    reference_values, current_values = as_float(reference), as_float(current)
    table = _numeric_characteristic(
        name, reference_values, current_values, scores, bins=bins, epsilon=epsilon
    )
    row = {
        "feature": name,
        "kind": "numeric",
        "psi": float(table["csi_contribution"].sum()),
        **ks_test(reference_values, current_values),
        "js_distance": np.nan,
    }
    return row, table


def _categorical_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    scores: tuple[np.ndarray, np.ndarray] | None,
    epsilon: float,
) -> tuple[dict[str, Any], pd.DataFrame]:
    table = _categorical_characteristic(name, reference, current, scores, epsilon)
    row = {
        "feature": name,
        "kind": "categorical",
        "psi": float(table["csi_contribution"].sum()),
        "ks_statistic": np.nan,
        "ks_pvalue": np.nan,
        "missing_share_change": float(current.isna().mean() - reference.isna().mean()),
        "js_distance": float(
            jensenshannon(
                table["reference_share"].to_numpy(),
                table["current_share"].to_numpy(),
                base=2,
            )
        ),
    }
    return row, table


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
    drift, _ = drift_and_characteristics(
        reference,
        current,
        numeric_features,
        categorical_features,
        psi_params,
        workers=workers,
    )
    return drift


# --- characteristic analysis -----------------------------------------------------

MISSING_BIN = "missing"
CHARACTERISTIC_COLUMNS = [
    "feature",
    "kind",
    "bin",
    "reference_share",
    "current_share",
    "csi_contribution",
    "mean_score_reference",
    "mean_score_current",
]


def _edge_labels(edges: np.ndarray) -> list[str]:
    """``< a``, ``[a, b)``, ..., ``>= z`` for the value bins of ``binned_shares``."""
    if edges.size == 0:
        return ["all values"]
    text = [f"{edge:.6g}" for edge in edges]
    return (
        [f"< {text[0]}"]
        + [f"[{low}, {high})" for low, high in zip(text, text[1:], strict=False)]
        + [f">= {text[-1]}"]
    )


def _bin_summary(
    values: np.ndarray, edges: np.ndarray, score: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Share of values and mean score per bin (value bins, then the missing bin),
    from one pass over the values; the means are NaN without scores."""
    index = bin_index(values, edges)
    counts = np.bincount(index, minlength=edges.size + 2).astype("float64")
    if score is None:
        return counts / values.size, np.full(counts.size, np.nan)
    sums = np.bincount(index, weights=score, minlength=edges.size + 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return counts / values.size, means


def _numeric_characteristic(
    name: str,
    before: np.ndarray,
    after: np.ndarray,
    scores: tuple[np.ndarray, np.ndarray] | None,
    *,
    bins: int,
    epsilon: float,
) -> pd.DataFrame:
    if after.size == 0:
        raise ValueError("cannot compute bin shares of an empty sample")
    edges = reference_edges(before, bins)
    reference_share, reference_mean = _bin_summary(
        before, edges, None if scores is None else scores[0]
    )
    current_share, current_mean = _bin_summary(
        after, edges, None if scores is None else scores[1]
    )
    return pd.DataFrame(
        {
            "feature": name,
            "kind": "numeric",
            "bin": [*_edge_labels(edges), MISSING_BIN],
            "reference_share": reference_share,
            "current_share": current_share,
            "csi_contribution": psi_contributions(
                reference_share, current_share, epsilon
            ),
            "mean_score_reference": reference_mean,
            "mean_score_current": current_mean,
        }
    )


def _categorical_characteristic(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    scores: tuple[np.ndarray, np.ndarray] | None,
    epsilon: float,
) -> pd.DataFrame:
    levels = (as_levels(reference), as_levels(current))
    shares = _shares_of_levels(*levels)
    means = [
        np.full(len(shares), np.nan)
        if scores is None
        else pd.Series(score).groupby(side.to_numpy()).mean().reindex(shares.index)
        for side, score in zip(levels, scores or (None, None), strict=True)
    ]
    return pd.DataFrame(
        {
            "feature": name,
            "kind": "categorical",
            "bin": [str(level) for level in shares.index],
            "reference_share": shares["reference"].to_numpy(),
            "current_share": shares["current"].to_numpy(),
            "csi_contribution": psi_contributions(
                shares["reference"].to_numpy(), shares["current"].to_numpy(), epsilon
            ),
            "mean_score_reference": np.asarray(means[0], dtype="float64"),
            "mean_score_current": np.asarray(means[1], dtype="float64"),
        }
    )


DRIFT_COLUMNS = [
    "feature",
    "kind",
    "psi",
    "ks_statistic",
    "ks_pvalue",
    "missing_share_change",
    "js_distance",
]


def drift_and_characteristics(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric_features: list[str],
    categorical_features: list[str],
    psi_params: Mapping[str, Any],
    *,
    score_column: str | None = None,
    workers: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature drift and the characteristic analysis from one binning per feature.

    The drift table has one row per feature: PSI and verdict, KS (numeric) or JS
    distance (categorical), sorted by PSI, largest first. The characteristic table
    has one row per feature and bin: the reference's and the batch's share, the
    bin's contribution to the characteristic stability index (CSI, whose sum over a
    feature's bins is its PSI) and the mean score (``score_column``) in the bin; a
    bin whose share moved and whose mean score is high is where the batch's risk
    comes from. Features come in the order given, bins in their order (values
    ascending, then the missing bin; levels most common first).

    ``psi_params``: ``bins``, ``epsilon``, ``watch``, ``act``. Features are measured
    on ``workers`` threads.
    """
    if len(current) == 0:
        raise ValueError("the current batch is empty: no drift can be measured")
    bins, epsilon = int(psi_params["bins"]), float(psi_params["epsilon"])
    scores = (
        None
        if score_column is None
        else (as_float(reference[score_column]), as_float(current[score_column]))
    )
    measured = map_features(
        lambda name: _numeric_drift(
            name, reference[name], current[name], scores, bins=bins, epsilon=epsilon
        ),
        numeric_features,
        workers,
    ) + map_features(
        lambda name: _categorical_drift(
            name, reference[name], current[name], scores, epsilon
        ),
        categorical_features,
        workers,
    )
    drift = pd.DataFrame([row for row, _ in measured], columns=DRIFT_COLUMNS)
    watch, act = float(psi_params["watch"]), float(psi_params["act"])
    drift.insert(3, "verdict", [verdict(value, watch, act) for value in drift["psi"]])
    drift = drift.sort_values("psi", ascending=False, kind="stable").reset_index(
        drop=True
    )
    if not measured:
        return drift, pd.DataFrame(columns=CHARACTERISTIC_COLUMNS)
    characteristic = pd.concat([table for _, table in measured], ignore_index=True)
    return drift, characteristic[CHARACTERISTIC_COLUMNS].astype(
        {"feature": "string", "kind": "string", "bin": "string"}
    )
