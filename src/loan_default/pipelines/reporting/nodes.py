"""Reporting nodes: compare the algorithms and explain the champion.

Modelling chooses the champion and builds it; these nodes only read its outputs,
arrange and explain. Every metric comes from ``loan_default.metrics`` and
``loan_default.model_risk`` (intervals, paired tests, calibration tests, fairness),
PSI from ``loan_default.monitoring``; figures are built in ``plots.py``, shared
sentences in ``narrative.py``, the model document in ``document.py``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from loan_default.metrics import discrimination_metrics
from loan_default.model.calibration import unwrap_prior_correction
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
from loan_default.model_risk.calibration import (
    calibration_by_grade,
    calibration_intercept_and_slope,
)
from loan_default.model_risk.fairness import fairness_by_group
from loan_default.model_risk.intervals import delong_paired_test
from loan_default.monitoring.drift import numeric_psi, verdict
from loan_default.pipelines.reporting.narrative import (
    calibration_sentences,
    comparison_table,
    fairness_sentences,
    fairness_table,
    headline_table,
    pair_sentences,
    pairs_table,
    protected_feature_sentences,
    significance_sentences,
)
from loan_default.schema import APPLICATION, APPLICATION_ID, TARGET

logger = logging.getLogger(__name__)

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
        # An estimator may name its own importance (the scorecard's information value).
        method = getattr(
            unwrap_prior_correction(estimator), "importance_method", "impurity"
        )
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


def _champion_rows(
    test_predictions: pd.DataFrame, champion_metadata: dict[str, Any]
) -> pd.DataFrame:
    champion_name = champion_metadata["algorithm"]
    rows = test_predictions.loc[test_predictions[MODEL] == champion_name]
    if rows.empty:
        raise ValueError(
            f"test_predictions: no rows of the champion {champion_name!r}; models: "
            f"{sorted(test_predictions[MODEL].unique())}"
        )
    return rows.reset_index(drop=True)


def build_segment_metrics(
    test_predictions: pd.DataFrame,
    champion_metadata: dict[str, Any],
    application_clean: pd.DataFrame,
    segment_options: dict,
    uncertainty_options: dict,
) -> pd.DataFrame:
    """segment_metrics.csv: the champion's decisions and ranking on the test split
    per level of each segmenting variable, with fairlearn (``model_risk.fairness``):
    approval rate, adverse impact ratio, equal-opportunity gap and AUC, each with a
    bootstrap interval. Groups of a screened attribute whose adverse impact ratio
    is below the screen are flagged, and logged as warnings."""
    needed = [APPLICATION_ID, *segment_options["categorical"]]
    needed.append(segment_options["age_band"]["column"])
    _require_columns(application_clean, needed, "application_clean")
    predictions = _champion_rows(test_predictions, champion_metadata)
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
    screen = segment_options["fairness"]
    table = fairness_by_group(
        joined[TARGET].to_numpy(dtype="int64"),
        joined[PROBABILITY].to_numpy(dtype="float64"),
        float(champion_metadata["operating_threshold"]),
        pd.DataFrame(_segment_values(joined, segment_options)),
        screened=list(screen["screened"]),
        air_screen=float(screen["air_screen"]),
        min_group_size=int(screen["min_group_size"]),
        n_resamples=int(uncertainty_options["n_resamples"]),
        seed=int(uncertainty_options["seed"]),
        level=float(uncertainty_options["level"]),
    )
    rates = table.set_index(["segment", "level"])["approval_rate"]
    for row in table.loc[table["flagged"]].itertuples(index=False):
        logger.warning(
            "Fairness screen: %s = %s is approved at %.1f%% against %.1f%% for %s "
            "(adverse impact ratio %.2f, %.0f%% interval %.2f-%.2f; screen %.2f)",
            row.segment,
            row.level,
            100 * row.approval_rate,
            100 * rates[(row.segment, row.reference_level)],
            row.reference_level,
            row.adverse_impact_ratio,
            100 * float(uncertainty_options["level"]),
            row.adverse_impact_ratio_low,
            row.adverse_impact_ratio_high,
            float(screen["air_screen"]),
        )
    return table


# --- uncertainty, calibration and stability ---------------------------------------------


def _paired_test(
    test_predictions: pd.DataFrame, model_a: str, model_b: str, level: float
) -> dict[str, Any]:
    """DeLong's paired test of ``model_a``'s test AUC against ``model_b``'s, on
    the same applicants (paired by id)."""
    by_model = dict(tuple(test_predictions.groupby(MODEL, sort=True)))
    missing = [name for name in (model_a, model_b) if name not in by_model]
    if missing:
        raise ValueError(
            f"test_predictions: no rows of {missing}; models: {sorted(by_model)}"
        )
    first, second = by_model[model_a], by_model[model_b]
    paired = first[[APPLICATION_ID, TARGET, PROBABILITY]].merge(
        second[[APPLICATION_ID, PROBABILITY]],
        on=APPLICATION_ID,
        how="inner",
        validate="one_to_one",
        suffixes=("_a", "_b"),
    )
    if not len(paired) == len(first) == len(second):
        raise ValueError(
            f"test_predictions: {model_b} scored {len(second)} test applicants and "
            f"{model_a} {len(first)}; a paired test needs the same applicants"
        )
    test = delong_paired_test(
        paired[TARGET], paired[f"{PROBABILITY}_a"], paired[f"{PROBABILITY}_b"], level
    )
    return {
        "auc_a": test["auc_a"],
        "auc_b": test["auc_b"],
        "difference": test["difference"],
        "difference_low": test["low"],
        "difference_high": test["high"],
        "z": test["z"],
        "p_value": test["p_value"],
        "significant": test["p_value"] < 1 - level,
    }


def compare_with_champion(
    test_predictions: pd.DataFrame,
    champion_metadata: dict[str, Any],
    uncertainty_options: dict,
) -> pd.DataFrame:
    """champion_comparison.csv: DeLong's paired test of the champion's test AUC
    against each challenger's, on the same applicants. ``significant`` when the
    p-value is below 1 - level."""
    champion_name = champion_metadata["algorithm"]
    _champion_rows(test_predictions, champion_metadata)
    level = float(uncertainty_options["level"])
    rows = []
    for challenger in sorted(test_predictions[MODEL].unique()):
        if challenger == champion_name:
            continue
        test = _paired_test(test_predictions, champion_name, challenger, level)
        rows.append(
            {
                "champion": champion_name,
                "challenger": challenger,
                "champion_auc": test.pop("auc_a"),
                "challenger_auc": test.pop("auc_b"),
                **test,
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


COMPARISON_COLUMNS = [
    "champion",
    "challenger",
    "champion_auc",
    "challenger_auc",
    "difference",
    "difference_low",
    "difference_high",
    "z",
    "p_value",
    "significant",
]

PAIR_COLUMNS = [
    "comparison",
    "model",
    "baseline",
    "model_auc",
    "baseline_auc",
    "difference",
    "difference_low",
    "difference_high",
    "z",
    "p_value",
    "significant",
]


def compare_model_pairs(
    test_predictions: pd.DataFrame,
    comparisons: list[dict[str, str]],
    uncertainty_options: dict,
) -> pd.DataFrame:
    """model_comparisons.csv: DeLong's paired test for each pair of
    ``reporting.comparisons`` (what a variant of a model costs or gains in test AUC
    against its baseline, e.g. monotone constraints). A pair with a model that is
    not in this run is left out, with a log line."""
    level = float(uncertainty_options["level"])
    present = set(test_predictions[MODEL])
    rows = []
    for position, pair in enumerate(comparisons):
        if not isinstance(pair, dict) or not {"title", "model", "baseline"} <= set(
            pair
        ):
            raise ValueError(
                f"parameters reporting.comparisons[{position}]: expected title, "
                f"model and baseline; got {pair!r}"
            )
        absent = [
            pair[key] for key in ("model", "baseline") if pair[key] not in present
        ]
        if absent:
            logger.info(
                "Comparison %r left out: %s not in this run", pair["title"], absent
            )
            continue
        test = _paired_test(test_predictions, pair["model"], pair["baseline"], level)
        rows.append(
            {
                "comparison": pair["title"],
                "model": pair["model"],
                "baseline": pair["baseline"],
                "model_auc": test.pop("auc_a"),
                "baseline_auc": test.pop("auc_b"),
                **test,
            }
        )
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def summarise_points_tables(points_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each scorecard's characteristics: bins and the points range, from the points
    tables modelling wrote (empty for blocks that do not score in points)."""
    rows = [
        {
            MODEL: algorithm,
            "characteristic": characteristic,
            "bins": len(bins),
            "min_points": float(bins["points"].min()),
            "max_points": float(bins["points"].max()),
        }
        for algorithm, table in sorted(points_tables.items())
        if len(table)
        for characteristic, bins in table.groupby("characteristic", sort=False)
    ]
    return pd.DataFrame(
        rows, columns=[MODEL, "characteristic", "bins", "min_points", "max_points"]
    )


def build_calibration_by_grade(
    test_predictions: pd.DataFrame,
    champion_metadata: dict[str, Any],
    calibration_options: dict,
) -> pd.DataFrame:
    """calibration_by_grade.csv: the champion's observed against predicted default
    rate per risk grade (its deciles, cut on validation scores as in production),
    with the exact binomial test of each grade."""
    predictions = _champion_rows(test_predictions, champion_metadata)
    scores = predictions[PROBABILITY].to_numpy(dtype="float64")
    grades = assign_risk_deciles(scores, tuple(champion_metadata["risk_decile_edges"]))
    return calibration_by_grade(
        predictions[TARGET].to_numpy(dtype="int64"),
        scores,
        grades,
        float(calibration_options["significance"]),
    )


def summarise_calibration(test_predictions: pd.DataFrame) -> pd.DataFrame:
    """calibration_summary.csv: each algorithm's calibration intercept and slope
    (logistic recalibration) and calibration-in-the-large on the test split."""
    rows = [
        {
            MODEL: algorithm,
            **calibration_intercept_and_slope(
                predictions[TARGET].to_numpy(dtype="int64"),
                predictions[PROBABILITY].to_numpy(dtype="float64"),
            ),
        }
        for algorithm, predictions in test_predictions.groupby(MODEL, sort=True)
    ]
    return pd.DataFrame(
        rows, columns=[MODEL, "intercept", "slope", "intercept_in_the_large"]
    )


SCORE_VARIABLE = "probability of default"
"""The row of stability.csv that is the champion's score itself."""


def build_stability_table(
    champion_model: ScoringModel,
    model_input_train: pd.DataFrame,
    model_input_test: pd.DataFrame,
    psi_options: dict,
) -> pd.DataFrame:
    """stability.csv: PSI of the test split against the training split (over the
    training deciles, missing values a bin of their own; ``monitoring.drift``) for
    the champion's score and each of its features, with the monitoring verdict."""
    names = champion_model.feature_names
    _require_columns(model_input_train, names, "model_input_train")
    _require_columns(model_input_test, names, "model_input_test")
    bins, epsilon = int(psi_options["bins"]), float(psi_options["epsilon"])
    watch, act = float(psi_options["watch"]), float(psi_options["act"])

    def scores_of(model_input: pd.DataFrame) -> np.ndarray:
        return np.asarray(
            champion_model.estimator.predict_proba(model_input[names]),
            dtype="float64",
        )[:, 1]

    rows = [
        {
            "variable": SCORE_VARIABLE,
            "kind": "score",
            "psi": numeric_psi(
                scores_of(model_input_train), scores_of(model_input_test), bins, epsilon
            ),
        }
    ]
    rows += [
        {
            "variable": name,
            "kind": "feature",
            "psi": numeric_psi(
                model_input_train[name].to_numpy(dtype="float64"),
                model_input_test[name].to_numpy(dtype="float64"),
                bins,
                epsilon,
            ),
        }
        for name in names
    ]
    table = pd.DataFrame(rows)
    table["verdict"] = [verdict(psi, watch, act) for psi in table["psi"]]
    score, features = table.iloc[:1], table.iloc[1:]
    features = features.sort_values(["psi", "variable"], ascending=[False, True])
    return pd.concat([score, features], ignore_index=True)


# --- the Markdown report -------------------------------------------------------------


def _format_cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
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


def _bullets(sentences: list[str]) -> list[str]:
    """Sentences as a Markdown list, so each stays a line of its own."""
    return [f"- {sentence}" for sentence in sentences]


def _pairs_section(model_comparisons: pd.DataFrame, level: float) -> list[str]:
    if model_comparisons.empty:
        return []
    return [
        "### Variants against their baseline",
        "",
        *_bullets(pair_sentences(model_comparisons, level)),
        "",
        markdown_table(pairs_table(model_comparisons)),
        "",
    ]


def _points_section(
    points_tables: dict[str, pd.DataFrame], report_options: dict
) -> list[str]:
    summary = summarise_points_tables(points_tables)
    if summary.empty:
        return []
    links = ", ".join(
        f"[{algorithm}]({report_options['points_table'].format(algorithm=algorithm)})"
        for algorithm in summary[MODEL].unique()
    )
    return [
        "### Scorecard points",
        "",
        "Points per characteristic: an applicant's score is the sum of the points of "
        f"the bins they fall in. Every bin with its WoE and points: {links}; the "
        "model document lists them in full.",
        "",
        markdown_table(summary),
        "",
    ]


def _promotion_section(decision: dict[str, Any]) -> list[str]:
    """Whether this run's champion went to production, and why."""
    outcome = (
        "It becomes the registered **champion** (models:/loan_default@champion) "
        "once the run completes."
        if decision["promoted"]
        else "It is registered as the **challenger**; production keeps the champion."
    )
    return [
        "### Promotion to production",
        "",
        f"Gate: validation {decision['metric']} at least {decision['min_gain']:.4f} "
        f"above the registered champion's, both scored on the same "
        f"{decision['validation_rows']:,} validation applications. {outcome}",
        "",
        f"Why: {decision['reason']}.",
        "",
    ]


def write_evaluation_report(
    *,
    data_source: dict,
    evaluation_results: pd.DataFrame,
    validation_results: pd.DataFrame,
    champion_metadata: dict,
    promotion_decision: dict,
    segment_metrics: pd.DataFrame,
    champion_comparison: pd.DataFrame,
    model_comparisons: pd.DataFrame,
    points_tables: dict[str, pd.DataFrame],
    calibration_by_grade: pd.DataFrame,
    calibration_summary: pd.DataFrame,
    champion_importance: pd.DataFrame,
    test_predictions: pd.DataFrame,
    true_default_probability: pd.DataFrame,
    threshold_options: dict,
    uncertainty_options: dict,
    segment_options: dict,
    calibration_options: dict,
    report_options: dict,
) -> str:
    """evaluation_report.md, the short version of the model document: data,
    metrics with intervals, champion and its lead, threshold, calibration,
    fairness, plots."""
    champion_name = champion_metadata["algorithm"]
    champion = evaluation_results.loc[evaluation_results[MODEL] == champion_name].iloc[
        0
    ]
    level = float(uncertainty_options["level"])
    champion_features = list(champion_importance["feature"])
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
        f"### Test figures with {level:.0%} intervals",
        "",
        "AUC intervals are DeLong's; the others a percentile bootstrap of "
        f"{int(uncertainty_options['n_resamples'])} resamples of the test applicants "
        f"(seed {uncertainty_options['seed']}).",
        "",
        markdown_table(headline_table(evaluation_results)),
        "",
        "### Is the champion's lead significant?",
        "",
        *_bullets(significance_sentences(champion_comparison, level)),
        "",
        markdown_table(comparison_table(champion_comparison)),
        "",
        *_pairs_section(model_comparisons, level),
        *_promotion_section(promotion_decision),
        *_points_section(points_tables, report_options),
        "## Operating threshold",
        "",
        *_threshold_section(champion, labels, threshold_options),
        "",
        "## Calibration (champion, test split)",
        "",
        *calibration_sentences(
            calibration_summary,
            calibration_by_grade,
            champion_name,
            float(calibration_options["significance"]),
        ),
        "",
        markdown_table(calibration_by_grade),
        "",
        "## Fairness and segments (champion, test split)",
        "",
        "Approved: probability of default below the operating threshold. The "
        "equal-opportunity gap is the approval rate among applicants who repaid, "
        "minus the most favoured group's. Intervals: the bootstrap above. AUC is "
        "n/a where a segment holds only one class.",
        "",
        *_bullets(
            [
                *fairness_sentences(segment_metrics, segment_options["fairness"]),
                *protected_feature_sentences(
                    champion_features, segment_options["fairness"]
                ),
            ]
        ),
        "",
        markdown_table(fairness_table(segment_metrics)),
        "",
        "## Plots",
        "",
        f"The full model document, with these plots embedded: "
        f"[{report_options['model_document']}]({report_options['model_document']}).",
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
