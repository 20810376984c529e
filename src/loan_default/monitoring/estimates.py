"""Performance estimated from calibrated probabilities, before the outcomes arrive.

If the champion's probability ``p`` of each applicant is right, the applicant is a
default with probability ``p``: every figure a labelled batch would give has a known
distribution (confidence-based performance estimation, the idea of NannyML's CBPE).

- expected default rate: ``mean(p)``;
- expected AUC: the AUC with each applicant counted as a default with weight ``p`` and
  as a good payer with weight ``1 - p`` (each applicant's pair with itself is counted
  too, a bias below ``1 / n``);
- expected flagged share: the share with ``p >= threshold`` (known without labels);
- expected recall and precision at the operating threshold: the expected defaults
  among the flagged over all expected defaults, or over the flagged.

The 95% interval of each comes from replicates: outcomes drawn from Bernoulli(``p``)
(the spread of the realised figure on this very batch, a Poisson-binomial draw),
on rows resampled with replacement when ``bootstrap_rows`` is set (the spread from
the batch being a sample of its population). The realised figure of a calibrated
model lands inside about 95% of the time; when the probabilities themselves stop
matching the outcomes (concept drift), the estimate does not move and misses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

ESTIMATED_METRICS = ("roc_auc", "default_rate", "flagged_share", "recall", "precision")
ESTIMATE_COLUMNS = [
    "metric",
    "reference",
    "estimate",
    "lower",
    "upper",
    "realised",
    "within_interval",
]


class _Scores:
    """The scores sorted once into groups of equal value, for weighted AUCs in O(n)."""

    def __init__(self, scores: np.ndarray) -> None:
        _, self.group = np.unique(scores, return_inverse=True)
        self.groups = int(self.group.max()) + 1 if scores.size else 0

    def auc(self, positive: np.ndarray, negative: np.ndarray) -> float:
        """AUC where row ``i`` weighs ``positive[i]`` as a default and ``negative[i]``
        as a good payer; ties count one half, as in scikit-learn."""
        pos = np.bincount(self.group, weights=positive, minlength=self.groups)
        neg = np.bincount(self.group, weights=negative, minlength=self.groups)
        below = np.cumsum(neg) - neg
        total = pos.sum() * neg.sum()
        if total == 0:
            return np.nan
        return float(np.sum(pos * (below + 0.5 * neg)) / total)


def _checked_probability(probability: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(probability, dtype="float64")
    if values.size == 0:
        raise ValueError("the batch has no scores: performance cannot be estimated")
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(
            f"probability of default must lie in [0, 1] with no missing value to "
            f"estimate performance; {int(bad.sum())} values do not, e.g. "
            f"{values[bad][:5].tolist()}"
        )
    return values


def _figures(
    scores: _Scores,
    flagged: np.ndarray,
    weight: np.ndarray,
    positive: np.ndarray,
) -> dict[str, float]:
    """The five figures for rows of ``weight`` of which ``positive`` are defaults
    (a 0/1 outcome times the weight, or the expected ``p`` times it)."""
    negative = weight - positive
    defaults, rows = positive.sum(), weight.sum()
    flagged_rows = (weight * flagged).sum()
    flagged_defaults = (positive * flagged).sum()
    return {
        "roc_auc": scores.auc(positive, negative),
        "default_rate": float(defaults / rows),
        "flagged_share": float(flagged_rows / rows),
        "recall": float(flagged_defaults / defaults) if defaults else np.nan,
        "precision": float(flagged_defaults / flagged_rows) if flagged_rows else np.nan,
    }


def expected_performance(
    probability: pd.Series | np.ndarray, threshold: float
) -> dict[str, float]:
    """The figures a labelled batch would give on average if ``probability`` is right."""
    values = _checked_probability(probability)
    ones = np.ones_like(values)
    return _figures(_Scores(values), values >= threshold, ones, values)


def realised_performance(
    labels: pd.Series | np.ndarray,
    probability: pd.Series | np.ndarray,
    threshold: float,
) -> dict[str, float]:
    """The same figures on observed 0/1 outcomes."""
    values = _checked_probability(probability)
    outcomes = np.asarray(labels, dtype="float64")
    if outcomes.shape != values.shape or not np.isin(outcomes, (0, 1)).all():
        raise ValueError(
            "labels must be 0 or 1, one per probability, to measure the realised "
            f"performance; got {outcomes.size} labels for {values.size} scores"
        )
    ones = np.ones_like(values)
    return _figures(_Scores(values), values >= threshold, ones, outcomes)


def performance_intervals(
    probability: pd.Series | np.ndarray,
    threshold: float,
    *,
    replicates: int,
    confidence: float,
    bootstrap_rows: bool,
    seed: int,
) -> pd.DataFrame:
    """Percentile interval of each figure over ``replicates`` simulated outcomes.

    Columns ``metric, lower, upper``. Seeded: the same batch gives the same interval.
    """
    if replicates < 20:
        raise ValueError(
            f"estimated_performance.replicates must be at least 20; got {replicates}"
        )
    if not 0 < confidence < 1:
        raise ValueError(
            f"estimated_performance.confidence must lie in (0, 1); got {confidence}"
        )
    values = _checked_probability(probability)
    rng = np.random.default_rng(seed)
    scores, flagged = _Scores(values), values >= threshold
    rows = values.size
    ones = np.ones(rows)
    draws = []
    for _ in range(replicates):
        weight = (
            np.bincount(rng.integers(0, rows, rows), minlength=rows).astype("float64")
            if bootstrap_rows
            else ones
        )
        outcome = (rng.random(rows) < values).astype("float64")
        draws.append(_figures(scores, flagged, weight, weight * outcome))
    table = pd.DataFrame(draws, columns=list(ESTIMATED_METRICS))
    tail = (1 - confidence) / 2
    return pd.DataFrame(
        {
            "metric": list(ESTIMATED_METRICS),
            "lower": table.quantile(tail).to_numpy(),
            "upper": table.quantile(1 - tail).to_numpy(),
        }
    )


def estimated_performance(
    reference_probability: pd.Series | np.ndarray,
    probability: pd.Series | np.ndarray,
    threshold: float,
    params: Mapping[str, Any],
    labels: pd.Series | None = None,
) -> pd.DataFrame:
    """Estimate and interval of each figure on the batch, the reference's estimate
    beside it, and the realised figure when ``labels`` are given (rows whose label is
    missing are left out of the realised figure only).

    ``params``: ``replicates``, ``confidence``, ``bootstrap_rows``, ``seed``.
    ``within_interval`` is 1.0 or 0.0 when the realised figure is known, NaN before.
    """
    estimate = expected_performance(probability, threshold)
    reference = expected_performance(reference_probability, threshold)
    intervals = performance_intervals(
        probability,
        threshold,
        replicates=int(params["replicates"]),
        confidence=float(params["confidence"]),
        bootstrap_rows=bool(params["bootstrap_rows"]),
        seed=int(params["seed"]),
    ).set_index("metric")
    realised = dict.fromkeys(ESTIMATED_METRICS, np.nan)
    if labels is not None and labels.notna().any():
        known = labels.notna().to_numpy()
        realised = realised_performance(
            labels.to_numpy(dtype="float64", na_value=np.nan)[known],
            np.asarray(probability, dtype="float64")[known],
            threshold,
        )
    table = pd.DataFrame(
        {
            "metric": list(ESTIMATED_METRICS),
            "reference": [reference[name] for name in ESTIMATED_METRICS],
            "estimate": [estimate[name] for name in ESTIMATED_METRICS],
            "lower": intervals["lower"].to_numpy(),
            "upper": intervals["upper"].to_numpy(),
            "realised": [realised[name] for name in ESTIMATED_METRICS],
        }
    )
    known_realised = table["realised"].notna()
    inside = (table["realised"] >= table["lower"]) & (
        table["realised"] <= table["upper"]
    )
    table["within_interval"] = np.where(known_realised, inside.astype(float), np.nan)
    table["metric"] = table["metric"].astype("string")
    return table
