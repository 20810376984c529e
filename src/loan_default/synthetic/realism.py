"""How close the synthetic tables come to the real data's public profiles.

The real data is known only through aggregate statistics (``reference/``: per-column
quartiles, missing shares and value counts, see its README). Two measures compare a
drawn population with them; both are pure functions of the two frames:

- ``profile_psi``: the population stability index of each column against the real
  column as the profile describes it. Numeric columns are cut at the real quartiles,
  so each of the four value bins holds 25% of the real non-missing rows, plus a
  missing bin; 0/1 columns use their exact share of ones (the profile's mean);
  text columns use the real value counts, levels the real data lacks going to an
  "other" bin. The PSI itself is the monitoring's (``psi_contributions``), with the
  monitoring's empty-bin floor.
- ``correlations`` and ``relationships``: figures the real data is known to show
  (correlations, default rates of groups, tails, round numbers, nested missingness),
  each a ``Relationship`` holding its name, the real figure (``None`` when no public
  figure exists) and the function that measures it on the synthetic tables.

A quartile value may hold a point mass (a count that is mostly 0, a rounded
amount): when quartiles tie there, or the sample itself holds it often, the
profile only bounds the real shares on either side of it. The reference then takes
the sample's own share clipped into those bounds, so the PSI counts only what the
profile rules out; such columns are marked ``exact_shares = False``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from loan_default.monitoring.drift import binned_shares, psi_contributions
from loan_default.synthetic.calibration import BUILDING_STATISTICS, SENTINEL
from loan_default.synthetic.risk import BUILDING_COLUMNS, CREDIT_BUREAU_COLUMNS

REFERENCE_PACKAGE = "loan_default.synthetic"
REFERENCE_DIRECTORY = "reference"

PSI_EPSILON = 1e-4
"""Shares below it count as it, as in the monitoring parameters (``psi.epsilon``)."""

IDENTIFIER_COLUMNS = frozenset({"SK_ID_CURR", "SK_ID_PREV"})
"""Keys: their distribution says nothing about realism, so no PSI is computed."""

MISSING_BIN = "missing"
OTHER_BIN = "other"
QUARTILE_COLUMNS = ("min", "25%", "50%", "75%", "max")
NUMERIC_DTYPES = frozenset({"int64", "float64"})

DAYS_PER_YEAR = 365.25

Measure = Callable[[pd.DataFrame, pd.DataFrame], float]
"""Measures a figure on (application, previous_application)."""


# --- reference profiles ------------------------------------------------------------


@dataclass(frozen=True)
class TableProfile:
    """One real table as the public statistics describe it.

    ``columns``: one row per column (index the column name) with ``dtype``,
    ``missing_share``, ``mean`` and the five quartile columns. ``categories``: value
    counts with columns ``column``, ``value`` (NaN counts the missing values, when
    the source counted them) and ``count``.
    """

    name: str
    columns: pd.DataFrame
    categories: pd.DataFrame

    def describes(self, column: str) -> bool:
        return column in self.columns.index and column not in IDENTIFIER_COLUMNS

    def row(self, column: str) -> pd.Series:
        if not self.describes(column):
            raise KeyError(
                f"column {column!r} is not described by the {self.name} profile"
            )
        return self.columns.loc[column]


@dataclass(frozen=True)
class ReferenceProfiles:
    application: TableProfile
    previous_application: TableProfile


def read_reference_csv(file_name: str) -> pd.DataFrame:
    """A reference file of the installed package; only a blank field is missing
    (a level spelt "NA" or "None" stays a level)."""
    source = resources.files(REFERENCE_PACKAGE) / REFERENCE_DIRECTORY / file_name
    with source.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""])


def column_profile(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile indexed by column, with the missing share as a fraction."""
    columns = profile.set_index("column")
    if "non_null" in columns:
        # The exact counts are finer than the percentage rounded to 2 decimals.
        missing = 1.0 - columns["non_null"] / columns["non_null"].max()
    else:
        missing = columns["missing_pct"] / 100.0
    return columns.assign(missing_share=missing.astype("float64"))


def value_counts_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """``column``, ``value``, ``count`` whatever the source called its count column."""
    count_column = next(name for name in counts.columns if name.startswith("count"))
    return counts.rename(columns={count_column: "count"})[["column", "value", "count"]]


def load_reference_profiles() -> ReferenceProfiles:
    """Both tables' profiles from the package's ``reference`` folder."""
    application_counts = pd.concat(
        [
            value_counts_frame(read_reference_csv("application_data_categories.csv")),
            value_counts_frame(
                read_reference_csv("application_data_categories_extra.csv")
            ),
        ],
        ignore_index=True,
    )
    return ReferenceProfiles(
        application=TableProfile(
            "application",
            column_profile(read_reference_csv("application_data_profile.csv")),
            application_counts,
        ),
        previous_application=TableProfile(
            "previous_application",
            column_profile(read_reference_csv("previous_application_profile.csv")),
            value_counts_frame(
                read_reference_csv("previous_application_categories.csv")
            ),
        ),
    )


# --- PSI against a profile ---------------------------------------------------------

QUARTILE_PROBABILITIES = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
POINT_MASS_SHARE = 0.005
"""A quartile value holding this share of the sample may be a real point mass too
(a count, a rounded amount), so the profile only bounds the real shares around it."""


@dataclass(frozen=True)
class Boundary:
    """A cut of a numeric column and what the profile says of the real share below.

    ``closed``: the cut counts values equal to ``value`` as below it (``<=``), else
    not (``<``). The real share of non-missing values below the cut lies in
    [``lower``, ``upper``]; the two are equal when the profile fixes it.
    """

    value: float
    closed: bool
    lower: float
    upper: float


@dataclass(frozen=True)
class BinComparison:
    """The real and the sample's share of each bin (missing bin last)."""

    labels: tuple[str, ...]
    reference: np.ndarray
    synthetic: np.ndarray
    exact: bool


def is_zero_one_column(row: pd.Series) -> bool:
    """A 0/1 flag: every quartile is 0 or 1, the minimum 0 and the maximum 1."""
    quartiles = row[list(QUARTILE_COLUMNS)].astype("float64")
    return bool(
        quartiles.isin([0.0, 1.0]).all()
        and quartiles["min"] == 0.0
        and quartiles["max"] == 1.0
    )


def quartile_boundaries(
    quartiles: np.ndarray, point_masses: Sequence[float] = ()
) -> list[Boundary]:
    """The cuts at the quartiles (min, 25%, 50%, 75%, max) and their real shares.

    A quartile value held by one probability p cuts at ``<= q`` with share exactly
    p (the outer bins stay open, so min and max are no cut). A value several
    quartiles share, or one of ``point_masses``, may hold a point mass, so it is cut
    on both sides: the real share below it lies between the previous quartile's p
    and its lowest p, the share up to it between its highest p and the next
    quartile's.
    """
    boundaries = []
    for value in np.unique(quartiles):
        at = QUARTILE_PROBABILITIES[quartiles == value]
        below = QUARTILE_PROBABILITIES[quartiles < value]
        above = QUARTILE_PROBABILITIES[quartiles > value]
        if at.size == 1 and value not in point_masses:
            if 0.0 < at[0] < 1.0:
                boundaries.append(Boundary(float(value), True, at[0], at[0]))
            continue
        below_share = below.max() if below.size else 0.0
        through_share = above.min() if above.size else 1.0
        boundaries += [
            Boundary(float(value), False, below_share, at.min()),
            Boundary(float(value), True, at.max(), through_share),
        ]
    return boundaries


def sample_point_masses(numbers: np.ndarray, candidates: np.ndarray) -> list[float]:
    """The candidate values that hold at least ``POINT_MASS_SHARE`` of the sample's
    non-missing values."""
    present = numbers[~np.isnan(numbers)]
    if present.size == 0:
        return []
    return [
        float(value)
        for value in np.unique(candidates)
        if np.mean(present == value) >= POINT_MASS_SHARE
    ]


def numeric_boundaries(
    row: pd.Series, point_masses: Sequence[float] = ()
) -> list[Boundary]:
    """The cuts of one profiled numeric column; a 0/1 flag's exact share of zeros
    comes from its mean."""
    if is_zero_one_column(row):
        zeros = 1.0 - float(row["mean"])
        return [Boundary(0.0, True, zeros, zeros)]
    quartiles = row[list(QUARTILE_COLUMNS)].to_numpy(dtype="float64")
    return quartile_boundaries(quartiles, point_masses)


def boundary_labels(boundaries: Sequence[Boundary]) -> tuple[str, ...]:
    """``<= a``, ``(a, b]``, ``= v``, ..., ``> z``, then ``missing``."""

    def opening(cut: Boundary) -> str:
        return f"({cut.value:.6g}" if cut.closed else f"[{cut.value:.6g}"

    def closing(cut: Boundary) -> str:
        return f"{cut.value:.6g}]" if cut.closed else f"{cut.value:.6g})"

    first, last = boundaries[0], boundaries[-1]
    labels = [f"{'<=' if first.closed else '<'} {first.value:.6g}"]
    for low, high in zip(boundaries, boundaries[1:], strict=False):
        point = low.value == high.value and not low.closed and high.closed
        labels.append(
            f"= {low.value:.6g}" if point else f"{opening(low)}, {closing(high)}"
        )
    labels.append(f"{'>' if last.closed else '>='} {last.value:.6g}")
    return (*labels, MISSING_BIN)


def numeric_comparison(values: pd.Series, row: pd.Series) -> BinComparison:
    """Shares of a numeric sample and of the real column in the profile's bins.

    Where the profile only bounds a real share (a quartile value that may hold a
    point mass: tied quartiles, or a quartile value the sample itself holds often),
    the reference takes the sample's own share clipped into the bounds: the PSI then
    counts only what the profile rules out.
    """
    numbers = pd.to_numeric(values, errors="raise").to_numpy(
        dtype="float64", na_value=np.nan
    )
    quartiles = row[list(QUARTILE_COLUMNS)].to_numpy(dtype="float64")
    boundaries = numeric_boundaries(row, sample_point_masses(numbers, quartiles))
    # binned_shares' bins are left-closed; an edge one ulp above a value makes its
    # bin hold the value itself (``<=``).
    edges = np.array(
        [
            np.nextafter(cut.value, np.inf) if cut.closed else cut.value
            for cut in boundaries
        ]
    )
    synthetic = binned_shares(numbers, edges)
    lower = np.array([cut.lower for cut in boundaries])
    upper = np.array([cut.upper for cut in boundaries])
    synthetic_present = 1.0 - synthetic[-1]
    below = (
        np.cumsum(synthetic[:-2]) / synthetic_present
        if synthetic_present > 0
        else lower
    )
    real_below = np.clip(below, lower, upper)
    real_present = 1.0 - float(row["missing_share"])
    reference = np.append(
        np.diff(np.concatenate([[0.0], real_below, [1.0]])) * real_present,
        1.0 - real_present,
    )
    return BinComparison(
        boundary_labels(boundaries),
        reference,
        synthetic,
        exact=bool(np.array_equal(lower, upper)),
    )


def categorical_comparison(
    values: pd.Series, counts: pd.DataFrame, missing_share: float
) -> BinComparison:
    """Shares of the real levels, an ``other`` bin (levels the real data lacks) and
    the missing bin, in the sample and in the real value counts.

    When the counts hold no missing row, the levels share the non-missing rows and
    ``missing_share`` (from the profile) is the missing bin.
    """
    is_missing = counts["value"].isna()
    levels = counts.loc[~is_missing].sort_values("count", ascending=False)
    level_counts = levels["count"].to_numpy(dtype="float64")
    if is_missing.any():
        total = float(counts["count"].sum())
        level_shares = level_counts / total
        missing = float(counts.loc[is_missing, "count"].sum()) / total
    else:
        level_shares = level_counts / level_counts.sum() * (1.0 - missing_share)
        missing = missing_share
    names = [str(value) for value in levels["value"]]
    text = values.astype("string")
    sample_counts = text.value_counts(dropna=True)
    known = sample_counts.reindex(names, fill_value=0).to_numpy(dtype="float64")
    other = float(sample_counts.sum()) - known.sum()
    synthetic = np.concatenate([known, [other, float(text.isna().sum())]]) / len(values)
    return BinComparison(
        (*names, OTHER_BIN, MISSING_BIN),
        np.concatenate([level_shares, [0.0, missing]]),
        synthetic,
        exact=True,
    )


def compare_to_profile(
    values: pd.Series, column: str, table: TableProfile
) -> BinComparison:
    """The bins of a column the profile describes (KeyError naming it if not)."""
    row = table.row(column)
    if values.empty:
        raise ValueError(f"cannot compare an empty sample of {column!r}")
    if str(row["dtype"]) in NUMERIC_DTYPES:
        return numeric_comparison(values, row)
    counts = table.categories.loc[table.categories["column"] == column]
    if counts.empty:
        raise KeyError(f"the {table.name} profile has no value counts of {column!r}")
    return categorical_comparison(values, counts, float(row["missing_share"]))


def column_psi(
    values: pd.Series,
    column: str,
    table: TableProfile,
    epsilon: float = PSI_EPSILON,
) -> dict[str, Any]:
    """PSI of one synthetic column against the real column's profile, and the bin
    that contributes most to it."""
    bins = compare_to_profile(values, column, table)
    contributions = psi_contributions(bins.reference, bins.synthetic, epsilon)
    worst = int(np.argmax(contributions))
    return {
        "table": table.name,
        "column": column,
        "kind": "numeric"
        if str(table.row(column)["dtype"]) in NUMERIC_DTYPES
        else "categorical",
        "psi": float(contributions.sum()),
        "exact_shares": bins.exact,
        "bins": len(bins.labels),
        "worst_bin": bins.labels[worst],
        "worst_bin_real_share": float(bins.reference[worst]),
        "worst_bin_synthetic_share": float(bins.synthetic[worst]),
        "missing_real": float(bins.reference[-1]),
        "missing_synthetic": float(bins.synthetic[-1]),
    }


def profile_psi(
    frame: pd.DataFrame,
    table: TableProfile,
    columns: Sequence[str] | None = None,
    epsilon: float = PSI_EPSILON,
) -> pd.DataFrame:
    """One row per column: its PSI against the profile, largest first.

    ``columns`` defaults to every column the profile describes (keys excepted); a
    requested column the profile lacks, or a profiled column the frame lacks, is an
    error naming it.
    """
    if columns is None:
        columns = [name for name in table.columns.index if table.describes(name)]
    undescribed = [name for name in columns if not table.describes(name)]
    if undescribed:
        raise KeyError(
            f"columns not described by the {table.name} profile: {undescribed}"
        )
    absent = [name for name in columns if name not in frame.columns]
    if absent:
        raise KeyError(
            f"profiled columns missing from the {table.name} frame: {absent}"
        )
    rows = [column_psi(frame[name], name, table, epsilon) for name in columns]
    return (
        pd.DataFrame(rows)
        .sort_values("psi", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


# --- measuring functions -----------------------------------------------------------

AREA_COLUMNS = (
    *(f"{statistic}_AVG" for statistic in BUILDING_STATISTICS if "AREA" in statistic),
    "TOTALAREA_MODE",
)
PREVIOUS_DATE_COLUMNS = (
    "DAYS_FIRST_DRAWING",
    "DAYS_FIRST_DUE",
    "DAYS_LAST_DUE_1ST_VERSION",
    "DAYS_LAST_DUE",
    "DAYS_TERMINATION",
)


def pearson(x: pd.Series, y: pd.Series) -> float:
    """Pearson correlation over the rows where both are present."""
    return float(
        pd.to_numeric(x).astype("float64").corr(pd.to_numeric(y).astype("float64"))
    )


def spearman(x: pd.Series, y: pd.Series) -> float:
    return float(
        pd.to_numeric(x)
        .astype("float64")
        .corr(pd.to_numeric(y).astype("float64"), method="spearman")
    )


def default_rate(application: pd.DataFrame, rows: pd.Series | np.ndarray) -> float:
    """Mean TARGET of the selected rows (NaN when none is selected)."""
    selected = application.loc[np.asarray(rows, dtype=bool), "TARGET"]
    return float(selected.mean()) if len(selected) else float("nan")


def share(rows: pd.Series | np.ndarray) -> float:
    rows = np.asarray(rows, dtype=bool)
    return float(rows.mean()) if rows.size else float("nan")


def employed_days(application: pd.DataFrame) -> pd.Series:
    """``DAYS_EMPLOYED`` with the not-employed sentinel as missing."""
    days = application["DAYS_EMPLOYED"].astype("float64")
    return days.where(days != SENTINEL)


def age_years(application: pd.DataFrame) -> pd.Series:
    return -application["DAYS_BIRTH"].astype("float64") / DAYS_PER_YEAR


def employment_years(application: pd.DataFrame) -> pd.Series:
    return -employed_days(application) / DAYS_PER_YEAR


def all_missing(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return frame[list(columns)].isna().all(axis=1)


def none_missing(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return frame[list(columns)].notna().all(axis=1)


def is_indicator(column: pd.Series, level: str) -> pd.Series:
    """1.0 where the text column equals ``level``, 0.0 elsewhere (missing too)."""
    return (column == level).fillna(False).astype("float64")


def target_correlation(
    to_series: Callable[[pd.DataFrame], pd.Series],
) -> Measure:
    return lambda application, _: pearson(to_series(application), application["TARGET"])


def column_of(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[name]


def application_correlation(x: str, y: str) -> Measure:
    return lambda application, _: pearson(application[x], application[y])


def default_rate_where(select: Callable[[pd.DataFrame], pd.Series]) -> Measure:
    return lambda application, _: default_rate(application, select(application))


def share_where(
    select: Callable[[pd.DataFrame], pd.Series],
    among: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> Measure:
    """Share of rows ``select`` picks, among the rows ``among`` picks (or all)."""

    def measure(application: pd.DataFrame, _: pd.DataFrame) -> float:
        picked = np.asarray(select(application), dtype=bool)
        if among is None:
            return share(picked)
        within = np.asarray(among(application), dtype=bool)
        return share(picked[within])

    return measure


def top_quintile_default_rate(application: pd.DataFrame, column: str) -> float:
    values = application[column].astype("float64")
    return default_rate(application, values > values.quantile(0.8))


def occupation_default_rate_spread(application: pd.DataFrame) -> float:
    """Highest minus lowest default rate over the occupations (missing left out)."""
    rates = application.groupby("OCCUPATION_TYPE", observed=True)["TARGET"].mean()
    return float(rates.max() - rates.min())


def median_form_correlation(application: pd.DataFrame, form: str) -> float:
    """Median over the building statistics of corr(_AVG, ``form``)."""
    return float(
        np.median(
            [
                pearson(application[f"{name}_AVG"], application[f"{name}_{form}"])
                for name in BUILDING_STATISTICS
            ]
        )
    )


def lowest_form_correlation(application: pd.DataFrame) -> float:
    return float(
        min(
            pearson(application[f"{name}_AVG"], application[f"{name}_{form}"])
            for name in BUILDING_STATISTICS
            for form in ("MODE", "MEDI")
        )
    )


def distinct_values(values: pd.Series) -> float:
    return float(values.dropna().nunique())


def zero_share(values: pd.Series) -> float:
    """Share of zeros among the non-missing values."""
    present = values.dropna()
    return float((present == 0).mean()) if len(present) else float("nan")


def median_area_zero_share(application: pd.DataFrame) -> float:
    return float(np.median([zero_share(application[name]) for name in AREA_COLUMNS]))


def missingness_patterns(application: pd.DataFrame) -> float:
    """Distinct patterns of missing cells over the building columns."""
    pattern = application[list(BUILDING_COLUMNS)].isna()
    return float(len(pattern.drop_duplicates()))


def multiple_share(values: pd.Series, step: float) -> float:
    """Share of non-missing values that are whole multiples of ``step``."""
    present = values.dropna().astype("float64")
    return float(np.isclose(np.mod(present, step), 0.0).mean())


def commonest_values_share(values: pd.Series, top: int = 10) -> float:
    """Share of the non-missing rows holding one of the ``top`` commonest values."""
    present = values.dropna()
    return float(present.value_counts().head(top).sum() / len(present))


def status_share_within_contract(
    previous: pd.DataFrame, contract: str, status: str
) -> float:
    contracts = previous.loc[previous["NAME_CONTRACT_TYPE"] == contract]
    return float((contracts["NAME_CONTRACT_STATUS"] == status).mean())


def sentinel_share(values: pd.Series) -> float:
    """Share of the non-missing values equal to the 365243 sentinel."""
    present = values.dropna()
    return float((present == SENTINEL).mean()) if len(present) else float("nan")


def real_sentinel_share(row: pd.Series) -> float:
    """The real sentinel share of non-missing values, derived from the mean.

    mean = s * 365243 + (1 - s) * m, where m, the mean of the other dates, lies
    between the column's minimum and 0; the midpoint of the two bounds of ``s``
    (a few tenths of a percent apart) is returned.
    """
    mean, minimum = float(row["mean"]), float(row["min"])
    bounds = [(mean - other) / (SENTINEL - other) for other in (minimum, 0.0)]
    return float(np.mean(bounds))


def annuity_follows_instalment(previous: pd.DataFrame) -> float:
    """corr(AMT_ANNUITY, AMT_CREDIT / CNT_PAYMENT) where there is a payment count."""
    counted = previous.loc[previous["CNT_PAYMENT"] > 0]
    return pearson(
        counted["AMT_ANNUITY"], counted["AMT_CREDIT"] / counted["CNT_PAYMENT"]
    )


def commonest_value(values: pd.Series) -> float:
    return float(values.dropna().value_counts().idxmax())


def iqr_fences(row: pd.Series) -> tuple[float, float]:
    """1.5 interquartile ranges beyond the real quartiles."""
    low, high = float(row["25%"]), float(row["75%"])
    spread = 1.5 * (high - low)
    return low - spread, high + spread


def outside_share(values: pd.Series, low: float, high: float) -> float:
    """Share of the non-missing values below ``low`` or above ``high``."""
    present = values.dropna().astype("float64")
    return float(((present < low) | (present > high)).mean())


# --- the figures -------------------------------------------------------------------


@dataclass(frozen=True)
class Relationship:
    """A figure of the real data and how to measure it on synthetic tables.

    ``real`` is ``None`` when no public figure exists; ``unit`` says how to read
    the numbers: ``share`` (a fraction), ``correlation``, ``points`` (a difference
    of shares), ``count`` or ``value``.
    """

    group: str
    name: str
    real: float | None
    measure: Measure
    unit: str
    note: str = ""

    def synthetic(self, application: pd.DataFrame, previous: pd.DataFrame) -> float:
        return float(self.measure(application, previous))


def correlations() -> tuple[Relationship, ...]:
    """The correlations the real data's profile states, on the full population."""
    pairs = [
        ("EXT_SOURCE_1", "EXT_SOURCE_2", 0.21),
        ("EXT_SOURCE_1", "EXT_SOURCE_3", 0.19),
        ("EXT_SOURCE_2", "EXT_SOURCE_3", 0.11),
        ("AMT_GOODS_PRICE", "AMT_CREDIT", 0.987),
        ("OBS_30_CNT_SOCIAL_CIRCLE", "OBS_60_CNT_SOCIAL_CIRCLE", 0.998),
    ]
    structure = [
        Relationship(
            "structure",
            f"{x} ~ {y}",
            real,
            application_correlation(x, y),
            "correlation",
        )
        for x, y, real in pairs
    ]
    structure += [
        Relationship(
            "structure",
            "EXT_SOURCE_1 ~ age",
            0.60,
            lambda application, _: pearson(
                application["EXT_SOURCE_1"], age_years(application)
            ),
            "correlation",
            "age = -DAYS_BIRTH",
        ),
        Relationship(
            "structure",
            "DAYS_EMPLOYED ~ FLAG_EMP_PHONE",
            -0.9998,
            application_correlation("DAYS_EMPLOYED", "FLAG_EMP_PHONE"),
            "correlation",
            # The profile states the size; the sentinel rows have the flag at 0.
            "raw values, sentinel kept: 365243 goes with FLAG_EMP_PHONE 0, so negative",
        ),
    ]
    signal: list[tuple[str, Callable[[pd.DataFrame], pd.Series], float, str]] = [
        ("EXT_SOURCE_3", column_of("EXT_SOURCE_3"), -0.179, ""),
        ("EXT_SOURCE_2", column_of("EXT_SOURCE_2"), -0.160, ""),
        ("EXT_SOURCE_1", column_of("EXT_SOURCE_1"), -0.155, ""),
        ("DAYS_BIRTH", column_of("DAYS_BIRTH"), 0.078, ""),
        ("DAYS_EMPLOYED", employed_days, 0.075, "sentinel as missing"),
        (
            "REGION_RATING_CLIENT_W_CITY",
            column_of("REGION_RATING_CLIENT_W_CITY"),
            0.061,
            "",
        ),
        ("REGION_RATING_CLIENT", column_of("REGION_RATING_CLIENT"), 0.059, ""),
        (
            "income type Working",
            lambda frame: is_indicator(frame["NAME_INCOME_TYPE"], "Working"),
            0.057,
            "",
        ),
        (
            "Higher education",
            lambda frame: is_indicator(
                frame["NAME_EDUCATION_TYPE"], "Higher education"
            ),
            -0.057,
            "",
        ),
        ("DAYS_LAST_PHONE_CHANGE", column_of("DAYS_LAST_PHONE_CHANGE"), 0.055, ""),
        ("gender M", lambda frame: is_indicator(frame["CODE_GENDER"], "M"), 0.055, ""),
        ("DAYS_ID_PUBLISH", column_of("DAYS_ID_PUBLISH"), 0.051, ""),
        ("REG_CITY_NOT_WORK_CITY", column_of("REG_CITY_NOT_WORK_CITY"), 0.051, ""),
        ("FLAG_DOCUMENT_3", column_of("FLAG_DOCUMENT_3"), 0.044, ""),
        ("FLOORSMAX_AVG", column_of("FLOORSMAX_AVG"), -0.044, ""),
        ("AMT_GOODS_PRICE", column_of("AMT_GOODS_PRICE"), -0.040, ""),
        (
            "REGION_POPULATION_RELATIVE",
            column_of("REGION_POPULATION_RELATIVE"),
            -0.037,
            "",
        ),
    ]
    with_target = [
        Relationship(
            "with TARGET",
            f"{name} ~ TARGET",
            real,
            target_correlation(series),
            "correlation",
            note,
        )
        for name, series, real, note in signal
    ]
    return (*structure, *with_target)


def loan_size_relationships() -> list[Relationship]:
    return [
        Relationship(
            "loan size",
            "Spearman AMT_CREDIT ~ TARGET",
            -0.03,
            lambda application, _: spearman(
                application["AMT_CREDIT"], application["TARGET"]
            ),
            "correlation",
        ),
        Relationship(
            "loan size",
            "Spearman AMT_GOODS_PRICE ~ TARGET",
            -0.05,
            lambda application, _: spearman(
                application["AMT_GOODS_PRICE"], application["TARGET"]
            ),
            "correlation",
        ),
        Relationship(
            "loan size",
            "default rate, top AMT_CREDIT quintile",
            0.055,
            lambda application, _: top_quintile_default_rate(application, "AMT_CREDIT"),
            "share",
            "overall 8.1%",
        ),
    ]


def missingness_relationships() -> list[Relationship]:
    def ext3_missing(frame: pd.DataFrame) -> pd.Series:
        return frame["EXT_SOURCE_3"].isna()

    def bureau_missing(frame: pd.DataFrame) -> pd.Series:
        return all_missing(frame, CREDIT_BUREAU_COLUMNS)

    def building_missing(frame: pd.DataFrame) -> pd.Series:
        return all_missing(frame, BUILDING_COLUMNS)

    return [
        Relationship(
            "missingness risk",
            "default rate, EXT_SOURCE_3 missing",
            0.099,
            default_rate_where(ext3_missing),
            "share",
        ),
        Relationship(
            "missingness risk",
            "default rate, EXT_SOURCE_3 present",
            0.078,
            default_rate_where(lambda frame: ~ext3_missing(frame)),
            "share",
            "the issue's 'overall'; the README's 23.9%/19.1% split gives 7.7% here",
        ),
        Relationship(
            "missingness risk",
            "default rate, all AMT_REQ_CREDIT_BUREAU_* missing",
            0.106,
            default_rate_where(bureau_missing),
            "share",
        ),
        Relationship(
            "missingness risk",
            "default rate, AMT_REQ_CREDIT_BUREAU_* present",
            0.076,
            default_rate_where(lambda frame: ~bureau_missing(frame)),
            "share",
        ),
        Relationship(
            "missingness risk",
            "default rate, whole building block missing",
            0.093,
            default_rate_where(building_missing),
            "share",
            "all 47 building columns missing",
        ),
        Relationship(
            "missingness risk",
            "default rate, building block not wholly missing",
            0.069,
            default_rate_where(lambda frame: ~building_missing(frame)),
            "share",
        ),
        Relationship(
            "missingness risk",
            "EXT_SOURCE_3 missing among bureau-missing rows",
            1.0,
            share_where(ext3_missing, among=bureau_missing),
            "share",
        ),
    ]


def group_relationships() -> list[Relationship]:
    def flag_is(column: str, value: int) -> Callable[[pd.DataFrame], pd.Series]:
        return lambda frame: frame[column] == value

    def employed_between(
        low: float, high: float
    ) -> Callable[[pd.DataFrame], pd.Series]:
        return lambda frame: employment_years(frame).between(
            low, high, inclusive="left"
        )

    return [
        Relationship(
            "groups",
            "default rate, FLAG_DOCUMENT_3 = 0",
            0.060,
            default_rate_where(flag_is("FLAG_DOCUMENT_3", 0)),
            "share",
        ),
        Relationship(
            "groups",
            "default rate, FLAG_DOCUMENT_3 = 1",
            0.089,
            default_rate_where(flag_is("FLAG_DOCUMENT_3", 1)),
            "share",
        ),
        Relationship(
            "groups",
            "default rate, REG_CITY_NOT_LIVE_CITY = 0",
            0.076,
            default_rate_where(flag_is("REG_CITY_NOT_LIVE_CITY", 0)),
            "share",
        ),
        Relationship(
            "groups",
            "default rate, REG_CITY_NOT_LIVE_CITY = 1",
            0.130,
            default_rate_where(flag_is("REG_CITY_NOT_LIVE_CITY", 1)),
            "share",
        ),
        Relationship(
            "groups",
            "default rate, employed 10-20 years",
            0.043,
            default_rate_where(employed_between(10, 20)),
            "share",
            "DAYS_EMPLOYED without the sentinel",
        ),
        Relationship(
            "groups",
            "default rate, employed 20+ years",
            0.034,
            default_rate_where(employed_between(20, np.inf)),
            "share",
        ),
        Relationship(
            "groups",
            "occupation default-rate spread (max - min)",
            0.13,
            lambda application, _: occupation_default_rate_spread(application),
            "points",
        ),
        Relationship(
            "groups",
            "default rate, Higher education",
            0.048,
            default_rate_where(
                lambda frame: frame["NAME_EDUCATION_TYPE"] == "Higher education"
            ),
            "share",
        ),
        Relationship(
            "groups",
            "default rate, age under 25",
            0.123,
            default_rate_where(lambda frame: age_years(frame) < 25),
            "share",
            "README's 20-25 band",
        ),
        Relationship(
            "groups",
            "default rate, age 65 and over",
            0.037,
            default_rate_where(lambda frame: age_years(frame) >= 65),
            "share",
            "README's 65-70 band",
        ),
    ]


def tail_relationships(application_profile: TableProfile) -> list[Relationship]:
    def above(column: str, threshold: float) -> Measure:
        return lambda application, _: outside_share(
            application[column], -np.inf, threshold
        )

    relationships = [
        Relationship(
            "tails",
            "EXT_SOURCE_3 > 0.8",
            0.036,
            above("EXT_SOURCE_3", 0.8),
            "share",
            "of non-missing values",
        ),
        Relationship(
            "tails",
            "EXT_SOURCE_2 > 0.75",
            0.047,
            above("EXT_SOURCE_2", 0.75),
            "share",
            "of non-missing values",
        ),
        Relationship(
            "tails",
            "age under 25",
            None,
            share_where(lambda frame: age_years(frame) < 25),
            "share",
            "not in the profile (youngest 20.5 years)",
        ),
        Relationship(
            "tails",
            "age 65 and over",
            None,
            share_where(lambda frame: age_years(frame) >= 65),
            "share",
            "not in the profile (oldest 69.1 years)",
        ),
        Relationship(
            "tails",
            "AMT_CREDIT > 2M",
            0.007,
            above("AMT_CREDIT", 2e6),
            "share",
        ),
    ]
    for column in ("DAYS_REGISTRATION", "DAYS_ID_PUBLISH"):
        row = application_profile.row(column)
        low, high = iqr_fences(row)
        # The real range tells whether any real row lies beyond the fences at all.
        inside = float(row["min"]) >= low and float(row["max"]) <= high
        relationships += [
            Relationship(
                "tails",
                f"{column} beyond 1.5 IQR of the real quartiles",
                0.0 if inside else 0.01,
                _outside(column, low, high),
                "share",
                (
                    f"fences {low:.0f}, {high:.0f}; the real range "
                    f"[{row['min']:.0f}, {row['max']:.0f}] lies inside them"
                    if inside
                    else f"fences {low:.0f}, {high:.0f}; real: about 1% (issue)"
                ),
            ),
            Relationship(
                "tails",
                f"{column} outside the real range",
                0.0,
                _outside(column, float(row["min"]), float(row["max"])),
                "share",
                f"[{row['min']:.0f}, {row['max']:.0f}]",
            ),
        ]
    return relationships


def _outside(column: str, low: float, high: float) -> Measure:
    return lambda application, _: outside_share(application[column], low, high)


def building_relationships() -> list[Relationship]:
    return [
        Relationship(
            "building statistics",
            "corr(_AVG, _MODE), median over the 14 statistics",
            0.99,
            lambda application, _: median_form_correlation(application, "MODE"),
            "correlation",
            "about 0.99",
        ),
        Relationship(
            "building statistics",
            "corr(_AVG, _MEDI), median over the 14 statistics",
            0.99,
            lambda application, _: median_form_correlation(application, "MEDI"),
            "correlation",
            "about 0.99",
        ),
        Relationship(
            "building statistics",
            "corr(_AVG, _MODE or _MEDI), lowest",
            None,
            lambda application, _: lowest_form_correlation(application),
            "correlation",
        ),
        Relationship(
            "building statistics",
            "FLOORSMAX_AVG distinct values",
            None,
            lambda application, _: distinct_values(application["FLOORSMAX_AVG"]),
            "count",
            "real: a few dozen",
        ),
        Relationship(
            "building statistics",
            "FLOORSMIN_AVG distinct values",
            None,
            lambda application, _: distinct_values(application["FLOORSMIN_AVG"]),
            "count",
            "real: a few dozen",
        ),
        Relationship(
            "building statistics",
            "zero share of area statistics, median",
            0.12,
            lambda application, _: median_area_zero_share(application),
            "share",
            "of non-missing; " + ", ".join(AREA_COLUMNS) + "; about 12% (issue)",
        ),
        Relationship(
            "building statistics",
            "whole building block present",
            0.26,
            share_where(lambda frame: none_missing(frame, BUILDING_COLUMNS)),
            "share",
        ),
        Relationship(
            "building statistics",
            "whole building block missing",
            0.47,
            share_where(lambda frame: all_missing(frame, BUILDING_COLUMNS)),
            "share",
        ),
        Relationship(
            "building statistics",
            "distinct missingness patterns of the block",
            None,
            lambda application, _: missingness_patterns(application),
            "count",
            "real: a few common ones, not thousands",
        ),
    ]


def flag_relationships() -> list[Relationship]:
    pairs = [
        ("FLAG_DOCUMENT_3", "FLAG_DOCUMENT_6", -0.48),
        ("FLAG_DOCUMENT_3", "FLAG_DOCUMENT_8", -0.48),
        ("REG_REGION_NOT_LIVE_REGION", "REG_REGION_NOT_WORK_REGION", 0.45),
        ("REG_CITY_NOT_LIVE_CITY", "REG_CITY_NOT_WORK_CITY", 0.45),
        ("FLAG_EMP_PHONE", "FLAG_DOCUMENT_6", -0.58),
    ]
    return [
        Relationship(
            "flags", f"{x} ~ {y}", real, application_correlation(x, y), "correlation"
        )
        for x, y, real in pairs
    ]


def round_number_relationships() -> list[Relationship]:
    def of_application(measure: Callable[[pd.Series], float], column: str) -> Measure:
        return lambda application, _: measure(application[column])

    return [
        Relationship(
            "round numbers",
            "AMT_INCOME_TOTAL multiple of 22,500",
            0.75,
            of_application(
                lambda values: multiple_share(values, 22_500), "AMT_INCOME_TOTAL"
            ),
            "share",
        ),
        Relationship(
            "round numbers",
            "AMT_INCOME_TOTAL multiple of 2,250",
            0.986,
            of_application(
                lambda values: multiple_share(values, 2_250), "AMT_INCOME_TOTAL"
            ),
            "share",
        ),
        Relationship(
            "round numbers",
            "ten commonest incomes' share",
            2 / 3,
            of_application(commonest_values_share, "AMT_INCOME_TOTAL"),
            "share",
            "about two thirds",
        ),
        Relationship(
            "round numbers",
            "AMT_GOODS_PRICE multiple of 4,500",
            0.998,
            of_application(
                lambda values: multiple_share(values, 4_500), "AMT_GOODS_PRICE"
            ),
            "share",
        ),
        Relationship(
            "round numbers",
            "ten commonest goods prices' share",
            None,
            of_application(commonest_values_share, "AMT_GOODS_PRICE"),
            "share",
            "real: concentrated like incomes; no figure",
        ),
        Relationship(
            "round numbers",
            "REGION_POPULATION_RELATIVE distinct values",
            89,
            of_application(distinct_values, "REGION_POPULATION_RELATIVE"),
            "count",
            "about 89 (issue)",
        ),
    ]


def previous_relationships(previous_profile: TableProfile) -> list[Relationship]:
    def of_previous(measure: Callable[[pd.Series], float], column: str) -> Measure:
        return lambda _, previous: measure(previous[column])

    relationships = [
        Relationship(
            "previous applications",
            f"Consumer loans {status}",
            real,
            lambda _, previous, status=status: status_share_within_contract(
                previous, "Consumer loans", status
            ),
            "share",
            "the issue's figure, which is the whole table's mix; the public "
            "sample's requests without terms bound consumer cancellations at "
            "5.3% (docs/synthetic.md)",
        )
        for status, real in (("Approved", 0.64), ("Canceled", 0.18))
    ]
    relationships += [
        Relationship(
            "previous applications",
            f"{column} = 365243",
            real_sentinel_share(previous_profile.row(column)),
            of_previous(sentinel_share, column),
            "share",
            "of non-missing; real derived from the sample profile's mean",
        )
        for column in PREVIOUS_DATE_COLUMNS
    ]
    relationships += [
        Relationship(
            "previous applications",
            "CNT_PAYMENT distinct values",
            26,
            of_previous(distinct_values, "CNT_PAYMENT"),
            "count",
        ),
        Relationship(
            "previous applications",
            "CNT_PAYMENT commonest value",
            12,
            of_previous(commonest_value, "CNT_PAYMENT"),
            "value",
        ),
        Relationship(
            "previous applications",
            "AMT_ANNUITY ~ AMT_CREDIT / CNT_PAYMENT",
            None,
            lambda _, previous: annuity_follows_instalment(previous),
            "correlation",
            "real: annuity follows amount and term; no figure",
        ),
        Relationship(
            "previous applications",
            "SELLERPLACE_AREA zero share",
            None,
            of_previous(zero_share, "SELLERPLACE_AREA"),
            "share",
            "real: few zeros",
        ),
        Relationship(
            "previous applications",
            "SELLERPLACE_AREA 99th percentile",
            None,
            of_previous(
                lambda values: float(values.quantile(0.99)), "SELLERPLACE_AREA"
            ),
            "value",
            "real: long tail (75% 100, max 4,000,000)",
        ),
    ]
    return relationships


def relationships(profiles: ReferenceProfiles) -> tuple[Relationship, ...]:
    """The real-data facts of the realism issue, each with its measurement."""
    return (
        *loan_size_relationships(),
        *missingness_relationships(),
        *group_relationships(),
        *tail_relationships(profiles.application),
        *building_relationships(),
        *flag_relationships(),
        *round_number_relationships(),
        *previous_relationships(profiles.previous_application),
    )


def measure_all(
    figures: Sequence[Relationship],
    application: pd.DataFrame,
    previous: pd.DataFrame,
) -> pd.DataFrame:
    """One row per figure: group, name, unit, synthetic, real, difference, note."""
    rows = []
    for figure in figures:
        synthetic = figure.synthetic(application, previous)
        rows.append(
            {
                "group": figure.group,
                "name": figure.name,
                "unit": figure.unit,
                "synthetic": synthetic,
                "real": np.nan if figure.real is None else float(figure.real),
                "difference": np.nan
                if figure.real is None
                else synthetic - figure.real,
                "note": figure.note,
            }
        )
    return pd.DataFrame(rows)
