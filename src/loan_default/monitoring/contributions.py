"""Per-applicant feature contributions to the score, for importance stability.

- XGBoost: the booster's own tree-path contributions (``pred_contribs=True`` with
  ``approx_contribs=True``), on the margin (log-odds) scale. Exact SHAP costs
  about twenty times as much (5,000 rows, 400 trees of depth 4: 12 s against
  0.6 s), and ranking features is all stability needs.
- scikit-learn decision trees and forests: tree-path contributions (Saabas): walking
  an applicant down a tree, each split's change in the positive-class share is
  credited to the split's feature; a forest averages its trees. Contributions plus
  the root share add up to ``predict_proba`` exactly. They are cheaper than exact
  SHAP and need no extra dependency; like SHAP they rank the features driving the
  score, which is all stability needs (not a per-applicant explanation). Unlike
  permutation importance they need no labels, so they work on unlabelled batches.

Both are Saabas contributions; the scikit-learn ones run in sparse matrix products
over the decision paths, with no per-row Python.
A mean over a random sample of rows (``sample_rows``) estimates the mean absolute
contribution well enough for ranking, at a fraction of the cost.

A prior-corrected model (class weights undone) is explained by the weighted model
inside it: the correction shifts every log-odds by the same constant, so on the
margin scale each feature's contribution is unchanged and only the bias moves; on
the probability scale of the tree paths the signs and ranking hold.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import xgboost
from scipy import sparse
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from loan_default.pipelines.modelling.calibration import unwrap_prior_correction


def sample_rows(features: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows drawn without replacement (all of them if fewer)."""
    if rows < 1:
        raise ValueError(f"contribution sample size must be positive; got {rows}")
    if len(features) <= rows:
        return features
    return features.sample(n=rows, random_state=seed)


def model_contributions(
    model: object, features: pd.DataFrame, matrix: xgboost.DMatrix | None = None
) -> pd.DataFrame:
    """Contribution of each feature to each row's score (columns = feature names).

    ``model`` is an XGBoost classifier or booster, or a fitted scikit-learn
    ``DecisionTreeClassifier``, ``RandomForestClassifier`` or
    ``ExtraTreesClassifier``; ``features`` is the matrix the model itself reads.
    ``matrix``: ``xgboost_matrix(model, features)``, when the caller has built it.
    """
    model = unwrap_prior_correction(model)
    booster = xgboost_booster(model)
    if booster is not None:
        if matrix is None:
            matrix = xgboost_matrix(model, features)
        # Not all float64: xgboost's DataFrame route, which checks the names itself.
        from_frame = matrix is None
        if from_frame:
            matrix = xgboost.DMatrix(features, enable_categorical=True)
        values = booster.predict(
            matrix,
            pred_contribs=True,
            approx_contribs=True,
            validate_features=from_frame,
            iteration_range=iteration_range(model),
        )
        values = values[:, :-1]  # the last column is the bias
        return pd.DataFrame(values, index=features.index, columns=features.columns)
    trees = _sklearn_trees(model)
    if trees is None:
        raise TypeError(
            f"cannot compute feature contributions for a {type(model).__name__}: "
            "supported are XGBoost models and scikit-learn decision trees, random "
            "forests and extra trees"
        )
    matrix = features.to_numpy(dtype="float32")
    values = sum(_tree_contributions(tree, matrix) for tree in trees) / len(trees)
    return pd.DataFrame(values, index=features.index, columns=features.columns)


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
    _check_feature_names(booster, features)
    missing = getattr(model, "missing", np.nan)
    return xgboost.DMatrix(features.to_numpy(), missing=missing, nthread=1)


_BOOSTER_FEATURE_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _check_feature_names(booster: xgboost.Booster, features: pd.DataFrame) -> None:
    """The check xgboost makes of a frame's columns, with the booster's names read
    once (reading them costs a copy of every name from the library)."""
    if booster not in _BOOSTER_FEATURE_NAMES:
        _BOOSTER_FEATURE_NAMES[booster] = booster.feature_names
    expected = _BOOSTER_FEATURE_NAMES[booster]
    given = list(map(str, features.columns.tolist()))
    if expected is not None and given != expected:
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


def _sklearn_trees(model: object) -> list | None:
    if isinstance(model, DecisionTreeClassifier):
        return [model]
    if isinstance(model, RandomForestClassifier | ExtraTreesClassifier):
        return list(model.estimators_)
    return None


def _tree_contributions(tree: object, matrix: np.ndarray) -> np.ndarray:
    """Saabas contributions of one fitted classification tree (positive class)."""
    structure = tree.tree_
    counts = structure.value[:, 0, :]
    positive_share = counts[:, 1] / counts.sum(axis=1)
    parent = np.full(structure.node_count, -1)
    for children in (structure.children_left, structure.children_right):
        is_split = children >= 0
        parent[children[is_split]] = np.flatnonzero(is_split)
    child = np.flatnonzero(parent >= 0)
    credit = sparse.csr_matrix(
        (
            positive_share[child] - positive_share[parent[child]],
            (child, structure.feature[parent[child]]),
        ),
        shape=(structure.node_count, matrix.shape[1]),
    )
    return np.asarray((tree.decision_path(matrix) @ credit).todense())
