"""Tables and sentences the Markdown report and the model document share: figures
with their intervals, and what the tests say in words."""

from __future__ import annotations

import fnmatch
import math
from typing import Any

import pandas as pd

from loan_default.metrics import EVALUATION_COLUMNS, INTERVAL_COLUMNS

MODEL = "model"
HEADLINE_KEYS = ("roc_auc", "gini", "ks", "pr_auc", "brier")


def with_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """``0.745 (0.721 to 0.769)``; ``n/a`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if any(math.isnan(bound) for bound in (low, high)):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def headline_table(evaluation_results: pd.DataFrame) -> pd.DataFrame:
    """One row per algorithm: AUC, Gini, KS, PR AUC and Brier score, each with its
    interval (columns of evaluation_results.csv)."""
    table = pd.DataFrame({MODEL: evaluation_results[MODEL]})
    for key in HEADLINE_KEYS:
        label = EVALUATION_COLUMNS[key]
        table[label] = [
            with_interval(value, low, high)
            for value, low, high in zip(
                evaluation_results[label],
                evaluation_results[INTERVAL_COLUMNS[f"{key}_low"]],
                evaluation_results[INTERVAL_COLUMNS[f"{key}_high"]],
                strict=True,
            )
        ]
    return table


def comparison_table(champion_comparison: pd.DataFrame) -> pd.DataFrame:
    """The paired tests, one row per challenger."""
    return pd.DataFrame(
        {
            "challenger": champion_comparison["challenger"],
            "champion AUC": champion_comparison["champion_auc"],
            "challenger AUC": champion_comparison["challenger_auc"],
            "difference (interval)": [
                with_interval(row.difference, row.difference_low, row.difference_high)
                for row in champion_comparison.itertuples(index=False)
            ],
            "p-value": champion_comparison["p_value"],
        }
    )


def _p(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def significance_sentences(
    champion_comparison: pd.DataFrame, level: float
) -> list[str]:
    """Whether the champion's lead over each challenger on the test split is
    significant, in words."""
    if champion_comparison.empty:
        return ["There is no challenger to compare the champion with."]
    alpha = 1 - level
    sentences = []
    for row in champion_comparison.itertuples(index=False):
        gap = (
            f"{abs(row.difference):.3f} (DeLong's paired test, {_p(row.p_value)}; "
            f"{level:.0%} interval of the difference {row.difference_low:.3f} to "
            f"{row.difference_high:.3f})"
        )
        if row.difference >= 0:
            verdict = (
                f"the lead is significant at the {alpha:.0%} level."
                if row.significant
                else f"the lead is not significant at the {alpha:.0%} level: the "
                "test split cannot tell the two models apart."
            )
            sentences.append(
                f"The champion {row.champion} leads {row.challenger} by an AUC of "
                f"{gap}; {verdict}"
            )
        else:
            verdict = (
                "the challenger's lead is significant: a reason to review the choice."
                if row.significant
                else f"the difference is not significant at the {alpha:.0%} level."
            )
            sentences.append(
                f"On the test split {row.challenger} has the higher AUC, by {gap}; "
                f"{verdict}"
            )
    return sentences


def fairness_table(segment_metrics: pd.DataFrame) -> pd.DataFrame:
    """The segment table with each measure beside its interval."""
    table = segment_metrics[["segment", "level", "count", "default_rate"]].copy()
    for measure, title in (
        ("approval_rate", "approval rate"),
        ("adverse_impact_ratio", "adverse impact ratio"),
        ("equal_opportunity_gap", "equal-opportunity gap"),
        ("AUC", "AUC"),
    ):
        table[title] = [
            with_interval(value, low, high, digits=2)
            for value, low, high in zip(
                segment_metrics[measure],
                segment_metrics[f"{measure}_low"],
                segment_metrics[f"{measure}_high"],
                strict=True,
            )
        ]
    table["screen"] = [
        "flagged"
        if flagged
        else "reference"
        if level == reference
        else ("passed" if screened else "not screened")
        for flagged, screened, level, reference in zip(
            segment_metrics["flagged"],
            segment_metrics["screened"],
            segment_metrics["level"],
            segment_metrics["reference_level"],
            strict=True,
        )
    ]
    return table


def fairness_sentences(
    segment_metrics: pd.DataFrame, screen: dict[str, Any]
) -> list[str]:
    """Which groups the four-fifths screen flags, in words."""
    threshold = float(screen["air_screen"])
    screened = ", ".join(screen["screened"])
    flagged = segment_metrics.loc[segment_metrics["flagged"]]
    intro = (
        f"Screened attributes: {screened}. A group is flagged when its approval rate "
        f"is below {threshold:.0%} of the most favoured group's (adverse impact ratio "
        f"below {threshold:g}); groups under {int(screen['min_group_size'])} "
        "applicants are reported but not screened."
    )
    if flagged.empty:
        return [intro, "No group is flagged."]
    names = "; ".join(
        f"{row.segment} = {row.level} (ratio {row.adverse_impact_ratio:.2f}, "
        f"interval {row.adverse_impact_ratio_low:.2f} to "
        f"{row.adverse_impact_ratio_high:.2f}, against {row.reference_level})"
        for row in flagged.itertuples(index=False)
    )
    return [intro, f"Flagged: {names}."]


def calibration_sentences(
    calibration_summary: pd.DataFrame,
    calibration_grades: pd.DataFrame,
    champion_name: str,
    significance: float,
) -> list[str]:
    """The champion's calibration intercept and slope, and the grades whose
    defaults the binomial test rejects, in words."""
    row = calibration_summary.loc[calibration_summary[MODEL] == champion_name].iloc[0]
    flagged = calibration_grades.loc[calibration_grades["flagged"], "risk_grade"]
    grades = (
        f"the binomial test rejects the predicted rate at the {significance:g} level "
        f"in grade(s) {', '.join(str(g) for g in flagged)}"
        if len(flagged)
        else f"the binomial test rejects the predicted rate in no grade at the "
        f"{significance:g} level"
    )
    return [
        f"Calibration slope {row['slope']:.3f} and intercept {row['intercept']:.3f} "
        f"(logistic recalibration on the logit of the probability; 1 and 0 when "
        f"calibrated), calibration-in-the-large {row['intercept_in_the_large']:.3f}. "
        f"Of {len(calibration_grades)} risk grades, {grades}; with "
        f"{len(calibration_grades)} tests about {significance * len(calibration_grades):.1f} "
        "would be rejected by chance alone.",
    ]


def pairs_table(model_comparisons: pd.DataFrame) -> pd.DataFrame:
    """The configured pairs, one row each."""
    return pd.DataFrame(
        {
            "comparison": model_comparisons["comparison"],
            "model": model_comparisons["model"],
            "baseline": model_comparisons["baseline"],
            "model AUC": model_comparisons["model_auc"],
            "baseline AUC": model_comparisons["baseline_auc"],
            "difference (interval)": [
                with_interval(row.difference, row.difference_low, row.difference_high)
                for row in model_comparisons.itertuples(index=False)
            ],
            "p-value": model_comparisons["p_value"],
        }
    )


def pair_sentences(model_comparisons: pd.DataFrame, level: float) -> list[str]:
    """What each variant costs or gains in test AUC against its baseline."""
    alpha = 1 - level
    sentences = []
    for row in model_comparisons.itertuples(index=False):
        change = "gains" if row.difference >= 0 else "costs"
        verdict = (
            f"significant at the {alpha:.0%} level"
            if row.significant
            else f"not significant at the {alpha:.0%} level"
        )
        sentences.append(
            f"{row.comparison}: {row.model} {change} {abs(row.difference):.3f} of test "
            f"AUC against {row.baseline} ({level:.0%} interval of the difference "
            f"{row.difference_low:.3f} to {row.difference_high:.3f}; DeLong's paired "
            f"test, {_p(row.p_value)}): {verdict}."
        )
    return sentences


def protected_feature_sentences(
    features: list[str], screen: dict[str, Any]
) -> list[str]:
    """Which of the champion's features are, or derive from, protected attributes
    (``protected_features`` patterns): a lender may be barred from scoring on them
    even when the decisions pass the screen."""
    patterns = list(screen.get("protected_features", []))
    used = [
        name
        for name in features
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
    ]
    if not used:
        return ["The champion reads no feature matching the protected patterns."]
    return [
        f"The champion reads {len(used)} feature(s) that are or derive from "
        f"protected attributes: {', '.join(used)}. Passing the screen does not make "
        "them admissible; whether the lender may score on them is a legal question "
        "for each market."
    ]
