"""The building statistics' joint structure: forms, grids, zeros, nested missingness.

The real figures come from the public profile of the real data (quartiles, missing
shares) and the realism issue; each range is wide enough for the sampling noise of
50,000 applications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loan_default.synthetic import generate_loan_data
from loan_default.synthetic.realism import (
    AREA_COLUMNS,
    BUILDING_COLUMNS,
    BUILDING_STATISTICS,
    load_reference_profiles,
    profile_psi,
)

N = 50_000
FORMS = ("AVG", "MODE", "MEDI")


@pytest.fixture(scope="module")
def application() -> pd.DataFrame:
    return generate_loan_data(N, seed=7).application


def present(values: pd.Series) -> pd.Series:
    return values.dropna().astype("float64")


def on_grid(values: pd.Series, denominator: int) -> bool:
    """Every value is k / denominator, rounded to 4 places."""
    steps = present(values) * denominator
    return bool(np.allclose(steps, np.round(steps), atol=0.01))


def test_the_three_forms_agree(application: pd.DataFrame) -> None:
    # Real: _AVG, _MODE and _MEDI correlate about 0.99 and go missing together.
    correlations = []
    for statistic in BUILDING_STATISTICS:
        average = application[f"{statistic}_AVG"]
        for form in ("MODE", "MEDI"):
            other = application[f"{statistic}_{form}"]
            assert (other.isna() == average.isna()).all(), (statistic, form)
            correlation = average.corr(other)
            assert correlation > 0.97, (statistic, form)
            correlations.append(correlation)
    assert 0.985 < np.median(correlations) < 0.9995


def test_floors_take_a_few_dozen_values_on_a_grid(application: pd.DataFrame) -> None:
    # Real: FLOORSMAX's two lower quartiles are both 4/24, so at least a quarter of
    # its values (12.6% of all rows); FLOORSMIN <= 2/24 for a quarter (8% of rows).
    for statistic in ("FLOORSMAX", "FLOORSMIN"):
        for form in FORMS:
            assert on_grid(application[f"{statistic}_{form}"], 24), (statistic, form)
        assert 15 <= application[f"{statistic}_AVG"].nunique() <= 40, statistic
    floors_max = present(application["FLOORSMAX_AVG"])
    assert 0.25 <= (floors_max == 0.1667).mean() < 0.32
    assert 0.11 < (application["FLOORSMAX_AVG"] == 0.1667).mean() < 0.16
    assert 0.07 < (application["FLOORSMIN_AVG"] <= 0.0833).mean() < 0.09


def test_entrances_sit_on_their_own_grid(application: pd.DataFrame) -> None:
    # Real: quartiles 2/29, 4/29, 6/29; ENTRANCES_MEDI = 0.069 in about 3.9% of rows.
    for form in FORMS:
        assert on_grid(application[f"ENTRANCES_{form}"], 29), form
    assert 0.03 < (application["ENTRANCES_MEDI"] == 0.069).mean() < 0.055
    assert not on_grid(application["ENTRANCES_AVG"], 24)


def test_years_in_use_mode_is_not_piled_at_one(application: pd.DataFrame) -> None:
    # Real: the upper quartile is 0.9866, the _MODE as the _AVG; no pile at 1.
    mode = present(application["YEARS_BEGINEXPLUATATION_MODE"])
    assert (mode == 1.0).mean() < 0.01
    assert 0.2 < ((mode > 0.9866) & (mode < 1.0)).mean() < 0.3
    average = application["YEARS_BEGINEXPLUATATION_AVG"]
    assert average.corr(application["YEARS_BEGINEXPLUATATION_MODE"]) > 0.97


def test_area_statistics_have_zero_spikes(application: pd.DataFrame) -> None:
    # Real: about 12% of the non-missing area values are zero (median over them).
    zero_shares = [(present(application[name]) == 0).mean() for name in AREA_COLUMNS]
    assert 0.09 < np.median(zero_shares) < 0.15
    assert min(zero_shares) > 0.08


def test_building_columns_match_the_profile(application: pd.DataFrame) -> None:
    # Their quartiles and missing shares: every building column's PSI under 0.1.
    table = load_reference_profiles().application
    psi = profile_psi(application, table, columns=list(BUILDING_COLUMNS))
    worst = psi.iloc[0]
    assert worst["psi"] < 0.1, (worst["column"], worst["worst_bin"])


def test_missingness_is_nested(application: pd.DataFrame) -> None:
    # Real: 26% have the whole block, 47% none of it, a few patterns in between;
    # each column keeps its own missing share.
    missing = application[list(BUILDING_COLUMNS)].isna()
    assert 0.23 < (~missing).all(axis=1).mean() < 0.29
    assert 0.45 < missing.all(axis=1).mean() < 0.49
    assert len(missing.drop_duplicates()) <= 40
    real = load_reference_profiles().application.columns["missing_share"]
    gaps = (missing.mean() - real[list(BUILDING_COLUMNS)]).abs()
    assert gaps.max() < 0.01, gaps.idxmax()


def test_better_off_applicants_are_described_more_often(
    application: pd.DataFrame,
) -> None:
    described = ~application[list(BUILDING_COLUMNS)].isna().all(axis=1)
    by_rating = described.groupby(application["REGION_RATING_CLIENT"]).mean()
    assert by_rating[1] - by_rating[3] > 0.08
    income = application["AMT_INCOME_TOTAL"]
    richest = described[income >= income.quantile(0.8)].mean()
    poorest = described[income <= income.quantile(0.2)].mean()
    assert richest - poorest > 0.08
