"""Time the model-risk statistics and check that their 95% intervals cover.

**Timing.** The headline intervals (DeLong for AUC, 200 bootstrap resamples for
Gini, KS, PR AUC and Brier score) and the fairness table (five attributes, every
measure with 200 resamples) at the default run's test split (3,000 applicants) and
at full scale (46,127, the test share of 307,511), against fairlearn's own
``MetricFrame(n_boot=...)`` on the same groups and resamples at the default run's
size (``--skip-fairlearn`` leaves that out: it is the slow part).

**Coverage.** Test splits drawn from a binormal population whose AUC is known
(defaults' scores N(d, 1), repaid N(0, 1), AUC = Phi(d / sqrt 2)): how often does
the 95% DeLong interval hold the true AUC, and the bootstrap interval the true Gini?
Both should be near 95%.

    python benchmarks/model_risk.py [--repeats 3] [--coverage-splits 200]
                                    [--skip-fairlearn] [--skip-coverage]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from loan_default.model_risk.fairness import fairness_by_group
from loan_default.model_risk.intervals import (
    bootstrap_intervals,
    delong_auc_interval,
    headline_intervals,
)

N_RESAMPLES = 200
SEED = 20240601
DEFAULT_RATE = 0.08
SEPARATION = 1.1  # binormal d: AUC about 0.78, as the project's models
SIZES = {"default run": 3_000, "full scale": 46_127}
ATTRIBUTES = {
    "CODE_GENDER": (["F", "M", "XNA"], [0.65, 0.3499, 0.0001]),
    "age band": ([f"{age}-{age + 5}" for age in range(20, 70, 5)], None),
    "NAME_FAMILY_STATUS": (["Married", "Single", "Civil", "Separated", "Widow"], None),
    "NAME_CONTRACT_TYPE": (["Cash loans", "Revolving loans"], [0.9, 0.1]),
    "NAME_INCOME_TYPE": (["Working", "Commercial", "Pensioner", "State"], None),
}


def test_split(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = (rng.random(n) < DEFAULT_RATE).astype("int64")
    scores = norm.cdf(rng.normal(SEPARATION * labels, 1.0) - 2.0)
    return labels, scores


def attributes(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: rng.choice(levels, n, p=shares)
            for name, (levels, shares) in ATTRIBUTES.items()
        }
    )


def best_of(repeats: int, function, *args, **kwargs) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return min(times)


def with_fairlearn(
    labels: np.ndarray, flagged: np.ndarray, groups: pd.DataFrame
) -> None:
    """The same per-group figures through fairlearn's own bootstrap."""

    def approval_rate(y_true, y_pred):
        return float(np.mean(1 - y_pred))

    def auc(y_true, y_pred):
        return roc_auc_score(y_true, y_pred) if np.unique(y_true).size == 2 else np.nan

    for name in groups.columns:
        MetricFrame(
            metrics={"approval_rate": approval_rate, "AUC": auc},
            y_true=labels,
            y_pred=flagged,
            sensitive_features=groups[name],
            n_boot=N_RESAMPLES,
            ci_quantiles=[0.025, 0.975],
            random_state=SEED,
        )


def time_size(n: int, repeats: int, skip_fairlearn: bool) -> tuple[float, ...]:
    rng = np.random.default_rng(n)
    labels, scores = test_split(n, rng)
    groups = attributes(n, rng)
    threshold = float(np.quantile(scores, 0.9))
    headline = best_of(
        repeats,
        headline_intervals,
        labels,
        scores,
        n_resamples=N_RESAMPLES,
        seed=SEED,
        level=0.95,
    )
    fairness = best_of(
        repeats,
        fairness_by_group,
        labels,
        scores,
        threshold,
        groups,
        screened=["CODE_GENDER", "age band", "NAME_FAMILY_STATUS"],
        air_screen=0.8,
        min_group_size=50,
        n_resamples=N_RESAMPLES,
        seed=SEED,
        level=0.95,
    )
    # fairlearn's bootstrap takes minutes at full scale: the default run's size only.
    library = (
        float("nan")
        if skip_fairlearn or n > SIZES["default run"]
        else best_of(1, with_fairlearn, labels, (scores >= threshold) * 1, groups)
    )
    return headline, fairness, library


def timing(repeats: int, skip_fairlearn: bool) -> None:
    print(
        f"{'':12} {'applicants':>10} {'headline':>9} {'fairness':>9} {'fairlearn':>10}"
    )
    for label, n in SIZES.items():
        headline, fairness, library = time_size(n, repeats, skip_fairlearn)
        library_text = "-" if np.isnan(library) else f"{library:.2f}s"
        print(
            f"{label:12} {n:>10,} {headline:>8.2f}s {fairness:>8.2f}s "
            f"{library_text:>10}"
        )


def coverage(splits: int) -> None:
    rng = np.random.default_rng(1)
    true_auc = float(norm.cdf(SEPARATION / np.sqrt(2)))
    held_auc = held_gini = 0
    for _ in range(splits):
        labels, scores = test_split(SIZES["default run"], rng)
        auc = delong_auc_interval(labels, scores)
        held_auc += auc["low"] <= true_auc <= auc["high"]
        low, high = bootstrap_intervals(
            labels,
            scores,
            n_resamples=N_RESAMPLES,
            seed=int(rng.integers(2**31)),
            keys=("gini",),
        )["gini"]
        held_gini += low <= 2 * true_auc - 1 <= high
    print(
        f"coverage over {splits} test splits of {SIZES['default run']:,} (true AUC "
        f"{true_auc:.3f}): DeLong AUC {held_auc / splits:.1%}, bootstrap Gini "
        f"{held_gini / splits:.1%} (95% intended)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--coverage-splits", type=int, default=200)
    parser.add_argument("--skip-fairlearn", action="store_true")
    parser.add_argument("--skip-coverage", action="store_true")
    arguments = parser.parse_args()
    timing(arguments.repeats, arguments.skip_fairlearn)
    if not arguments.skip_coverage:
        coverage(arguments.coverage_splits)


if __name__ == "__main__":
    main()
