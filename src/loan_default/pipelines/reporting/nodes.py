"""Reporting nodes: compare the algorithms, pick the champion and its threshold.

Every metric comes from ``loan_default.metrics``; these nodes only choose, arrange
and explain. Figures are built in ``plots.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

import loan_default
from loan_default.metrics import (
    EVALUATION_COLUMNS,
    discrimination_metrics,
    evaluate_predictions,
    threshold_metrics,
)
from loan_default.model.calibration import unwrap_prior_correction
from loan_default.model.champion import (
    ChampionModel,
    assign_risk_deciles,
    risk_decile_edges,
)
from loan_default.schema import APPLICATION, APPLICATION_ID, TARGET

PROBABILITY = "PROBABILITY"
MODEL = "model"
PREDICTION_COLUMNS = [APPLICATION_ID, TARGET, PROBABILITY]
THRESHOLD_RULES = ("min_expected_cost", "target_recall")
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


def _labels_and_scores(
    predictions: pd.DataFrame, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """TARGET and PROBABILITY as arrays, or an error naming ``what`` and the values."""
    _require_columns(predictions, PREDICTION_COLUMNS, what)
    labels = predictions[TARGET].to_numpy()
    scores = pd.to_numeric(predictions[PROBABILITY], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    if len(labels) == 0:
        raise ValueError(f"{what}: no rows")
    not_binary = ~np.isin(labels, [0, 1])
    if not_binary.any():
        examples = pd.unique(labels[not_binary])[:_MAX_EXAMPLES].tolist()
        raise ValueError(f"{what}: column {TARGET} must hold 0 or 1; found {examples}")
    outside = ~((scores >= 0) & (scores <= 1))
    if outside.any():
        examples = predictions[PROBABILITY][outside].head(_MAX_EXAMPLES).tolist()
        raise ValueError(
            f"{what}: column {PROBABILITY} must lie in [0, 1] with no missing "
            f"values; {int(outside.sum())} rows do not, e.g. {examples}"
        )
    return labels.astype("int64"), scores


def _costs(threshold_options: dict) -> tuple[float, float]:
    """(cost of a missed default, cost of a rejected good applicant)."""
    costs = threshold_options.get("costs") or {}
    values = []
    for key in ("missed_default", "rejected_good"):
        value = costs.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(
                f"parameters operating_threshold.costs.{key}: expected a number >= 0, "
                f"got {value!r}"
            )
        values.append(float(value))
    if values[0] + values[1] == 0:
        raise ValueError(
            "parameters operating_threshold.costs: missed_default and rejected_good "
            "are both 0, so every threshold costs the same"
        )
    return values[0], values[1]


# --- the operating threshold ---------------------------------------------------------


def _counts_by_threshold(
    labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct decision ``flag if score >= threshold``, strictest first.

    Returns the thresholds and, at each, the defaults flagged (true positives) and
    good applicants flagged (false positives). The first threshold lies just above
    the highest score: flag nobody.
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    # Flagging at a score flags every applicant tied with it: keep each tie's end.
    tie_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]
    flag_nobody = min(float(np.nextafter(sorted_scores[0], np.inf)), 1.0)
    thresholds = np.r_[flag_nobody, sorted_scores[tie_ends]]
    true_positives = np.r_[0, np.cumsum(sorted_labels)[tie_ends]]
    false_positives = np.r_[0, np.cumsum(1 - sorted_labels)[tie_ends]]
    return thresholds, true_positives, false_positives


def select_operating_threshold(
    labels: Any, scores: Any, threshold_options: dict
) -> float:
    """The threshold the rule in ``threshold_options`` picks on these predictions.

    ``min_expected_cost``: minimise missed defaults x ``costs.missed_default`` +
    rejected good applicants x ``costs.rejected_good``. ``target_recall``: flag as
    few applicants as possible while catching at least ``target_recall`` of the
    defaults. Ties go to the higher threshold, which flags fewer applicants.
    """
    rule = threshold_options.get("rule")
    if rule not in THRESHOLD_RULES:
        raise ValueError(
            f"parameters operating_threshold.rule: expected one of {THRESHOLD_RULES}, "
            f"got {rule!r}"
        )
    labels = np.asarray(labels, dtype="int64")
    scores = np.asarray(scores, dtype="float64")
    thresholds, true_positives, false_positives = _counts_by_threshold(labels, scores)
    n_defaults = int(labels.sum())
    if rule == "min_expected_cost":
        missed_default, rejected_good = _costs(threshold_options)
        cost = (
            missed_default * (n_defaults - true_positives)
            + rejected_good * false_positives
        )
        return float(thresholds[int(np.argmin(cost))])
    target = threshold_options.get("target_recall")
    if (
        not isinstance(target, int | float)
        or isinstance(target, bool)
        or not 0 < target <= 1
    ):
        raise ValueError(
            "parameters operating_threshold.target_recall: expected a share in "
            f"(0, 1], got {target!r}"
        )
    if n_defaults == 0:
        raise ValueError(
            "target_recall needs at least one default among the predictions; "
            f"all {len(labels)} have {TARGET} = 0"
        )
    reaching = np.flatnonzero(true_positives >= target * n_defaults)
    return float(thresholds[reaching[0]])


def choose_operating_threshold(
    predictions_validation: pd.DataFrame, threshold_options: dict
) -> float:
    """The operating threshold of one algorithm, chosen on the validation split."""
    labels, scores = _labels_and_scores(
        predictions_validation, "predictions_validation"
    )
    return select_operating_threshold(labels, scores, threshold_options)


def expected_cost_per_applicant(
    labels: Any, flagged: Any, threshold_options: dict
) -> float:
    """Mean cost of the decisions ``flagged`` (1 = rejected) under the costs."""
    missed_default, rejected_good = _costs(threshold_options)
    labels = np.asarray(labels, dtype="int64")
    flagged = np.asarray(flagged, dtype="int64")
    missed = (labels == 1) & (flagged == 0)
    rejected = (labels == 0) & (flagged == 1)
    return float((missed_default * missed + rejected_good * rejected).mean())


# --- evaluation and champion -----------------------------------------------------------


def evaluate_on_test(
    predictions_test: pd.DataFrame,
    operating_threshold: float,
    threshold_options: dict,
) -> dict[str, float]:
    """Test-split metrics at 0.5 (as the origin reported) and at the operating
    threshold, with the expected cost of the operating decisions."""
    labels, scores = _labels_and_scores(predictions_test, "predictions_test")
    at_origin = evaluate_predictions(labels, scores, threshold=ORIGIN_THRESHOLD)
    at_operating = threshold_metrics(labels, scores, operating_threshold)
    evaluation = {key: at_origin[key] for key in at_origin if key != "threshold"}
    evaluation.update(
        {f"operating_{key}": value for key, value in at_operating.items()}
    )
    evaluation["expected_cost"] = expected_cost_per_applicant(
        labels, scores >= operating_threshold, threshold_options
    )
    return evaluation


def collect_by_algorithm(**by_algorithm: Any) -> dict[str, Any]:
    """One dataset per algorithm gathered into ``{algorithm: value}``."""
    return dict(sorted(by_algorithm.items()))


def stack_predictions(**predictions_by_algorithm: pd.DataFrame) -> pd.DataFrame:
    """Every algorithm's predictions in one long table with a ``model`` column."""
    frames = []
    for algorithm, predictions in sorted(predictions_by_algorithm.items()):
        _labels_and_scores(predictions, f"{algorithm}.predictions_test")
        frames.append(predictions[PREDICTION_COLUMNS].assign(**{MODEL: algorithm}))
    if not frames:
        raise ValueError("no algorithm's predictions to report on")
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[[MODEL, *PREDICTION_COLUMNS]]


def build_evaluation_table(evaluations: dict[str, dict[str, float]]) -> pd.DataFrame:
    """evaluation_results.csv: one row per algorithm, columns named for readers."""
    rows = []
    for algorithm, evaluation in evaluations.items():
        missing = [key for key in EVALUATION_COLUMNS if key not in evaluation]
        if missing:
            raise ValueError(f"{algorithm}.evaluation: missing metrics {missing}")
        rows.append(
            {
                MODEL: algorithm,
                **{label: evaluation[key] for key, label in EVALUATION_COLUMNS.items()},
            }
        )
    return pd.DataFrame(rows, columns=[MODEL, *EVALUATION_COLUMNS.values()])


def _ranking_criteria(
    champion_options: dict, columns: pd.Index
) -> list[tuple[str, bool]]:
    criteria = champion_options.get("rank_by")
    if not isinstance(criteria, list) or not criteria:
        raise ValueError(
            "parameters champion.rank_by: expected a non-empty list of "
            f"{{metric, higher_is_better}}, got {criteria!r}"
        )
    parsed = []
    for position, criterion in enumerate(criteria):
        metric = criterion.get("metric") if isinstance(criterion, dict) else None
        higher = (
            criterion.get("higher_is_better") if isinstance(criterion, dict) else None
        )
        if metric not in columns or not isinstance(higher, bool):
            raise ValueError(
                f"parameters champion.rank_by[{position}]: expected a metric among "
                f"{[c for c in columns if c != MODEL]} and higher_is_better true or "
                f"false, got {criterion!r}"
            )
        parsed.append((metric, higher))
    return parsed


def select_champion(evaluation_results: pd.DataFrame, champion_options: dict) -> str:
    """The algorithm ranked first by ``champion.rank_by``.

    Metrics are compared rounded to ``champion.decimals``; equal values fall to the
    next criterion, and a tie on every criterion goes to the alphabetically first
    algorithm, so the choice is reproducible.
    """
    if evaluation_results.empty:
        raise ValueError("evaluation_results: no algorithm to choose from")
    criteria = _ranking_criteria(champion_options, evaluation_results.columns)
    decimals = champion_options.get("decimals")
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise ValueError(
            f"parameters champion.decimals: expected an integer >= 0, got {decimals!r}"
        )
    keys = pd.DataFrame({MODEL: evaluation_results[MODEL].astype(str)})
    for position, (metric, higher_is_better) in enumerate(criteria):
        rounded = evaluation_results[metric].astype("float64").round(decimals)
        keys[f"key_{position}"] = -rounded if higher_is_better else rounded
    ranked = keys.sort_values([*keys.columns[1:], MODEL], na_position="last")
    return str(ranked[MODEL].iloc[0])


def build_champion_model(
    *,
    champion_name: str,
    models: dict[str, Any],
    operating_thresholds: dict[str, float],
    test_predictions: pd.DataFrame,
    evaluation_results: pd.DataFrame,
    feature_transformer: Any,
    data_source: dict,
    cleaning: dict,
    features: dict,
) -> ChampionModel:
    """The champion artifact. Its model version is stamped when it is saved."""
    if champion_name not in models:
        raise ValueError(
            f"champion {champion_name!r} has no fitted model; models: {sorted(models)}"
        )
    scores = test_predictions.loc[
        test_predictions[MODEL] == champion_name, PROBABILITY
    ].to_numpy(dtype="float64")
    metrics_row = evaluation_results.loc[evaluation_results[MODEL] == champion_name]
    core_estimator = unwrap_prior_correction(models[champion_name])
    now = dt.datetime.now(dt.UTC)
    return ChampionModel(
        transformer=feature_transformer,
        estimator=models[champion_name],
        threshold=float(operating_thresholds[champion_name]),
        risk_decile_edges=risk_decile_edges(scores),
        metadata={
            "model_version": None,
            "algorithm": champion_name,
            "estimator": type(core_estimator).__name__,
            "calibration": (
                "prior_correction"
                if core_estimator is not models[champion_name]
                else "none"
            ),
            "operating_threshold": float(operating_thresholds[champion_name]),
            "data_source": data_source,
            "metrics_test": {
                column: float(value)
                for column, value in metrics_row.drop(columns=MODEL).iloc[0].items()
            },
            "feature_names": list(feature_transformer.feature_names_out_),
            "training_date": now.date().isoformat(),
            "created_at": now.isoformat(timespec="seconds"),
            "package_version": loan_default.__version__,
        },
        feature_parameters={"cleaning": cleaning, "features": features},
    )


def describe_champion(champion_model: ChampionModel) -> dict[str, Any]:
    """champion_metadata.json: the artifact's metadata with its decision rule."""
    metadata = dict(champion_model.metadata)
    metadata["n_features"] = len(metadata.pop("feature_names"))
    metadata["risk_decile_edges"] = list(champion_model.risk_decile_edges)
    return metadata


# --- feature importance -----------------------------------------------------------------


def compute_feature_importance(
    model: Any,
    feature_transformer: Any,
    model_input_test: pd.DataFrame,
    importance_options: dict,
) -> pd.DataFrame:
    """Importance of every feature: ``feature_importances_`` when the estimator has
    them, otherwise the drop in test AUC when the feature is permuted."""
    names = list(feature_transformer.feature_names_out_)
    importances = getattr(model, "feature_importances_", None)
    if importances is not None:
        if len(importances) != len(names):
            raise ValueError(
                f"{type(model).__name__} has {len(importances)} feature importances "
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
            model,
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
    champion_name: str,
    operating_thresholds: dict[str, float],
    application_clean: pd.DataFrame,
    segment_options: dict,
) -> pd.DataFrame:
    """segment_metrics.csv: the champion's test AUC, default rate and flagged rate
    per level of each segmenting variable. AUC is NaN in a one-class segment."""
    needed = [APPLICATION_ID, *segment_options["categorical"]]
    needed.append(segment_options["age_band"]["column"])
    _require_columns(application_clean, needed, "application_clean")
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
    threshold = float(operating_thresholds[champion_name])
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


def _rule_description(champion_options: dict) -> str:
    criteria = [
        f"{'highest' if criterion['higher_is_better'] else 'lowest'} "
        f"{criterion['metric']}"
        for criterion in champion_options["rank_by"]
    ]
    return (
        f"{criteria[0]} on the test split"
        + (
            f", ties broken by {', then '.join(criteria[1:])}"
            if len(criteria) > 1
            else ""
        )
        + f" (compared to {champion_options['decimals']} decimals), then by name"
    )


def _threshold_section(
    champion: pd.Series,
    labels: np.ndarray,
    threshold_options: dict,
) -> list[str]:
    rule = threshold_options["rule"]
    missed_default, rejected_good = _costs(threshold_options)
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
    champion_metadata: dict,
    segment_metrics: pd.DataFrame,
    test_predictions: pd.DataFrame,
    true_default_probability: pd.DataFrame,
    threshold_options: dict,
    champion_options: dict,
    report_options: dict,
) -> str:
    """evaluation_report.md: data, metrics, champion, threshold, segments, plots."""
    champion_name = champion_metadata["algorithm"]
    champion = evaluation_results.loc[evaluation_results[MODEL] == champion_name].iloc[
        0
    ]
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
        "## Metrics on the test split",
        "",
        "Columns up to F1 Score are at the origin project's threshold of 0.5; the "
        "last columns are at each algorithm's operating threshold.",
        "",
        markdown_table(evaluation_results),
        "",
        "## Champion",
        "",
        f"**{champion_name}**, chosen by the rule: {_rule_description(champion_options)}. "
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
