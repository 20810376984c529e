"""Model stability: the score's distribution, its deciles, what drives it, and who gets it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from loan_default.monitoring.columns import as_float
from loan_default.monitoring.drift import psi_contributions


def score_statistics(
    reference: pd.Series, current: pd.Series, quantiles: Sequence[float]
) -> pd.DataFrame:
    """Mean, standard deviation and quantiles of the score, with the change."""
    if any(not 0 <= q <= 1 for q in quantiles):
        raise ValueError(f"score quantiles must lie in [0, 1]; got {list(quantiles)}")
    rows = []
    for sample in (as_float(reference), as_float(current)):
        present = sample[~np.isnan(sample)]
        if present.size == 0:
            raise ValueError("a score column holds no values; nothing to compare")
        rows.append(
            [present.mean(), present.std(), *np.quantile(present, list(quantiles))]
        )
    names = ["mean", "std", *(f"q{round(100 * q):02d}" for q in quantiles)]
    table = pd.DataFrame({"statistic": names, "reference": rows[0], "current": rows[1]})
    table["change"] = table["current"] - table["reference"]
    return table


def population_stability(
    reference_grades: pd.Series,
    current_grades: pd.Series,
    reference_scores: pd.Series,
    current_scores: pd.Series,
    epsilon: float,
) -> pd.DataFrame:
    """The population stability report on the score by risk grade (risk decile).

    Per grade: the expected share (the reference's, a tenth each for deciles cut on
    it), the actual share of the batch, the change, the grade's term of the PSI, and
    the mean score of both sides. The terms sum to the PSI over risk grades.
    """
    shares = pd.DataFrame(
        {
            "reference": reference_grades.value_counts(normalize=True),
            "current": current_grades.value_counts(normalize=True),
        }
    ).fillna(0.0)
    shares.index = shares.index.astype("int64")
    shares = shares.sort_index().rename_axis("risk_decile")
    shares["change"] = shares["current"] - shares["reference"]
    shares["psi_contribution"] = psi_contributions(
        shares["reference"].to_numpy(), shares["current"].to_numpy(), epsilon
    )
    for side, grades, scores in (
        ("reference", reference_grades, reference_scores),
        ("current", current_grades, current_scores),
    ):
        means = pd.Series(as_float(scores)).groupby(grades.to_numpy()).mean()
        means.index = means.index.astype("int64")
        shares[f"mean_score_{side}"] = means.reindex(shares.index).to_numpy()
    return shares.reset_index()


def importance_stability(
    reference_contributions: pd.DataFrame, current_contributions: pd.DataFrame
) -> pd.DataFrame:
    """Mean absolute contribution per feature on both samples, ranked, with the change.

    Rank 1 is the feature that moves the reference's scores most. ``relative_change``
    is the change over the reference value.
    """
    if list(reference_contributions.columns) != list(current_contributions.columns):
        raise ValueError(
            "contribution tables must have the same feature columns in the same "
            f"order; reference has {list(reference_contributions.columns)[:5]}..., "
            f"current {list(current_contributions.columns)[:5]}..."
        )
    table = pd.DataFrame(
        {
            "reference": reference_contributions.abs().mean(),
            "current": current_contributions.abs().mean(),
        }
    ).rename_axis("feature")
    table["change"] = table["current"] - table["reference"]
    table["relative_change"] = table["change"] / table["reference"].replace(0, np.nan)
    table["rank_reference"] = table["reference"].rank(ascending=False, method="first")
    table["rank_current"] = table["current"].rank(ascending=False, method="first")
    table["rank_change"] = table["rank_current"] - table["rank_reference"]
    rank_columns = ["rank_reference", "rank_current", "rank_change"]
    table[rank_columns] = table[rank_columns].astype("int64")
    return table.sort_values("rank_reference").reset_index()


def client_profile(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str],
    decile_column: str,
) -> pd.DataFrame:
    """Mean of each numeric feature per risk decile, reference against current.

    Long format: ``risk_decile, feature, reference, current, change``. Categorical
    features are left out (a mean means nothing for them).
    """
    numeric = [
        name for name in features if pd.api.types.is_numeric_dtype(reference[name])
    ]
    means = []
    for frame in (reference, current):
        if decile_column not in frame.columns:
            raise ValueError(
                f"column {decile_column!r} (risk decile) is missing; profiling groups "
                "applicants by it"
            )
        values = frame[numeric].astype("float64")
        means.append(values.groupby(frame[decile_column].astype("int64")).mean())
    profile = (
        pd.concat({"reference": means[0], "current": means[1]}, axis=1)
        .stack(level=1, future_stack=True)
        .rename_axis(["risk_decile", "feature"])
        .reset_index()
    )
    profile["change"] = profile["current"] - profile["reference"]
    return profile


def score_histogram(
    reference: pd.Series, current: pd.Series, bins: int = 50
) -> pd.DataFrame:
    """Share of scores per equal-width bin of [0, 1]: the report's distribution plot."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    shares = {}
    for name, sample in (("reference", reference), ("current", current)):
        values = as_float(sample)
        values = values[~np.isnan(values)]
        counts, _ = np.histogram(np.clip(values, 0.0, 1.0), bins=edges)
        shares[name] = counts / max(values.size, 1)
    return pd.DataFrame({"bin_left": edges[:-1], "bin_right": edges[1:], **shares})
