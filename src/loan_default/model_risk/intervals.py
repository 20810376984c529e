"""Confidence intervals of the headline figures and the paired test of two AUCs.

AUC: DeLong, DeLong and Clarke-Pearson (1988), computed with midranks as in Sun and
Xu (2014, "Fast implementation of DeLong's algorithm"); the interval is normal on
the AUC scale, as pROC's ``ci.auc(method="delong")``. Two models scored on the same
applicants are compared with DeLong's paired test of their AUCs.

Gini, KS, PR AUC and Brier score: a percentile bootstrap over applicants. A resample
is a vector of counts (how often each applicant was drawn), so every resample's
statistic is a weighted statistic of the original, sorted data: all resamples are
computed at once, with no per-resample loop over scikit-learn calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm, rankdata

from loan_default.metrics import checked_scores

BOOTSTRAP_CHUNK = 50
"""Resamples computed together: bounds memory at full scale (resamples x applicants)."""


# --- DeLong -----------------------------------------------------------------------------


def _structural_components(
    labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUC of each row of ``scores`` and DeLong's placements V10 (per default) and
    V01 (per non-default), by midranks."""
    positives = scores[:, labels == 1]
    negatives = scores[:, labels == 0]
    m, n = positives.shape[1], negatives.shape[1]
    rank_all = rankdata(np.hstack([positives, negatives]), axis=1)
    rank_positives = rankdata(positives, axis=1)
    rank_negatives = rankdata(negatives, axis=1)
    v10 = (rank_all[:, :m] - rank_positives) / n
    v01 = 1.0 - (rank_all[:, m:] - rank_negatives) / m
    aucs = v10.mean(axis=1)
    return aucs, v10, v01


def delong_covariance(
    y_true: Any, *probabilities: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of one or more scores of the same applicants and DeLong's
    covariance matrix of those AUCs."""
    if not probabilities:
        raise ValueError("delong_covariance: no scores given")
    checked = [checked_scores(y_true, probability) for probability in probabilities]
    labels = checked[0][0]
    scores = np.vstack([score for _, score in checked])
    aucs, v10, v01 = _structural_components(labels, scores)
    m, n = v10.shape[1], v01.shape[1]
    covariance = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, covariance


def delong_auc_interval(
    y_true: Any, probability: Any, level: float = 0.95
) -> dict[str, float]:
    """ROC AUC with its DeLong standard error and a ``level`` interval, clipped to
    [0, 1]."""
    _check_level(level)
    aucs, covariance = delong_covariance(y_true, probability)
    auc, standard_error = float(aucs[0]), float(np.sqrt(covariance[0, 0]))
    half_width = norm.ppf(0.5 + level / 2) * standard_error
    return {
        "auc": auc,
        "standard_error": standard_error,
        "low": float(max(0.0, auc - half_width)),
        "high": float(min(1.0, auc + half_width)),
    }


def delong_paired_test(
    y_true: Any, probability_a: Any, probability_b: Any, level: float = 0.95
) -> dict[str, float]:
    """DeLong's test that two scores of the same applicants have equal AUC.

    Returns both AUCs, their difference (a - b) with its standard error and
    ``level`` interval, the z statistic and the two-sided p-value. Identical
    rankings have no variance of the difference: z is 0 and the p-value 1.
    """
    _check_level(level)
    aucs, covariance = delong_covariance(y_true, probability_a, probability_b)
    difference = float(aucs[0] - aucs[1])
    variance = float(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1])
    standard_error = float(np.sqrt(max(variance, 0.0)))
    if standard_error > 0:
        z = difference / standard_error
        p_value = float(2 * norm.sf(abs(z)))
    else:
        z, p_value = 0.0, 1.0
    half_width = norm.ppf(0.5 + level / 2) * standard_error
    return {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "difference": difference,
        "standard_error": standard_error,
        "low": float(difference - half_width),
        "high": float(difference + half_width),
        "z": float(z),
        "p_value": p_value,
    }


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must lie in (0, 1); got {level}")


# --- the bootstrap ---------------------------------------------------------------------


def bootstrap_counts(n_rows: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_rows) counts of each row in each resample: resample ``b``
    draws ``rng.integers(0, n_rows, n_rows)`` from ``numpy.random.default_rng(seed)``
    in turn, so it can be reproduced row by row."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1; got {n_resamples}")
    rng = np.random.default_rng(seed)
    counts = np.empty((n_resamples, n_rows), dtype="float64")
    for start in range(0, n_resamples, BOOTSTRAP_CHUNK):
        stop = min(start + BOOTSTRAP_CHUNK, n_resamples)
        drawn = rng.integers(0, n_rows, size=(stop - start, n_rows))
        offsets = np.arange(stop - start)[:, None] * n_rows
        counts[start:stop] = np.bincount(
            (drawn + offsets).ravel(), minlength=(stop - start) * n_rows
        ).reshape(stop - start, n_rows)
    return counts


def _tie_groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order of the scores from highest to lowest and where each run of equal
    scores starts in that order."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    return order, starts


def weighted_auc(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """ROC AUC of each row of ``weights``: for each default, the weight of the
    non-defaults scored below it plus half of those tied, summed with the
    defaults' weights, over the product of the two classes' weights (NaN where a
    row has no weight on one class)."""
    weights = np.atleast_2d(weights)
    defaults = labels == 1
    negative_order = np.argsort(scores[~defaults], kind="stable")
    negative_scores = scores[~defaults][negative_order]
    # Weight of the non-defaults up to each position, with a leading zero.
    below = np.zeros((weights.shape[0], negative_order.size + 1))
    np.cumsum(weights[:, ~defaults][:, negative_order], axis=1, out=below[:, 1:])
    positive_scores = scores[defaults]
    strictly = below[:, np.searchsorted(negative_scores, positive_scores, "left")]
    at_most = below[:, np.searchsorted(negative_scores, positive_scores, "right")]
    positive_weights = weights[:, defaults]
    pairs = (positive_weights * (strictly + at_most)).sum(axis=1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return pairs / (positive_weights.sum(axis=1) * below[:, -1])


def weighted_ranking_metrics(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """ROC AUC, KS and PR AUC (average precision) of each row of ``weights``
    (per-applicant weights, e.g. bootstrap counts), as scikit-learn computes them
    with ``sample_weight``. A row with no weight on one class gives NaN."""
    weights = np.atleast_2d(weights)
    order, starts = _tie_groups(scores)
    ordered = weights[:, order]
    defaults = labels[order] == 1
    # Weight of defaults and non-defaults at each distinct score, highest first.
    true_positives = np.add.reduceat(ordered * defaults, starts, axis=1)
    false_positives = np.add.reduceat(ordered * ~defaults, starts, axis=1)
    tp_cumulative = np.cumsum(true_positives, axis=1)
    fp_cumulative = np.cumsum(false_positives, axis=1)
    total_positive = tp_cumulative[:, -1:]
    total_negative = fp_cumulative[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = tp_cumulative / total_positive
        fpr = fp_cumulative / total_negative
        ks = np.max(tpr - fpr, axis=1, initial=0.0)
        flagged = tp_cumulative + fp_cumulative
        precision = np.where(flagged > 0, tp_cumulative / flagged, 0.0)
        recall_steps = np.diff(tpr, axis=1, prepend=0.0)
        average_precision = (recall_steps * precision).sum(axis=1)
    undefined = (total_positive[:, 0] == 0) | (total_negative[:, 0] == 0)
    ks = np.where(undefined, np.nan, ks)
    average_precision = np.where(total_positive[:, 0] == 0, np.nan, average_precision)
    auc = weighted_auc(labels, scores, weights)
    return {
        "roc_auc": auc,
        "gini": 2 * auc - 1,
        "ks": ks,
        "pr_auc": average_precision,
    }


def weighted_brier(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Brier score of each row of ``weights``."""
    weights = np.atleast_2d(weights)
    return (weights @ (scores - labels) ** 2) / weights.sum(axis=1)


def weighted_headline_metrics(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """The bootstrapped headline figures of each row of ``weights``."""
    return {
        **weighted_ranking_metrics(labels, scores, weights),
        "brier": weighted_brier(labels, scores, weights),
    }


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` share of ``values`` (NaN resamples left out; NaN if
    none is defined)."""
    _check_level(level)
    values = np.asarray(values, dtype="float64")
    if np.isnan(values).all():
        return float("nan"), float("nan")
    low, high = np.nanquantile(values, [0.5 - level / 2, 0.5 + level / 2])
    return float(low), float(high)


def bootstrap_intervals(
    y_true: Any,
    probability: Any,
    *,
    n_resamples: int,
    seed: int,
    level: float = 0.95,
    metrics: Callable[
        [np.ndarray, np.ndarray, np.ndarray], dict[str, np.ndarray]
    ] = weighted_headline_metrics,
    keys: tuple[str, ...] = ("gini", "ks", "pr_auc", "brier"),
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of ``keys`` (by default Gini, KS, PR AUC and
    Brier score), from ``n_resamples`` resamples of the applicants drawn with
    ``seed``."""
    labels, scores = checked_scores(y_true, probability)
    counts = bootstrap_counts(len(labels), n_resamples, seed)
    samples: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    for start in range(0, n_resamples, BOOTSTRAP_CHUNK):
        values = metrics(labels, scores, counts[start : start + BOOTSTRAP_CHUNK])
        for key in keys:
            samples[key].append(values[key])
    return {
        key: percentile_interval(np.concatenate(chunks), level)
        for key, chunks in samples.items()
    }


def headline_intervals(
    y_true: Any, probability: Any, *, n_resamples: int, seed: int, level: float
) -> dict[str, float]:
    """``<metric>_low`` and ``<metric>_high`` of AUC (DeLong), Gini, KS, PR AUC and
    Brier score (bootstrap), flat, for the evaluation tables."""
    auc = delong_auc_interval(y_true, probability, level)
    intervals = {"roc_auc": (auc["low"], auc["high"])}
    intervals.update(
        bootstrap_intervals(
            y_true, probability, n_resamples=n_resamples, seed=seed, level=level
        )
    )
    return {
        f"{key}_{end}": value
        for key, (low, high) in intervals.items()
        for end, value in (("low", low), ("high", high))
    }
