"""XGBoost adapters: the booster behind a model, the matrix it reads, the trees it uses.

Probabilities and contributions read the booster directly: the scikit-learn wrapper's
per-call checks cost more than scoring a few rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xgboost

from loan_default.model.calibration import unwrap_prior_correction


def xgboost_matrix(model: object, features: pd.DataFrame) -> xgboost.DMatrix | None:
    """The DMatrix an XGBoost ``model`` reads for ``features``, to build once for its
    probabilities and its contributions; None for other models, or when a column is
    not float64.

    A plain matrix skips xgboost's per-column DataFrame checks; the column names are
    checked here instead, against the booster's names read once. One thread: a small
    matrix is built faster than OpenMP threads start.
    """
    model = unwrap_prior_correction(model)
    booster = xgboost_booster(model)
    if booster is None or not all(dtype == np.float64 for dtype in features.dtypes):
        return None
    check_feature_names(booster, features)
    missing = getattr(model, "missing", np.nan)
    return xgboost.DMatrix(features.to_numpy(), missing=missing, nthread=1)


_BOOSTER_FEATURE_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_feature_names(booster: xgboost.Booster, features: pd.DataFrame) -> None:
    """The check xgboost makes of a frame's columns, with the booster's names read
    once (reading them costs a copy of every name from the library)."""
    if booster not in _BOOSTER_FEATURE_NAMES:
        names = booster.feature_names
        _BOOSTER_FEATURE_NAMES[booster] = None if names is None else pd.Index(names)
    expected = _BOOSTER_FEATURE_NAMES[booster]
    if expected is None or features.columns.equals(expected):
        return
    given = list(map(str, features.columns.tolist()))
    if given != list(expected):
        unexpected = sorted(set(given) - set(expected))[:5]
        absent = sorted(set(expected) - set(given))[:5]
        raise ValueError(
            "feature_names mismatch: the columns are not the ones the model was "
            f"trained on, in its order; not expected e.g. {unexpected}, missing e.g. "
            f"{absent}"
        )


def xgboost_booster(model: object) -> xgboost.Booster | None:
    """The booster of an XGBoost model or booster (prior correction seen through);
    None for any other model."""
    model = unwrap_prior_correction(model)
    if isinstance(model, xgboost.Booster):
        return model
    if isinstance(model, xgboost.XGBModel):
        return model.get_booster()
    return None


def iteration_range(model: object) -> tuple[int, int]:
    """``(0, best_iteration + 1)`` for a model fitted with early stopping, as its
    ``predict_proba`` uses; ``(0, 0)`` (every tree) otherwise."""
    best = (
        getattr(model, "best_iteration", None)
        if isinstance(model, xgboost.XGBModel)
        else None
    )
    return (0, best + 1) if best is not None else (0, 0)


def classifier_of_booster(
    booster: xgboost.Booster, parameters: Mapping[str, Any]
) -> xgboost.XGBClassifier:
    """A scikit-learn ``XGBClassifier`` with ``parameters`` holding a trained binary
    ``booster`` (e.g. ``xgboost.spark``'s ``get_booster()``): the estimator every
    XGBoost block gives, so that it is saved, loaded, explained and scored alike.

    Read from the booster's own JSON: its trees, feature names and early stopping's
    ``best_iteration`` come with it.
    """
    classifier = xgboost.XGBClassifier(**parameters)
    classifier.load_model(bytearray(booster.save_raw(raw_format="json")))
    return classifier
