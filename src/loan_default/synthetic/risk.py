"""The risk model: ``TARGET``'s true default probability, and the draw of ``TARGET``.

The default probability depends only on what a model can observe: a missing
external score counts as its median plus a missing flag, never as its hidden value,
and missing credit bureau requests or building descriptions are risks of their own.
The refusal history is drawn from the client's true risk instead (hidden scores
plus an unobserved term), as a lender's past decisions would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.special import expit

from loan_default.schema import APPLICATION
from loan_default.synthetic.calibration import (
    BUILDING_STATISTICS,
    BUILDING_SUMMARY_PRESENT,
    CREDIT_BUREAU_MEANS,
    DEFAULT_INTERCEPT,
    EDUCATION_RISK,
    EXT_SOURCE_KNOTS,
    OCCUPATION_RISK,
    RISK_TERMS,
    SCORE_RISK_MEAN,
    SCORE_RISK_SD,
    SCORE_RISK_WEIGHT,
    SENTINEL,
)
from loan_default.synthetic.columns import category_code, category_codes

# The real median goods price: larger loans than it are the safer ones.
MEDIAN_GOODS_PRICE = 450000
CREDIT_BUREAU_COLUMNS = tuple(
    f"AMT_REQ_CREDIT_BUREAU_{period}" for period in CREDIT_BUREAU_MEANS
)
# Every column describing the applicant's building: all missing or not at all.
BUILDING_COLUMNS = (
    *(
        f"{statistic}_{form}"
        for statistic in BUILDING_STATISTICS
        for form in ("AVG", "MODE", "MEDI")
    ),
    *BUILDING_SUMMARY_PRESENT,
)


def score_risk(
    ext_source_1: np.ndarray, ext_source_2: np.ndarray, ext_source_3: np.ndarray
) -> np.ndarray:
    """The non-linear risk carried by the three external scores."""
    return (
        -0.85 * ext_source_1
        - 1.2 * ext_source_2
        - 1.35 * ext_source_3
        + 0.7 * np.exp(-8 * ext_source_2)
        + 0.85 * np.exp(-8 * ext_source_3)
        + 0.8 * (ext_source_2 - 0.55) * (ext_source_3 - 0.55)
    )


def true_client_risk(
    rng: np.random.Generator, n_rows: int, hidden: Mapping[str, np.ndarray]
) -> np.ndarray:
    """The standardised risk behind the refusal history, from the hidden scores."""
    unobserved = rng.standard_normal(n_rows)
    true_score_risk = score_risk(*(hidden[name] for name in EXT_SOURCE_KNOTS))
    standard_score_risk = (true_score_risk - SCORE_RISK_MEAN) / SCORE_RISK_SD
    return 0.6 * unobserved + 0.8 * standard_score_risk


def default_probability(
    columns: Mapping[str, np.ndarray], history: Mapping[str, np.ndarray]
) -> np.ndarray:
    """``TRUE_PD``: the probability of default given the observable features."""
    observed_score_risk = score_risk(
        *(
            np.where(np.isnan(columns[name]), np.median(knots), columns[name])
            for name, knots in EXT_SOURCE_KNOTS.items()
        )
    )
    logit = DEFAULT_INTERCEPT + feature_risk(columns, observed_score_risk, history)
    return expit(logit)


def feature_risk(
    columns: Mapping[str, np.ndarray],
    observed_score_risk: np.ndarray,
    history: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Log-odds contributions of the observed features (without intercept)."""
    return (
        SCORE_RISK_WEIGHT * observed_score_risk
        + _person_risk(columns)
        + _work_risk(columns)
        + _loan_risk(columns)
        + _place_and_document_risk(columns)
        + _missing_data_risk(columns)
        + 0.14 * np.minimum(history["refused"], 6)
        - 0.04 * np.minimum(history["approved"], 8)
        + 0.1 * (history["count"] == 0)
    )


def _has(columns: Mapping[str, np.ndarray], column: str, *values: str) -> np.ndarray:
    return np.isin(columns[column], category_codes(APPLICATION, column, values))


def level_risk(
    columns: Mapping[str, np.ndarray], column: str, risk_by_level: Mapping[str, float]
) -> np.ndarray:
    """Each row's log-odds for its level of a text column, 0 for other levels."""
    categories = APPLICATION[column].categories or ()
    # One slot more than there are levels: a missing code (-1) picks it, and it is 0.
    lookup = np.zeros(len(categories) + 1)
    for level, log_odds in risk_by_level.items():
        lookup[category_code(APPLICATION, column, level)] = log_odds
    return lookup[columns[column]]


def _person_risk(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    age = -columns["DAYS_BIRTH"] / 365.25
    youth = np.clip((35 - age) / 15, 0, 1)
    return (
        0.002 * (43 - age)
        + RISK_TERMS["youth"] * youth
        + 0.25 * youth * (columns["EXT_SOURCE_3"] < 0.35)
        + level_risk(columns, "NAME_EDUCATION_TYPE", EDUCATION_RISK)
        + RISK_TERMS["male"] * _has(columns, "CODE_GENDER", "M")
        - 0.12 * _has(columns, "FLAG_OWN_CAR", "Y")
        + 0.2 * np.minimum(np.nan_to_num(columns["DEF_30_CNT_SOCIAL_CIRCLE"]), 3)
    )


def _work_risk(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    pensioner = columns["DAYS_EMPLOYED"] == SENTINEL
    employed_years = np.where(pensioner, np.inf, -columns["DAYS_EMPLOYED"] / 365.25)
    # A short job is a risk; a long one a sign of stability, growing from 5 to 15 years.
    long_employment = RISK_TERMS["employed_5_to_15_years"] * np.clip(
        (employed_years - 5) / 10, 0, 1
    )
    return (
        RISK_TERMS["pensioner"] * pensioner
        + 0.35 * np.exp(-employed_years / 1.5)
        + np.where(pensioner, 0.0, long_employment)
        + 0.12 * _has(columns, "NAME_INCOME_TYPE", "Working")
        - 0.25 * _has(columns, "NAME_INCOME_TYPE", "State servant")
        + level_risk(columns, "OCCUPATION_TYPE", OCCUPATION_RISK)
        + 0.12 * columns["REG_CITY_NOT_WORK_CITY"]
    )


def _loan_risk(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    credit = columns["AMT_CREDIT"]
    annuity = columns["AMT_ANNUITY"]
    annuity = np.where(np.isnan(annuity), np.nanmedian(annuity), annuity)
    goods = columns["AMT_GOODS_PRICE"]
    has_goods = ~np.isnan(goods) & (goods > 0)
    credit_to_goods = np.where(has_goods, credit / np.fmax(goods, 1), 1.0)
    burden = annuity / np.maximum(columns["AMT_INCOME_TOTAL"], 1)
    # Lenders grant large loans to the clients they trust: above the median goods
    # price, bigger means safer.
    loan_size = np.where(has_goods, goods, credit)
    log_large_loan_size = np.log(
        np.maximum(loan_size, MEDIAN_GOODS_PRICE) / MEDIAN_GOODS_PRICE
    )
    return (
        RISK_TERMS["log_goods_price_above_median"] * log_large_loan_size
        + 1.6 * np.clip(burden - 0.16, -0.1, 0.4)
        + 0.9 * np.clip(credit_to_goods - 1.12, 0, 0.5)
        + RISK_TERMS["revolving_loan"]
        * _has(columns, "NAME_CONTRACT_TYPE", "Revolving loans")
    )


def _place_and_document_risk(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    return (
        0.22 * (columns["REGION_RATING_CLIENT_W_CITY"] - 2)
        + 0.1 * (columns["REGION_RATING_CLIENT"] - 2)
        + RISK_TERMS["registered_in_another_city"] * columns["REG_CITY_NOT_LIVE_CITY"]
        + 0.15 * (columns["DAYS_LAST_PHONE_CHANGE"] > -365)
        + 0.1 * (columns["DAYS_ID_PUBLISH"] > -1500)
        + RISK_TERMS["document_3"] * columns["FLAG_DOCUMENT_3"]
    )


def _missing_data_risk(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Missing records are a risk of their own, beyond the values they hide."""
    floors = columns["FLOORSMAX_AVG"]
    return (
        RISK_TERMS["ext_source_3_missing"] * np.isnan(columns["EXT_SOURCE_3"])
        + RISK_TERMS["credit_bureau_missing"]
        * all_missing(columns, CREDIT_BUREAU_COLUMNS)
        + RISK_TERMS["building_missing"] * all_missing(columns, BUILDING_COLUMNS)
        - 0.5 * np.nan_to_num(floors - 0.22, nan=0.0)
    )


def all_missing(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Rows where every one of these columns is missing (text codes: -1)."""
    missing = np.ones(len(columns[names[0]]), dtype=bool)
    for name in names:
        values = columns[name]
        text = APPLICATION[name].dtype == "string"
        missing &= (values < 0) if text else np.isnan(values)
    return missing


def draw_target(rng: np.random.Generator, probability: np.ndarray) -> np.ndarray:
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
