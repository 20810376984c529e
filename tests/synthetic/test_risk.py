"""The risk relationships of the real data, on a large generated sample.

Each test checks the default rate of a group (or a rank correlation) against a
range around the real figure, wide enough for the sampling noise of 100,000 rows.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from loan_default.schema import DAYS_EMPLOYED_SENTINEL
from loan_default.synthetic import SyntheticLoanData, generate_loan_data

N = 100_000
DAYS_PER_YEAR = 365.25


@pytest.fixture(scope="module")
def data() -> SyntheticLoanData:
    return generate_loan_data(N, seed=2025)


@pytest.fixture(scope="module")
def application(data: SyntheticLoanData) -> pd.DataFrame:
    return data.application


def default_rate(application: pd.DataFrame, rows: pd.Series) -> float:
    return float(application.loc[rows, "TARGET"].mean())


def test_default_rate_and_oracle_auc(data: SyntheticLoanData) -> None:
    target = data.application["TARGET"]
    assert target.mean() == pytest.approx(0.0807, abs=0.003)
    auc = roc_auc_score(target, data.true_default_probability["TRUE_PD"])
    assert 0.76 < auc < 0.82


def test_larger_loans_default_less(application: pd.DataFrame) -> None:
    # Real: Spearman -0.03 (credit) and -0.05 (goods price); top fifth 5.5%.
    credit = application["AMT_CREDIT"]
    assert spearmanr(credit, application["TARGET"])[0] < -0.01
    goods = application[["AMT_GOODS_PRICE", "TARGET"]].dropna()
    assert spearmanr(goods["AMT_GOODS_PRICE"], goods["TARGET"])[0] < -0.02
    largest = credit >= credit.quantile(0.8)
    assert 0.047 < default_rate(application, largest) < 0.064


def test_missing_ext_source_3_is_a_risk(application: pd.DataFrame) -> None:
    # Real: 9.9% without EXT_SOURCE_3, 7.7% with it.
    missing = application["EXT_SOURCE_3"].isna()
    assert 0.09 < default_rate(application, missing) < 0.108
    assert 0.068 < default_rate(application, ~missing) < 0.082


def test_missing_credit_bureau_requests_are_a_risk(application: pd.DataFrame) -> None:
    # Real: 10.6% without them, 7.6% with them.
    missing = application.filter(like="AMT_REQ_CREDIT_BUREAU_").isna().all(axis=1)
    assert 0.096 < default_rate(application, missing) < 0.116
    assert 0.068 < default_rate(application, ~missing) < 0.084


def test_an_undescribed_building_is_a_risk(application: pd.DataFrame) -> None:
    # Real: 9.3% when every building column is missing, 6.9% otherwise.
    building = application.filter(regex="_(AVG|MODE|MEDI)$")
    missing = building.isna().all(axis=1)
    assert 0.085 < default_rate(application, missing) < 0.101
    assert 0.062 < default_rate(application, ~missing) < 0.076


def test_document_3_goes_with_more_defaults(application: pd.DataFrame) -> None:
    # Real: 6.0% without it, 8.9% with it.
    given = application["FLAG_DOCUMENT_3"] == 1
    assert 0.052 < default_rate(application, ~given) < 0.068
    assert 0.081 < default_rate(application, given) < 0.097


def test_living_away_from_the_registered_city_is_a_risk(
    application: pd.DataFrame,
) -> None:
    # Real: 7.6% at 0, 13.0% at 1.
    away = application["REG_CITY_NOT_LIVE_CITY"] == 1
    assert 0.068 < default_rate(application, ~away) < 0.084
    assert 0.115 < default_rate(application, away) < 0.145


def test_long_employment_means_few_defaults(application: pd.DataFrame) -> None:
    # Real: 4.3% employed 10-20 years, 3.4% beyond 20.
    days = application["DAYS_EMPLOYED"]
    years = (-days / DAYS_PER_YEAR).where(days != DAYS_EMPLOYED_SENTINEL)
    assert 0.034 < default_rate(application, years.between(10, 20)) < 0.052
    assert 0.024 < default_rate(application, years > 20) < 0.045
    assert default_rate(application, years < 5) > 0.09


def test_occupations_default_at_very_different_rates(
    application: pd.DataFrame,
) -> None:
    # Real: about 13 points between the riskiest and the safest occupation.
    rates = application.groupby("OCCUPATION_TYPE")["TARGET"].mean()
    assert 0.09 < rates.max() - rates.min() < 0.17
    assert rates["Low-skill Laborers"] > 0.12
    assert rates["Accountants"] < 0.055
    assert rates["Laborers"] > rates["Core staff"] + 0.025


def test_education_levels_default_at_their_real_rates(
    application: pd.DataFrame,
) -> None:
    # Real: Higher education 4.8%, secondary 9.1%, lower secondary 12.4%.
    rates = application.groupby("NAME_EDUCATION_TYPE")["TARGET"].mean()
    assert 0.042 < rates["Higher education"] < 0.055
    assert 0.084 < rates["Secondary / secondary special"] < 0.098
    assert rates["Lower secondary"] > 0.1
