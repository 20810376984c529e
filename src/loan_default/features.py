"""The one feature-building path: raw tables -> applicant features -> model input.

Training (the data_engineering pipeline), batch scoring and the API all call these
functions, so a model always sees features made the same way. Column names come from
``schema.py``; the rules (what to drop, which day counts hold sentinels, recency bins,
rare-level threshold) come from the ``cleaning``, ``features`` and ``transformer``
parameters.

``FeatureTransformer`` is fitted on the train split only and saved with the model:
it learns text levels and imputation values and never refits afterwards.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from loan_default.schema import (
    APPLICATION,
    APPLICATION_ID,
    DAYS_EMPLOYED_SENTINEL,
    MISSING_CATEGORY,
    PREVIOUS_APPLICATION,
    TARGET,
    ColumnSpec,
    TableSchema,
)

DAYS_PER_YEAR = 365.25
ANOMALY_SUFFIX = "_ANOMALY"
HAS_PREVIOUS_APPLICATION = "HAS_PREVIOUS_APPLICATION"
PREV_COUNT_APPLICATIONS = "PREV_COUNT_APPLICATIONS"
PREV_LAST_STATUS = "PREV_LAST_STATUS"
EXT_SOURCE_PREFIX = "EXT_SOURCE_"
DOCUMENT_FLAG_PREFIX = "FLAG_DOCUMENT_"
OTHER_LEVEL = "__other__"
MISSING_LEVEL = "__missing__"
MISSING_INDICATOR_SUFFIX = "__missing"
NOT_FEATURES = (APPLICATION_ID, TARGET)

# Characters some model libraries refuse in feature names (XGBoost: [ ] <).
_UNSAFE_NAME_CHARACTERS = re.compile(r"[\[\]<]")


# --- parameters and input checks --------------------------------------------------


def _parameter(params: dict, section: str, key: str) -> object:
    if not isinstance(params, dict) or key not in params:
        raise KeyError(f"parameters {section}: the key {key!r} is missing")
    return params[key]


def _schema_columns(names: object, table: TableSchema, parameter: str) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"parameters {parameter}: expected a list of column names")
    unknown = [name for name in names if name not in table]
    if unknown:
        raise ValueError(
            f"parameters {parameter}: {table.filename} has no column(s) {unknown}"
        )
    return names


def _conform(frame: pd.DataFrame, table: TableSchema) -> pd.DataFrame:
    """The table's schema columns in schema order, numbers as float64, text as string.

    A schema column absent from ``frame`` (a partial record, e.g. from the API) comes
    back all-missing; TARGET is never invented. Columns outside the schema are left out.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{table.filename}: expected a DataFrame, got {type(frame)}")
    required = [c.name for c in table.columns if c.required and c.name != TARGET]
    absent = [name for name in required if name not in frame.columns]
    if absent:
        raise ValueError(f"{table.filename}: required column(s) {absent} are missing")
    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
    specs = [c for c in table.columns if c.name != TARGET or c.name in dtypes]
    if frame.columns.is_unique and all(
        spec.name in dtypes and _is_conformed(dtypes[spec.name], spec) for spec in specs
    ):
        # Already conformed (as the API builds it): one selection, no conversion.
        return frame[[spec.name for spec in specs]]
    columns = {}
    for spec in table.columns:
        if spec.name not in frame.columns:
            if spec.name == TARGET:
                continue
            if spec.dtype == "string":
                missing = pd.Series(pd.NA, index=frame.index, dtype="string")
            else:
                missing = pd.Series(np.nan, index=frame.index, dtype="float64")
            columns[spec.name] = missing
            continue
        values = frame[spec.name]
        if spec.dtype == "string":
            columns[spec.name] = values.astype("string")
        elif spec.required:
            columns[spec.name] = _whole_numbers(values, spec.name, table)
        else:
            columns[spec.name] = _numbers(values, spec.name, table.filename)
    return pd.DataFrame(columns, index=frame.index)


_CONFORMED_STRING = pd.StringDtype()


def _is_conformed_text(dtype: object) -> bool:
    """Whether ``dtype`` is exactly the one ``astype("string")`` gives (StringDtype
    equality ignores the storage, so it is compared too)."""
    return (
        isinstance(dtype, pd.StringDtype)
        and dtype.storage == _CONFORMED_STRING.storage
        and dtype.na_value is _CONFORMED_STRING.na_value
    )


def _is_conformed(dtype: object, spec: ColumnSpec) -> bool:
    """Whether a column of ``dtype`` is exactly what ``_conform`` makes of ``spec``'s
    column."""
    if spec.dtype == "string":
        return _is_conformed_text(dtype)
    wanted = "int64" if spec.required else "float64"
    return isinstance(dtype, np.dtype) and dtype == np.dtype(wanted)


def _numbers(values: pd.Series, column: str, source: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        examples = values[bad].unique()[:5].tolist()
        raise ValueError(f"{source}: column {column}: expected numbers, got {examples}")
    return numbers.astype("float64")


def _whole_numbers(values: pd.Series, column: str, table: TableSchema) -> pd.Series:
    numbers = _numbers(values, column, table.filename)
    if numbers.isna().any():
        raise ValueError(
            f"{table.filename}: column {column} is required but has "
            f"{int(numbers.isna().sum())} missing value(s)"
        )
    return numbers.astype("int64")


def _missing_category_to_na(frame: pd.DataFrame, table: TableSchema) -> None:
    for name in table.columns_of("string"):
        values = frame[name]
        is_missing = values.isin([MISSING_CATEGORY])
        if is_missing.any():  # masking nothing would only cost time
            frame[name] = values.mask(is_missing)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    absent = [name for name in columns if name not in frame.columns]
    if absent:
        raise ValueError(f"{what}: column(s) {absent} are missing")


def _require_unique_key(frame: pd.DataFrame, what: str) -> None:
    duplicated = frame[APPLICATION_ID].duplicated()
    if duplicated.any():
        examples = frame.loc[duplicated, APPLICATION_ID].unique()[:5].tolist()
        raise ValueError(
            f"{what}: column {APPLICATION_ID} must be unique; repeated: {examples}"
        )


# --- cleaning -----------------------------------------------------------------------


def clean_application(application: pd.DataFrame, cleaning: dict) -> pd.DataFrame:
    """Typed application table with sentinels and "XNA" as missing, drop list applied.

    A column with a schema sentinel (DAYS_EMPLOYED) gets a ``<column>_ANOMALY`` flag:
    1 where the sentinel was, 0 for a real value, missing when the value is missing.
    """
    drop_columns = _schema_columns(
        _parameter(cleaning, "cleaning", "drop_columns"),
        APPLICATION,
        "cleaning.drop_columns",
    )
    kept_keys = [name for name in drop_columns if name in NOT_FEATURES]
    if kept_keys:
        raise ValueError(f"parameters cleaning.drop_columns: cannot drop {kept_keys}")
    clean = _conform(application, APPLICATION)
    _missing_category_to_na(clean, APPLICATION)
    for spec in APPLICATION.columns:
        if spec.sentinel is None:
            continue
        values = clean[spec.name]
        is_sentinel = values == spec.sentinel
        clean[spec.name] = values.mask(is_sentinel)
        clean[spec.name + ANOMALY_SUFFIX] = is_sentinel.astype("float64").mask(
            values.isna()
        )
    return clean.drop(columns=drop_columns)


def clean_previous_application(
    previous_application: pd.DataFrame, cleaning: dict
) -> pd.DataFrame:
    """Typed previous applications with "XNA" and the 365243 no-date value as missing."""
    sentinel_columns = _schema_columns(
        _parameter(cleaning, "cleaning", "previous_application_sentinel_columns"),
        PREVIOUS_APPLICATION,
        "cleaning.previous_application_sentinel_columns",
    )
    clean = _conform(previous_application, PREVIOUS_APPLICATION)
    _missing_category_to_na(clean, PREVIOUS_APPLICATION)
    for name in sentinel_columns:
        # The same "no date" value the application table uses for DAYS_EMPLOYED.
        clean[name] = clean[name].mask(clean[name] == DAYS_EMPLOYED_SENTINEL)
    return clean


# --- features -----------------------------------------------------------------------


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, missing (never inf) when either is missing or it is 0."""
    # On the arrays: the same IEEE operations as on Series, without their overhead.
    top = numerator.to_numpy(dtype="float64", na_value=np.nan)
    bottom = denominator.to_numpy(dtype="float64", na_value=np.nan)
    valid = np.isfinite(top) & np.isfinite(bottom) & (bottom != 0)
    quotient = top / np.where(valid, bottom, np.nan)
    return pd.Series(np.where(valid, quotient, np.nan), index=numerator.index)


def _level_slug(level: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", level).strip("_").upper()


def _recency_bins(features: dict) -> list[int]:
    section = _parameter(features, "features", "previous_application")
    edges = _parameter(
        section, "features.previous_application", "decision_recency_bins_days"
    )
    if (
        not isinstance(edges, list)
        or not edges
        or not all(isinstance(edge, int) and edge > 0 for edge in edges)
        or edges != sorted(set(edges))
    ):
        raise ValueError(
            "parameters features.previous_application.decision_recency_bins_days: "
            f"expected increasing positive whole days, got {edges!r}"
        )
    return edges


def _recency_bin_names(edges: list[int]) -> list[str]:
    names = [f"PREV_COUNT_DECIDED_WITHIN_{edges[0]}D"]
    names += [
        f"PREV_COUNT_DECIDED_{low}_{high}D" for low, high in itertools.pairwise(edges)
    ]
    return [*names, f"PREV_COUNT_DECIDED_OVER_{edges[-1]}D"]


def _status_levels() -> list[str]:
    return list(PREVIOUS_APPLICATION["NAME_CONTRACT_STATUS"].categories or ())


def aggregate_previous_applications(
    previous_application_clean: pd.DataFrame, features: dict
) -> pd.DataFrame:
    """One row per SK_ID_CURR that has previous applications.

    Counts (all, by NAME_CONTRACT_STATUS, by decision recency), the share of each
    status, granted/applied amount ratio, credit sum, days since the last decision
    and the status of the last one.
    """
    edges = _recency_bins(features)
    previous = previous_application_clean
    needed = [
        APPLICATION_ID,
        "SK_ID_PREV",
        "NAME_CONTRACT_STATUS",
        "DAYS_DECISION",
        "AMT_APPLICATION",
        "AMT_CREDIT",
        "AMT_ANNUITY",
        "CNT_PAYMENT",
    ]
    _require_columns(previous, needed, "previous applications")
    # One sort-based grouping, then bincount sums: no per-group Python.
    applicant_ids, group = np.unique(
        previous[APPLICATION_ID].to_numpy(dtype="int64"), return_inverse=True
    )

    def total(weights: np.ndarray) -> np.ndarray:
        sums = np.bincount(group, weights=weights, minlength=len(applicant_ids))
        return sums.astype("float64")  # bincount of nothing is int64

    def mean(values: np.ndarray) -> np.ndarray:
        known = ~np.isnan(values)
        count = total(known.astype("float64"))
        summed = total(np.where(known, values, 0.0))
        return np.divide(
            summed, count, out=np.full_like(summed, np.nan), where=count > 0
        )

    def numbers(column: str) -> np.ndarray:
        return previous[column].to_numpy(dtype="float64", na_value=np.nan)

    aggregates = {APPLICATION_ID: applicant_ids}
    count = total(np.ones(len(previous)))
    aggregates[PREV_COUNT_APPLICATIONS] = count
    status = previous["NAME_CONTRACT_STATUS"]
    status_counts = {
        _level_slug(level): total(status.isin([level]).to_numpy(dtype="float64"))
        for level in _status_levels()
    }
    for slug, status_count in status_counts.items():
        aggregates[f"PREV_COUNT_{slug}"] = status_count
    # Bins (0, e1], (e1, e2], ..., (e_last, inf); an unknown decision day is in none.
    decision = numbers("DAYS_DECISION")
    bin_index = np.searchsorted(np.asarray(edges, dtype="float64"), -decision)
    for index, name in enumerate(_recency_bin_names(edges)):
        aggregates[name] = total(((bin_index == index) & ~np.isnan(decision)) * 1.0)
    aggregates["PREV_AMT_CREDIT_SUM"] = total(np.nan_to_num(numbers("AMT_CREDIT")))
    aggregates["PREV_GRANTED_APPLIED_RATIO_MEAN"] = mean(
        _ratio(previous["AMT_CREDIT"], previous["AMT_APPLICATION"]).to_numpy()
    )
    aggregates["PREV_AMT_ANNUITY_MEAN"] = mean(numbers("AMT_ANNUITY"))
    aggregates["PREV_CNT_PAYMENT_MEAN"] = mean(numbers("CNT_PAYMENT"))
    for slug, status_count in status_counts.items():
        aggregates[f"PREV_RATE_{slug}"] = status_count / count
    # The last decision: latest DAYS_DECISION, ties broken by the higher SK_ID_PREV;
    # unknown days sort first so that a known one wins.
    order = np.lexsort(
        (
            previous["SK_ID_PREV"].to_numpy(dtype="int64"),
            np.nan_to_num(decision, nan=-np.inf),
            group,
        )
    )
    sorted_group = group[order]
    is_last = np.ones(len(order), dtype=bool)
    is_last[:-1] = sorted_group[1:] != sorted_group[:-1]
    last = order[is_last]
    aggregates["PREV_DAYS_SINCE_LAST_DECISION"] = -decision[last]
    aggregates[PREV_LAST_STATUS] = pd.array(
        status.to_numpy()[last] if len(last) else [], dtype="string"
    )
    return pd.DataFrame(aggregates)


def _is_zero_without_history(column: str) -> bool:
    """Counts and sums are 0 for an applicant with no history; means and rates are
    undefined and stay missing for the transformer to impute."""
    return column.startswith("PREV_COUNT_") or column.endswith("_SUM")


def _ext_source_features(application: pd.DataFrame) -> dict[str, pd.Series]:
    names = [n for n in APPLICATION.column_names if n.startswith(EXT_SOURCE_PREFIX)]
    _require_columns(application, names, "applicant features")
    scores = application[names].astype("float64")
    present = scores.notna().sum(axis=1)
    return {
        "EXT_SOURCE_MEAN": scores.mean(axis=1),
        "EXT_SOURCE_MIN": scores.min(axis=1),
        "EXT_SOURCE_MAX": scores.max(axis=1),
        # A product over fewer scores would not be comparable: all or nothing.
        "EXT_SOURCE_PRODUCT": scores.prod(axis=1).where(present == len(names)),
        # The spread of one score is undefined.
        "EXT_SOURCE_STD": scores.std(axis=1, ddof=0).where(present >= 2),
        "EXT_SOURCE_MISSING_COUNT": (len(names) - present).astype("float64"),
    }


def build_applicant_features(
    application_clean: pd.DataFrame,
    previous_aggregates: pd.DataFrame,
    features: dict,
) -> pd.DataFrame:
    """One row per applicant, in application order: SK_ID_CURR, TARGET when present,
    the cleaned columns, ratios, EXT_SOURCE statistics and previous-application
    aggregates. Applicants without history get HAS_PREVIOUS_APPLICATION = 0, counts
    0, and missing rates; history of applicants not in ``application_clean`` is
    ignored."""
    _recency_bins(features)  # same block as the aggregates: fail early if it is bad
    _require_columns(application_clean, [APPLICATION_ID], "cleaned applications")
    _require_columns(previous_aggregates, [APPLICATION_ID], "previous aggregates")
    _require_unique_key(application_clean, "cleaned applications")
    _require_unique_key(previous_aggregates, "previous aggregates")
    used = [
        "AMT_CREDIT",
        "AMT_INCOME_TOTAL",
        "AMT_ANNUITY",
        "AMT_GOODS_PRICE",
        "DAYS_BIRTH",
        "DAYS_EMPLOYED",
    ]
    _require_columns(application_clean, used, "applicant features")
    app = application_clean.reset_index(drop=True)
    value = {name: app[name].astype("float64") for name in used}
    documents = [c for c in app.columns if c.startswith(DOCUMENT_FLAG_PREFIX)]
    engineered = {
        "CREDIT_INCOME_RATIO": _ratio(value["AMT_CREDIT"], value["AMT_INCOME_TOTAL"]),
        "ANNUITY_INCOME_RATIO": _ratio(value["AMT_ANNUITY"], value["AMT_INCOME_TOTAL"]),
        # Loan term in annuity payments.
        "CREDIT_ANNUITY_RATIO": _ratio(value["AMT_CREDIT"], value["AMT_ANNUITY"]),
        "GOODS_CREDIT_RATIO": _ratio(value["AMT_GOODS_PRICE"], value["AMT_CREDIT"]),
        "AGE_YEARS": -value["DAYS_BIRTH"] / DAYS_PER_YEAR,
        "YEARS_EMPLOYED": -value["DAYS_EMPLOYED"] / DAYS_PER_YEAR,
        "EMPLOYED_AGE_RATIO": _ratio(value["DAYS_EMPLOYED"], value["DAYS_BIRTH"]),
        **_ext_source_features(app),
        "DOCUMENT_COUNT": app[documents].astype("float64").sum(axis=1, min_count=1),
    }
    result = pd.concat([app, pd.DataFrame(engineered, index=app.index)], axis=1)

    history = previous_aggregates.drop(columns=[TARGET], errors="ignore")
    clash = sorted(set(history.columns) & set(result.columns) - {APPLICATION_ID})
    if clash:
        raise ValueError(f"previous aggregates: column(s) {clash} clash with features")
    result = result.merge(history, on=APPLICATION_ID, how="left", validate="1:1")
    has_history = result[APPLICATION_ID].isin(previous_aggregates[APPLICATION_ID])
    result[HAS_PREVIOUS_APPLICATION] = has_history.astype("float64")
    for column in history.columns:
        if _is_zero_without_history(column):
            result[column] = result[column].fillna(0.0)
    return result


def build_features(
    application: pd.DataFrame,
    previous_application: pd.DataFrame,
    cleaning: dict,
    features: dict,
) -> pd.DataFrame:
    """Raw tables to applicant features in one call, for batch scoring and the API."""
    previous_aggregates = aggregate_previous_applications(
        clean_previous_application(previous_application, cleaning), features
    )
    return build_applicant_features(
        clean_application(application, cleaning), previous_aggregates, features
    )


# --- the fitted transformer ---------------------------------------------------------


def _safe_name(name: str) -> str:
    return _UNSAFE_NAME_CHARACTERS.sub("_", name)


def _as_float(values: pd.Series, column: str) -> np.ndarray:
    if values.dtype == "float64" and isinstance(values.dtype, np.dtype):
        array = values.to_numpy()
        return np.where(np.isfinite(array), array, np.nan)
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        examples = values[bad].unique()[:5].tolist()
        raise ValueError(f"features: column {column}: expected numbers, got {examples}")
    array = numbers.to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isfinite(array), array, np.nan)


# Elements of float64 copied at once by transform: bounded memory on large tables.
_BLOCK_ELEMENTS = 1 << 22


@functools.lru_cache(maxsize=256)
def _level_index(levels: tuple[str, ...]) -> pd.Index:
    """The index of a text column's levels, built once per fitted transformer."""
    return pd.Index(list(levels), dtype="string")


class FeatureTransformer(TransformerMixin, BaseEstimator):
    """Turns applicant features into an all-float64 matrix with no missing values.

    ``fit`` (train split only) learns, per text column, the levels seen in at least
    ``min_category_frequency`` of rows; per numeric column, the median and whether it
    had gaps. ``transform`` one-hot encodes levels (rare and unseen levels share
    ``<column>=__other__``, missing text is ``<column>=__missing__`` when train had
    it), fills numeric gaps with the train median and adds ``<column>__missing``
    indicators. A column absent at transform time is treated as all-missing;
    SK_ID_CURR and TARGET are never features.
    """

    def __init__(
        self, min_category_frequency: float = 0.005, missing_indicators: bool = True
    ) -> None:
        self.min_category_frequency = min_category_frequency
        self.missing_indicators = missing_indicators

    def fit(self, features: pd.DataFrame, y: object = None) -> FeatureTransformer:
        frequency = self.min_category_frequency
        if not isinstance(frequency, int | float) or not 0 <= frequency < 1:
            raise ValueError(
                "transformer.min_category_frequency: expected a share in [0, 1), "
                f"got {frequency!r}"
            )
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features: expected a DataFrame, got {type(features)}")
        if features.empty:
            raise ValueError("features: cannot fit on an empty table")
        if features.columns.duplicated().any():
            repeated = features.columns[features.columns.duplicated()].tolist()
            raise ValueError(f"features: repeated column names {repeated}")
        n_rows = len(features)
        self.numeric_columns_: list[str] = []
        self.categorical_columns_: list[str] = []
        self.medians_: dict[str, float] = {}
        self.numeric_had_missing_: dict[str, bool] = {}
        self.levels_: dict[str, list[str]] = {}
        self.categorical_had_missing_: dict[str, bool] = {}
        # transform() writes every numeric column first, then every text column's
        # levels: the names follow the same order.
        numeric_names: list[str] = []
        categorical_names: list[str] = []
        for column in features.columns:
            if column in NOT_FEATURES:
                continue
            values = features[column]
            if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(
                values
            ):
                array = _as_float(values, column)
                missing = np.isnan(array)
                self.numeric_columns_.append(column)
                self.medians_[column] = (
                    float(np.median(array[~missing])) if (~missing).any() else 0.0
                )
                self.numeric_had_missing_[column] = bool(missing.any())
                numeric_names.append(column)
                if self.missing_indicators and missing.any():
                    numeric_names.append(column + MISSING_INDICATOR_SUFFIX)
            else:
                text = values.astype("string")
                counts = text.value_counts(dropna=True)
                kept = counts[counts >= frequency * n_rows].index
                self.categorical_columns_.append(column)
                self.levels_[column] = sorted(str(level) for level in kept)
                self.categorical_had_missing_[column] = bool(text.isna().any())
                categorical_names += [
                    _safe_name(f"{column}={level}") for level in self.levels_[column]
                ]
                categorical_names.append(f"{column}={OTHER_LEVEL}")
                if self.categorical_had_missing_[column]:
                    categorical_names.append(f"{column}={MISSING_LEVEL}")
        names = numeric_names + categorical_names
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"features: output column names collide: {repeated}")
        self.feature_names_in_ = np.asarray(
            [c for c in features.columns if c not in NOT_FEATURES], dtype=object
        )
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_names_out_ = names
        return self

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "feature_names_out_")
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features: expected a DataFrame, got {type(features)}")
        # Column-major: every write below fills one contiguous column.
        output = np.zeros(
            (len(features), len(self.feature_names_out_)), dtype="float64", order="F"
        )
        dtypes = dict(zip(features.columns, features.dtypes, strict=False))
        position = self._write_numeric(features, dtypes, output)
        self._write_categorical(features, dtypes, output, position)
        return pd.DataFrame(
            output, columns=self.feature_names_out_, index=features.index, copy=False
        )

    def _numeric_positions(self) -> tuple[dict[str, int], dict[str, int]]:
        """Where each numeric column and its missing indicator (-1: none) go."""
        value_at, indicator_at = {}, {}
        position = 0
        for column in self.numeric_columns_:
            value_at[column] = position
            position += 1
            indicator_at[column] = -1
            if self.missing_indicators and self.numeric_had_missing_[column]:
                indicator_at[column] = position
                position += 1
        return value_at, indicator_at

    def _write_numeric(
        self, features: pd.DataFrame, dtypes: dict, output: np.ndarray
    ) -> int:
        """Numeric columns, gaps filled with the medians, and their indicators;
        the position after them."""
        value_at, indicator_at = self._numeric_positions()
        # Plain float64 columns are filled a block of columns at a time: the same
        # element-wise operations as one column at a time, without per-column pandas.
        plain = [
            column
            for column in self.numeric_columns_
            if features.columns.is_unique
            and isinstance(dtypes.get(column), np.dtype)
            and dtypes[column] == np.float64
        ]
        chunk = max(1, _BLOCK_ELEMENTS // max(len(features), 1))
        for start in range(0, len(plain), chunk):
            columns = plain[start : start + chunk]
            block = features[columns].to_numpy(dtype="float64")
            block = np.where(np.isfinite(block), block, np.nan)
            missing = np.isnan(block)
            medians = np.array([self.medians_[column] for column in columns])
            output[:, [value_at[c] for c in columns]] = np.where(
                missing, medians, block
            )
            indicated = [i for i, c in enumerate(columns) if indicator_at[c] >= 0]
            output[:, [indicator_at[columns[i]] for i in indicated]] = missing[
                :, indicated
            ]
        plain_columns = set(plain)
        for column in self.numeric_columns_:
            if column in plain_columns:
                continue
            if column in features.columns:
                array = _as_float(features[column], column)
            else:
                array = np.full(len(features), np.nan)
            missing = np.isnan(array)
            output[:, value_at[column]] = np.where(
                missing, self.medians_[column], array
            )
            if indicator_at[column] >= 0:
                output[:, indicator_at[column]] = missing
        return len(value_at) + sum(at >= 0 for at in indicator_at.values())

    def _write_categorical(
        self, features: pd.DataFrame, dtypes: dict, output: np.ndarray, position: int
    ) -> None:
        """One-hot levels of each text column from ``position`` on."""
        n_rows = len(features)
        rows = np.arange(n_rows)
        for column in self.categorical_columns_:
            levels = self.levels_[column]
            if column not in features.columns:
                text = pd.Series(pd.NA, index=features.index, dtype="string")
            elif _is_conformed_text(dtypes[column]):
                text = features[column]
            else:
                text = features[column].astype("string")
            # Look up each distinct value once, not each row.
            value_codes, values = pd.factorize(text)
            missing = value_codes < 0
            level_of_value = _level_index(tuple(levels)).get_indexer(values)
            codes = np.full(n_rows, -1, dtype="int64")
            codes[~missing] = level_of_value[value_codes[~missing]]
            # Unseen or rare levels go to the "other" column right after the levels.
            codes[(codes < 0) & ~missing] = len(levels)
            if self.categorical_had_missing_[column]:
                codes[missing] = len(levels) + 1
            else:
                codes[missing] = -1
            hit = codes >= 0
            output[rows[hit], position + codes[hit]] = 1.0
            position += len(levels) + 1 + int(self.categorical_had_missing_[column])


def to_model_input(
    transformer: FeatureTransformer, features: pd.DataFrame
) -> pd.DataFrame:
    """The 05_model_input layout: SK_ID_CURR, TARGET when present, then the
    transformer's columns in its fixed order."""
    _require_columns(features, [APPLICATION_ID], "features")
    keys = [name for name in NOT_FEATURES if name in features.columns]
    encoded = transformer.transform(features)
    return pd.concat(
        [features[keys].reset_index(drop=True), encoded.reset_index(drop=True)], axis=1
    )
