"""Which columns of a scored feature frame are monitored, and how they are read.

A feature frame holds the applicant key, maybe the label, the score columns and the
features. Every column that is none of the first three is a feature: numeric when
its dtype is numeric or boolean, categorical otherwise. Nothing here lists features.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd

from loan_default.schema import APPLICATION_ID, TARGET

Result = TypeVar("Result")

MISSING_LEVEL = "(missing)"
"""The level a missing categorical value counts as (the data's own "XNA" stays XNA)."""


def non_feature_columns(score_columns: Mapping[str, str]) -> set[str]:
    """The key, the label and the score columns named in the parameters."""
    return {APPLICATION_ID, TARGET, *score_columns.values()}


def split_features(
    reference: pd.DataFrame, current: pd.DataFrame, excluded: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature names, in the reference's column order.

    Both frames must hold the same features: a batch that lost or gained a feature is
    a broken feed, not drift.
    """
    excluded = set(excluded)
    reference_features = [name for name in reference.columns if name not in excluded]
    current_features = {name for name in current.columns if name not in excluded}
    missing = sorted(set(reference_features) - current_features)
    extra = sorted(current_features - set(reference_features))
    if missing or extra:
        raise ValueError(
            "current batch and reference must hold the same feature columns; "
            f"missing from the batch: {missing}, not in the reference: {extra}"
        )
    numeric = [name for name in reference_features if is_numeric(reference[name])]
    categorical = [name for name in reference_features if name not in set(numeric)]
    mismatched = [name for name in numeric if not is_numeric(current[name])]
    if mismatched:
        raise ValueError(
            f"features numeric in the reference but not in the batch: {mismatched}; "
            f"batch dtypes: {[str(current[name].dtype) for name in mismatched]}"
        )
    return numeric, categorical


def is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def as_float(column: pd.Series) -> np.ndarray:
    """A numeric column as float64 with missing values as NaN (nullable dtypes too)."""
    return column.to_numpy(dtype="float64", na_value=np.nan)


def as_levels(column: pd.Series) -> pd.Series:
    """A categorical column as text, missing values counted as ``MISSING_LEVEL``."""
    return column.astype("string").fillna(MISSING_LEVEL)


def map_features(
    function: Callable[[str], Result], names: list[str], workers: int
) -> list[Result]:
    """``function`` over feature names, in order, on ``workers`` threads.

    Threads pay off because the heavy parts (sorting, binary search) run in numpy
    and scipy code that releases the GIL.
    """
    if workers < 1:
        raise ValueError(f"monitoring workers must be at least 1; got {workers}")
    if workers == 1:
        return [function(name) for name in names]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, names))
