"""Nodes of the modelling template: fit, predict, evaluate.

The same functions serve every algorithm; what differs lives in the algorithm's
parameters block (see ``algorithms.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold

import loan_default
from loan_default.features import FeatureTransformer
from loan_default.metrics import (
    EVALUATION_COLUMNS,
    INTERVAL_COLUMNS,
    evaluate_predictions,
    threshold_metrics,
)
from loan_default.model.calibration import (
    DEFAULT_CALIBRATION,
    PriorCorrectedClassifier,
)
from loan_default.model.decision_rule import (
    PROBABILITY,
    expected_cost_per_applicant,
    labels_and_scores,
    select_operating_threshold,
)
from loan_default.model.explanations import source_feature_names
from loan_default.model.reason_statements import resolve_statements
from loan_default.model.scorecard import POINTS_TABLE_COLUMNS
from loan_default.model.scoring_model import (
    DECISION,
    RISK_DECILE,
    ScoringModel,
)
from loan_default.model.xgboost_adapter import xgboost_booster
from loan_default.model_risk.intervals import headline_intervals
from loan_default.pipelines.modelling.algorithms import (
    MONOTONE_PARAMETER,
    applied_parameters,
    build_estimator,
    core_estimator,
    positive_class_weight,
    resolve_monotone_constraints,
    search_space,
    without_early_stopping,
)
from loan_default.schema import APPLICATION_ID, TARGET

logger = logging.getLogger(__name__)

MODEL = "model"
ORIGIN_THRESHOLD = 0.5
"""The origin project's fixed threshold, kept for comparison."""
SCORING = "roc_auc"
_MAX_EXAMPLES = 5


def split_features_target(
    model_input: pd.DataFrame, split: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of a model-input frame, checked against the contract.

    Model input is ``SK_ID_CURR``, ``TARGET`` (0/1) and numeric features without NaN.
    """
    missing = [name for name in (APPLICATION_ID, TARGET) if name not in model_input]
    if missing:
        raise ValueError(f"model_input_{split}: missing column(s) {missing}")
    target = model_input[TARGET]
    bad_target = ~target.isin([0, 1])
    if bad_target.any():
        examples = target[bad_target].drop_duplicates().head(_MAX_EXAMPLES).tolist()
        raise ValueError(
            f"model_input_{split}: column {TARGET} must be 0 or 1; found {examples}"
        )
    features = model_input.drop(columns=[APPLICATION_ID, TARGET])
    if features.shape[1] == 0:
        raise ValueError(f"model_input_{split}: no feature columns")
    not_numeric = [
        name
        for name, dtype in features.dtypes.items()
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    ]
    if not_numeric:
        raise ValueError(
            f"model_input_{split}: feature columns must be numeric; not numeric: "
            f"{not_numeric[:_MAX_EXAMPLES]}"
        )
    with_nan = features.columns[features.isna().any()].tolist()
    if with_nan:
        raise ValueError(
            f"model_input_{split}: feature columns must have no missing values "
            f"(imputation happens in data engineering); with NaN: "
            f"{with_nan[:_MAX_EXAMPLES]}"
        )
    return features.astype("float64"), target.astype("int64")


def check_same_features(columns: list[str], expected: list[str], split: str) -> None:
    """A clear error unless a split's feature columns are the training data's."""
    if list(columns) != list(expected):
        missing = [name for name in expected if name not in columns]
        extra = [name for name in columns if name not in expected]
        raise ValueError(
            f"model_input_{split}: feature columns differ from the training data's; "
            f"missing {missing[:_MAX_EXAMPLES]}, extra {extra[:_MAX_EXAMPLES]}"
            + ("" if missing or extra else " (same names, different order)")
        )


def _search(
    estimator: Any,
    block: Mapping[str, Any],
    features: pd.DataFrame,
    target: pd.Series,
    random_state: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cross-validated search on the training data only: best parameters, summary."""
    search = block.get("search") or {}
    method = search.get("method", "none")
    if method == "none":
        return {}, {"method": "none"}
    folds = StratifiedKFold(
        n_splits=search["cv_folds"], shuffle=True, random_state=random_state
    )
    common = {
        "scoring": SCORING,
        "cv": folds,
        "refit": False,
        "n_jobs": 1,
        "error_score": "raise",
    }
    space = search_space(block)
    searcher = (
        GridSearchCV(without_early_stopping(estimator), space, **common)
        if method == "grid"
        else RandomizedSearchCV(
            without_early_stopping(estimator),
            space,
            n_iter=search["n_iter"],
            random_state=random_state,
            **common,
        )
    )
    searcher.fit(features, target)
    results = pd.DataFrame(searcher.cv_results_)
    candidates = [
        {
            "params": _unprefixed(row["params"]),
            "mean_cv_roc_auc": float(row["mean_test_score"]),
            "std_cv_roc_auc": float(row["std_test_score"]),
            "rank": int(row["rank_test_score"]),
        }
        for _, row in results.sort_values("rank_test_score").iterrows()
    ]
    best = dict(searcher.best_params_)
    summary = {
        "method": method,
        "scoring": SCORING,
        "cv_folds": search["cv_folds"],
        "n_candidates": len(candidates),
        "best_cv_roc_auc": float(searcher.best_score_),
        "candidates": candidates,
    }
    return best, summary


def _unprefixed(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters named as in the algorithm block (without a Pipeline step prefix)."""
    return {name.split("__")[-1]: _json_safe(value) for name, value in params.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def negatives_per_positive(rows: int, positives: int) -> float:
    """The training split's class ratio; a clear error unless it holds both classes."""
    if positives in (0, rows):
        raise ValueError(
            f"model_input_train: column {TARGET} must hold both classes; "
            f"{positives} of {rows} rows are 1"
        )
    return (rows - positives) / positives


def fit_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    model_options: dict[str, Any],
    modelling_options: dict[str, Any],
    algorithm: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Fit the estimator an algorithm block describes; return it and a fit summary.

    The hyperparameter search (if any) cross-validates on the training data only;
    early stopping (if any) watches the validation data. The test data never reaches
    this node. ``algorithm``: the block's name, for error messages.
    """
    features, target = split_features_target(train, "train")
    positives = int(target.sum())
    class_ratio = negatives_per_positive(len(target), positives)
    defaults = {"random_state": modelling_options["random_state"]}
    estimator = build_estimator(model_options, defaults, class_ratio, algorithm)
    monotone = resolve_monotone_constraints(model_options, features, algorithm)
    if monotone:
        core_estimator(estimator).set_params(**{MONOTONE_PARAMETER: monotone})

    started = time.perf_counter()
    best, search_summary = _search(
        estimator, model_options, features, target, modelling_options["random_state"]
    )
    estimator.set_params(**best)
    fit_kwargs = {}
    rounds = model_options.get("early_stopping_rounds")
    if rounds is not None:
        validation_features, validation_target = split_features_target(
            validation, "validation"
        )
        check_same_features(
            list(validation_features.columns), list(features), "validation"
        )
        fit_kwargs = {
            "eval_set": [(validation_features, validation_target)],
            "verbose": False,
        }
    estimator.fit(features, target, **fit_kwargs)
    fit_seconds = time.perf_counter() - started
    model, summary = fitted_model(
        estimator,
        model_options,
        defaults=defaults,
        best=best,
        search_summary=search_summary,
        n_train_rows=len(target),
        n_features=features.shape[1],
        positives=positives,
        fit_seconds=fit_seconds,
    )
    return model, summary


def fitted_model(  # noqa: PLR0913 (what one fit found, by name)
    estimator: Any,
    model_options: Mapping[str, Any],
    *,
    defaults: Mapping[str, Any],
    best: Mapping[str, Any],
    search_summary: dict[str, Any],
    n_train_rows: int,
    n_features: int,
    positives: int,
    fit_seconds: float,
) -> tuple[Any, dict[str, Any]]:
    """A fitted estimator calibrated as its block asks, and the fit summary: the
    same for every block, wherever it trained."""
    class_ratio = negatives_per_positive(n_train_rows, positives)
    model, calibration = _calibrated(estimator, model_options, class_ratio)
    core = core_estimator(estimator)
    rounds = model_options.get("early_stopping_rounds")
    applied = {
        *(model_options.get("hyperparameters") or {}),
        *defaults,
        *applied_parameters(model_options),
    }
    early_stopping = {"rounds": rounds}
    if rounds is not None:
        early_stopping["best_iteration"] = int(core.best_iteration)
        early_stopping["n_trees_used"] = int(core.best_iteration) + 1
    summary = {
        "estimator": model_options["estimator"],
        "n_train_rows": n_train_rows,
        "n_features": n_features,
        "train_default_rate": positives / n_train_rows,
        "class_imbalance": model_options.get("class_imbalance", "none"),
        "negatives_per_positive": class_ratio,
        "fit_seconds": fit_seconds,
        "hyperparameters": {
            name: _json_safe(value)
            for name, value in core.get_params().items()
            if name in applied or name in _unprefixed(best)
        },
        "best_hyperparameters": _unprefixed(best),
        "search": search_summary,
        "early_stopping": early_stopping,
        "calibration": calibration,
    }
    logger.info(
        "Fitted %s on %d rows x %d features in %.1f s",
        summary["estimator"],
        summary["n_train_rows"],
        summary["n_features"],
        fit_seconds,
    )
    return model, summary


def _calibrated(
    estimator: Any, model_options: Mapping[str, Any], class_ratio: float
) -> tuple[Any, dict[str, Any]]:
    """The fitted model as the block's calibration asks, and what was done.

    Class weights inflate the odds of default by the positive weight;
    ``prior_correction`` divides them back out, so that ``predict_proba`` is a
    probability of default of the unweighted population.
    """
    method = model_options.get("calibration", DEFAULT_CALIBRATION)
    weight = positive_class_weight(estimator, class_ratio)
    if method == "none" or weight == 1.0:
        return estimator, {"method": "none", "positive_weight": weight}
    corrected = PriorCorrectedClassifier(estimator, positive_weight=weight)
    return corrected, {"method": method, "positive_weight": weight}


def _single_threaded(model: Any) -> Any:
    """A copy predicting in one thread, so that probabilities are bit-for-bit stable.

    A multi-threaded random forest adds up its trees' votes in whatever order the
    threads finish, which changes the last bits of the probabilities between runs.
    XGBoost adds each row's trees in order whatever its threads, and resetting a
    fitted booster's parameters would rewrite its monotone constraints in a form it
    cannot serialise: it is kept as it is.
    """
    core = core_estimator(model)
    if (
        core.get_params().get("n_jobs") in (None, 1)
        or xgboost_booster(core) is not None
    ):
        return model
    single = copy.deepcopy(model)
    core_estimator(single).set_params(n_jobs=1)
    return single


def assemble_model(  # noqa: PLR0917 (a node takes its inputs by position)
    estimator: Any,
    feature_transformer: FeatureTransformer,
    fit_summary: dict[str, Any],
    cleaning: dict[str, Any],
    features: dict[str, Any],
    reason_statements: dict[str, str],
) -> ScoringModel:
    """The inference object of one algorithm: the feature path training used, the
    fitted transformer, the fitted (calibrated) estimator and the reason statement
    of every feature it reads (an error names any feature without one). Its
    decision rule is set from validation scores afterwards."""
    sources = source_feature_names(
        feature_transformer, list(feature_transformer.feature_names_out_)
    )
    return ScoringModel(
        transformer=feature_transformer,
        estimator=_single_threaded(estimator),
        feature_parameters={"cleaning": cleaning, "features": features},
        metadata={
            "estimator": fit_summary["estimator"],
            "calibration": fit_summary["calibration"]["method"],
            "n_features": len(feature_transformer.feature_names_out_),
        },
        reason_statements=resolve_statements(dict.fromkeys(sources), reason_statements),
    )


def tabulate_points(estimator: Any) -> pd.DataFrame:
    """The points table of an estimator that scores in points (characteristic,
    bin, training count and event rate, WoE, points; ``POINTS_TABLE_COLUMNS``), and
    an empty table of those columns for any other: every block has the same
    outputs, so the template never asks which estimator it fits."""
    core = core_estimator(estimator)
    points_table = getattr(core, "points_table", None)
    if not callable(points_table):
        return pd.DataFrame({column: [] for column in POINTS_TABLE_COLUMNS})
    return points_table()[POINTS_TABLE_COLUMNS]


def predict_applications(
    model: ScoringModel,
    applications: pd.DataFrame,
    previous_application: pd.DataFrame,
) -> pd.DataFrame:
    """``SK_ID_CURR``, ``TARGET`` and the probability of default of each raw
    application, scored end to end by the inference object."""
    probability = model.predict_proba(applications, previous_application)
    return pd.DataFrame(
        {
            APPLICATION_ID: applications[APPLICATION_ID].to_numpy(dtype="int64"),
            TARGET: applications[TARGET].to_numpy(dtype="int64"),
            PROBABILITY: probability,
        }
    )


def choose_operating_threshold(
    predictions_validation: pd.DataFrame, threshold_options: dict[str, Any]
) -> float:
    """The operating threshold of one algorithm, chosen on the validation split."""
    labels, scores = labels_and_scores(predictions_validation, "predictions_validation")
    return select_operating_threshold(labels, scores, threshold_options)


def set_decision_rule(
    model: ScoringModel,
    operating_threshold: float,
    predictions_validation: pd.DataFrame,
) -> ScoringModel:
    """The complete inference object: it decides at the operating threshold and
    cuts risk deciles on the validation scores (a tenth of them in each)."""
    return model.with_decision_rule(
        operating_threshold, predictions_validation[PROBABILITY].to_numpy()
    )


def score_applications(
    model: ScoringModel,
    applications: pd.DataFrame,
    previous_application: pd.DataFrame,
) -> pd.DataFrame:
    """``SK_ID_CURR``, ``TARGET``, probability, decision and risk decile of each raw
    application, as batch scoring and the API would answer."""
    scores = model.score(applications, previous_application).scores
    return pd.DataFrame(
        {
            APPLICATION_ID: scores[APPLICATION_ID].to_numpy(),
            TARGET: applications[TARGET].to_numpy(dtype="int64"),
            PROBABILITY: scores[PROBABILITY].to_numpy(),
            DECISION: scores[DECISION].to_numpy(),
            RISK_DECILE: scores[RISK_DECILE].to_numpy(),
        }
    )


def _evaluate_split(
    predictions: pd.DataFrame,
    operating_threshold: float,
    threshold_options: dict[str, Any],
    uncertainty_options: dict[str, Any],
    what: str,
) -> dict[str, float]:
    """Metrics at 0.5 (as the origin reported) and at the operating threshold, with
    the expected cost of the operating decisions and the headline figures' intervals."""
    labels, scores = labels_and_scores(predictions, what)
    at_origin = evaluate_predictions(labels, scores, threshold=ORIGIN_THRESHOLD)
    at_operating = threshold_metrics(labels, scores, operating_threshold)
    evaluation = {key: at_origin[key] for key in at_origin if key != "threshold"}
    evaluation.update(
        {f"operating_{key}": value for key, value in at_operating.items()}
    )
    evaluation["expected_cost"] = expected_cost_per_applicant(
        labels, scores >= operating_threshold, threshold_options
    )
    evaluation.update(
        headline_intervals(
            labels,
            scores,
            n_resamples=int(uncertainty_options["n_resamples"]),
            seed=int(uncertainty_options["seed"]),
            level=float(uncertainty_options["level"]),
        )
    )
    return evaluation


def evaluate_model(
    predictions_validation: pd.DataFrame,
    predictions_test: pd.DataFrame,
    fit_summary: dict[str, Any],
    operating_threshold: float,
    threshold_options: dict[str, Any],
    *,
    uncertainty_options: dict[str, Any],
) -> dict[str, Any]:
    """Metrics on validation (which chooses the champion) and test (which only
    reports), with intervals, plus the fit summary."""
    return {
        "validation": _evaluate_split(
            predictions_validation,
            operating_threshold,
            threshold_options,
            uncertainty_options,
            "predictions_validation",
        ),
        "test": _evaluate_split(
            predictions_test,
            operating_threshold,
            threshold_options,
            uncertainty_options,
            "predictions_test",
        ),
        **fit_summary,
    }


def _evaluation_table(
    metrics_by_algorithm: Mapping[str, Mapping[str, Any]], split: str
) -> pd.DataFrame:
    columns = {**EVALUATION_COLUMNS, **INTERVAL_COLUMNS}
    rows = []
    for algorithm, metrics in sorted(metrics_by_algorithm.items()):
        evaluation = metrics[split]
        missing = [key for key in columns if key not in evaluation]
        if missing:
            raise ValueError(f"{algorithm}.metrics.{split}: missing metrics {missing}")
        rows.append(
            {
                MODEL: algorithm,
                **{label: evaluation[key] for key, label in columns.items()},
            }
        )
    return pd.DataFrame(rows, columns=[MODEL, *columns.values()])


def tabulate_validation_metrics(**metrics_by_algorithm: dict) -> pd.DataFrame:
    """validation_results.csv: one row per algorithm on the validation split."""
    return _evaluation_table(metrics_by_algorithm, "validation")


def tabulate_test_metrics(**metrics_by_algorithm: dict) -> pd.DataFrame:
    """evaluation_results.csv: one row per algorithm on the test split."""
    return _evaluation_table(metrics_by_algorithm, "test")


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
    champion_name: str,
    validation_results: pd.DataFrame,
    evaluation_results: pd.DataFrame,
    data_source: dict[str, Any],
    champion_options: dict[str, Any],
    **models: ScoringModel,
) -> ScoringModel:
    """The deployable artifact: the chosen algorithm's inference object with where
    it came from and how it was chosen. Its model version is stamped when it is
    saved."""
    if champion_name not in models:
        raise ValueError(
            f"champion {champion_name!r} has no fitted model; models: {sorted(models)}"
        )

    def metrics_of(table: pd.DataFrame) -> dict[str, float]:
        row = table.loc[table[MODEL] == champion_name].drop(columns=MODEL)
        return {column: float(value) for column, value in row.iloc[0].items()}

    now = dt.datetime.now(dt.UTC)
    return models[champion_name].with_metadata(
        algorithm=champion_name,
        chosen_by=champion_rule_description(champion_options),
        operating_threshold=models[champion_name].threshold,
        data_source=data_source,
        metrics_validation=metrics_of(validation_results),
        metrics_test=metrics_of(evaluation_results),
        training_date=now.date().isoformat(),
        created_at=now.isoformat(timespec="seconds"),
        package_version=loan_default.__version__,
    )


def champion_rule_description(champion_options: dict[str, Any]) -> str:
    """How the champion is chosen, in words, for the artifact and the report."""
    criteria = ", then ".join(
        f"{'highest' if c['higher_is_better'] else 'lowest'} {c['metric']}"
        for c in champion_options["rank_by"]
    )
    return (
        f"on the validation split: {criteria} (to {champion_options['decimals']} "
        "decimals; a tie on every criterion goes to the alphabetically first "
        "algorithm). The test split only reports."
    )
