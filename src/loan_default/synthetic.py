"""A realistic synthetic stand-in for the Kaggle "Loan Defaulter" tables.

The real files cannot be shipped, so this module draws both raw tables with the exact
schema of ``loan_default.schema`` and the marginals, missing-value patterns and quirks
of the real data (quantiles, long income tail, the ``DAYS_EMPLOYED`` sentinel for
pensioners, building statistics missing together, previous applications per
applicant, ...). ``TARGET`` is drawn from a known non-linear risk function of the
features a model can see (a missing external score counts as its median plus a
missing flag, never as its hidden value); its exact probability is returned
separately as ``TRUE_PD``, so the oracle AUC is an attainable ceiling for models.

Everything is vectorised numpy driven by one ``np.random.default_rng(seed)``: the
same seed gives identical frames.

Command line::

    python -m loan_default.synthetic --n-applications 20000 --seed 42 \\
        --output-dir data/01_raw --new-applications 2000
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import expit, ndtr

from loan_default.schema import (
    APPLICATION,
    DAYS_EMPLOYED_SENTINEL,
    MISSING_CATEGORY,
    PREVIOUS_APPLICATION,
    TARGET,
    TableSchema,
)

SENTINEL = float(DAYS_EMPLOYED_SENTINEL)
FIRST_TRAINING_ID = 100_002
FIRST_PREVIOUS_ID = 1_000_001
NEW_PREVIOUS_ID_FACTOR = 10
NEW_APPLICATIONS_FIRST_ID = 500_000

# Fixed so that the reference population defaults at 8.07% (calibrated at full scale);
# a drifted batch therefore defaults at a different rate, as real drift does.
DEFAULT_INTERCEPT = -1.22
# Weight of the external scores' risk in the log-odds: with the scores the strongest
# signal, as in the real data, the oracle AUC is about 0.79.
SCORE_RISK_WEIGHT = 1.35
# Centre and spread of the score risk in the reference population, so that the
# refusal history reflects a standardised risk whatever the batch.
SCORE_RISK_MEAN = -1.58
SCORE_RISK_SD = 0.7
# Pension score (age minus retirement age plus noise) above which one is retired.
PENSION_THRESHOLD = 1.3

# Category counts of the real data (application table: all rows; building and
# previous-application columns: public samples). Only the relative sizes matter.
APPLICATION_CATEGORY_COUNTS: dict[str, dict[str, float]] = {
    "NAME_CONTRACT_TYPE": {"Cash loans": 278232, "Revolving loans": 29279},
    "CODE_GENDER": {"F": 202448, "M": 105059, "XNA": 4},
    "FLAG_OWN_REALTY": {"N": 94199, "Y": 213312},
    "NAME_TYPE_SUITE": {
        "Children": 3267,
        "Family": 40149,
        "Group of people": 271,
        "Other_A": 866,
        "Other_B": 1770,
        "Spouse, partner": 11370,
        "Unaccompanied": 248526,
    },
    "NAME_EDUCATION_TYPE": {
        "Academic degree": 164,
        "Higher education": 74863,
        "Incomplete higher": 10277,
        "Lower secondary": 3816,
        "Secondary / secondary special": 218391,
    },
    "NAME_FAMILY_STATUS": {
        "Civil marriage": 29775,
        "Married": 196432,
        "Separated": 19770,
        "Single / not married": 45444,
        "Unknown": 2,
        "Widow": 16088,
    },
    "NAME_HOUSING_TYPE": {
        "Co-op apartment": 1122,
        "House / apartment": 272868,
        "Municipal apartment": 11183,
        "Office apartment": 2617,
        "Rented apartment": 4881,
        "With parents": 14840,
    },
    "OCCUPATION_TYPE": {
        "Accountants": 9813,
        "Cleaning staff": 4653,
        "Cooking staff": 5946,
        "Core staff": 27570,
        "Drivers": 18603,
        "HR staff": 563,
        "High skill tech staff": 11380,
        "IT staff": 526,
        "Laborers": 55186,
        "Low-skill Laborers": 2093,
        "Managers": 21371,
        "Medicine staff": 8537,
        "Private service staff": 2652,
        "Realty agents": 751,
        "Sales staff": 32102,
        "Secretaries": 1305,
        "Security staff": 6721,
        "Waiters/barmen staff": 1348,
    },
    "WEEKDAY_APPR_PROCESS_START": {
        "FRIDAY": 50338,
        "MONDAY": 50714,
        "SATURDAY": 33852,
        "SUNDAY": 16181,
        "THURSDAY": 50591,
        "TUESDAY": 53901,
        "WEDNESDAY": 51934,
    },
    "ORGANIZATION_TYPE": {
        "Advertising": 429,
        "Agriculture": 2454,
        "Bank": 2507,
        "Business Entity Type 1": 5984,
        "Business Entity Type 2": 10553,
        "Business Entity Type 3": 67992,
        "Cleaning": 260,
        "Construction": 6721,
        "Culture": 379,
        "Electricity": 950,
        "Emergency": 560,
        "Government": 10404,
        "Hotel": 966,
        "Housing": 2958,
        "Industry: type 1": 1039,
        "Industry: type 10": 109,
        "Industry: type 11": 2704,
        "Industry: type 12": 369,
        "Industry: type 13": 67,
        "Industry: type 2": 458,
        "Industry: type 3": 3278,
        "Industry: type 4": 877,
        "Industry: type 5": 599,
        "Industry: type 6": 112,
        "Industry: type 7": 1307,
        "Industry: type 8": 24,
        "Industry: type 9": 3368,
        "Insurance": 597,
        "Kindergarten": 6880,
        "Legal Services": 305,
        "Medicine": 11193,
        "Military": 2634,
        "Mobile": 317,
        "Other": 16683,
        "Police": 2341,
        "Postal": 2157,
        "Realtor": 396,
        "Religion": 85,
        "Restaurant": 1811,
        "School": 8893,
        "Security": 3247,
        "Security Ministries": 1974,
        "Self-employed": 38412,
        "Services": 1575,
        "Telecom": 577,
        "Trade: type 1": 348,
        "Trade: type 2": 1900,
        "Trade: type 3": 3492,
        "Trade: type 4": 64,
        "Trade: type 5": 49,
        "Trade: type 6": 631,
        "Trade: type 7": 7831,
        "Transport: type 1": 201,
        "Transport: type 2": 2204,
        "Transport: type 3": 1187,
        "Transport: type 4": 5398,
        "University": 1327,
    },
    "FONDKAPREMONT_MODE": {
        "reg oper account": 2449,
        "reg oper spec account": 395,
        "org spec account": 190,
        "not specified": 180,
    },
    "HOUSETYPE_MODE": {
        "block of flats": 4902,
        "terraced house": 44,
        "specific housing": 43,
    },
    "WALLSMATERIAL_MODE": {
        "Panel": 2154,
        "Stone, brick": 2132,
        "Block": 307,
        "Wooden": 168,
        "Mixed": 79,
        "Monolithic": 47,
        "Others": 46,
    },
    "EMERGENCYSTATE_MODE": {"No": 159428, "Yes": 2328},
}
"""Columns drawn straight from these counts accept a ``category_share`` drift."""

# Among the employed; pensioners and the unemployed are decided by age.
WORKING_INCOME_TYPE_COUNTS = {
    "Working": 158774,
    "Commercial associate": 71617,
    "State servant": 21703,
    "Student": 18,
    "Businessman": 10,
    "Maternity leave": 5,
    "Unemployed": 22,
}

# Missing shares of string columns that are not missing by construction.
APPLICATION_MISSING_RATES = {"NAME_TYPE_SUITE": 0.0042}

# Building statistics: (share present, kind, parameters) of the _AVG form.
# kind "lognormal": median, log-sd; "zero_lognormal": share of zeros, median, log-sd;
# "one_minus_lognormal": 1 - lognormal(median, log-sd); "normal": mean, sd;
# "steps": step size, mean number of steps.
BUILDING_STATISTICS: dict[str, tuple[float, str, tuple[float, ...]]] = {
    "APARTMENTS": (0.4925, "lognormal", (0.0876, 0.7)),
    "BASEMENTAREA": (0.4148, "lognormal", (0.0763, 0.68)),
    "YEARS_BEGINEXPLUATATION": (0.5122, "one_minus_lognormal", (0.0184, 0.4)),
    "YEARS_BUILD": (0.335, "normal", (0.7525, 0.1)),
    "COMMONAREA": (0.3013, "lognormal", (0.0211, 1.4)),
    "ELEVATORS": (0.467, "zero_lognormal", (0.52, 0.14, 0.7)),
    "ENTRANCES": (0.4965, "steps", (0.0345, 3.3)),
    "FLOORSMAX": (0.5024, "steps", (0.0417, 4.4)),
    "FLOORSMIN": (0.3215, "steps", (0.0417, 4.6)),
    "LANDAREA": (0.4062, "lognormal", (0.0481, 1.1)),
    "LIVINGAPARTMENTS": (0.3165, "lognormal", (0.0756, 0.65)),
    "LIVINGAREA": (0.4981, "lognormal", (0.0745, 0.78)),
    "NONLIVINGAPARTMENTS": (0.3057, "zero_lognormal", (0.7, 0.008, 1.3)),
    "NONLIVINGAREA": (0.4482, "zero_lognormal", (0.45, 0.02, 1.4)),
}
BUILDING_SUMMARY_PRESENT = {
    "TOTALAREA_MODE": 0.5173,
    "FONDKAPREMONT_MODE": 0.3161,
    "HOUSETYPE_MODE": 0.4982,
    "WALLSMATERIAL_MODE": 0.4916,
    "EMERGENCYSTATE_MODE": 0.526,
}
# Share of applicants whose building is described at all; every building column is
# present only inside this block, so the block goes missing together.
BUILDING_BLOCK_SHARE = 0.535
# Statistics that grow with the size of the building share one latent factor.
BUILDING_SIZE_LOADINGS = {
    "APARTMENTS": 0.9,
    "LIVINGAPARTMENTS": 0.9,
    "LIVINGAREA": 0.9,
    "BASEMENTAREA": 0.6,
    "ELEVATORS": 0.6,
    "ENTRANCES": 0.5,
    "FLOORSMAX": 0.6,
    "FLOORSMIN": 0.6,
    "NONLIVINGAREA": 0.3,
}

DOCUMENT_FLAG_RATES = {
    2: 4.2e-05,
    3: 0.710023,
    4: 8.1e-05,
    5: 0.015115,
    6: 0.088055,
    7: 0.000192,
    8: 0.081376,
    9: 0.003896,
    10: 2.3e-05,
    11: 0.003912,
    12: 7e-06,
    13: 0.003525,
    14: 0.002936,
    15: 0.00121,
    16: 0.009928,
    17: 0.000267,
    18: 0.00813,
    19: 0.000595,
    20: 0.000507,
    21: 0.000335,
}
CREDIT_BUREAU_MEANS = {
    "HOUR": 0.0064,
    "DAY": 0.007,
    "WEEK": 0.0344,
    "MON": 0.267,
    "QRT": 0.265,
    "YEAR": 1.9,
}

# (min, 25%, 50%, 75%, max) of the real data, for the piecewise-linear quantile maps.
AGE_DAYS_KNOTS = (7489, 12413, 15750, 19682, 25229)
REGISTRATION_DAYS_KNOTS = (0, 2010, 4504, 7479.5, 24672)
ID_PUBLISH_DAYS_KNOTS = (0, 1720, 3254, 4299, 7197)
PHONE_CHANGE_DAYS_KNOTS = (0, 274, 757, 1570, 4292)
POPULATION_KNOTS = (0.00029, 0.010006, 0.01885, 0.028663, 0.072508)
EXT_SOURCE_KNOTS = {
    "EXT_SOURCE_1": (0.014568, 0.334007, 0.505998, 0.675053, 0.962693),
    "EXT_SOURCE_2": (8.17e-08, 0.3924574, 0.5659614, 0.6636171, 0.8549997),
    "EXT_SOURCE_3": (0.000527, 0.37065, 0.535276, 0.669057, 0.89601),
}
EXT_SOURCE_MISSING = {
    "EXT_SOURCE_1": 0.564,
    "EXT_SOURCE_2": 0.0021,
    "EXT_SOURCE_3": 0.19,
}
# Loadings of each score's latent on (age, common creditworthiness) giving pairwise
# correlations about 0.21 / 0.19 / 0.11 and 0.60 between EXT_SOURCE_1 and age.
EXT_SOURCE_LOADINGS = {
    "EXT_SOURCE_1": (0.6, 0.345),
    "EXT_SOURCE_2": (0.09, 0.452),
    "EXT_SOURCE_3": (0.2, 0.203),
}

PREVIOUS_CATEGORY_COUNTS: dict[str, dict[str, float]] = {
    "WEEKDAY_APPR_PROCESS_START": {
        "FRIDAY": 1582,
        "WEDNESDAY": 1523,
        "THURSDAY": 1482,
        "MONDAY": 1478,
        "TUESDAY": 1462,
        "SATURDAY": 1443,
        "SUNDAY": 1030,
    },
    "NAME_TYPE_SUITE": {
        "Unaccompanied": 3065,
        "Family": 1294,
        "Spouse, partner": 407,
        "Children": 203,
        "Other_B": 114,
        "Other_A": 54,
        "Group of people": 15,
    },
    "CASH_LOAN_PURPOSE": {
        "Repairs": 140,
        "Other": 83,
        "Urgent needs": 62,
        "Everyday expenses": 19,
        "Education": 16,
        "Buying a used car": 14,
        "Medicine": 13,
        "Payments on other loans": 13,
        "Building a house or an annex": 12,
        "Journey": 12,
        "Purchase of electronic equipment": 7,
        "Buying a new car": 7,
        "Buying a holiday home / land": 7,
        "Car repairs": 5,
        "Wedding / gift / holiday": 5,
        "Furniture": 4,
        "Buying a home": 3,
        "Business development": 2,
        "Buying a garage": 1,
        "Hobby": 1,
        "Gasification / water supply": 1,
        "Money for a third person": 0.5,
        "Refusal to name the goal": 0.5,
    },
    "GOODS_CATEGORY": {
        "Mobile": 1391,
        "Consumer Electronics": 854,
        "Computers": 660,
        "Audio/Video": 647,
        "Furniture": 355,
        "Construction Materials": 174,
        "Photo / Cinema Equipment": 146,
        "Clothing and Accessories": 132,
        "Auto Accessories": 46,
        "Homewares": 31,
        "Sport and Leisure": 24,
        "Office Appliances": 24,
        "Medical Supplies": 23,
        "Jewelry": 21,
        "Gardening": 18,
        "Other": 16,
        "Medicine": 15,
        "Vehicles": 15,
        "Tourism": 8,
        "Education": 4,
        "Direct Sales": 4,
        "Fitness": 4,
        "Insurance": 1,
        "Weapon": 0.5,
        "Additional Service": 0.5,
        "House Construction": 0.5,
        "Animals": 0.5,
    },
    "REJECT_REASON": {
        "HC": 1067,
        "LIMIT": 356,
        "SCO": 244,
        "SCOFR": 73,
        "XNA": 35,
        "VERIF": 19,
        "SYSTEM": 2,
    },
    "YIELD_GROUP": {
        "middle": 2366,
        "high": 2189,
        "low_normal": 1917,
        "low_action": 583,
    },
}
# Goods category -> seller industry and point-of-sale product line.
GOODS_SELLER_INDUSTRY = {
    "Mobile": "Connectivity",
    "Furniture": "Furniture",
    "Construction Materials": "Construction",
    "Clothing and Accessories": "Clothing",
    "Auto Accessories": "Auto technology",
    "Jewelry": "Jewelry",
    "Tourism": "Tourism",
    "Gardening": "Industry",
    "Homewares": "Industry",
    "Direct Sales": "MLM partners",
}
GOODS_POS_LINE = {
    "Mobile": "mobile",
    "Consumer Electronics": "household",
    "Computers": "household",
    "Audio/Video": "household",
    "Photo / Cinema Equipment": "household",
    "Furniture": "industry",
    "Construction Materials": "industry",
    "Auto Accessories": "industry",
    "Gardening": "industry",
    "Homewares": "household",
}
PREVIOUS_STATUS_SHARES = {"Approved": 0.63, "Canceled": 0.18, "Unused offer": 0.016}
PREVIOUS_REFUSAL_INTERCEPT = -1.9
PREVIOUS_PER_APPLICANT = 4.86
SHARE_WITH_HISTORY = 0.9465
# Applicants of other portfolios (not in the application table) with history too.
ORPHAN_CLIENT_SHARE = 0.1585


@dataclass(frozen=True)
class SyntheticLoanData:
    """Both raw tables and the exact default probability behind each ``TARGET``."""

    application: pd.DataFrame
    previous_application: pd.DataFrame
    true_default_probability: pd.DataFrame


def generate_loan_data(n_applications: int, seed: int) -> SyntheticLoanData:
    """Draw a training population: ``n_applications`` labelled applicants.

    Ids start at 100002 with gaps (as in the real file); ``previous_application`` also
    holds rows of clients absent from the application table, like the real file.
    """
    _check_size(n_applications)
    rng = np.random.default_rng(seed)
    n_ids = int(np.ceil(n_applications * (1 + ORPHAN_CLIENT_SHARE))) + 1
    all_ids = FIRST_TRAINING_ID + np.sort(
        rng.choice(n_ids, n_applications, replace=False)
    )
    taken = np.zeros(n_ids, dtype=bool)
    taken[all_ids - FIRST_TRAINING_ID] = True
    orphan_ids = FIRST_TRAINING_ID + np.flatnonzero(~taken)
    return _generate(
        rng,
        all_ids,
        orphan_ids,
        drift=None,
        with_target=True,
        first_previous_id=FIRST_PREVIOUS_ID,
    )


def generate_new_applications(
    n_applications: int,
    seed: int,
    *,
    drift: Mapping[str, Any] | None = None,
    with_target: bool = False,
    first_id: int = NEW_APPLICATIONS_FIRST_ID,
) -> SyntheticLoanData:
    """Draw a batch of new applicants, optionally drifted, with their history.

    ``SK_ID_CURR`` runs from ``first_id`` upwards and the batch's ``SK_ID_PREV`` from
    ``10 * first_id`` (above any training population's), so its history can be
    appended to the training history. ``TARGET`` is in the application
    frame only when ``with_target``; ``true_default_probability`` is always given.

    ``drift`` keys, all optional (unknown keys or columns raise ``ValueError``):

    - ``"shift"``: ``{column: delta}`` added to a numeric application column
      (``DAYS_EMPLOYED`` sentinels are kept), clipped to the schema's range;
    - ``"scale"``: ``{column: factor}`` multiplying a numeric application column;
    - ``"missing_rate"``: ``{column: rate}`` sets the share of missing values of a
      float or text column (raising it blanks random rows; lowering it is possible
      only for ``EXT_SOURCE_*``, whose hidden values exist);
    - ``"category_share"``: ``{column: {value: share}}`` sets the share of some
      values of a column drawn from ``APPLICATION_CATEGORY_COUNTS`` (the other
      values keep their relative sizes).

    Shifted, scaled and blanked values are what the risk function sees, so drift
    moves the default rate as real drift does: ``{"shift": {"EXT_SOURCE_3": -0.08}}``
    raises it. Example::

        generate_new_applications(
            5000,
            seed=7,
            drift={
                "shift": {"EXT_SOURCE_3": -0.08},
                "scale": {"AMT_INCOME_TOTAL": 1.15},
                "missing_rate": {"EXT_SOURCE_1": 0.8},
                "category_share": {"NAME_CONTRACT_TYPE": {"Revolving loans": 0.3}},
            },
        )
    """
    _check_size(n_applications)
    if first_id < 1:
        raise ValueError(f"first_id must be a positive id, got {first_id}")
    checked_drift = _check_drift(drift)
    rng = np.random.default_rng(seed)
    ids = first_id + np.arange(n_applications, dtype=np.int64)
    return _generate(
        rng,
        ids,
        np.empty(0, dtype=np.int64),
        drift=checked_drift,
        with_target=with_target,
        first_previous_id=NEW_PREVIOUS_ID_FACTOR * first_id,
    )


def _check_size(n_applications: int) -> None:
    if int(n_applications) != n_applications or n_applications < 1:
        raise ValueError(
            f"n_applications must be a positive integer, got {n_applications!r}"
        )


DRIFT_KEYS = ("shift", "scale", "missing_rate", "category_share")


def _check_drift(drift: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if drift is None:
        return {}
    unknown = set(drift) - set(DRIFT_KEYS)
    if unknown:
        raise ValueError(
            f"drift: unknown key(s) {sorted(unknown)}; allowed: {list(DRIFT_KEYS)}"
        )
    numeric = [
        column.name
        for column in APPLICATION.columns
        if column.is_numeric and column.name not in ("SK_ID_CURR", TARGET)
    ]
    for key in ("shift", "scale"):
        for name, value in drift.get(key, {}).items():
            if name not in numeric:
                raise ValueError(
                    f"drift[{key!r}]: {name!r} is not a numeric application column"
                )
            if not np.isfinite(value) or (key == "scale" and value <= 0):
                raise ValueError(f"drift[{key!r}][{name!r}]: bad value {value!r}")
    for name, rate in drift.get("missing_rate", {}).items():
        if name not in APPLICATION or APPLICATION[name].dtype == "int64":
            raise ValueError(
                f"drift['missing_rate']: {name!r} is not a float or text application "
                "column (integer columns have no missing values)"
            )
        if not 0 <= rate <= 1:
            raise ValueError(
                f"drift['missing_rate'][{name!r}]: rate {rate!r} is not in [0, 1]"
            )
    _check_category_shares(drift.get("category_share", {}))
    return {key: dict(drift.get(key, {})) for key in DRIFT_KEYS}


def _check_category_shares(category_share: Mapping[str, Mapping[str, float]]) -> None:
    for name, shares in category_share.items():
        if name not in APPLICATION_CATEGORY_COUNTS:
            raise ValueError(
                f"drift['category_share']: {name!r} is not one of the columns drawn "
                f"from category counts: {sorted(APPLICATION_CATEGORY_COUNTS)}"
            )
        allowed = APPLICATION_CATEGORY_COUNTS[name]
        bad = sorted(set(shares) - set(allowed))
        if bad:
            raise ValueError(
                f"drift['category_share'][{name!r}]: unknown value(s) {bad}"
            )
        total = sum(shares.values())
        if any(share < 0 for share in shares.values()) or total > 1:
            raise ValueError(
                f"drift['category_share'][{name!r}]: shares must be >= 0 and sum "
                f"to at most 1, got {dict(shares)}"
            )


# ---------------------------------------------------------------- small helpers
# Text columns are held as integer codes into the schema's categories (-1 missing)
# until the frame is built: comparisons and selections on codes are fast.


def _code(table: TableSchema, column: str, value: str) -> int:
    categories = table[column].categories or ()
    if value not in categories:
        raise ValueError(f"{table.filename}: {value!r} is not a {column} category")
    return categories.index(value)


def _codes(table: TableSchema, column: str, values: Sequence[str]) -> np.ndarray:
    return np.array([_code(table, column, value) for value in values], dtype=np.int16)


def _from_knots(u: np.ndarray, knots: Sequence[float]) -> np.ndarray:
    """Map uniforms through a piecewise-linear quantile function (min, quartiles, max)."""
    return np.interp(u, (0.0, 0.25, 0.5, 0.75, 1.0), knots)


def _weights(
    counts: Mapping[str, float], overrides: Mapping[str, float] | None
) -> tuple[list[str], np.ndarray]:
    values = list(counts)
    probabilities = np.array([counts[value] for value in values], dtype=float)
    probabilities /= probabilities.sum()
    if overrides:
        fixed = np.array([value in overrides for value in values])
        rest = probabilities[~fixed].sum()
        if rest > 0:
            probabilities[~fixed] *= (1.0 - sum(overrides.values())) / rest
        probabilities[fixed] = [overrides[value] for value in np.array(values)[fixed]]
        probabilities /= probabilities.sum()
    return values, probabilities


def _draw(
    rng: np.random.Generator,
    table: TableSchema,
    column: str,
    counts: Mapping[str, float],
    n: int,
    *,
    overrides: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Codes of ``column`` drawn with the relative sizes in ``counts``."""
    values, probabilities = _weights(counts, overrides)
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0
    picked = np.searchsorted(cumulative, rng.random(n), side="right")
    return _codes(table, column, values)[picked]


def _round_to(values: np.ndarray, step: float) -> np.ndarray:
    return np.round(values / step) * step


def _nan_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    values = values.astype(float)
    values[mask] = np.nan
    return values


def _negative_binomial(
    rng: np.random.Generator, mean: float, shape: float, n: int
) -> np.ndarray:
    return rng.negative_binomial(shape, shape / (shape + mean), n)


# ---------------------------------------------------------------- the generator


def _generate(
    rng: np.random.Generator,
    ids: np.ndarray,
    orphan_ids: np.ndarray,
    *,
    drift: Mapping[str, Mapping[str, Any]] | None,
    with_target: bool,
    first_previous_id: int,
) -> SyntheticLoanData:
    drift = drift or {}
    n = len(ids)
    columns, hidden = _applicant_columns(rng, n, drift.get("category_share", {}))
    columns["SK_ID_CURR"] = ids
    _apply_numeric_drift(columns, hidden, drift)
    _apply_missing_drift(rng, columns, hidden, drift.get("missing_rate", {}))

    # The refusal history follows the applicant's true creditworthiness (hidden
    # scores plus an unobserved term), as a lender's past decisions would ...
    latent = rng.standard_normal(n)
    true_score_risk = _score_risk(*(hidden[name] for name in EXT_SOURCE_KNOTS))
    standard_score_risk = (true_score_risk - SCORE_RISK_MEAN) / SCORE_RISK_SD
    client_risk = 0.6 * latent + 0.8 * standard_score_risk
    previous, history = _previous_applications(
        rng, ids, client_risk, orphan_ids, first_previous_id
    )
    # ... while the default itself depends only on what a model can observe.
    observed_score_risk = _score_risk(
        *(
            np.where(np.isnan(columns[name]), np.median(knots), columns[name])
            for name, knots in EXT_SOURCE_KNOTS.items()
        )
    )
    logit = DEFAULT_INTERCEPT + _feature_risk(columns, observed_score_risk, history)
    probability = expit(logit)
    columns[TARGET] = _draw_target(rng, probability)

    application = _to_frame(columns, APPLICATION)
    if not with_target:
        application = application.drop(columns=TARGET)
    truth = pd.DataFrame(
        {"SK_ID_CURR": ids.astype("int64"), "TRUE_PD": probability.astype("float64")}
    )
    return SyntheticLoanData(application, previous, truth)


def _draw_target(rng: np.random.Generator, probability: np.ndarray) -> np.ndarray:
    """Bernoulli(probability) per row by systematic sampling in random order.

    Each row still defaults with exactly its probability, but the count of defaults
    is the sum of probabilities rounded, so small samples hit the rate closely.
    """
    order = rng.permutation(len(probability))
    start = rng.random()
    crossings = np.floor(np.cumsum(probability[order]) + start)
    draws = np.diff(crossings, prepend=np.floor(start))
    target = np.empty(len(probability), dtype=np.int64)
    target[order] = draws.astype(np.int64)
    return target


def _applicant_columns(
    rng: np.random.Generator,
    n: int,
    category_share: Mapping[str, Mapping[str, float]],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    def draw(name: str, counts: Mapping[str, float] | None = None) -> np.ndarray:
        return _draw(
            rng,
            APPLICATION,
            name,
            counts or APPLICATION_CATEGORY_COUNTS[name],
            n,
            overrides=category_share.get(name),
        )

    c: dict[str, np.ndarray] = {}
    hidden: dict[str, np.ndarray] = {}
    z_age = rng.standard_normal(n)
    _demographics(rng, n, z_age=z_age, draw=draw, c=c, hidden=hidden)
    _money(rng, n, c, hidden)
    _places_dates_and_flags(rng, n, z_age=z_age, draw=draw, c=c, hidden=hidden)
    _external_scores(rng, n, z_age, c, hidden)
    _building_columns(rng, n, c, draw)
    _social_and_bureau(rng, n, c, hidden)
    return c, hidden


def _demographics(rng, n, *, z_age, draw, c, hidden) -> None:
    def code(column: str, value: str) -> int:
        return _code(APPLICATION, column, value)

    age_days = np.round(_from_knots(ndtr(z_age), AGE_DAYS_KNOTS))
    age_years = age_days / 365.25
    c["DAYS_BIRTH"] = -age_days
    hidden["age_days"] = age_days

    c["NAME_CONTRACT_TYPE"] = draw("NAME_CONTRACT_TYPE")
    c["CODE_GENDER"] = draw("CODE_GENDER")
    male = c["CODE_GENDER"] == code("CODE_GENDER", "M")
    hidden["male"] = male
    owns_car = rng.random(n) < np.where(male, 0.55, 0.24)
    c["FLAG_OWN_CAR"] = np.where(
        owns_car, code("FLAG_OWN_CAR", "Y"), code("FLAG_OWN_CAR", "N")
    )
    c["FLAG_OWN_REALTY"] = draw("FLAG_OWN_REALTY")
    c["NAME_EDUCATION_TYPE"] = draw("NAME_EDUCATION_TYPE")

    # Women retire at 55, men at 60; a few keep working, a few retire early.
    pension_score = age_years - np.where(male, 60.0, 55.0) + rng.normal(0, 3.0, n)
    pensioner = pension_score > PENSION_THRESHOLD
    working_type = draw("NAME_INCOME_TYPE", WORKING_INCOME_TYPE_COUNTS)
    c["NAME_INCOME_TYPE"] = np.where(
        pensioner, code("NAME_INCOME_TYPE", "Pensioner"), working_type
    )
    not_working = pensioner | (working_type == code("NAME_INCOME_TYPE", "Unemployed"))
    hidden["not_working"] = not_working

    z_employed = 0.45 * z_age + np.sqrt(1 - 0.45**2) * rng.standard_normal(n)
    employed_days = np.clip(
        np.round(np.exp(7.41 + 1.1 * z_employed)),
        1,
        np.clip(age_days - 18 * 365, 1, 17912),
    )
    c["DAYS_EMPLOYED"] = np.where(not_working, SENTINEL, -employed_days)

    family = draw("NAME_FAMILY_STATUS")
    c["NAME_FAMILY_STATUS"] = family
    children = rng.choice(
        7, n, p=np.array([0.7, 0.199, 0.087, 0.012, 0.0015, 0.0004, 0.0001]) / 1.0
    )
    # Children live at home mostly while the parents are between 23 and 58.
    outside_parent_ages = (age_years < 23) | (age_years > 58)
    c["CNT_CHILDREN"] = np.where(
        outside_parent_ages & (rng.random(n) < 0.8), 0, children
    )
    couple = np.isin(
        family, _codes(APPLICATION, "NAME_FAMILY_STATUS", ("Married", "Civil marriage"))
    )
    c["CNT_FAM_MEMBERS"] = _nan_where(
        c["CNT_CHILDREN"] + np.where(couple, 2, 1),
        family == code("NAME_FAMILY_STATUS", "Unknown"),
    )
    c["NAME_TYPE_SUITE"] = np.where(
        rng.random(n) < APPLICATION_MISSING_RATES["NAME_TYPE_SUITE"],
        -1,
        draw("NAME_TYPE_SUITE"),
    )
    housing = draw("NAME_HOUSING_TYPE")
    with_parents = (age_years < 28) & (rng.random(n) < 0.12)
    c["NAME_HOUSING_TYPE"] = np.where(
        with_parents, code("NAME_HOUSING_TYPE", "With parents"), housing
    )


def _money(rng, n, c, hidden) -> None:
    def code(column: str, value: str) -> int:
        return _code(APPLICATION, column, value)

    education = c["NAME_EDUCATION_TYPE"]
    # Income: log-normal body, education and gender shifts, a Pareto far tail.
    income_shift = (
        0.25 * (education == code("NAME_EDUCATION_TYPE", "Higher education"))
        + 0.35 * (education == code("NAME_EDUCATION_TYPE", "Academic degree"))
        - 0.1 * (education == code("NAME_EDUCATION_TYPE", "Lower secondary"))
        + 0.18 * hidden["male"]
        - 0.2 * hidden["not_working"]
        - 0.08
    )
    income = np.exp(np.log(147150) + income_shift + 0.4 * rng.standard_normal(n))
    far_tail = rng.random(n) < 0.002
    income[far_tail] *= rng.pareto(1.1, far_tail.sum()) + 1
    income = np.clip(income, 25650, 1.2e8)
    on_grid = rng.random(n) < 0.986
    c["AMT_INCOME_TOTAL"] = np.where(
        on_grid, np.maximum(_round_to(income, 2250), 27000), np.round(income)
    )

    # Credit: a multiple of income; goods price a share of it, rounded to 4,500.
    revolving = c["NAME_CONTRACT_TYPE"] == code("NAME_CONTRACT_TYPE", "Revolving loans")
    credit_wanted = np.clip(
        income * np.exp(np.log(3.6) + 0.68 * rng.standard_normal(n)), 45000, 4.05e6
    )
    goods_share = np.where(
        rng.random(n) < 0.28,
        1.0,
        1 - np.clip(np.exp(-1.994 + 0.493 * rng.standard_normal(n)), 0.02, 0.55),
    )
    goods = np.clip(_round_to(credit_wanted * goods_share, 4500), 40500, 4.05e6)
    off_grid = rng.random(n) >= 0.998
    goods = np.where(off_grid, np.round(credit_wanted * goods_share), goods)
    credit = np.clip(np.round(goods / goods_share * 2) / 2, 45000, 4.05e6)
    revolving_credit = np.clip(_round_to(income * 1.2, 22500), 45000, 1.35e6)
    credit = np.where(revolving, revolving_credit, credit)
    goods = np.where(revolving, credit, goods)
    # Bigger loans run longer, so their annuity is a smaller share of the credit.
    annuity_rate = np.clip(
        0.05 * np.exp(-0.35 * np.log(credit / 513531) + 0.22 * rng.standard_normal(n)),
        0.0253,
        0.124,
    )
    annuity_rate = np.where(
        revolving, np.where(rng.random(n) < 0.7, 0.05, 0.1), annuity_rate
    )
    c["AMT_CREDIT"] = credit
    c["AMT_ANNUITY"] = _nan_where(
        np.round(credit * annuity_rate * 2) / 2, rng.random(n) < 4e-5
    )
    c["AMT_GOODS_PRICE"] = _nan_where(goods, revolving & (rng.random(n) < 0.0095))


def _places_dates_and_flags(rng, n, *, z_age, draw, c, hidden) -> None:
    def code(column: str, value: str) -> int:
        return _code(APPLICATION, column, value)

    not_working = hidden["not_working"]
    # Regions: the most populous get rating 1, the least populous rating 3.
    u_region = rng.random(n)
    c["REGION_POPULATION_RELATIVE"] = np.round(
        _from_knots(u_region, POPULATION_KNOTS), 6
    )
    rating = np.where(u_region > 0.895, 1, np.where(u_region < 0.157, 3, 2))
    rating = np.where(rng.random(n) < 0.04, rng.integers(1, 4, n), rating)
    c["REGION_RATING_CLIENT"] = rating
    c["REGION_RATING_CLIENT_W_CITY"] = np.where(
        rng.random(n) < 0.95, rating, np.clip(rating - 1, 1, 3)
    )

    def correlated_with_age(weight: float) -> np.ndarray:
        return ndtr(weight * z_age + np.sqrt(1 - weight**2) * rng.standard_normal(n))

    registration = _from_knots(correlated_with_age(0.35), REGISTRATION_DAYS_KNOTS)
    c["DAYS_REGISTRATION"] = -np.round(np.minimum(registration, hidden["age_days"]))
    id_publish = _from_knots(correlated_with_age(0.27), ID_PUBLISH_DAYS_KNOTS)
    c["DAYS_ID_PUBLISH"] = -np.round(id_publish)
    phone_change = _from_knots(rng.random(n), PHONE_CHANGE_DAYS_KNOTS)
    c["DAYS_LAST_PHONE_CHANGE"] = _nan_where(
        -np.round(phone_change), rng.random(n) < 3e-6
    )
    car_age = np.exp(np.log(9.2) + 0.8 * rng.standard_normal(n))
    car_age = np.where(rng.random(n) < 0.03, rng.choice([64, 65], n), car_age)
    c["OWN_CAR_AGE"] = _nan_where(
        np.clip(np.round(car_age), 0, 91),
        c["FLAG_OWN_CAR"] == code("FLAG_OWN_CAR", "N"),
    )

    flag_rates = {
        "FLAG_MOBIL": 0.999997,
        "FLAG_CONT_MOBILE": 0.998133,
        "FLAG_PHONE": 0.281066,
        "FLAG_EMAIL": 0.05672,
        "REG_REGION_NOT_LIVE_REGION": 0.015144,
        "REG_CITY_NOT_LIVE_CITY": 0.078173,
    }
    for name, rate in flag_rates.items():
        c[name] = (rng.random(n) < rate).astype(np.int64)
    working = ~not_working
    c["FLAG_EMP_PHONE"] = working.astype(np.int64)
    c["FLAG_WORK_PHONE"] = (working & (rng.random(n) < 0.243)).astype(np.int64)
    # Work-place flags exist only for the employed (82% of applicants).
    region_not_work = working & (rng.random(n) < 0.0619)
    city_not_work = working & (rng.random(n) < 0.281)
    c["REG_REGION_NOT_WORK_REGION"] = region_not_work.astype(np.int64)
    c["LIVE_REGION_NOT_WORK_REGION"] = (
        working & (rng.random(n) < np.where(region_not_work, 0.7, 0.0066))
    ).astype(np.int64)
    c["REG_CITY_NOT_WORK_CITY"] = city_not_work.astype(np.int64)
    c["LIVE_CITY_NOT_WORK_CITY"] = (
        working & (rng.random(n) < np.where(city_not_work, 0.68, 0.037))
    ).astype(np.int64)

    c["OCCUPATION_TYPE"] = np.where(
        not_working | (rng.random(n) < 0.163), -1, draw("OCCUPATION_TYPE")
    )
    c["ORGANIZATION_TYPE"] = np.where(
        not_working,
        code("ORGANIZATION_TYPE", MISSING_CATEGORY),
        draw("ORGANIZATION_TYPE"),
    )
    c["WEEKDAY_APPR_PROCESS_START"] = draw("WEEKDAY_APPR_PROCESS_START")
    c["HOUR_APPR_PROCESS_START"] = np.clip(np.round(rng.normal(12.06, 3.27, n)), 0, 23)
    for number, rate in DOCUMENT_FLAG_RATES.items():
        c[f"FLAG_DOCUMENT_{number}"] = (rng.random(n) < rate).astype(np.int64)


def _external_scores(rng, n, z_age, c, hidden) -> None:
    """Correlated latents mapped to the real quantiles; hidden keeps them unmasked."""
    creditworthiness = rng.standard_normal(n)
    for name, (age_loading, common_loading) in EXT_SOURCE_LOADINGS.items():
        own = np.sqrt(1 - age_loading**2 - common_loading**2)
        latent = (
            age_loading * z_age
            + common_loading * creditworthiness
            + own * rng.standard_normal(n)
        )
        score = np.round(_from_knots(ndtr(latent), EXT_SOURCE_KNOTS[name]), 6)
        hidden[name] = score
        c[name] = _nan_where(score, rng.random(n) < EXT_SOURCE_MISSING[name])


def _building_columns(rng, n, c, draw) -> None:
    in_block = rng.random(n) < BUILDING_BLOCK_SHARE
    size = rng.standard_normal(n)
    for statistic, (present, kind, params) in BUILDING_STATISTICS.items():
        loading = BUILDING_SIZE_LOADINGS.get(statistic, 0.0)
        z = loading * size + np.sqrt(1 - loading**2) * rng.standard_normal(n)
        if kind == "lognormal":
            median, spread = params
            values = median * np.exp(spread * z)
        elif kind == "zero_lognormal":
            zero_share, median, spread = params
            positive = median * np.exp(spread * rng.standard_normal(n))
            values = np.where(ndtr(z) < zero_share, 0.0, positive)
        elif kind == "one_minus_lognormal":
            median, spread = params
            values = 1 - median * np.exp(spread * z)
        elif kind == "normal":
            mean, spread = params
            values = mean + spread * z
        else:  # steps: a whole number of floors or entrances
            step, mean_steps = params
            values = step * np.maximum(np.round(mean_steps * np.exp(0.5 * z)), 0)
        average = np.round(np.clip(values, 0, 1), 4)
        missing = ~in_block | (rng.random(n) >= present / BUILDING_BLOCK_SHARE)
        mode = np.clip(average * (1 + rng.normal(0, 0.05, n)), 0, 1)
        median_value = np.clip(average * (1 + rng.normal(0, 0.02, n)), 0, 1)
        c[f"{statistic}_AVG"] = _nan_where(average, missing)
        c[f"{statistic}_MODE"] = _nan_where(np.round(mode, 4), missing)
        c[f"{statistic}_MEDI"] = _nan_where(np.round(median_value, 4), missing)

    for name, present in BUILDING_SUMMARY_PRESENT.items():
        missing = ~in_block | (rng.random(n) >= present / BUILDING_BLOCK_SHARE)
        if name == "TOTALAREA_MODE":
            apartments = np.nan_to_num(c["APARTMENTS_AVG"], nan=0.0877)
            area = np.clip(apartments * rng.lognormal(-0.15, 0.2, n), 0, 1)
            c[name] = _nan_where(np.round(area, 4), missing)
        else:
            c[name] = np.where(missing, -1, draw(name))


def _social_and_bureau(rng, n, c, hidden) -> None:
    social_missing = rng.random(n) < 0.0033
    observed_30 = _negative_binomial(rng, 1.42, 0.35, n)
    defaulted_30 = rng.binomial(observed_30, 0.1)
    c["OBS_30_CNT_SOCIAL_CIRCLE"] = _nan_where(observed_30, social_missing)
    c["DEF_30_CNT_SOCIAL_CIRCLE"] = _nan_where(defaulted_30, social_missing)
    c["OBS_60_CNT_SOCIAL_CIRCLE"] = _nan_where(
        observed_30 - rng.binomial(observed_30, 0.012), social_missing
    )
    c["DEF_60_CNT_SOCIAL_CIRCLE"] = _nan_where(
        defaulted_30 - rng.binomial(defaulted_30, 0.3), social_missing
    )
    bureau_missing = rng.random(n) < 0.135
    for period, mean in CREDIT_BUREAU_MEANS.items():
        requests = _negative_binomial(rng, mean, 1.2 if mean > 0.1 else 0.5, n)
        c[f"AMT_REQ_CREDIT_BUREAU_{period}"] = _nan_where(requests, bureau_missing)


def _limits(name: str) -> tuple[float, float]:
    spec = APPLICATION[name]
    low = -np.inf if spec.minimum is None else spec.minimum
    high = np.inf if spec.maximum is None else spec.maximum
    return low, high


def _apply_numeric_drift(c, hidden, drift) -> None:
    for key in ("shift", "scale"):
        for name, amount in drift.get(key, {}).items():
            spec = APPLICATION[name]
            for store in (c, hidden) if name in hidden else (c,):
                values = store[name].astype(float)
                moved = np.clip(
                    values + amount if key == "shift" else values * amount,
                    *_limits(name),
                )
                if spec.sentinel is not None:
                    moved = np.where(values == spec.sentinel, values, moved)
                if spec.dtype == "int64":
                    moved = np.round(moved)
                store[name] = moved


def _apply_missing_drift(rng, c, hidden, missing_rate) -> None:
    for name, rate in missing_rate.items():
        text = APPLICATION[name].dtype == "string"
        values = c[name]
        n = len(values)
        is_missing = values < 0 if text else np.isnan(values)
        wanted = int(round(rate * n))
        current = int(is_missing.sum())
        if wanted > current:
            blanked = rng.choice(np.flatnonzero(~is_missing), wanted - current, False)
            values = values.copy()
            values[blanked] = -1 if text else np.nan
        elif wanted < current:
            if name not in hidden:
                raise ValueError(
                    f"drift['missing_rate'][{name!r}]: {rate} is below the column's "
                    f"usual rate {current / n:.3f}; only EXT_SOURCE_* can be lowered"
                )
            restored = rng.choice(np.flatnonzero(is_missing), current - wanted, False)
            values = values.copy()
            values[restored] = hidden[name][restored]
        c[name] = values


# ---------------------------------------------------------------- risk


def _score_risk(s1: np.ndarray, s2: np.ndarray, s3: np.ndarray) -> np.ndarray:
    """The non-linear risk carried by the three external scores."""
    return (
        -0.85 * s1
        - 1.2 * s2
        - 1.35 * s3
        + 0.7 * np.exp(-8 * s2)
        + 0.85 * np.exp(-8 * s3)
        + 0.8 * (s2 - 0.55) * (s3 - 0.55)
    )


def _feature_risk(
    c: Mapping[str, np.ndarray],
    score_risk: np.ndarray,
    history: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Log-odds contributions of the observed features (without intercept)."""

    def has(column: str, *values: str) -> np.ndarray:
        return np.isin(c[column], _codes(APPLICATION, column, values))

    age = -c["DAYS_BIRTH"] / 365.25
    pensioner = c["DAYS_EMPLOYED"] == SENTINEL
    employed_years = np.where(pensioner, np.inf, -c["DAYS_EMPLOYED"] / 365.25)
    annuity = c["AMT_ANNUITY"]
    annuity = np.where(np.isnan(annuity), np.nanmedian(annuity), annuity)
    goods = c["AMT_GOODS_PRICE"]
    credit_to_goods = np.where(
        np.isnan(goods) | (goods <= 0), 1.0, c["AMT_CREDIT"] / np.fmax(goods, 1)
    )
    burden = annuity / np.maximum(c["AMT_INCOME_TOTAL"], 1)
    floors = c["FLOORSMAX_AVG"]
    youth = np.clip((35 - age) / 15, 0, 1)
    return (
        SCORE_RISK_WEIGHT * score_risk
        + 0.002 * (43 - age)
        + 0.25 * youth * (c["EXT_SOURCE_3"] < 0.35)
        + 0.1 * pensioner
        + 0.35 * np.exp(-employed_years / 1.5)
        + 0.22 * (c["REGION_RATING_CLIENT_W_CITY"] - 2)
        + 0.1 * (c["REGION_RATING_CLIENT"] - 2)
        - 0.55 * has("NAME_EDUCATION_TYPE", "Higher education")
        - 0.6 * has("NAME_EDUCATION_TYPE", "Academic degree")
        + 0.3 * has("NAME_EDUCATION_TYPE", "Lower secondary")
        + 0.12 * has("NAME_INCOME_TYPE", "Working")
        - 0.25 * has("NAME_INCOME_TYPE", "State servant")
        + 0.45 * has("CODE_GENDER", "M")
        + 1.6 * np.clip(burden - 0.16, -0.1, 0.4)
        + 0.9 * np.clip(credit_to_goods - 1.12, 0, 0.5)
        - 0.3 * has("NAME_CONTRACT_TYPE", "Revolving loans")
        - 0.12 * has("FLAG_OWN_CAR", "Y")
        + 0.2 * has("OCCUPATION_TYPE", "Laborers", "Drivers", "Low-skill Laborers")
        - 0.15 * has("OCCUPATION_TYPE", "Accountants", "Managers", "Core staff")
        + 0.12 * c["REG_CITY_NOT_WORK_CITY"]
        + 0.15 * (c["DAYS_LAST_PHONE_CHANGE"] > -365)
        + 0.1 * (c["DAYS_ID_PUBLISH"] > -1500)
        + 0.08 * c["FLAG_DOCUMENT_3"]
        + 0.2 * np.minimum(np.nan_to_num(c["DEF_30_CNT_SOCIAL_CIRCLE"]), 3)
        + 0.1 * np.isnan(floors)
        - 0.5 * np.nan_to_num(floors - 0.22, nan=0.0)
        + 0.25 * np.isnan(c["EXT_SOURCE_3"])
        + 0.14 * np.minimum(history["refused"], 6)
        - 0.04 * np.minimum(history["approved"], 8)
        + 0.1 * (history["count"] == 0)
    )


# ---------------------------------------------------------------- previous applications


def _previous_applications(
    rng: np.random.Generator,
    ids: np.ndarray,
    client_risk: np.ndarray,
    orphan_ids: np.ndarray,
    first_previous_id: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(ids)
    with_history = rng.random(n) < SHARE_WITH_HISTORY
    extra = _negative_binomial(rng, PREVIOUS_PER_APPLICANT - 1, 1.0, n)
    counts = np.where(with_history, 1 + extra, 0)
    orphan_counts = 1 + _negative_binomial(rng, 4.26, 1.0, len(orphan_ids))
    client_ids = np.concatenate([ids, orphan_ids])
    client_risks = np.concatenate([client_risk, rng.standard_normal(len(orphan_ids))])
    # Rows in random order, as in the real file.
    owner = rng.permutation(
        np.repeat(np.arange(len(client_ids)), np.concatenate([counts, orphan_counts]))
    )
    m = len(owner)

    # Refusals follow the client's risk; the other outcomes keep the real mix.
    refused = rng.random(m) < expit(
        PREVIOUS_REFUSAL_INTERCEPT
        + 0.9 * client_risks[owner]
        + 0.5 * rng.standard_normal(m)
    )
    status = np.where(
        refused,
        _code(PREVIOUS_APPLICATION, "NAME_CONTRACT_STATUS", "Refused"),
        _draw(
            rng, PREVIOUS_APPLICATION, "NAME_CONTRACT_STATUS", PREVIOUS_STATUS_SHARES, m
        ),
    )
    p: dict[str, np.ndarray] = {"NAME_CONTRACT_STATUS": status}
    p["SK_ID_CURR"] = client_ids[owner]
    p["SK_ID_PREV"] = first_previous_id + rng.permutation(m)
    kind = _previous_kind(rng, m, p)
    _previous_amounts(rng, m, p, kind)
    _previous_labels(rng, m, p, kind, owner)
    _previous_schedule(rng, m, p, kind)

    approved = status == _code(PREVIOUS_APPLICATION, "NAME_CONTRACT_STATUS", "Approved")
    size = len(client_ids)
    history = {
        "count": counts.astype(float),
        "refused": np.bincount(owner, weights=refused, minlength=size)[:n],
        "approved": np.bincount(owner, weights=approved, minlength=size)[:n],
    }
    return _to_frame(p, PREVIOUS_APPLICATION), history


def _previous_kind(rng, m, p) -> dict[str, np.ndarray]:
    """Which product each row is, and whether it ever got terms ("empty" if not)."""

    def code(column: str, value: str) -> int:
        return _code(PREVIOUS_APPLICATION, column, value)

    contract = _draw(
        rng,
        PREVIOUS_APPLICATION,
        "NAME_CONTRACT_TYPE",
        {"Consumer loans": 4685, "Cash loans": 4170, "Revolving loans": 1143, "XNA": 2},
        m,
    )
    p["NAME_CONTRACT_TYPE"] = contract
    status = p["NAME_CONTRACT_STATUS"]
    refused = status == code("NAME_CONTRACT_STATUS", "Refused")
    cash = contract == code("NAME_CONTRACT_TYPE", "Cash loans")
    # Canceled requests (and some refused cash requests) never got terms: amounts 0.
    empty = (
        (status == code("NAME_CONTRACT_STATUS", "Canceled"))
        | (refused & cash & (rng.random(m) < 0.3))
        | (contract == code("NAME_CONTRACT_TYPE", MISSING_CATEGORY))
    )
    return {
        "empty": empty,
        "consumer": (contract == code("NAME_CONTRACT_TYPE", "Consumer loans")) & ~empty,
        "cash": cash & ~empty,
        "cards": (contract == code("NAME_CONTRACT_TYPE", "Revolving loans")) & ~empty,
        "refused": refused,
        "approved": status == code("NAME_CONTRACT_STATUS", "Approved"),
        "unused": status == code("NAME_CONTRACT_STATUS", "Unused offer"),
        "revolving_contract": contract == code("NAME_CONTRACT_TYPE", "Revolving loans"),
    }


def _previous_amounts(rng, m, p, kind) -> None:
    consumer, cash, cards, empty = (
        kind[k] for k in ("consumer", "cash", "cards", "empty")
    )
    asked = np.select(
        [consumer, cash, cards],
        [
            np.round(50000 * np.exp(0.9 * rng.standard_normal(m)) * 2) / 2,
            _round_to(225000 * np.exp(0.8 * rng.standard_normal(m)), 4500),
            _round_to(135000 * np.exp(0.5 * rng.standard_normal(m)), 22500),
        ],
        0.0,
    )
    asked = np.clip(asked, 0, 4.05e6)
    down_share = np.where(
        rng.random(m) < 0.5, 0.0, np.clip(rng.exponential(0.15, m), 0, 0.8)
    )
    down_payment = np.round(asked * down_share, 2)
    insured = cash & (rng.random(m) < 0.4)
    insurance = np.where(insured, 1 + rng.uniform(0.05, 0.15, m), 1.0)
    credit = np.select(
        [consumer, cash, cards],
        [asked - down_payment, np.round(asked * insurance * 2) / 2, asked],
        0.0,
    )
    # Approved cash loans are sometimes granted less than asked.
    cut = kind["approved"] & cash & (rng.random(m) < 0.15)
    credit = np.where(cut, _round_to(credit * rng.uniform(0.5, 0.9, m), 4500), credit)

    yield_group = np.where(
        consumer | cash,
        _draw(
            rng,
            PREVIOUS_APPLICATION,
            "NAME_YIELD_GROUP",
            PREVIOUS_CATEGORY_COUNTS["YIELD_GROUP"],
            m,
        ),
        _code(PREVIOUS_APPLICATION, "NAME_YIELD_GROUP", MISSING_CATEGORY),
    )
    yearly_rate = np.array([0.0, 0.2, 0.3, 0.12, 0.03])[yield_group]
    term = np.select(
        [consumer, cash],
        [rng.choice([6, 10, 12, 18, 24], m), rng.choice([12, 18, 24, 36, 48, 60], m)],
        0,
    ).astype(float)
    annuity = np.where(
        term > 0,
        credit * (1 + yearly_rate * term / 12) / np.maximum(term, 1),
        credit * 0.05,
    )
    p["NAME_YIELD_GROUP"] = yield_group
    p["AMT_ANNUITY"] = _nan_where(np.round(annuity, 3), empty)
    p["AMT_APPLICATION"] = asked
    p["AMT_CREDIT"] = credit
    p["AMT_DOWN_PAYMENT"] = _nan_where(down_payment, ~consumer)
    p["RATE_DOWN_PAYMENT"] = _nan_where(down_payment / np.fmax(asked, 1), ~consumer)
    p["AMT_GOODS_PRICE"] = _nan_where(asked, empty | (cards & (rng.random(m) < 0.05)))
    p["CNT_PAYMENT"] = _nan_where(term, empty)
    has_rates = consumer & (rng.random(m) < 0.008)
    p["RATE_INTEREST_PRIMARY"] = _nan_where(rng.uniform(0.14, 0.3, m), ~has_rates)
    p["RATE_INTEREST_PRIVILEGED"] = _nan_where(rng.uniform(0.57, 0.87, m), ~has_rates)
    p["NFLAG_INSURED_ON_APPROVAL"] = _nan_where(
        insured.astype(float), ~kind["approved"]
    )
    kind["term"] = term


def _previous_labels(rng, m, p, kind, owner) -> None:
    table = PREVIOUS_APPLICATION

    def code(column: str, value: str) -> int:
        return _code(table, column, value)

    def draw(column: str, counts: Mapping[str, float]) -> np.ndarray:
        return _draw(rng, table, column, counts, m)

    consumer, cash, cards, empty = (
        kind[k] for k in ("consumer", "cash", "cards", "empty")
    )
    p["WEEKDAY_APPR_PROCESS_START"] = draw(
        "WEEKDAY_APPR_PROCESS_START",
        PREVIOUS_CATEGORY_COUNTS["WEEKDAY_APPR_PROCESS_START"],
    )
    p["HOUR_APPR_PROCESS_START"] = np.clip(np.round(rng.normal(12.5, 3.3, m)), 0, 23)
    p["FLAG_LAST_APPL_PER_CONTRACT"] = np.where(
        rng.random(m) < 0.9957,
        code("FLAG_LAST_APPL_PER_CONTRACT", "Y"),
        code("FLAG_LAST_APPL_PER_CONTRACT", "N"),
    )
    p["NFLAG_LAST_APPL_IN_DAY"] = (rng.random(m) < 0.997).astype(np.int64)
    p["NAME_CASH_LOAN_PURPOSE"] = np.select(
        [cash & (rng.random(m) < 0.1), cash | empty],
        [
            draw(
                "NAME_CASH_LOAN_PURPOSE", PREVIOUS_CATEGORY_COUNTS["CASH_LOAN_PURPOSE"]
            ),
            code("NAME_CASH_LOAN_PURPOSE", MISSING_CATEGORY),
        ],
        code("NAME_CASH_LOAN_PURPOSE", "XAP"),
    )
    p["DAYS_DECISION"] = -np.clip(
        np.round(np.exp(np.log(600) + 1.1 * rng.standard_normal(m))), 1, 2922
    )
    p["NAME_PAYMENT_TYPE"] = np.where(
        consumer | cash,
        draw(
            "NAME_PAYMENT_TYPE",
            {
                "Cash through the bank": 6443,
                "Non-cash from your account": 66,
                "Cashless from the account of the employer": 9,
            },
        ),
        code("NAME_PAYMENT_TYPE", MISSING_CATEGORY),
    )
    p["CODE_REJECT_REASON"] = np.select(
        [kind["refused"], kind["unused"]],
        [
            draw("CODE_REJECT_REASON", PREVIOUS_CATEGORY_COUNTS["REJECT_REASON"]),
            code("CODE_REJECT_REASON", "CLIENT"),
        ],
        code("CODE_REJECT_REASON", "XAP"),
    )
    p["NAME_TYPE_SUITE"] = np.where(
        empty | (rng.random(m) < 0.35),
        -1,
        draw("NAME_TYPE_SUITE", PREVIOUS_CATEGORY_COUNTS["NAME_TYPE_SUITE"]),
    )

    # A client's earliest application is "New", the later ones repeat.
    order = np.lexsort((p["DAYS_DECISION"], owner))
    first_sorted = np.ones(m, dtype=bool)
    first_sorted[1:] = owner[order][1:] != owner[order][:-1]
    first = np.empty(m, dtype=bool)
    first[order] = first_sorted
    later = np.where(rng.random(m) < 0.9, code("NAME_CLIENT_TYPE", "Repeater"), -2)
    later = np.where(
        later == -2,
        np.where(
            rng.random(m) < 0.99,
            code("NAME_CLIENT_TYPE", "Refreshed"),
            code("NAME_CLIENT_TYPE", MISSING_CATEGORY),
        ),
        later,
    )
    p["NAME_CLIENT_TYPE"] = np.where(
        first,
        np.where(
            rng.random(m) < 0.95,
            code("NAME_CLIENT_TYPE", "New"),
            code("NAME_CLIENT_TYPE", "Refreshed"),
        ),
        later,
    )

    goods = np.where(
        consumer,
        draw("NAME_GOODS_CATEGORY", PREVIOUS_CATEGORY_COUNTS["GOODS_CATEGORY"]),
        code("NAME_GOODS_CATEGORY", MISSING_CATEGORY),
    )
    p["NAME_GOODS_CATEGORY"] = goods
    goods_names = table["NAME_GOODS_CATEGORY"].categories
    seller_of_goods = _codes(
        table,
        "NAME_SELLER_INDUSTRY",
        [
            GOODS_SELLER_INDUSTRY.get(name, "Consumer electronics")
            for name in goods_names
        ],
    )
    p["NAME_SELLER_INDUSTRY"] = np.where(
        consumer, seller_of_goods[goods], code("NAME_SELLER_INDUSTRY", MISSING_CATEGORY)
    )
    cars = consumer & (goods == code("NAME_GOODS_CATEGORY", "Vehicles"))
    p["NAME_PORTFOLIO"] = np.select(
        [cars & (rng.random(m) < 0.1), consumer, cash, cards],
        [code("NAME_PORTFOLIO", v) for v in ("Cars", "POS", "Cash", "Cards")],
        code("NAME_PORTFOLIO", MISSING_CATEGORY),
    )
    cross_sell = rng.random(m) < 0.73
    p["NAME_PRODUCT_TYPE"] = np.select(
        [(cash | cards) & cross_sell, cash | cards],
        [code("NAME_PRODUCT_TYPE", "x-sell"), code("NAME_PRODUCT_TYPE", "walk-in")],
        code("NAME_PRODUCT_TYPE", MISSING_CATEGORY),
    )
    p["CHANNEL_TYPE"] = np.where(
        consumer,
        draw(
            "CHANNEL_TYPE",
            {
                "Country-wide": 3186,
                "Stone": 1379,
                "Regional / Local": 681,
                "Car dealer": 3,
            },
        ),
        draw(
            "CHANNEL_TYPE",
            {
                "Credit and cash offices": 4202,
                "AP+ (Cash loan)": 354,
                "Contact center": 143,
                "Channel of corporate sales": 52,
            },
        ),
    )
    seller_area = np.round(np.exp(np.log(60) + 1.3 * rng.standard_normal(m)))
    p["SELLERPLACE_AREA"] = np.where(
        consumer,
        np.clip(seller_area, 0, 4_000_000),
        np.where(rng.random(m) < 0.6, -1, 0),
    )
    p["PRODUCT_COMBINATION"] = _product_combination(rng, m, p, kind, cross_sell)


def _product_combination(rng, m, p, kind, cross_sell) -> np.ndarray:
    table = PREVIOUS_APPLICATION

    def code(value: str) -> int:
        return _code(table, "PRODUCT_COMBINATION", value)

    goods_names = table["NAME_GOODS_CATEGORY"].categories
    line_of_goods = np.array(
        [
            ("household", "mobile", "industry", "other").index(
                GOODS_POS_LINE.get(name, "other")
            )
            for name in goods_names
        ]
    )
    pos_names = np.array(
        [
            [code(f"POS {line} with interest"), code(f"POS {line} without interest")]
            for line in ("household", "mobile", "industry")
        ]
        + [[code("POS other with interest"), code("POS others without interest")]]
    )
    yield_group = p["NAME_YIELD_GROUP"]
    interest_free = yield_group == _code(table, "NAME_YIELD_GROUP", "low_action")
    pos = pos_names[line_of_goods[p["NAME_GOODS_CATEGORY"]], interest_free.astype(int)]
    # Yield groups in schema order: XNA, middle, high, low_normal, low_action.
    level = np.array(["low", "middle", "high", "low", "low"])
    street = np.array([code(f"Cash Street: {x}") for x in level])[yield_group]
    x_sell = np.array([code(f"Cash X-Sell: {x}") for x in level])[yield_group]
    combination = np.select(
        [kind["consumer"], kind["cash"], kind["cards"], kind["revolving_contract"]],
        [
            pos,
            np.where(cross_sell, x_sell, street),
            np.where(cross_sell, code("Card X-Sell"), code("Card Street")),
            code("Card Street"),
        ],
        code("Cash"),
    )
    return np.where(rng.random(m) < 0.0002, -1, combination)


def _previous_schedule(rng, m, p, kind) -> None:
    """Approved loans get their schedule; 365243 marks "not yet" or "never"."""
    cards, term = kind["cards"], kind["term"]
    decision = p["DAYS_DECISION"]
    first_due = decision + rng.integers(20, 45, m)
    first_due = np.where(first_due >= 0, SENTINEL, first_due)
    first_due = np.where(cards & (rng.random(m) < 0.5), SENTINEL, first_due)
    last_due_planned = np.where(
        (first_due == SENTINEL) | (term == 0), SENTINEL, first_due + 30 * (term - 1)
    )
    scheduled = last_due_planned != SENTINEL
    early = rng.random(m) < 0.35
    paid_off = np.maximum(
        last_due_planned - np.where(early, rng.integers(0, 300, m), 0), first_due
    )
    finished = scheduled & (paid_off < 0)
    last_due = np.where(finished, paid_off, SENTINEL)
    termination = np.where(finished, last_due + rng.integers(0, 10, m), SENTINEL)
    termination = np.where(termination > 0, SENTINEL, termination)
    drawing = decision + rng.integers(0, 30, m)
    first_drawing = np.where(
        cards & (first_due == SENTINEL) & (drawing <= 0), drawing, SENTINEL
    )
    not_approved = ~kind["approved"]
    p["DAYS_FIRST_DRAWING"] = _nan_where(first_drawing, not_approved)
    p["DAYS_FIRST_DUE"] = _nan_where(first_due, not_approved)
    p["DAYS_LAST_DUE_1ST_VERSION"] = _nan_where(last_due_planned, not_approved)
    p["DAYS_LAST_DUE"] = _nan_where(last_due, not_approved)
    p["DAYS_TERMINATION"] = _nan_where(termination, not_approved)


# ---------------------------------------------------------------- frames and files


def _text_array(
    codes: np.ndarray, categories: Sequence[str]
) -> pd.api.extensions.ExtensionArray:
    """Codes into ``categories`` (-1 missing) as a pandas "string" array."""
    codes = np.asarray(codes, dtype=np.int64)
    dictionary = pa.array(list(categories), type=pa.large_string())
    return pd.array(dictionary.take(pa.array(codes, mask=codes < 0)), dtype="string")


def _to_frame(columns: Mapping[str, np.ndarray], table: TableSchema) -> pd.DataFrame:
    """Assemble the columns in the schema's order with the schema's dtypes."""
    data = {}
    for spec in table.columns:
        values = columns[spec.name]
        if spec.dtype == "string":
            data[spec.name] = _text_array(values, spec.categories or ())
        elif spec.dtype == "int64":
            as_float = np.asarray(values, dtype=float)
            if np.isnan(as_float).any():
                data[spec.name] = pd.array(values, dtype="Int64")
            else:
                data[spec.name] = np.asarray(values).astype(np.int64)
        else:
            data[spec.name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data, copy=False)


def write_csv_files(
    data: SyntheticLoanData, output_dir: Path, application_filename: str | None = None
) -> list[Path]:
    """Write the tables as the Kaggle files look (schema order, header, no index).

    With ``application_filename`` (a batch of new applicants) the other two files get
    ``new_`` in front of their names.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    prefix = "" if application_filename is None else "new_"
    files = {
        application_filename or APPLICATION.filename: data.application,
        f"{prefix}{PREVIOUS_APPLICATION.filename}": data.previous_application,
        f"{prefix}true_default_probability.csv": data.true_default_probability,
    }
    written = []
    for filename, frame in files.items():
        path = output_dir / filename
        frame.to_csv(path, index=False)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loan_default.synthetic",
        description="Write synthetic Loan Defaulter CSV files with the real schema.",
    )
    parser.add_argument("--n-applications", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument(
        "--new-applications",
        type=int,
        default=0,
        help="also write new_applications.csv (no TARGET) with this many applicants, "
        "their history in new_previous_application.csv",
    )
    arguments = parser.parse_args(argv)
    data = generate_loan_data(arguments.n_applications, arguments.seed)
    written = write_csv_files(data, arguments.output_dir)
    if arguments.new_applications:
        new = generate_new_applications(arguments.new_applications, arguments.seed + 1)
        written += write_csv_files(new, arguments.output_dir, "new_applications.csv")
    for path in written:
        print(path)  # noqa: T201


if __name__ == "__main__":
    main()
