"""Reason codes: the features that push one applicant's risk up the most.

Contributions come from ``monitoring.contributions.model_contributions``, the
project's one implementation: XGBoost's own SHAP values (``pred_contribs``, on the
log-odds scale) and, for scikit-learn decision trees and forests, tree-path
(Saabas) contributions on the probability scale. Each encoded column is credited to
the feature it was made from (``NAME_INCOME_TYPE=Working``, ``...=__other__`` and
``...=__missing__`` to NAME_INCOME_TYPE; ``EXT_SOURCE_1__missing`` to EXT_SOURCE_1), so
a reason code names a raw field or an engineered feature such as CREDIT_INCOME_RATIO,
never a one-hot column. Estimators without a contribution method get no reason codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xgboost

from loan_default.features import MISSING_INDICATOR_SUFFIX
from loan_default.monitoring.contributions import model_contributions
from loan_default.pipelines.modelling.calibration import unwrap_prior_correction

XGBOOST_METHOD = "SHAP values of the XGBoost booster (pred_contribs), log-odds scale"
TREE_PATH_METHOD = "tree-path (Saabas) contributions, probability scale"


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
        self, estimator: object, transformer: object, feature_names: list[str]
    ):
        self.estimator = estimator
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
        self.method = self._method()

    def _method(self) -> str | None:
        probe = pd.DataFrame(
            np.zeros((1, len(self.feature_names))), columns=self.feature_names
        )
        try:
            model_contributions(self.estimator, probe)
        except TypeError:
            return None
        module = type(unwrap_prior_correction(self.estimator)).__module__
        return XGBOOST_METHOD if module.startswith("xgboost") else TREE_PATH_METHOD

    def grouped_contributions(
        self, encoded: pd.DataFrame, matrix: xgboost.DMatrix | None = None
    ) -> np.ndarray:
        """Contribution of each source feature (columns ``self.sources``) per row;
        ``matrix``: the XGBoost matrix of ``encoded``, when the caller has it."""
        if not encoded.columns.equals(self.feature_index):
            encoded = encoded[self.feature_names]
            matrix = None  # built from the columns in another order
        contributions = model_contributions(self.estimator, encoded, matrix)
        values = contributions.to_numpy(dtype="float64")[:, self._grouped_order]
        return np.add.reduceat(values, self._group_starts, axis=1)

    def reason_codes(
        self,
        features: pd.DataFrame | Mapping[str, Any],
        encoded: pd.DataFrame,
        top: int,
        matrix: xgboost.DMatrix | None = None,
    ) -> list[list[dict]]:
        """Per row of ``encoded``, up to ``top`` features with a positive contribution,
        largest first, with the applicant's value of the feature (``None`` when
        missing) taken from ``features`` (a frame, or arrays by column name)."""
        if self.method is None or len(encoded) == 0:
            return [[] for _ in range(len(encoded))]
        grouped = self.grouped_contributions(encoded, matrix)
        # Whole-matrix steps, then one pass building the dictionaries: per-row
        # Python was most of the cost of explaining a thousand applications.
        order = np.argsort(-grouped, axis=1, kind="stable")[:, :top]
        contributions = np.take_along_axis(grouped, order, axis=1)
        names = np.asarray(self.sources, dtype=object)[order]
        values = np.full(order.shape, None, dtype=object)
        for index in np.unique(order):
            name = self.sources[index]
            if name in features:
                rows, ranks = np.nonzero(order == index)
                values[rows, ranks] = _python_values(features[name], rows)
        return [
            [
                {"feature": name, "value": value, "contribution": contribution}
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
