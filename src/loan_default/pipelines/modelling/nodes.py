"""Nodes of the modelling template: fit, predict, evaluate.

The same functions serve every algorithm; what differs lives in the algorithm's
parameters block (see ``algorithms.py``).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold

from loan_default.metrics import evaluate_predictions
from loan_default.model.calibration import (
    DEFAULT_CALIBRATION,
    PriorCorrectedClassifier,
)
from loan_default.pipelines.modelling.algorithms import (
    applied_parameters,
    build_estimator,
    core_estimator,
    positive_class_weight,
    search_space,
    without_early_stopping,
)
from loan_default.schema import APPLICATION_ID, TARGET

logger = logging.getLogger(__name__)

PROBABILITY = "PROBABILITY"
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


def _check_same_features(
    features: pd.DataFrame, expected: list[str], split: str
) -> None:
    if list(features.columns) != list(expected):
        missing = [name for name in expected if name not in features]
        extra = [name for name in features if name not in expected]
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


def fit_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    model_options: dict[str, Any],
    modelling_options: dict[str, Any],
) -> tuple[Any, dict[str, Any]]:
    """Fit the estimator an algorithm block describes; return it and a fit summary.

    The hyperparameter search (if any) cross-validates on the training data only;
    early stopping (if any) watches the validation data. The test data never reaches
    this node.
    """
    features, target = split_features_target(train, "train")
    positives = int(target.sum())
    if positives in (0, len(target)):
        raise ValueError(
            f"model_input_train: column {TARGET} must hold both classes; "
            f"{positives} of {len(target)} rows are 1"
        )
    class_ratio = (len(target) - positives) / positives
    defaults = {"random_state": modelling_options["random_state"]}
    estimator = build_estimator(model_options, defaults, class_ratio)

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
        _check_same_features(validation_features, list(features), "validation")
        fit_kwargs = {
            "eval_set": [(validation_features, validation_target)],
            "verbose": False,
        }
    estimator.fit(features, target, **fit_kwargs)
    fit_seconds = time.perf_counter() - started
    model, calibration = _calibrated(estimator, model_options, class_ratio)

    core = core_estimator(estimator)
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
        "n_train_rows": len(target),
        "n_features": features.shape[1],
        "train_default_rate": positives / len(target),
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
    """
    core = core_estimator(model)
    if core.get_params().get("n_jobs") in (None, 1):
        return model
    single = copy.deepcopy(model)
    core_estimator(single).set_params(n_jobs=1)
    return single


def predict_probability(model: Any, model_input: pd.DataFrame) -> pd.DataFrame:
    """``SK_ID_CURR``, ``TARGET`` and the model's probability of default per row."""
    features, _ = split_features_target(model_input, "validation/test")
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        _check_same_features(features, list(expected), "validation/test")
    probability = _single_threaded(model).predict_proba(features)[:, 1]
    return pd.DataFrame(
        {
            APPLICATION_ID: model_input[APPLICATION_ID].to_numpy(),
            TARGET: model_input[TARGET].astype("int64").to_numpy(),
            PROBABILITY: probability.astype("float64"),
        }
    )


def evaluate_model(
    predictions_validation: pd.DataFrame,
    predictions_test: pd.DataFrame,
    fit_summary: dict[str, Any],
    modelling_options: dict[str, Any],
) -> dict[str, Any]:
    """Metrics on validation and test at the comparison threshold, plus the fit summary."""
    threshold = modelling_options["evaluation_threshold"]
    return {
        "validation": evaluate_predictions(
            predictions_validation[TARGET],
            predictions_validation[PROBABILITY],
            threshold,
        ),
        "test": evaluate_predictions(
            predictions_test[TARGET], predictions_test[PROBABILITY], threshold
        ),
        **fit_summary,
    }
