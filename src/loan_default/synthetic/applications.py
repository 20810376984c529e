"""The application table's columns, as drawn and as a checked drift moves them.

Columns are numpy arrays in a dict keyed by column name (text as codes, see
``columns``). ``hidden`` holds what a model never sees: the age in days, gender and
work status the later groups of columns depend on, and each external score before
it is blanked (drift moves it too), from which the refusal history is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr

from loan_default.schema import APPLICATION, MISSING_CATEGORY
from loan_default.synthetic.calibration import (
    AGE_DAYS_KNOTS,
    AGE_DAYS_TAILS,
    APPLICATION_CATEGORY_COUNTS,
    APPLICATION_MISSING_RATES,
    BUILDING_BLOCK_SHARE,
    BUILDING_SIZE_LOADINGS,
    BUILDING_STATISTICS,
    BUILDING_SUMMARY_PRESENT,
    CASH_CREDIT_KNOTS,
    CASH_CREDIT_TAILS,
    CHILDREN_SHARES,
    CONTACT_AND_ADDRESS_FLAG_RATES,
    CREDIT_BUREAU_MEANS,
    CREDIT_BUREAU_MISSING,
    DOCUMENT_FLAG_RATES,
    EXT_SOURCE_KNOTS,
    EXT_SOURCE_LOADINGS,
    EXT_SOURCE_MISSING,
    EXT_SOURCE_TAILS,
    ID_PUBLISH_DAYS_KNOTS,
    ID_PUBLISH_DAYS_TAILS,
    PENSION_THRESHOLD,
    PHONE_CHANGE_DAYS_KNOTS,
    PHONE_CHANGE_DAYS_TAILS,
    POPULATION_KNOTS,
    POPULATION_TAILS,
    REGISTRATION_DAYS_KNOTS,
    REGISTRATION_DAYS_TAILS,
    SENTINEL,
    WORKING_INCOME_TYPE_COUNTS,
)
from loan_default.synthetic.columns import (
    category_code,
    category_codes,
    draw_codes,
    from_knots,
    nan_where,
    negative_binomial,
    round_to,
)

Columns = dict[str, np.ndarray]
# Correlation of the credit's normal score with the income's log spread, and that
# spread's standard deviation (its noise and the education, gender and work shifts).
CREDIT_INCOME_LOADING = 0.47
LOG_INCOME_SPREAD_SD = 0.43
# Draws the codes of an application column, from its own counts unless given others.
DrawColumn = Callable[..., np.ndarray]


def _code(column: str, value: str) -> int:
    return category_code(APPLICATION, column, value)


def applicant_columns(
    rng: np.random.Generator,
    n_rows: int,
    category_share: Mapping[str, Mapping[str, float]],
) -> tuple[Columns, Columns]:
    """Every application column but the ids and ``TARGET``, and the hidden values."""

    def draw(name: str, counts: Mapping[str, float] | None = None) -> np.ndarray:
        return draw_codes(
            rng,
            APPLICATION,
            name,
            counts or APPLICATION_CATEGORY_COUNTS[name],
            n_rows,
            overrides=category_share.get(name),
        )

    columns: Columns = {}
    hidden: Columns = {}
    # Age drives work status, employment length, dates and the external scores.
    age_latent = rng.standard_normal(n_rows)
    _demographics(
        rng, n_rows, age_latent=age_latent, draw=draw, columns=columns, hidden=hidden
    )
    _money(rng, n_rows, columns, hidden)
    _places_dates_and_flags(
        rng, n_rows, age_latent=age_latent, draw=draw, columns=columns, hidden=hidden
    )
    _external_scores(rng, n_rows, age_latent, columns, hidden)
    _building_columns(rng, n_rows, columns, draw)
    _social_and_bureau(rng, n_rows, columns)
    return columns, hidden


def _demographics(
    rng: np.random.Generator,
    n_rows: int,
    *,
    age_latent: np.ndarray,
    draw: DrawColumn,
    columns: Columns,
    hidden: Columns,
) -> None:
    age_days = np.round(from_knots(ndtr(age_latent), AGE_DAYS_KNOTS, AGE_DAYS_TAILS))
    age_years = age_days / 365.25
    columns["DAYS_BIRTH"] = -age_days
    hidden["age_days"] = age_days

    columns["NAME_CONTRACT_TYPE"] = draw("NAME_CONTRACT_TYPE")
    columns["CODE_GENDER"] = draw("CODE_GENDER")
    male = columns["CODE_GENDER"] == _code("CODE_GENDER", "M")
    hidden["male"] = male
    owns_car = rng.random(n_rows) < np.where(male, 0.55, 0.24)
    columns["FLAG_OWN_CAR"] = np.where(
        owns_car, _code("FLAG_OWN_CAR", "Y"), _code("FLAG_OWN_CAR", "N")
    )
    columns["FLAG_OWN_REALTY"] = draw("FLAG_OWN_REALTY")
    columns["NAME_EDUCATION_TYPE"] = draw("NAME_EDUCATION_TYPE")

    # Women retire at 55, men at 60; a few keep working, a few retire early.
    pension_score = age_years - np.where(male, 60.0, 55.0) + rng.normal(0, 3.0, n_rows)
    pensioner = pension_score > PENSION_THRESHOLD
    working_type = draw("NAME_INCOME_TYPE", WORKING_INCOME_TYPE_COUNTS)
    columns["NAME_INCOME_TYPE"] = np.where(
        pensioner, _code("NAME_INCOME_TYPE", "Pensioner"), working_type
    )
    not_working = pensioner | (working_type == _code("NAME_INCOME_TYPE", "Unemployed"))
    hidden["not_working"] = not_working

    employment_latent = 0.45 * age_latent + np.sqrt(1 - 0.45**2) * rng.standard_normal(
        n_rows
    )
    employed_days = np.clip(
        np.round(np.exp(7.41 + 1.1 * employment_latent)),
        1,
        np.clip(age_days - 18 * 365, 1, 17912),
    )
    columns["DAYS_EMPLOYED"] = np.where(not_working, SENTINEL, -employed_days)

    family = draw("NAME_FAMILY_STATUS")
    columns["NAME_FAMILY_STATUS"] = family
    children = rng.choice(len(CHILDREN_SHARES), n_rows, p=np.array(CHILDREN_SHARES))
    # Children live at home mostly while the parents are between 23 and 58.
    outside_parent_ages = (age_years < 23) | (age_years > 58)
    columns["CNT_CHILDREN"] = np.where(
        outside_parent_ages & (rng.random(n_rows) < 0.8), 0, children
    )
    couple = np.isin(
        family,
        category_codes(
            APPLICATION, "NAME_FAMILY_STATUS", ("Married", "Civil marriage")
        ),
    )
    columns["CNT_FAM_MEMBERS"] = nan_where(
        columns["CNT_CHILDREN"] + np.where(couple, 2, 1),
        family == _code("NAME_FAMILY_STATUS", "Unknown"),
    )
    columns["NAME_TYPE_SUITE"] = np.where(
        rng.random(n_rows) < APPLICATION_MISSING_RATES["NAME_TYPE_SUITE"],
        -1,
        draw("NAME_TYPE_SUITE"),
    )
    housing = draw("NAME_HOUSING_TYPE")
    with_parents = (age_years < 28) & (rng.random(n_rows) < 0.12)
    columns["NAME_HOUSING_TYPE"] = np.where(
        with_parents, _code("NAME_HOUSING_TYPE", "With parents"), housing
    )


def _money(
    rng: np.random.Generator, n_rows: int, columns: Columns, hidden: Columns
) -> None:
    education = columns["NAME_EDUCATION_TYPE"]
    # Income: log-normal body, education and gender shifts, a Pareto far tail.
    income_shift = (
        0.25 * (education == _code("NAME_EDUCATION_TYPE", "Higher education"))
        + 0.35 * (education == _code("NAME_EDUCATION_TYPE", "Academic degree"))
        - 0.1 * (education == _code("NAME_EDUCATION_TYPE", "Lower secondary"))
        + 0.18 * hidden["male"]
        - 0.2 * hidden["not_working"]
        - 0.08
    )
    log_income_spread = income_shift + 0.4 * rng.standard_normal(n_rows)
    income = np.exp(np.log(147150) + log_income_spread)
    far_tail = rng.random(n_rows) < 0.002
    income[far_tail] *= rng.pareto(1.1, far_tail.sum()) + 1
    income = np.clip(income, 25650, 1.2e8)
    on_grid = rng.random(n_rows) < 0.986
    columns["AMT_INCOME_TOTAL"] = np.where(
        on_grid, np.maximum(round_to(income, 2250), 27000), np.round(income)
    )

    # Credit: drawn from its quantiles (a thin upper tail), rising with income;
    # goods price a share of it, rounded to 4,500.
    revolving = columns["NAME_CONTRACT_TYPE"] == _code(
        "NAME_CONTRACT_TYPE", "Revolving loans"
    )
    credit_latent = (
        CREDIT_INCOME_LOADING * log_income_spread / LOG_INCOME_SPREAD_SD
        + np.sqrt(1 - CREDIT_INCOME_LOADING**2) * rng.standard_normal(n_rows)
    )
    credit_wanted = from_knots(
        ndtr(credit_latent), CASH_CREDIT_KNOTS, CASH_CREDIT_TAILS
    )
    goods_share = np.where(
        rng.random(n_rows) < 0.28,
        1.0,
        1 - np.clip(np.exp(-1.994 + 0.493 * rng.standard_normal(n_rows)), 0.02, 0.55),
    )
    goods = np.clip(round_to(credit_wanted * goods_share, 4500), 40500, 4.05e6)
    off_grid = rng.random(n_rows) >= 0.998
    goods = np.where(off_grid, np.round(credit_wanted * goods_share), goods)
    credit = np.clip(np.round(goods / goods_share * 2) / 2, 45000, 4.05e6)
    revolving_credit = np.clip(round_to(income * 1.2, 22500), 45000, 1.35e6)
    credit = np.where(revolving, revolving_credit, credit)
    goods = np.where(revolving, credit, goods)
    # Bigger loans run longer, so their annuity is a smaller share of the credit.
    annuity_rate = np.clip(
        0.05
        * np.exp(-0.35 * np.log(credit / 513531) + 0.22 * rng.standard_normal(n_rows)),
        0.0253,
        0.124,
    )
    annuity_rate = np.where(
        revolving, np.where(rng.random(n_rows) < 0.7, 0.05, 0.1), annuity_rate
    )
    columns["AMT_CREDIT"] = credit
    columns["AMT_ANNUITY"] = nan_where(
        np.round(credit * annuity_rate * 2) / 2, rng.random(n_rows) < 4e-5
    )
    columns["AMT_GOODS_PRICE"] = nan_where(
        goods, revolving & (rng.random(n_rows) < 0.0095)
    )


def _places_dates_and_flags(
    rng: np.random.Generator,
    n_rows: int,
    *,
    age_latent: np.ndarray,
    draw: DrawColumn,
    columns: Columns,
    hidden: Columns,
) -> None:
    not_working = hidden["not_working"]
    # Regions: the most populous get rating 1, the least populous rating 3.
    region_uniform = rng.random(n_rows)
    columns["REGION_POPULATION_RELATIVE"] = np.round(
        from_knots(region_uniform, POPULATION_KNOTS, POPULATION_TAILS), 6
    )
    rating = np.where(region_uniform > 0.895, 1, np.where(region_uniform < 0.157, 3, 2))
    rating = np.where(rng.random(n_rows) < 0.04, rng.integers(1, 4, n_rows), rating)
    columns["REGION_RATING_CLIENT"] = rating
    columns["REGION_RATING_CLIENT_W_CITY"] = np.where(
        rng.random(n_rows) < 0.95, rating, np.clip(rating - 1, 1, 3)
    )

    def correlated_with_age(weight: float) -> np.ndarray:
        """Uniforms whose normal scores correlate ``weight`` with the age latent."""
        return ndtr(
            weight * age_latent + np.sqrt(1 - weight**2) * rng.standard_normal(n_rows)
        )

    registration = from_knots(
        correlated_with_age(0.35), REGISTRATION_DAYS_KNOTS, REGISTRATION_DAYS_TAILS
    )
    columns["DAYS_REGISTRATION"] = -np.round(
        np.minimum(registration, hidden["age_days"])
    )
    id_publish = from_knots(
        correlated_with_age(0.27), ID_PUBLISH_DAYS_KNOTS, ID_PUBLISH_DAYS_TAILS
    )
    columns["DAYS_ID_PUBLISH"] = -np.round(id_publish)
    phone_change = from_knots(
        rng.random(n_rows), PHONE_CHANGE_DAYS_KNOTS, PHONE_CHANGE_DAYS_TAILS
    )
    columns["DAYS_LAST_PHONE_CHANGE"] = nan_where(
        -np.round(phone_change), rng.random(n_rows) < 3e-6
    )
    car_age = np.exp(np.log(9.2) + 0.8 * rng.standard_normal(n_rows))
    # The real file's pile-up of cars aged 64 and 65 years.
    car_age = np.where(rng.random(n_rows) < 0.03, rng.choice([64, 65], n_rows), car_age)
    columns["OWN_CAR_AGE"] = nan_where(
        np.clip(np.round(car_age), 0, 91),
        columns["FLAG_OWN_CAR"] == _code("FLAG_OWN_CAR", "N"),
    )

    for name, rate in CONTACT_AND_ADDRESS_FLAG_RATES.items():
        columns[name] = (rng.random(n_rows) < rate).astype(np.int64)
    working = ~not_working
    columns["FLAG_EMP_PHONE"] = working.astype(np.int64)
    columns["FLAG_WORK_PHONE"] = (working & (rng.random(n_rows) < 0.243)).astype(
        np.int64
    )
    # Work-place flags exist only for the employed (82% of applicants).
    region_not_work = working & (rng.random(n_rows) < 0.0619)
    city_not_work = working & (rng.random(n_rows) < 0.281)
    columns["REG_REGION_NOT_WORK_REGION"] = region_not_work.astype(np.int64)
    columns["LIVE_REGION_NOT_WORK_REGION"] = (
        working & (rng.random(n_rows) < np.where(region_not_work, 0.7, 0.0066))
    ).astype(np.int64)
    columns["REG_CITY_NOT_WORK_CITY"] = city_not_work.astype(np.int64)
    columns["LIVE_CITY_NOT_WORK_CITY"] = (
        working & (rng.random(n_rows) < np.where(city_not_work, 0.68, 0.037))
    ).astype(np.int64)

    columns["OCCUPATION_TYPE"] = np.where(
        not_working | (rng.random(n_rows) < 0.163), -1, draw("OCCUPATION_TYPE")
    )
    columns["ORGANIZATION_TYPE"] = np.where(
        not_working,
        _code("ORGANIZATION_TYPE", MISSING_CATEGORY),
        draw("ORGANIZATION_TYPE"),
    )
    columns["WEEKDAY_APPR_PROCESS_START"] = draw("WEEKDAY_APPR_PROCESS_START")
    columns["HOUR_APPR_PROCESS_START"] = np.clip(
        np.round(rng.normal(12.06, 3.27, n_rows)), 0, 23
    )
    for number, rate in DOCUMENT_FLAG_RATES.items():
        columns[f"FLAG_DOCUMENT_{number}"] = (rng.random(n_rows) < rate).astype(
            np.int64
        )


def _external_scores(
    rng: np.random.Generator,
    n_rows: int,
    age_latent: np.ndarray,
    columns: Columns,
    hidden: Columns,
) -> None:
    """Correlated latents mapped to the real quantiles; hidden keeps them unmasked."""
    creditworthiness = rng.standard_normal(n_rows)
    for name, (age_loading, common_loading) in EXT_SOURCE_LOADINGS.items():
        own = np.sqrt(1 - age_loading**2 - common_loading**2)
        latent = (
            age_loading * age_latent
            + common_loading * creditworthiness
            + own * rng.standard_normal(n_rows)
        )
        score = np.round(
            from_knots(ndtr(latent), EXT_SOURCE_KNOTS[name], EXT_SOURCE_TAILS[name]), 6
        )
        hidden[name] = score
        columns[name] = nan_where(score, rng.random(n_rows) < EXT_SOURCE_MISSING[name])


def _building_columns(
    rng: np.random.Generator, n_rows: int, columns: Columns, draw: DrawColumn
) -> None:
    in_block = rng.random(n_rows) < BUILDING_BLOCK_SHARE
    size = rng.standard_normal(n_rows)
    for statistic, (present, kind, params) in BUILDING_STATISTICS.items():
        loading = BUILDING_SIZE_LOADINGS.get(statistic, 0.0)
        latent = loading * size + np.sqrt(1 - loading**2) * rng.standard_normal(n_rows)
        if kind == "lognormal":
            median, spread = params
            values = median * np.exp(spread * latent)
        elif kind == "zero_lognormal":
            zero_share, median, spread = params
            positive = median * np.exp(spread * rng.standard_normal(n_rows))
            values = np.where(ndtr(latent) < zero_share, 0.0, positive)
        elif kind == "one_minus_lognormal":
            median, spread = params
            values = 1 - median * np.exp(spread * latent)
        elif kind == "normal":
            mean, spread = params
            values = mean + spread * latent
        else:  # steps: a whole number of floors or entrances
            step, mean_steps = params
            values = step * np.maximum(np.round(mean_steps * np.exp(0.5 * latent)), 0)
        average = np.round(np.clip(values, 0, 1), 4)
        missing = ~in_block | (rng.random(n_rows) >= present / BUILDING_BLOCK_SHARE)
        mode = np.clip(average * (1 + rng.normal(0, 0.05, n_rows)), 0, 1)
        median_value = np.clip(average * (1 + rng.normal(0, 0.02, n_rows)), 0, 1)
        columns[f"{statistic}_AVG"] = nan_where(average, missing)
        columns[f"{statistic}_MODE"] = nan_where(np.round(mode, 4), missing)
        columns[f"{statistic}_MEDI"] = nan_where(np.round(median_value, 4), missing)

    for name, present in BUILDING_SUMMARY_PRESENT.items():
        missing = ~in_block | (rng.random(n_rows) >= present / BUILDING_BLOCK_SHARE)
        if name == "TOTALAREA_MODE":
            apartments = np.nan_to_num(columns["APARTMENTS_AVG"], nan=0.0877)
            area = np.clip(apartments * rng.lognormal(-0.15, 0.2, n_rows), 0, 1)
            columns[name] = nan_where(np.round(area, 4), missing)
        else:
            columns[name] = np.where(missing, -1, draw(name))


def _social_and_bureau(rng: np.random.Generator, n_rows: int, columns: Columns) -> None:
    social_missing = rng.random(n_rows) < 0.0033
    observed_30 = negative_binomial(rng, 1.42, 0.35, n_rows)
    defaulted_30 = rng.binomial(observed_30, 0.1)
    columns["OBS_30_CNT_SOCIAL_CIRCLE"] = nan_where(observed_30, social_missing)
    columns["DEF_30_CNT_SOCIAL_CIRCLE"] = nan_where(defaulted_30, social_missing)
    # The 60-day counts are the 30-day ones with a few cases dropped.
    columns["OBS_60_CNT_SOCIAL_CIRCLE"] = nan_where(
        observed_30 - rng.binomial(observed_30, 0.012), social_missing
    )
    columns["DEF_60_CNT_SOCIAL_CIRCLE"] = nan_where(
        defaulted_30 - rng.binomial(defaulted_30, 0.3), social_missing
    )
    # Applicants unknown to the credit bureau are among those without EXT_SOURCE_3.
    bureau_missing = np.isnan(columns["EXT_SOURCE_3"]) & (
        rng.random(n_rows) < CREDIT_BUREAU_MISSING / EXT_SOURCE_MISSING["EXT_SOURCE_3"]
    )
    for period, mean in CREDIT_BUREAU_MEANS.items():
        requests = negative_binomial(rng, mean, 1.2 if mean > 0.1 else 0.5, n_rows)
        columns[f"AMT_REQ_CREDIT_BUREAU_{period}"] = nan_where(requests, bureau_missing)


# ---------------------------------------------------------------- drift


def _limits(name: str) -> tuple[float, float]:
    spec = APPLICATION[name]
    low = -np.inf if spec.minimum is None else spec.minimum
    high = np.inf if spec.maximum is None else spec.maximum
    return low, high


def apply_numeric_drift(
    columns: Columns, hidden: Columns, drift: Mapping[str, Mapping[str, Any]]
) -> None:
    """Shift and scale numeric columns within the schema's range, sentinels kept.

    A hidden external score moves with its column, so a restored value is drifted too.
    """
    for key in ("shift", "scale"):
        for name, amount in drift.get(key, {}).items():
            spec = APPLICATION[name]
            for store in (columns, hidden) if name in hidden else (columns,):
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


def apply_missing_drift(
    rng: np.random.Generator,
    columns: Columns,
    hidden: Columns,
    missing_rate: Mapping[str, float],
) -> None:
    """Blank random rows, or restore hidden external scores, to reach each rate."""
    for name, rate in missing_rate.items():
        text = APPLICATION[name].dtype == "string"
        values = columns[name]
        n_rows = len(values)
        is_missing = values < 0 if text else np.isnan(values)
        wanted = int(round(rate * n_rows))
        current = int(is_missing.sum())
        if wanted > current:
            blanked = rng.choice(np.flatnonzero(~is_missing), wanted - current, False)
            values = values.copy()
            values[blanked] = -1 if text else np.nan
        elif wanted < current:
            if name not in hidden:
                raise ValueError(
                    f"drift['missing_rate'][{name!r}]: {rate} is below the column's "
                    f"usual rate {current / n_rows:.3f}; only EXT_SOURCE_* can be "
                    "lowered"
                )
            restored = rng.choice(np.flatnonzero(is_missing), current - wanted, False)
            values = values.copy()
            values[restored] = hidden[name][restored]
        columns[name] = values
