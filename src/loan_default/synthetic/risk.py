"""The risk model: ``TARGET``'s true default probability, and the draw of ``TARGET``.

The default probability depends only on what a model can observe: a missing
external score counts as its median plus a missing flag, never as its hidden value.
The refusal history is drawn from the client's true risk instead (hidden scores
plus an unobserved term), as a lender's past decisions would be.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import expit

from loan_default.schema import APPLICATION
from loan_default.synthetic.calibration import (
    DEFAULT_INTERCEPT,
    EXT_SOURCE_KNOTS,
    SCORE_RISK_MEAN,
    SCORE_RISK_SD,
    SCORE_RISK_WEIGHT,
    SENTINEL,
)
from loan_default.synthetic.columns import category_codes


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

    def has(column: str, *values: str) -> np.ndarray:
        return np.isin(columns[column], category_codes(APPLICATION, column, values))

    age = -columns["DAYS_BIRTH"] / 365.25
    pensioner = columns["DAYS_EMPLOYED"] == SENTINEL
    employed_years = np.where(pensioner, np.inf, -columns["DAYS_EMPLOYED"] / 365.25)
    annuity = columns["AMT_ANNUITY"]
    annuity = np.where(np.isnan(annuity), np.nanmedian(annuity), annuity)
    goods = columns["AMT_GOODS_PRICE"]
    credit_to_goods = np.where(
        np.isnan(goods) | (goods <= 0), 1.0, columns["AMT_CREDIT"] / np.fmax(goods, 1)
    )
    burden = annuity / np.maximum(columns["AMT_INCOME_TOTAL"], 1)
    floors = columns["FLOORSMAX_AVG"]
    youth = np.clip((35 - age) / 15, 0, 1)
    return (
        SCORE_RISK_WEIGHT * observed_score_risk
        + 0.002 * (43 - age)
        + 0.25 * youth * (columns["EXT_SOURCE_3"] < 0.35)
        + 0.1 * pensioner
        + 0.35 * np.exp(-employed_years / 1.5)
        + 0.22 * (columns["REGION_RATING_CLIENT_W_CITY"] - 2)
        + 0.1 * (columns["REGION_RATING_CLIENT"] - 2)
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
        + 0.12 * columns["REG_CITY_NOT_WORK_CITY"]
        + 0.15 * (columns["DAYS_LAST_PHONE_CHANGE"] > -365)
        + 0.1 * (columns["DAYS_ID_PUBLISH"] > -1500)
        + 0.08 * columns["FLAG_DOCUMENT_3"]
        + 0.2 * np.minimum(np.nan_to_num(columns["DEF_30_CNT_SOCIAL_CIRCLE"]), 3)
        + 0.1 * np.isnan(floors)
        - 0.5 * np.nan_to_num(floors - 0.22, nan=0.0)
        + 0.25 * np.isnan(columns["EXT_SOURCE_3"])
        + 0.14 * np.minimum(history["refused"], 6)
        - 0.04 * np.minimum(history["approved"], 8)
        + 0.1 * (history["count"] == 0)
    )


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
