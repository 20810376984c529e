"""Per-applicant feature contributions to the score: reason codes and importance.

- XGBoost, reason codes: exact TreeSHAP, on the margin (log-odds) scale, the values
  of the booster's ``pred_contribs=True`` computed from per-leaf tables
  (``treeshap.py``) at a fraction of its cost; the contributions plus the bias add
  up to the applicant's log-odds.
- XGBoost, monitoring's importance ranking: the booster's tree-path (Saabas)
  approximation (``approx_contribs=True``), much cheaper on thousands of rows, and
  ranking features is all stability needs.
- scikit-learn decision trees and forests, reason codes: exact (path-dependent)
  TreeSHAP from ``shap``'s compiled TreeExplainer, on the probability scale; the
  contributions plus the expected value add up to ``predict_proba``.
- scikit-learn decision trees and forests, monitoring's importance ranking:
  tree-path (Saabas) contributions: walking an applicant down a tree, each split's
  change in the positive-class share is credited to the split's feature; a forest
  averages its trees. They run in sparse matrix products over the decision paths,
  with no per-row Python, and unlike permutation importance they need no labels.
- An estimator with its own exact decomposition (a ``contributions`` method and a
  ``contribution_method`` label, as the points scorecard has: the points each
  characteristic scored below its best bin) is explained by it, for both uses.

A mean over a random sample of rows (``sample_rows``) estimates the mean absolute
contribution well enough for ranking, at a fraction of the cost.

A prior-corrected model (class weights undone) is explained by the weighted model
inside it: the correction shifts every log-odds by the same constant, so on the
margin scale each feature's contribution is unchanged and only the bias moves; on
the probability scale of the tree paths the signs and ranking hold.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xgboost
from scipy import sparse
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from loan_default.features import MISSING_INDICATOR_SUFFIX
from loan_default.model.calibration import unwrap_prior_correction
from loan_default.model.treeshap import TreeShapTables
from loan_default.model.xgboost_adapter import (
    check_feature_names,
    iteration_range,
    xgboost_booster,
    xgboost_matrix,
)


def sample_rows(features: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows drawn without replacement (all of them if fewer)."""
    if rows < 1:
        raise ValueError(f"contribution sample size must be positive; got {rows}")
    if len(features) <= rows:
        return features
    return features.sample(n=rows, random_state=seed)


def model_contributions(
    model: object,
    features: pd.DataFrame,
    matrix: xgboost.DMatrix | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Contribution of each feature to each row's score (columns = feature names).

    ``model`` is an XGBoost classifier or booster, or a fitted scikit-learn
    ``DecisionTreeClassifier``, ``RandomForestClassifier`` or
    ``ExtraTreesClassifier``; ``features`` is the matrix the model itself reads.
    ``matrix``: ``xgboost_matrix(model, features)``, when the caller has built it.
    ``exact``: exact TreeSHAP instead of the tree-path approximation. An estimator
    with its own ``contributions`` method gives those, exact or not.
    """
    model = unwrap_prior_correction(model)
    own = _own_contributions(model)
    if own is not None:
        values = np.asarray(own(features), dtype="float64")
        return pd.DataFrame(values, index=features.index, columns=features.columns)
    booster = xgboost_booster(model)
    if booster is not None and exact:
        check_feature_names(booster, features)
        values = _exact_tables(booster, iteration_range(model)[1]).contributions(
            _missing_as_nan(features.to_numpy(dtype="float64"), model)
        )
        return pd.DataFrame(values, index=features.index, columns=features.columns)
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
    if exact:
        values = _shap_explainer(model).shap_values(
            features.to_numpy(dtype="float32"), check_additivity=False
        )
        values = np.asarray(values)[..., list(model.classes_).index(1)]
        return pd.DataFrame(values, index=features.index, columns=features.columns)
    matrix = features.to_numpy(dtype="float32")
    values = sum(_tree_contributions(tree, matrix) for tree in trees) / len(trees)
    return pd.DataFrame(values, index=features.index, columns=features.columns)


def _own_contributions(model: object) -> Any:
    """The estimator's own exact decomposition of its score, if it has one."""
    method = getattr(model, "contributions", None)
    if callable(method) and isinstance(
        getattr(model, "contribution_method", None), str
    ):
        return method
    return None


_SHAP_EXPLAINERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shap_explainer(model: object) -> Any:
    """shap's TreeExplainer of a scikit-learn tree model, built once per model."""
    explainer = _SHAP_EXPLAINERS.get(model)
    if explainer is None:
        import shap  # noqa: PLC0415 (seconds to import; needed by tree reason codes only)

        # No background data: the path-dependent TreeSHAP of the trees' own covers.
        explainer = shap.TreeExplainer(
            model, feature_perturbation="tree_path_dependent"
        )
        _SHAP_EXPLAINERS[model] = explainer
    return explainer


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _exact_tables(booster: xgboost.Booster, n_rounds: int) -> TreeShapTables:
    """The booster's TreeSHAP tables, built once per booster and tree count."""
    cached = _TABLES.get(booster)
    if cached is None or cached[0] != n_rounds:
        cached = (n_rounds, TreeShapTables(booster, n_rounds or None))
        _TABLES[booster] = cached
    return cached[1]


def _missing_as_nan(values: np.ndarray, model: object) -> np.ndarray:
    missing = getattr(model, "missing", np.nan)
    if missing is None or np.isnan(missing):
        return values
    return np.where(values == missing, np.nan, values)


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


# --- reason codes ---------------------------------------------------------------

XGBOOST_METHOD = "exact TreeSHAP of the XGBoost booster (pred_contribs), log-odds scale"
XGBOOST_APPROXIMATE_METHOD = (
    "tree-path (Saabas) approximation of the XGBoost booster, log-odds scale"
)
TREE_PATH_METHOD = "tree-path (Saabas) contributions, probability scale"
SKLEARN_TREESHAP_METHOD = (
    "exact path-dependent TreeSHAP of the trees (shap), probability scale"
)


def source_feature_names(transformer: object, encoded_names: list[str]) -> list[str]:
    """The feature each encoded column was made from, in ``encoded_names`` order."""
    source: dict[str, str] = {}
    for column in getattr(transformer, "numeric_columns_", []):
        source[column] = column
        source[column + MISSING_INDICATOR_SUFFIX] = column
    categorical = set(getattr(transformer, "categorical_columns_", []))
    names = []
    for name in encoded_names:
        column, separator, _ = name.partition("=")
        if name in source:
            names.append(source[name])
        elif separator and column in categorical:
            names.append(column)
        else:
            names.append(name)
    return names


def _python_value(value: object) -> float | str | None:
    if (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and np.isnan(value))
    ):
        return None
    if isinstance(value, str):
        return value
    return float(value)


def _python_values(column: Any, rows: np.ndarray) -> list[float | str | None]:
    """The values of ``column`` (an array or Series) at ``rows`` as JSON-ready Python
    values: numbers as floats, text as str, missing as None."""
    values = np.asarray(column)[rows]
    if values.dtype.kind in "biuf":
        numbers = values.astype("float64")
        result = numbers.astype(object)
        result[np.isnan(numbers)] = None
        return result.tolist()
    return [_python_value(value) for value in values.tolist()]


class ReasonCodeExplainer:
    """Top reason codes of scored applicants; the grouping is computed once."""

    def __init__(
        self,
        estimator: object,
        transformer: object,
        feature_names: list[str],
        exact: bool = True,
        statements: Mapping[str, str] | None = None,
    ):
        self.estimator = estimator
        self.exact = exact
        # Per source feature, the reason statement a lender sends (None: none).
        self.statements = dict(statements or {})
        self.feature_names = list(feature_names)
        # Built once: an encoded frame with these columns skips the reordering.
        self.feature_index = pd.Index(self.feature_names)
        sources = source_feature_names(transformer, self.feature_names)
        self.sources = list(dict.fromkeys(sources))
        position = np.array([self.sources.index(source) for source in sources])
        # Encoded columns reordered so that each source feature's are adjacent: one
        # add.reduceat sums them all. (A product with a 0/1 matrix did the same in
        # BLAS, whose threads then spun on every core.)
        self._grouped_order = np.argsort(position, kind="stable")
        self._group_starts = np.searchsorted(
            position[self._grouped_order], np.arange(len(self.sources))
        )
        # Sources sharing a statement: an applicant is told each reason once, for
        # the source that raised the risk the most (features without a statement
        # stand alone).
        by_statement: dict[Any, list[int]] = {}
        for index, source in enumerate(self.sources):
            key = self.statements.get(source) or ("", source)
            by_statement.setdefault(key, []).append(index)
        self._statement_groups = [np.asarray(g) for g in by_statement.values()]
        self.method = self._method()

    def _method(self) -> str | None:
        probe = pd.DataFrame(
            np.zeros((1, len(self.feature_names))), columns=self.feature_names
        )
        try:
            model_contributions(self.estimator, probe)
        except TypeError:
            return None
        core = unwrap_prior_correction(self.estimator)
        if _own_contributions(core) is not None:
            return core.contribution_method
        if xgboost_booster(self.estimator) is None:
            return SKLEARN_TREESHAP_METHOD if self.exact else TREE_PATH_METHOD
        return XGBOOST_METHOD if self.exact else XGBOOST_APPROXIMATE_METHOD

    def grouped_contributions(
        self, encoded: pd.DataFrame, matrix: xgboost.DMatrix | None = None
    ) -> np.ndarray:
        """Contribution of each source feature (columns ``self.sources``) per row;
        ``matrix``: the XGBoost matrix of ``encoded``, when the caller has it."""
        if not encoded.columns.equals(self.feature_index):
            encoded = encoded[self.feature_names]
            matrix = None  # built from the columns in another order
        contributions = model_contributions(
            self.estimator, encoded, matrix, exact=self.exact
        )
        values = contributions.to_numpy(dtype="float64")[:, self._grouped_order]
        return np.add.reduceat(values, self._group_starts, axis=1)

    def _best_per_statement(self, grouped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row and statement, the largest contribution of its sources and the
        source that has it (the first on ties)."""
        if len(self._statement_groups) == len(self.sources):
            return grouped, np.broadcast_to(np.arange(len(self.sources)), grouped.shape)
        rows = np.arange(len(grouped))
        best = np.empty((len(grouped), len(self._statement_groups)))
        source = np.empty(best.shape, dtype="int64")
        for position, members in enumerate(self._statement_groups):
            pick = grouped[:, members].argmax(axis=1)
            source[:, position] = members[pick]
            best[:, position] = grouped[rows, source[:, position]]
        return best, source

    def reason_codes(
        self,
        features: pd.DataFrame | Mapping[str, Any],
        encoded: pd.DataFrame,
        top: int,
        matrix: xgboost.DMatrix | None = None,
    ) -> list[list[dict]]:
        """Per row of ``encoded``, up to ``top`` features with a positive contribution,
        largest first, with the applicant's value of the feature (``None`` when
        missing) taken from ``features`` (a frame, or arrays by column name) and the
        feature's reason statement (``None`` when the model carries none). Each
        statement is given once, for its feature of largest contribution."""
        if self.method is None or len(encoded) == 0:
            return [[] for _ in range(len(encoded))]
        grouped = self.grouped_contributions(encoded, matrix)
        # Whole-matrix steps, then one pass building the dictionaries: per-row
        # Python was most of the cost of explaining a thousand applications.
        best, source = self._best_per_statement(grouped)
        ranked = np.argsort(-best, axis=1, kind="stable")[:, :top]
        contributions = np.take_along_axis(best, ranked, axis=1)
        order = np.take_along_axis(source, ranked, axis=1)
        names = np.asarray(self.sources, dtype=object)[order]
        values = np.full(order.shape, None, dtype=object)
        for index in np.unique(order):
            name = self.sources[index]
            if name in features:
                rows, ranks = np.nonzero(order == index)
                values[rows, ranks] = _python_values(features[name], rows)
        return [
            [
                {
                    "feature": name,
                    "value": value,
                    "contribution": contribution,
                    "statement": self.statements.get(name),
                }
                for name, value, contribution in zip(
                    row_names, row_values, row_contributions, strict=True
                )
                # Sorted largest first: the positive ones lead.
                if contribution > 0
            ]
            for row_names, row_values, row_contributions in zip(
                names.tolist(), values.tolist(), contributions.tolist(), strict=True
            )
        ]
