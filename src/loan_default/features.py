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
import math
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter

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

# Characters some model libraries refuse in feature names (XGBoost: [ ] <;
# LightGBM, JSON's: , : " [ ] { }), replaced by _ in the encoded level names.
_UNSAFE_NAME_CHARACTERS = re.compile(r'[\[\]<,:"{}]')


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


Columns = dict[str, np.ndarray]
"""A table as one array per column: numbers float64 (NaN missing), whole-number keys
and labels int64, text object (None missing). The whole feature path works on this
form: it costs the same per row as pandas on large tables, and a fraction of it on
the API's few rows, where per-column pandas work was most of the cost."""

Records = Sequence[Mapping[str, object]]
"""Validated records, as the API receives them: numbers as int or float, text as
str, missing as None or absent."""


def table_columns(table: pd.DataFrame | Records, schema: TableSchema) -> Columns:
    """The schema's columns of ``table`` in schema order, typed (see ``Columns``).

    A schema column absent from ``table`` (a partial record) comes back all-missing;
    TARGET is never invented. Columns outside the schema are left out.
    """
    if isinstance(table, pd.DataFrame):
        return _frame_table_columns(table, schema)
    if isinstance(table, Sequence) and not isinstance(table, str | bytes):
        return _record_table_columns(table, schema)
    raise TypeError(
        f"{schema.filename}: expected a DataFrame or a list of records, "
        f"got {type(table).__name__}"
    )


def _frame_table_columns(frame: pd.DataFrame, schema: TableSchema) -> Columns:
    required = [c.name for c in schema.columns if c.required and c.name != TARGET]
    absent = [name for name in required if name not in frame.columns]
    if absent:
        raise ValueError(f"{schema.filename}: required column(s) {absent} are missing")
    n_rows = len(frame)
    columns: Columns = {}
    for spec in schema.columns:
        if spec.name not in frame.columns:
            if spec.name != TARGET:
                columns[spec.name] = _missing_column(spec, n_rows)
            continue
        values = frame[spec.name]
        if spec.dtype == "string":
            columns[spec.name] = _text_array(values)
        elif spec.required:
            columns[spec.name] = _whole_numbers(values, spec.name, schema)
        else:
            columns[spec.name] = _numbers(values, spec.name, schema.filename)
    return columns


def _missing_column(spec: ColumnSpec, n_rows: int) -> np.ndarray:
    if spec.dtype == "string":
        return np.full(n_rows, None, dtype=object)
    return np.full(n_rows, np.nan)


def _text_array(values: pd.Series) -> np.ndarray:
    """Text as an object array, None missing (anything else is made text)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    return values.to_numpy(dtype=object, na_value=None)


@functools.lru_cache(maxsize=8)
def _record_layout(schema: TableSchema) -> tuple:
    """The getters reading a record's keys, numbers and text, built once per schema."""
    specs = [spec for spec in schema.columns if spec.name != TARGET]
    keys = [s.name for s in specs if s.dtype != "string" and s.required]
    numbers = [s.name for s in specs if s.dtype != "string" and not s.required]
    text = [s.name for s in specs if s.dtype == "string"]
    absent = dict.fromkeys(spec.name for spec in specs)
    return keys, numbers, text, itemgetter(*keys), itemgetter(*numbers), absent


def _record_table_columns(records: Records, schema: TableSchema) -> Columns:
    keys, numbers, text, key_values, number_values, absent = _record_layout(schema)
    # One tuple per record, read by C getters: a lookup per value in Python was most
    # of the cost of a thousand applications.
    try:
        number_rows = [number_values(record) for record in records]
    except KeyError:  # a partial record: absent fields are missing
        records = [{**absent, **record} for record in records]
        number_rows = [number_values(record) for record in records]
    n_rows = len(records)
    matrix = np.fromiter(
        (
            math.nan if value is None else value
            for value in itertools.chain.from_iterable(number_rows)
        ),
        dtype="float64",
        count=n_rows * len(numbers),
    ).reshape(n_rows, len(numbers))
    try:
        key_matrix = np.array(
            [key_values(record) for record in records], dtype="int64"
        ).reshape(n_rows, len(keys))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{schema.filename}: column(s) {keys} are required whole numbers: {error}"
        ) from error
    columns: Columns = dict(zip(keys, key_matrix.T, strict=True))
    columns.update(zip(numbers, matrix.T, strict=True))
    for name in text:
        columns[name] = np.array(
            [record[name] for record in records], dtype=object
        ).reshape(n_rows)
    return {
        spec.name: columns[spec.name] for spec in schema.columns if spec.name in columns
    }


def frame_columns(frame: pd.DataFrame) -> Columns:
    """Any feature frame as ``Columns``: numbers float64 (the key and label int64),
    everything else text."""
    columns: Columns = {}
    for name in frame.columns:
        values = frame[name]
        if name in NOT_FEATURES and pd.api.types.is_integer_dtype(values):
            columns[name] = values.to_numpy(dtype="int64")
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(
            values
        ):
            columns[name] = values.to_numpy(dtype="float64", na_value=np.nan)
        else:
            columns[name] = _text_array(values)
    return columns


def columns_frame(columns: Columns) -> pd.DataFrame:
    """``Columns`` as a DataFrame (text as pandas' string dtype)."""
    return pd.DataFrame(
        {
            name: pd.array(values, dtype="string") if values.dtype == object else values
            for name, values in columns.items()
        }
    )


def _numbers(values: pd.Series, column: str, source: str) -> np.ndarray:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return values.to_numpy(dtype="float64")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        examples = values[bad].unique()[:5].tolist()
        raise ValueError(f"{source}: column {column}: expected numbers, got {examples}")
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _whole_numbers(values: pd.Series, column: str, table: TableSchema) -> np.ndarray:
    numbers = _numbers(values, column, table.filename)
    if np.isnan(numbers).any():
        raise ValueError(
            f"{table.filename}: column {column} is required but has "
            f"{int(np.isnan(numbers).sum())} missing value(s)"
        )
    return numbers.astype("int64")


def _require_columns(
    frame: pd.DataFrame | Mapping, columns: Iterable[str], what: str
) -> None:
    names = frame.columns if isinstance(frame, pd.DataFrame) else frame
    absent = [name for name in columns if name not in names]
    if absent:
        raise ValueError(f"{what}: column(s) {absent} are missing")


def _require_unique_key(keys: np.ndarray, what: str) -> None:
    unique, counts = np.unique(keys, return_counts=True)
    if len(unique) != len(keys):
        examples = unique[counts > 1][:5].tolist()
        raise ValueError(
            f"{what}: column {APPLICATION_ID} must be unique; repeated: {examples}"
        )


# --- cleaning -----------------------------------------------------------------------


def _missing_category_to_none(columns: Columns, table: TableSchema) -> None:
    for name in table.columns_of("string"):
        values = columns[name]
        is_missing = values == MISSING_CATEGORY
        if is_missing.any():
            columns[name] = np.where(is_missing, None, values)


def clean_application_columns(columns: Columns, cleaning: dict) -> Columns:
    """Typed application columns (``table_columns``) with sentinels and "XNA" as
    missing and the drop list applied.

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
    clean = dict(columns)
    _missing_category_to_none(clean, APPLICATION)
    for spec in SENTINEL_COLUMNS:
        clean[spec.name], clean[spec.name + ANOMALY_SUFFIX] = sentinel_to_missing(
            clean[spec.name], spec.sentinel
        )
    for name in drop_columns:
        del clean[name]
    return clean


def clean_application(application: pd.DataFrame, cleaning: dict) -> pd.DataFrame:
    """``clean_application_columns`` of a raw application table, as a table."""
    return columns_frame(
        clean_application_columns(table_columns(application, APPLICATION), cleaning)
    )


SENTINEL_COLUMNS = [spec for spec in APPLICATION.columns if spec.sentinel is not None]
"""Application columns whose schema sentinel means "not applicable" (DAYS_EMPLOYED)."""


def sentinel_to_missing(
    values: np.ndarray, sentinel: float
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` with the sentinel as missing, and the ``_ANOMALY`` flag: 1 where the
    sentinel was, 0 for a real value, missing where the value is missing."""
    is_sentinel = values == sentinel
    flag = np.where(np.isnan(values), np.nan, is_sentinel.astype("float64"))
    return np.where(is_sentinel, np.nan, values), flag


def clean_previous_application(
    previous_application: pd.DataFrame, cleaning: dict
) -> pd.DataFrame:
    """Typed previous applications with "XNA" and the 365243 no-date value as missing."""
    sentinel_columns = _schema_columns(
        _parameter(cleaning, "cleaning", "previous_application_sentinel_columns"),
        PREVIOUS_APPLICATION,
        "cleaning.previous_application_sentinel_columns",
    )
    clean = table_columns(previous_application, PREVIOUS_APPLICATION)
    _missing_category_to_none(clean, PREVIOUS_APPLICATION)
    for name in sentinel_columns:
        # The same "no date" value the application table uses for DAYS_EMPLOYED.
        values = clean[name]
        clean[name] = np.where(values == DAYS_EMPLOYED_SENTINEL, np.nan, values)
    return columns_frame(clean)


# --- features -----------------------------------------------------------------------


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, missing (never inf) when either is missing or it is 0."""
    quotient = _ratio_of_arrays(
        numerator.to_numpy(dtype="float64", na_value=np.nan),
        denominator.to_numpy(dtype="float64", na_value=np.nan),
    )
    return pd.Series(quotient, index=numerator.index)


def _ratio_of_arrays(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    valid = np.isfinite(top) & np.isfinite(bottom) & (bottom != 0)
    return np.where(valid, top / np.where(valid, bottom, np.nan), np.nan)


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


ENGINEERING_INPUTS = (
    "AMT_CREDIT",
    "AMT_INCOME_TOTAL",
    "AMT_ANNUITY",
    "AMT_GOODS_PRICE",
    "DAYS_BIRTH",
    "DAYS_EMPLOYED",
    *(n for n in APPLICATION.column_names if n.startswith(EXT_SOURCE_PREFIX)),
)
"""The cleaned columns the engineered features are computed from (and the
FLAG_DOCUMENT_ columns that are kept)."""


def engineered_features(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Ratios, ages, EXT_SOURCE statistics and the document count, from the cleaned
    columns as float64 arrays (``ENGINEERING_INPUTS`` and the document flags).

    On arrays rather than Series: the same element-wise IEEE operations as pandas
    (checked bit for bit by the tests) for a fraction of the cost on few rows.
    """
    _require_columns(values, ENGINEERING_INPUTS, "applicant features")
    credit, income, annuity, goods, birth, employed = (
        values[name] for name in ENGINEERING_INPUTS[:6]
    )
    scores = np.column_stack([values[name] for name in ENGINEERING_INPUTS[6:]])
    documents = [
        values[name] for name in values if name.startswith(DOCUMENT_FLAG_PREFIX)
    ]
    return {
        "CREDIT_INCOME_RATIO": _ratio_of_arrays(credit, income),
        "ANNUITY_INCOME_RATIO": _ratio_of_arrays(annuity, income),
        # Loan term in annuity payments.
        "CREDIT_ANNUITY_RATIO": _ratio_of_arrays(credit, annuity),
        "GOODS_CREDIT_RATIO": _ratio_of_arrays(goods, credit),
        "AGE_YEARS": -birth / DAYS_PER_YEAR,
        "YEARS_EMPLOYED": -employed / DAYS_PER_YEAR,
        "EMPLOYED_AGE_RATIO": _ratio_of_arrays(employed, birth),
        **_ext_source_statistics(scores),
        "DOCUMENT_COUNT": _sum_of_known(documents, len(credit)),
    }


def _ext_source_statistics(scores: np.ndarray) -> dict[str, np.ndarray]:
    """Row statistics of the EXT_SOURCE scores skipping gaps, as pandas' ``mean``,
    ``min``, ``max``, ``prod`` and ``std(ddof=0)`` compute them."""
    known = ~np.isnan(scores)
    present = known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(known, scores, 0.0).sum(axis=1) / present
        squares = np.where(known, (mean[:, None] - scores) ** 2, 0.0)
        std = np.sqrt(squares.sum(axis=1) / present)
        product = np.where(known, scores, 1.0).prod(axis=1)
    every = scores.shape[1]
    return {
        "EXT_SOURCE_MEAN": mean,
        "EXT_SOURCE_MIN": np.fmin.reduce(scores, axis=1),
        "EXT_SOURCE_MAX": np.fmax.reduce(scores, axis=1),
        # A product over fewer scores would not be comparable: all or nothing.
        "EXT_SOURCE_PRODUCT": np.where(present == every, product, np.nan),
        # The spread of one score is undefined.
        "EXT_SOURCE_STD": np.where(present >= 2, std, np.nan),
        "EXT_SOURCE_MISSING_COUNT": (every - present).astype("float64"),
    }


def _sum_of_known(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Row sums skipping gaps; missing where every value is (``min_count=1``)."""
    if not columns:
        return np.full(n_rows, np.nan)
    matrix = np.column_stack(columns)
    known = ~np.isnan(matrix)
    return np.where(known.any(axis=1), np.where(known, matrix, 0.0).sum(axis=1), np.nan)


def applicant_feature_columns(
    application_clean: Columns,
    previous_aggregates: pd.DataFrame | Columns,
    features: dict,
) -> Columns:
    """One row per applicant, in application order: SK_ID_CURR, TARGET when present,
    the cleaned columns, ratios, EXT_SOURCE statistics and previous-application
    aggregates. Applicants without history get HAS_PREVIOUS_APPLICATION = 0, counts
    0, and missing rates; history of applicants not in ``application_clean`` is
    ignored."""
    _recency_bins(features)  # same block as the aggregates: fail early if it is bad
    history = (
        frame_columns(previous_aggregates)
        if isinstance(previous_aggregates, pd.DataFrame)
        else previous_aggregates
    )
    _require_columns(application_clean, [APPLICATION_ID], "cleaned applications")
    _require_columns(history, [APPLICATION_ID], "previous aggregates")
    _require_columns(application_clean, ENGINEERING_INPUTS, "applicant features")
    keys = application_clean[APPLICATION_ID]
    _require_unique_key(keys, "cleaned applications")
    _require_unique_key(history[APPLICATION_ID], "previous aggregates")
    result = dict(application_clean)
    result.update(engineered_features(application_clean))
    history_columns = [name for name in history if name not in NOT_FEATURES]
    clash = sorted(set(history_columns) & set(result))
    if clash:
        raise ValueError(f"previous aggregates: column(s) {clash} clash with features")
    # A left join on the key, unique on both sides (checked above), by one index
    # lookup; an applicant without history gets missing values (0 for counts).
    position = pd.Index(history[APPLICATION_ID]).get_indexer(keys)
    has_history = position >= 0
    for name in history_columns:
        values = history[name]
        absent = 0.0 if _is_zero_without_history(name) else _missing_value(values)
        if len(values):
            joined = np.where(has_history, values[np.maximum(position, 0)], absent)
        else:
            joined = np.full(len(keys), absent, dtype=values.dtype)
        result[name] = joined.astype(values.dtype, copy=False)
    result[HAS_PREVIOUS_APPLICATION] = has_history.astype("float64")
    return result


def _missing_value(values: np.ndarray) -> float | None:
    return None if values.dtype == object else np.nan


def build_applicant_features(
    application_clean: pd.DataFrame,
    previous_aggregates: pd.DataFrame,
    features: dict,
) -> pd.DataFrame:
    """``applicant_feature_columns`` of a cleaned application table, as a table."""
    return columns_frame(
        applicant_feature_columns(
            frame_columns(application_clean), previous_aggregates, features
        )
    )


def history_aggregates(
    previous_application: pd.DataFrame | None, cleaning: dict, features: dict
) -> pd.DataFrame:
    """Earlier applications (None: none on record) to one row per applicant."""
    if previous_application is None:
        previous_application = pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names)
    return aggregate_previous_applications(
        clean_previous_application(previous_application, cleaning), features
    )


def feature_columns(
    application: pd.DataFrame | Records,
    previous_aggregates: pd.DataFrame | Columns,
    cleaning: dict,
    features: dict,
) -> Columns:
    """Raw applications and their history's aggregates to applicant features: the
    path training's nodes take, in one call (the inference object's too)."""
    clean = clean_application_columns(table_columns(application, APPLICATION), cleaning)
    return applicant_feature_columns(clean, previous_aggregates, features)


def build_features(
    application: pd.DataFrame,
    previous_application: pd.DataFrame | None,
    cleaning: dict,
    features: dict,
) -> pd.DataFrame:
    """Raw applications and their earlier applications to the applicant-feature
    table."""
    aggregates = history_aggregates(previous_application, cleaning, features)
    return columns_frame(feature_columns(application, aggregates, cleaning, features))


# --- the fitted transformer ---------------------------------------------------------


def _safe_name(name: str) -> str:
    return _UNSAFE_NAME_CHARACTERS.sub("_", name)


def _as_float(values: pd.Series, column: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        examples = values[bad].unique()[:5].tolist()
        raise ValueError(f"features: column {column}: expected numbers, got {examples}")
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _float_column(values: np.ndarray, column: str) -> np.ndarray:
    """A numeric feature column as float64 (text holding numbers is converted)."""
    if values.dtype == object:
        return _as_float(pd.Series(values, dtype=object), column)
    return values.astype("float64", copy=False)


# Elements of float64 copied at once by transform: bounded memory on large tables.
_BLOCK_ELEMENTS = 1 << 22


@functools.lru_cache(maxsize=256)
def _level_positions(levels: tuple[str, ...]) -> dict[str, int]:
    """Position of each of a text column's levels, built once per transformer."""
    return {level: position for position, level in enumerate(levels)}


_OUTPUT_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features: expected a DataFrame, got {type(features)}")
        return self.fit_in_column_batches(
            [str(column) for column in features.columns], [features], len(features)
        )

    def fit_in_column_batches(
        self, columns: Sequence[str], batches: Iterable[pd.DataFrame], n_rows: int
    ) -> FeatureTransformer:
        """``fit`` on a table of ``n_rows`` rows that arrives as frames of a few of
        its ``columns`` each, in their order: what is learnt is per column, so one
        batch of columns at a time is all the memory it needs (the Spark
        environment fits the training split so)."""
        frequency = self.min_category_frequency
        if not isinstance(frequency, int | float) or not 0 <= frequency < 1:
            raise ValueError(
                "transformer.min_category_frequency: expected a share in [0, 1), "
                f"got {frequency!r}"
            )
        columns = list(columns)
        if n_rows == 0 or not columns:
            raise ValueError("features: cannot fit on an empty table")
        if len(set(columns)) != len(columns):
            repeated = sorted({c for c in columns if columns.count(c) > 1})
            raise ValueError(f"features: repeated column names {repeated}")
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
        seen: list[str] = []
        for batch in batches:
            if len(batch) != n_rows:
                raise ValueError(
                    f"features: a batch of columns has {len(batch)} rows, expected "
                    f"{n_rows}"
                )
            for column in batch.columns:
                seen.append(str(column))
                if column in NOT_FEATURES:
                    continue
                values = batch[column]
                if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(
                    values
                ):
                    numeric_names += self._learn_numeric(column, values)
                else:
                    categorical_names += self._learn_levels(column, values, n_rows)
        if seen != columns:
            raise ValueError(
                f"features: the batches hold the columns {seen}, expected {columns}"
            )
        names = numeric_names + categorical_names
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"features: output column names collide: {repeated}")
        self.feature_names_in_ = np.asarray(
            [c for c in columns if c not in NOT_FEATURES], dtype=object
        )
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_names_out_ = names
        return self

    def _learn_numeric(self, column: str, values: pd.Series) -> list[str]:
        """Learn a numeric column's median and gaps; return its output names."""
        array = _as_float(values, column)
        missing = np.isnan(array)
        self.numeric_columns_.append(column)
        self.medians_[column] = (
            float(np.median(array[~missing])) if (~missing).any() else 0.0
        )
        self.numeric_had_missing_[column] = bool(missing.any())
        if self.missing_indicators and missing.any():
            return [column, column + MISSING_INDICATOR_SUFFIX]
        return [column]

    def _learn_levels(self, column: str, values: pd.Series, n_rows: int) -> list[str]:
        """Learn a text column's frequent levels and gaps; return its output names."""
        text = values.astype("string")
        counts = text.value_counts(dropna=True)
        kept = counts[counts >= self.min_category_frequency * n_rows].index
        self.categorical_columns_.append(column)
        self.levels_[column] = sorted(str(level) for level in kept)
        self.categorical_had_missing_[column] = bool(text.isna().any())
        names = [_safe_name(f"{column}={level}") for level in self.levels_[column]]
        names.append(f"{column}={OTHER_LEVEL}")
        if self.categorical_had_missing_[column]:
            names.append(f"{column}={MISSING_LEVEL}")
        return names

    _STATE = (
        "numeric_columns_",
        "categorical_columns_",
        "medians_",
        "numeric_had_missing_",
        "levels_",
        "categorical_had_missing_",
        "feature_names_out_",
    )

    def to_state(self) -> dict[str, object]:
        """The parameters and what ``fit`` learnt, as plain JSON values: the saved
        form of a fitted transformer (loading it runs no code)."""
        check_is_fitted(self, "feature_names_out_")
        return {
            "parameters": self.get_params(),
            "feature_names_in": [str(name) for name in self.feature_names_in_],
            **{name: getattr(self, name) for name in self._STATE},
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> FeatureTransformer:
        """The fitted transformer ``to_state`` describes."""
        missing = [
            key
            for key in ("parameters", "feature_names_in", *cls._STATE)
            if key not in state
        ]
        if missing:
            raise ValueError(f"feature transformer state lacks {missing}")
        transformer = cls(**state["parameters"])
        for name in cls._STATE:
            setattr(transformer, name, state[name])
        transformer.medians_ = {k: float(v) for k, v in transformer.medians_.items()}
        transformer.feature_names_in_ = np.asarray(
            state["feature_names_in"], dtype=object
        )
        transformer.n_features_in_ = len(transformer.feature_names_in_)
        return transformer

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def transform(self, features: pd.DataFrame | Columns) -> pd.DataFrame:
        """The encoded matrix of ``features`` (a frame, or ``Columns``) as a frame
        with ``feature_names_out_`` columns (index kept for a frame)."""
        check_is_fitted(self, "feature_names_out_")
        if isinstance(features, pd.DataFrame):
            index = features.index
            if features.columns.duplicated().any():
                repeated = features.columns[features.columns.duplicated()].tolist()
                raise ValueError(f"features: repeated column names {repeated}")
            features = frame_columns(features)
        elif isinstance(features, Mapping):
            index = None
        else:
            raise TypeError(f"features: expected a DataFrame, got {type(features)}")
        matrix = self.transform_columns(features)
        return pd.DataFrame(matrix, columns=self._output_index, index=index, copy=False)

    @property
    def _output_index(self) -> pd.Index:
        """The output columns as an Index, built once per fitted transformer."""
        cached = _OUTPUT_INDEX.get(self)
        if cached is None or len(cached) != len(self.feature_names_out_):
            cached = _OUTPUT_INDEX[self] = pd.Index(self.feature_names_out_)
        return cached

    def transform_columns(self, columns: Columns) -> np.ndarray:
        """The encoded matrix of ``columns`` (column-major float64). An absent
        column is all missing."""
        check_is_fitted(self, "feature_names_out_")
        n_rows = len(next(iter(columns.values()))) if columns else 0
        output = self._empty_output(n_rows)
        value_at, indicator_at = self._numeric_positions()
        missing = np.full(n_rows, np.nan)
        # A block of columns at a time: the same element-wise operations as one
        # column at a time, in bounded memory on large tables.
        chunk = max(1, _BLOCK_ELEMENTS // max(n_rows, 1))
        for start in range(0, len(self.numeric_columns_), chunk):
            names = self.numeric_columns_[start : start + chunk]
            block = np.column_stack(
                [_float_column(columns.get(name, missing), name) for name in names]
            )
            self._fill_numeric(names, block, value_at, indicator_at, output)
        self._fill_categorical(columns.get, output)
        return output

    def _empty_output(self, n_rows: int) -> np.ndarray:
        # Column-major: every write fills one contiguous column.
        return np.zeros(
            (n_rows, len(self.feature_names_out_)), dtype="float64", order="F"
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

    def _fill_numeric(
        self,
        columns: list[str],
        block: np.ndarray,
        value_at: dict[str, int],
        indicator_at: dict[str, int],
        output: np.ndarray,
    ) -> None:
        """Numeric columns (``block``'s columns) with gaps and infinities filled with
        the train medians, and their missing indicators."""
        block = np.where(np.isfinite(block), block, np.nan)
        missing = np.isnan(block)
        medians = np.array([self.medians_[column] for column in columns])
        output[:, [value_at[c] for c in columns]] = np.where(missing, medians, block)
        indicated = [i for i, c in enumerate(columns) if indicator_at[c] >= 0]
        output[:, [indicator_at[columns[i]] for i in indicated]] = missing[:, indicated]

    def _fill_categorical(self, text_of: Callable, output: np.ndarray) -> None:
        """One-hot levels of each text column, after the numeric columns;
        ``text_of(column)``: its values, or None when the column is absent."""
        n_rows = len(output)
        rows = np.arange(n_rows)
        position = len(self.numeric_columns_) + sum(
            self.missing_indicators and self.numeric_had_missing_[column]
            for column in self.numeric_columns_
        )
        for column in self.categorical_columns_:
            levels = self.levels_[column]
            position_of = _level_positions(tuple(levels))
            # Unseen or rare levels go to the "other" column right after the levels,
            # missing values to the column after it when train had any (else none).
            other = len(levels)
            missing_at = other + 1 if self.categorical_had_missing_[column] else -1
            text = text_of(column)
            if text is None:
                codes = np.full(n_rows, missing_at, dtype="int64")
            else:
                # A dictionary lookup per value (anything but text is missing):
                # cheaper than factorizing on a few rows, and as cheap on many.
                codes = np.array(
                    [
                        position_of.get(value, other)
                        if isinstance(value, str)
                        else missing_at
                        for value in text.tolist()
                    ],
                    dtype="int64",
                ).reshape(n_rows)
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
