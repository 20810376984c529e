"""Reporting nodes: compare the algorithms and explain the champion.

Modelling chooses the champion and builds it; these nodes only read its outputs,
arrange and explain. Every metric comes from ``loan_default.metrics``; figures are
built in ``plots.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from loan_default.metrics import discrimination_metrics
from loan_default.model.decision_rule import (
    PREDICTION_COLUMNS,
    PROBABILITY,
    costs_of,
    expected_cost_per_applicant,
    labels_and_scores,
)
from loan_default.model.scoring_model import (
    ScoringModel,
    assign_risk_deciles,
    risk_decile_edges,
)
from loan_default.schema import APPLICATION, APPLICATION_ID, TARGET

MODEL = "model"
ORIGIN_THRESHOLD = 0.5
"""The origin project's fixed threshold, kept for comparison."""

_MAX_EXAMPLES = 5


# --- inputs -------------------------------------------------------------------------


def _require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {missing}; has {list(frame.columns)}"
        )


def collect_by_algorithm(**by_algorithm: Any) -> dict[str, Any]:
    """One dataset per algorithm gathered into ``{algorithm: value}``."""
    return dict(sorted(by_algorithm.items()))


def stack_predictions(**predictions_by_algorithm: pd.DataFrame) -> pd.DataFrame:
    """Every algorithm's predictions in one long table with a ``model`` column."""
    frames = []
    for algorithm, predictions in sorted(predictions_by_algorithm.items()):
        labels_and_scores(predictions, f"{algorithm}.predictions_test")
        frames.append(predictions[PREDICTION_COLUMNS].assign(**{MODEL: algorithm}))
    if not frames:
        raise ValueError("no algorithm's predictions to report on")
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[[MODEL, *PREDICTION_COLUMNS]]


def describe_champion(champion_model: ScoringModel) -> dict[str, Any]:
    """champion_metadata.json: the artifact's metadata with its decision rule."""
    return {
        **champion_model.metadata,
        "n_features": len(champion_model.feature_names),
        "risk_decile_edges": list(champion_model.risk_decile_edges),
    }


# --- feature importance -----------------------------------------------------------------


def compute_feature_importance(
    model: ScoringModel,
    model_input_test: pd.DataFrame,
    importance_options: dict,
) -> pd.DataFrame:
    """Importance of every feature: ``feature_importances_`` when the estimator has
    them, otherwise the drop in test AUC when the feature is permuted."""
    names = model.feature_names
    estimator = model.estimator
    importances = getattr(estimator, "feature_importances_", None)
    if importances is not None:
        if len(importances) != len(names):
            raise ValueError(
                f"{type(estimator).__name__} has {len(importances)} feature importances "
                f"but the feature transformer makes {len(names)} features"
            )
        method = "impurity"
    else:
        _require_columns(model_input_test, [TARGET, *names], "model_input_test")
        sample = model_input_test.sample(
            n=min(
                int(importance_options["permutation_sample_size"]),
                len(model_input_test),
            ),
            random_state=int(importance_options["seed"]),
        )
        importances = permutation_importance(
            estimator,
            sample[names],
            sample[TARGET].astype("int64"),
            scoring="roc_auc",
            n_repeats=int(importance_options["permutation_repeats"]),
            random_state=int(importance_options["seed"]),
        ).importances_mean
        method = "permutation"
    table = pd.DataFrame(
        {"feature": names, "importance": np.asarray(importances, dtype="float64")}
    )
    table["method"] = method
    return table.sort_values(
        ["importance", "feature"], ascending=[False, True], ignore_index=True
    )


# --- decile and segment tables -----------------------------------------------------------


def build_decile_table(test_predictions: pd.DataFrame) -> pd.DataFrame:
    """Lift and cumulative gain by risk decile (10 = riskiest) per algorithm.

    Deciles are cut on each algorithm's own test scores, as the champion cuts its
    reference deciles.
    """
    tables = []
    for algorithm, predictions in test_predictions.groupby(MODEL, sort=True):
        scores = predictions[PROBABILITY].to_numpy(dtype="float64")
        deciles = assign_risk_deciles(scores, risk_decile_edges(scores))
        grouped = (
            pd.DataFrame(
                {"risk_decile": deciles, TARGET: predictions[TARGET].to_numpy()}
            )
            .groupby("risk_decile")[TARGET]
            .agg(applicants="size", defaults="sum")
            .reindex(range(10, 0, -1), fill_value=0)
        )
        total_defaults = max(int(grouped["defaults"].sum()), 1)
        overall_rate = grouped["defaults"].sum() / grouped["applicants"].sum()
        grouped["default_rate"] = grouped["defaults"] / grouped["applicants"].where(
            grouped["applicants"] > 0
        )
        grouped["lift"] = grouped["default_rate"] / overall_rate
        grouped["applicants_share_cumulative"] = (
            grouped["applicants"].cumsum() / grouped["applicants"].sum()
        )
        grouped["cumulative_gain"] = grouped["defaults"].cumsum() / total_defaults
        tables.append(grouped.reset_index().assign(**{MODEL: algorithm}))
    table = pd.concat(tables, ignore_index=True)
    return table[[MODEL, *[column for column in table.columns if column != MODEL]]]


def _segment_values(
    applications: pd.DataFrame, segment_options: dict
) -> dict[str, pd.Series]:
    """Each segmenting variable's value per applicant, as text."""
    segments = {}
    for column in segment_options["categorical"]:
        if column not in APPLICATION:
            raise ValueError(
                f"parameters segments.categorical: {column!r} is not a column of "
                f"{APPLICATION.filename}"
            )
        segments[column] = applications[column].astype("string").fillna("missing")
    age = segment_options["age_band"]
    edges = list(age["bins_years"])
    if len(edges) < 2 or edges != sorted(set(edges)):
        raise ValueError(
            "parameters segments.age_band.bins_years: expected at least two "
            f"increasing ages, got {edges!r}"
        )
    age_years = -pd.to_numeric(applications[age["column"]]) / age["days_per_year"]
    labels = [f"{low}-{high}" for low, high in zip(edges, edges[1:], strict=False)]
    bands = pd.cut(age_years, bins=edges, labels=labels, right=False)
    segments["age band"] = bands.astype("string").fillna(
        f"outside {edges[0]}-{edges[-1]}"
    )
    return segments


def build_segment_metrics(
    test_predictions: pd.DataFrame,
    champion_metadata: dict[str, Any],
    application_clean: pd.DataFrame,
    segment_options: dict,
) -> pd.DataFrame:
    """segment_metrics.csv: the champion's test AUC, default rate and flagged rate
    per level of each segmenting variable. AUC is NaN in a one-class segment."""
    needed = [APPLICATION_ID, *segment_options["categorical"]]
    needed.append(segment_options["age_band"]["column"])
    _require_columns(application_clean, needed, "application_clean")
    champion_name = champion_metadata["algorithm"]
    predictions = test_predictions.loc[test_predictions[MODEL] == champion_name]
    joined = predictions.merge(
        application_clean[needed],
        on=APPLICATION_ID,
        how="left",
        validate="one_to_one",
        indicator=True,
    )
    unmatched = joined["_merge"] == "left_only"
    if unmatched.any():
        raise ValueError(
            f"application_clean: {int(unmatched.sum())} test applicants are missing "
            f"from it, e.g. {APPLICATION_ID} "
            f"{joined.loc[unmatched, APPLICATION_ID].head(_MAX_EXAMPLES).tolist()}"
        )
    threshold = float(champion_metadata["operating_threshold"])
    joined["flagged"] = joined[PROBABILITY] >= threshold
    rows = []
    for segment, values in _segment_values(joined, segment_options).items():
        for level, group in joined.groupby(values, sort=True):
            labels = group[TARGET].astype("int64")
            auc = (
                discrimination_metrics(labels, group[PROBABILITY])["roc_auc"]
                if labels.nunique() == 2
                else math.nan
            )
            rows.append(
                {
                    "segment": segment,
                    "level": level,
                    "count": len(group),
                    "default_rate": float(labels.mean()),
                    "flagged_rate": float(group["flagged"].mean()),
                    "AUC": auc,
                }
            )
    return pd.DataFrame(
        rows,
        columns=["segment", "level", "count", "default_rate", "flagged_rate", "AUC"],
    )


# --- the Markdown report -------------------------------------------------------------


def _format_cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a GitHub-flavoured Markdown table, floats to 3 decimals."""
    header = "| " + " | ".join(str(column) for column in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(_format_cell(value) for value in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def oracle_auc(
    data_source: dict, true_default_probability: pd.DataFrame, predictions: pd.DataFrame
) -> float | None:
    """AUC of the generator's true default probability on the test applicants: the
    best any model could do. None for real data, which has no known truth."""
    if data_source.get("kind") != "synthetic" or true_default_probability.empty:
        return None
    joined = predictions[[APPLICATION_ID, TARGET]].merge(
        true_default_probability, on=APPLICATION_ID, how="inner", validate="one_to_one"
    )
    if len(joined) != len(predictions):
        raise ValueError(
            f"true_default_probability: {len(predictions) - len(joined)} test "
            f"applicants have no TRUE_PD"
        )
    return discrimination_metrics(joined[TARGET], joined["TRUE_PD"])["roc_auc"]


def _data_section(data_source: dict, n_test: int, default_rate: float) -> list[str]:
    if data_source.get("kind") == "synthetic":
        lines = [
            f"Synthetic data from the project's generator, seed {data_source['seed']}: "
            f"{data_source['n_applications']:,} applications and "
            f"{data_source['n_previous_applications']:,} previous applications. "
            "The real files were not in `data/01_raw/`, so these figures say how the "
            "pipeline behaves, not how it does on real applicants.",
        ]
    else:
        lines = [
            "Real data files:",
            "",
            markdown_table(pd.DataFrame(data_source.get("files", []))),
        ]
    lines += [
        "",
        f"Test split: {n_test:,} applicants, default rate {default_rate:.1%}.",
    ]
    return lines


def _threshold_section(
    champion: pd.Series,
    labels: np.ndarray,
    threshold_options: dict,
) -> list[str]:
    rule = threshold_options["rule"]
    missed_default, rejected_good = costs_of(threshold_options)
    if rule == "min_expected_cost":
        why = (
            "the threshold that minimised the expected cost on the validation split, "
            f"with a missed default costing {missed_default:g} and a rejected good "
            f"applicant {rejected_good:g}"
        )
    else:
        why = (
            "the highest threshold that caught at least "
            f"{threshold_options['target_recall']:.0%} of the defaults on the "
            "validation split"
        )
    flag_nobody = expected_cost_per_applicant(
        labels, np.zeros_like(labels), threshold_options
    )
    flag_everybody = expected_cost_per_applicant(
        labels, np.ones_like(labels), threshold_options
    )
    return [
        f"Operating threshold: **{champion['Operating threshold']:.3f}**, {why}. "
        f"An applicant whose probability of default is at least this is flagged as "
        "a likely default.",
        "",
        f"On the test split it flags **{champion['Flagged share at threshold']:.1%}** "
        f"of applicants and catches **{champion['Recall at threshold']:.1%}** of the "
        f"defaults; {champion['Precision at threshold']:.1%} of those flagged do "
        "default.",
        "",
        f"Expected cost per applicant (missed default {missed_default:g}, rejected "
        f"good applicant {rejected_good:g}):",
        "",
        markdown_table(
            pd.DataFrame(
                {
                    "decision": [
                        "this threshold",
                        "flag nobody",
                        "flag everybody",
                    ],
                    "expected cost": [
                        float(champion["Expected cost per applicant"]),
                        flag_nobody,
                        flag_everybody,
                    ],
                }
            )
        ),
        "",
        f"At the fixed threshold of {ORIGIN_THRESHOLD} the same model would flag "
        f"{champion['Flagged share']:.1%} of applicants and catch "
        f"{champion['Recall']:.1%} of defaults. The origin project's XGBoost "
        "flagged 99% of applicants at 0.5 (accuracy 0.13), because a heavy class "
        "weight had pushed all its probabilities up; a threshold chosen for the "
        "decision's costs avoids that.",
    ]


def write_evaluation_report(
    *,
    data_source: dict,
    evaluation_results: pd.DataFrame,
    validation_results: pd.DataFrame,
    champion_metadata: dict,
    segment_metrics: pd.DataFrame,
    test_predictions: pd.DataFrame,
    true_default_probability: pd.DataFrame,
    threshold_options: dict,
    report_options: dict,
) -> str:
    """evaluation_report.md: data, metrics, champion, threshold, segments, plots."""
    champion_name = champion_metadata["algorithm"]
    champion = evaluation_results.loc[evaluation_results[MODEL] == champion_name].iloc[
        0
    ]
    champion_name = champion_metadata["algorithm"]
    predictions = test_predictions.loc[test_predictions[MODEL] == champion_name]
    labels = predictions[TARGET].to_numpy(dtype="int64")
    lines = [
        "# Loan default: evaluation report",
        "",
        f"Model version `{champion_metadata['model_version']}`, package version "
        f"{champion_metadata['package_version']}, built "
        f"{champion_metadata['created_at']}.",
        "",
        "## Data",
        "",
        *_data_section(data_source, len(predictions), float(labels.mean())),
    ]
    oracle = oracle_auc(data_source, true_default_probability, predictions)
    if oracle is not None:
        lines += [
            "",
            f"Oracle AUC on the test split: **{oracle:.3f}**. This is the AUC of the "
            "generator's true default probability: no model can expect to beat it, "
            "so it is the ceiling to read the models' AUC against.",
        ]
    lines += [
        "",
        "## Metrics on the validation split",
        "",
        "The champion is chosen on these; the test split below only reports.",
        "",
        markdown_table(validation_results),
        "",
        "## Metrics on the test split",
        "",
        "Columns up to F1 Score are at the origin project's threshold of 0.5; the "
        "last columns are at each algorithm's operating threshold.",
        "",
        markdown_table(evaluation_results),
        "",
        "## Champion",
        "",
        f"**{champion_name}**, chosen {champion_metadata['chosen_by']} "
        f"Its test AUC is {champion['AUC']:.3f} (Gini {champion['Gini']:.3f}, "
        f"KS {champion['KS']:.3f}).",
        "",
        "## Operating threshold",
        "",
        *_threshold_section(champion, labels, threshold_options),
        "",
        "## Segments (champion, test split)",
        "",
        "AUC is n/a where a segment holds only one class.",
        "",
        markdown_table(segment_metrics),
        "",
        "## Plots",
        "",
        *[f"- [{title}]({path})" for title, path in report_options["plots"].items()],
        *[
            f"- [Feature importance: {algorithm}]"
            f"({report_options['feature_importance_plot'].format(algorithm=algorithm)})"
            for algorithm in evaluation_results[MODEL]
        ],
        "",
    ]
    return "\n".join(lines)
