"""Correlated flags and round amounts of the application table, as in the real data.

Each test checks a figure of the real data (the realism report's "flags" and
"round numbers") against a range wide enough for the noise of 50,000 rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loan_default.synthetic import generate_loan_data
from loan_default.synthetic.applications import rounding_step_rates

N = 50_000


@pytest.fixture(scope="module")
def application() -> pd.DataFrame:
    return generate_loan_data(N, seed=7).application


def correlation(application: pd.DataFrame, x: str, y: str) -> float:
    return float(application[x].corr(application[y]))


def multiple_share(values: pd.Series, step: float) -> float:
    present = values.dropna().to_numpy(dtype=float)
    return float(np.isclose(np.mod(present, step), 0.0).mean())


def commonest_share(values: pd.Series, top: int = 10) -> float:
    present = values.dropna()
    return float(present.value_counts().head(top).sum() / len(present))


def test_documents_3_6_and_8_are_alternatives(application: pd.DataFrame) -> None:
    # Real: about -0.48 for both pairs; means 0.710, 0.088, 0.081.
    assert (
        -0.53 < correlation(application, "FLAG_DOCUMENT_3", "FLAG_DOCUMENT_6") < -0.43
    )
    assert (
        -0.53 < correlation(application, "FLAG_DOCUMENT_3", "FLAG_DOCUMENT_8") < -0.43
    )
    means = application[
        ["FLAG_DOCUMENT_3", "FLAG_DOCUMENT_6", "FLAG_DOCUMENT_8"]
    ].mean()
    np.testing.assert_allclose(means, [0.710, 0.088, 0.081], atol=0.008)


def test_registered_away_from_home_goes_with_away_from_work(
    application: pd.DataFrame,
) -> None:
    # Real: about +0.45 at both levels; means as in the profile.
    for level in ("REGION", "CITY"):
        home, work = f"REG_{level}_NOT_LIVE_{level}", f"REG_{level}_NOT_WORK_{level}"
        assert 0.38 < correlation(application, home, work) < 0.52
    means = application[
        [
            "REG_REGION_NOT_LIVE_REGION",
            "REG_REGION_NOT_WORK_REGION",
            "REG_CITY_NOT_LIVE_CITY",
            "REG_CITY_NOT_WORK_CITY",
        ]
    ].mean()
    np.testing.assert_allclose(
        means, [0.0151, 0.0508, 0.0782, 0.2305], rtol=0.1, atol=0.002
    )


def test_document_6_goes_with_no_employer(application: pd.DataFrame) -> None:
    # Real: -0.58; FLAG_EMP_PHONE is 0 exactly for the DAYS_EMPLOYED sentinel rows.
    assert -0.64 < correlation(application, "FLAG_EMP_PHONE", "FLAG_DOCUMENT_6") < -0.52
    no_employer = application["FLAG_EMP_PHONE"] == 0
    assert (application.loc[no_employer, "DAYS_EMPLOYED"] == 365243).all()


def test_incomes_are_round_numbers_with_a_long_tail(
    application: pd.DataFrame,
) -> None:
    # Real: 75% multiples of 22,500, 98.6% of 2,250; the ten commonest about 2/3.
    income = application["AMT_INCOME_TOTAL"]
    assert 0.72 < multiple_share(income, 22_500) < 0.78
    assert 0.98 < multiple_share(income, 2_250) < 0.992
    assert 0.6 < commonest_share(income) < 0.75
    commonest = set(income.value_counts().head(10).index)
    assert {112_500, 135_000, 157_500, 180_000, 225_000} <= commonest
    # Quartiles 112,500 / 147,150 / 202,500; the tail reaches millions.
    quartiles = income.quantile([0.25, 0.5, 0.75]).to_numpy()
    np.testing.assert_allclose(quartiles, [112_500, 147_150, 202_500], rtol=0.06)
    assert income.max() > 2e6


def test_goods_prices_pile_up_on_round_values(application: pd.DataFrame) -> None:
    # Real: 99.8% multiples of 4,500, the commonest 225,000, 450,000, 675,000 ...
    goods = application["AMT_GOODS_PRICE"].dropna()
    assert multiple_share(goods, 4_500) > 0.995
    assert 0.33 < commonest_share(goods) < 0.5
    counts = goods.value_counts()
    assert counts.index[0] == 225_000
    assert {180_000, 270_000, 450_000, 675_000} <= set(counts.head(8).index)
    ratio = (application["AMT_GOODS_PRICE"] / application["AMT_CREDIT"]).dropna()
    assert ratio.median() == pytest.approx(0.894, abs=0.03)
    assert (
        2.7 < (application["AMT_CREDIT"] / application["AMT_INCOME_TOTAL"]).median() < 4
    )


def test_applicants_live_in_a_few_dozen_regions(application: pd.DataFrame) -> None:
    # Real: about 89 region values, quartiles 0.010006 / 0.01885 / 0.028663.
    population = application["REGION_POPULATION_RELATIVE"]
    assert 80 <= population.nunique() <= 95
    assert population.min() == pytest.approx(0.00029)
    assert population.max() == pytest.approx(0.072508)
    quartiles = population.quantile([0.25, 0.5, 0.75]).to_numpy()
    np.testing.assert_allclose(quartiles, [0.010006, 0.01885, 0.028663], rtol=0.05)
    # A region has one rating of each kind.
    by_region = application.groupby("REGION_POPULATION_RELATIVE")
    for rating in ("REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY"):
        assert (by_region[rating].nunique() == 1).all()
    means = application[["REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY"]].mean()
    np.testing.assert_allclose(means, [2.052, 2.032], atol=0.025)


def test_rounding_steps_count_the_rows_landing_on_a_coarse_step_by_chance() -> None:
    rates = rounding_step_rates({10: 0.9, 100: 0.5})
    assert rates[100] + 0.1 * rates[10] == pytest.approx(0.5)
    assert rates[100] + rates[10] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="by chance"):
        rounding_step_rates({10: 0.9, 100: 0.05})
