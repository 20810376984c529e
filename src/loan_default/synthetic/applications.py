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
    ALTERNATIVE_DOCUMENTS,
    APPLICATION_CATEGORY_COUNTS,
    APPLICATION_MISSING_RATES,
    BUILDING_BLOCK_INCOME_LOADING,
    BUILDING_BLOCK_RATING_LOADING,
    BUILDING_BLOCK_SHARE,
    BUILDING_FORM_NOISE,
    BUILDING_GRID_SHARES,
    BUILDING_HOLE_COLUMNS,
    BUILDING_SIZE_LOADINGS,
    BUILDING_STATISTICS,
    BUILDING_SUMMARY_PRESENT,
    BUILDING_WHOLE_BLOCK_SHARE,
    BUILDING_ZERO_SHARES,
    CASH_CREDIT_KNOTS,
    CASH_CREDIT_TAILS,
    CHILDREN_SHARES,
    CONTACT_FLAG_RATES,
    CREDIT_BUREAU_MEANS,
    CREDIT_BUREAU_MISSING,
    DOCUMENT_FLAG_RATES,
    EMPLOYED_DOCUMENT_6_CORRELATION,
    EMPLOYED_SHARE,
    EXT_SOURCE_KNOTS,
    EXT_SOURCE_LOADINGS,
    EXT_SOURCE_MISSING,
    EXT_SOURCE_TAILS,
    GOODS_PRICE_STEP_SHARES,
    ID_PUBLISH_DAYS_KNOTS,
    ID_PUBLISH_DAYS_TAILS,
    INCOME_STEP_SHARES,
    PENSION_THRESHOLD,
    PHONE_CHANGE_DAYS_KNOTS,
    PHONE_CHANGE_DAYS_TAILS,
    POPULATION_KNOTS,
    POPULATION_TAILS,
    REGION_COUNT,
    REGION_RATING_MEAN_SD,
    REGISTERED_AWAY_CORRELATION,
    REGISTERED_AWAY_RATES,
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
    rounded_income = round_on_steps(rng, income, INCOME_STEP_SHARES)
    # The real minimum is exact; a rounded income below it takes the next step up.
    columns["AMT_INCOME_TOTAL"] = np.where(
        rounded_income < 25650, 27000, rounded_income
    )

    # Credit: drawn from its quantiles (a thin upper tail), rising with income;
    # goods price a share of it, on the round steps of real prices.
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
    goods = np.clip(
        round_on_steps(rng, credit_wanted * goods_share, GOODS_PRICE_STEP_SHARES),
        40500,
        4.05e6,
    )
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


def rounding_step_rates(step_shares: Mapping[int, float]) -> dict[int, float]:
    """The share of rows to round to each step, so that the share of rows on whole
    multiples of each step is the one ``step_shares`` gives it.

    The steps divide one another. A row rounded to a finer step still lands on a
    coarser one by chance (one time in their ratio), so fewer rows are rounded to
    the coarse steps than end up on them.
    """
    steps = sorted(step_shares)
    lands_on = np.array(
        [
            [1.0 if fine >= coarse else fine / coarse for fine in steps]
            for coarse in steps
        ]
    )
    rates = np.linalg.solve(lands_on, [step_shares[step] for step in steps])
    if (rates < 0).any():
        raise ValueError(
            f"step shares {dict(step_shares)} leave fewer rows on a coarse step than "
            "the finer steps put there by chance"
        )
    return dict(zip(steps, rates.tolist(), strict=True))


def round_on_steps(
    rng: np.random.Generator, values: np.ndarray, step_shares: Mapping[int, float]
) -> np.ndarray:
    """Values rounded to a step drawn per row (see ``rounding_step_rates``), the rest
    to whole units. A value below half a step takes the finest step instead of 0."""
    rates = rounding_step_rates(step_shares)
    steps = np.array(list(rates), dtype=float)
    picked = np.searchsorted(np.cumsum(list(rates.values())), rng.random(len(values)))
    finest = steps[0]
    step = np.append(steps, 1.0)[picked]
    step = np.where((step > finest) & (values < step / 2), finest, step)
    return round_to(values, step)


def _regions() -> tuple[np.ndarray, np.ndarray, Columns]:
    """The regions' REGION_POPULATION_RELATIVE, shares of applicants and ratings.

    The regions are evenly spaced along the population's quantile map, the two end
    ones at the real minimum and maximum with half a share each: the regions then
    hold the real quartiles. Ratings go by that position, the least populous 3.
    """
    positions = np.linspace(0.0, 1.0, REGION_COUNT)
    populations = np.round(from_knots(positions, POPULATION_KNOTS, POPULATION_TAILS), 6)
    shares = np.ones(REGION_COUNT)
    shares[[0, -1]] = 0.5
    ratings = {}
    for name, (mean, sd) in REGION_RATING_MEAN_SD.items():
        share_1, share_3 = rating_shares(mean, sd)
        ratings[name] = np.where(
            positions > 1 - share_1, 1, np.where(positions < share_3, 3, 2)
        )
    return populations, shares / shares.sum(), ratings


def rating_shares(mean: float, sd: float) -> tuple[float, float]:
    """Shares of ratings 1 and 3 of a rating from 1 to 3 with this mean and sd."""
    difference = mean - 2
    outer = sd**2 + difference**2
    return (outer - difference) / 2, (outer + difference) / 2


def rates_given_other_flag(
    rate: float, other_rate: float, correlation: float
) -> tuple[float, float]:
    """A 0/1 flag's rate where another flag is 1 and where it is 0, for the given
    means of the two and their correlation."""
    both = rate * other_rate + correlation * np.sqrt(
        rate * (1 - rate) * other_rate * (1 - other_rate)
    )
    return both / other_rate, (rate - both) / (1 - other_rate)


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
    populations, region_shares, region_ratings = _regions()
    region = np.searchsorted(np.cumsum(region_shares)[:-1], rng.random(n_rows))
    columns["REGION_POPULATION_RELATIVE"] = populations[region]
    for name, ratings in region_ratings.items():
        columns[name] = ratings[region]

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

    for name, rate in CONTACT_FLAG_RATES.items():
        columns[name] = (rng.random(n_rows) < rate).astype(np.int64)
    working = ~not_working
    columns["FLAG_EMP_PHONE"] = working.astype(np.int64)
    columns["FLAG_WORK_PHONE"] = (working & (rng.random(n_rows) < 0.243)).astype(
        np.int64
    )
    columns.update(_registered_address_flags(rng, working))
    # Living away from the work place too goes mostly with being registered away.
    for level, (if_registered_away, otherwise) in {
        "REGION": (0.7, 0.0066),
        "CITY": (0.68, 0.037),
    }.items():
        registered_away = columns[f"REG_{level}_NOT_WORK_{level}"] == 1
        columns[f"LIVE_{level}_NOT_WORK_{level}"] = (
            working
            & (
                rng.random(n_rows)
                < np.where(registered_away, if_registered_away, otherwise)
            )
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
    columns.update(_document_flags(rng, working))


def _registered_address_flags(rng: np.random.Generator, working: np.ndarray) -> Columns:
    """REG_*_NOT_WORK_* (the employed only) and REG_*_NOT_LIVE_*, correlated."""
    n_rows = len(working)
    flags: Columns = {}
    for level, (work_rate, home_rate) in REGISTERED_AWAY_RATES.items():
        away_from_work = working & (rng.random(n_rows) < work_rate / EMPLOYED_SHARE)
        home_if_work, home_otherwise = rates_given_other_flag(
            home_rate, work_rate, REGISTERED_AWAY_CORRELATION
        )
        away_from_home = rng.random(n_rows) < np.where(
            away_from_work, home_if_work, home_otherwise
        )
        flags[f"REG_{level}_NOT_WORK_{level}"] = away_from_work.astype(np.int64)
        flags[f"REG_{level}_NOT_LIVE_{level}"] = away_from_home.astype(np.int64)
    return flags


def _document_flags(rng: np.random.Generator, working: np.ndarray) -> Columns:
    """FLAG_DOCUMENT_*: 3, 6 and 8 exclusive, 6 mostly without an employer."""
    n_rows = len(working)
    flags = {
        f"FLAG_DOCUMENT_{number}": (rng.random(n_rows) < rate).astype(np.int64)
        for number, rate in DOCUMENT_FLAG_RATES.items()
        if number not in ALTERNATIVE_DOCUMENTS
    }
    document_6 = np.where(
        working,
        *rates_given_other_flag(
            DOCUMENT_FLAG_RATES[6], EMPLOYED_SHARE, EMPLOYED_DOCUMENT_6_CORRELATION
        ),
    )
    document_8 = DOCUMENT_FLAG_RATES[8]
    none_of_them = 1 - sum(
        DOCUMENT_FLAG_RATES[number] for number in ALTERNATIVE_DOCUMENTS
    )
    # One uniform picks 6, 8, 3 or none in turn; document 3 takes what 6 leaves.
    pick = rng.random(n_rows)
    flags["FLAG_DOCUMENT_6"] = (pick < document_6).astype(np.int64)
    flags["FLAG_DOCUMENT_8"] = (
        (pick >= document_6) & (pick < document_6 + document_8)
    ).astype(np.int64)
    flags["FLAG_DOCUMENT_3"] = (
        (pick >= document_6 + document_8) & (pick < 1 - none_of_them)
    ).astype(np.int64)
    return flags


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
    present = _building_presence(rng, n_rows, columns)
    size = rng.standard_normal(n_rows)
    # The total area follows the apartments' unmasked values.
    apartments: Columns = {}
    for statistic, (_, kind, params) in BUILDING_STATISTICS.items():
        loading = BUILDING_SIZE_LOADINGS.get(statistic, 0.0)
        latent = loading * size + np.sqrt(1 - loading**2) * rng.standard_normal(n_rows)
        missing = ~present[statistic]
        if kind == "grid":
            forms = _grid_forms(rng, latent, statistic, int(params[0]))
        else:
            average = _building_average(rng, latent, statistic, kind, params)
            forms = _noisy_forms(rng, average, kind, params)
        if statistic == "APARTMENTS":
            apartments = {"latent": latent, "average": forms["AVG"]}
        for form, values in forms.items():
            columns[f"{statistic}_{form}"] = nan_where(values, missing)

    for name in BUILDING_SUMMARY_PRESENT:
        missing = ~present[name]
        if name == "TOTALAREA_MODE":
            area = np.clip(
                apartments["average"] * rng.lognormal(-0.15, 0.2, n_rows), 0, 1
            )
            zero = ndtr(apartments["latent"]) < BUILDING_ZERO_SHARES[name]
            columns[name] = nan_where(np.where(zero, 0.0, np.round(area, 4)), missing)
        else:
            columns[name] = np.where(missing, -1, draw(name))


def _building_presence(
    rng: np.random.Generator, n_rows: int, columns: Columns
) -> dict[str, np.ndarray]:
    """Which building columns each applicant has: nested in one level of detail.

    The block is described for the applicants ranking highest on a score of income
    and region rating; within it a uniform level of detail keeps a column while it
    is below the column's share (so the commoner columns come first), and a few of
    the fully described lack one hole column instead.
    """
    shares = {
        **{name: spec[0] for name, spec in BUILDING_STATISTICS.items()},
        **BUILDING_SUMMARY_PRESENT,
    }
    log_income = np.log(columns["AMT_INCOME_TOTAL"])
    score = (
        BUILDING_BLOCK_INCOME_LOADING
        * (log_income - log_income.mean())
        / max(float(log_income.std()), 1e-9)
        + BUILDING_BLOCK_RATING_LOADING * (columns["REGION_RATING_CLIENT"] - 2)
        + rng.standard_normal(n_rows)
    )
    # Ranks, not a fixed cut, so the block keeps its share whatever the mix.
    in_block = np.argsort(np.argsort(-score)) < round(BUILDING_BLOCK_SHARE * n_rows)
    detail = rng.random(n_rows) * BUILDING_BLOCK_SHARE
    full_detail = min(shares.values())
    hole_rate = 1 - BUILDING_WHOLE_BLOCK_SHARE / full_detail
    hole = rng.integers(0, len(BUILDING_HOLE_COLUMNS), n_rows)
    hole = np.where((detail < full_detail) & (rng.random(n_rows) < hole_rate), hole, -1)
    # A hole column's own share is topped up by the rows its hole takes away.
    hole_share = hole_rate * full_detail / len(BUILDING_HOLE_COLUMNS)
    present = {}
    for name, share in shares.items():
        if name in BUILDING_HOLE_COLUMNS:
            kept = (detail < share + hole_share) & (
                hole != BUILDING_HOLE_COLUMNS.index(name)
            )
        else:
            kept = detail < share
        present[name] = in_block & kept
    return present


def _building_average(
    rng: np.random.Generator,
    latent: np.ndarray,
    statistic: str,
    kind: str,
    params: tuple[float, ...],
) -> np.ndarray:
    """The _AVG form of a continuous statistic, rounded to 4 places in [0, 1]."""
    if kind == "lognormal":
        median, spread = params
        values = median * np.exp(spread * latent)
        # The lowest values of the latent are recorded as zero.
        values = np.where(
            ndtr(latent) < BUILDING_ZERO_SHARES.get(statistic, 0.0), 0.0, values
        )
    elif kind == "zero_lognormal":
        zero_share, median, spread = params
        positive = median * np.exp(spread * rng.standard_normal(len(latent)))
        values = np.where(ndtr(latent) < zero_share, 0.0, positive)
    elif kind == "one_minus_lognormal":
        median, spread = params
        values = 1 - median * np.exp(spread * latent)
    else:  # normal
        mean, spread = params
        values = mean + spread * latent
    return np.round(np.clip(values, 0, 1), 4)


def _noisy_forms(
    rng: np.random.Generator,
    average: np.ndarray,
    kind: str,
    params: tuple[float, ...],
) -> dict[str, np.ndarray]:
    """_AVG and its _MODE and _MEDI forms: the same value with a little noise.

    The noise is relative to what varies: the gap to 1 for a share near 1, the
    spread for a normal statistic, the value itself otherwise (zeros stay zero).
    """
    forms = {"AVG": average}
    for form, noise in BUILDING_FORM_NOISE.items():
        jitter = rng.normal(0, noise, len(average))
        if kind == "one_minus_lognormal":
            values = 1 - (1 - average) * (1 + jitter)
        elif kind == "normal":
            values = average + params[1] * jitter
        else:
            values = average * (1 + jitter)
        forms[form] = np.round(np.clip(values, 0, 1), 4)
    return forms


def _grid_forms(
    rng: np.random.Generator, latent: np.ndarray, statistic: str, denominator: int
) -> dict[str, np.ndarray]:
    """A statistic on the k/n grid: _MODE and _MEDI mostly the _AVG's k, now and
    then the next value up or down."""
    cumulative = np.cumsum(BUILDING_GRID_SHARES[statistic])
    steps = np.searchsorted(cumulative / cumulative[-1], ndtr(latent), side="right")
    steps = np.minimum(steps, denominator)
    forms = {"AVG": np.round(steps / denominator, 4)}
    for form, noise in BUILDING_FORM_NOISE.items():
        moved = rng.random(len(latent)) < noise
        shift = np.where(moved, rng.choice([-1, 1], len(latent)), 0)
        forms[form] = np.round(np.clip(steps + shift, 0, denominator) / denominator, 4)
    return forms


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
