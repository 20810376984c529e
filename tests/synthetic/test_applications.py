"""The application table's marginals: thin tails, real quartiles, nested missingness.

The real figures come from the public profile of the real data: its quartiles and
the shares of rows beyond a few thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loan_default.synthetic import generate_loan_data
from loan_default.synthetic.columns import from_knots

N = 100_000
DAYS_PER_YEAR = 365.25


@pytest.fixture(scope="module")
def application() -> pd.DataFrame:
    return generate_loan_data(N, seed=2024).application


def share_above(values: pd.Series, threshold: float) -> float:
    """Share of the non-missing values above ``threshold``."""
    present = values.dropna()
    return float((present > threshold).mean())


def test_quantile_map_keeps_the_extremes_and_quartiles_whatever_the_tails() -> None:
    knots = (0.0, 2.0, 3.0, 5.0, 20.0)
    at_knots = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    for tails in [(0.0, 0.0), (2.0, 9.0), (-4.0, 4.0)]:
        np.testing.assert_allclose(from_knots(at_knots, knots, tails), knots)
        values = from_knots(np.linspace(0, 1, 1001), knots, tails)
        assert (np.diff(values) >= 0).all(), tails


def test_quantile_map_thins_the_outer_quarters() -> None:
    uniforms = (np.arange(100_000) + 0.5) / 100_000
    linear = from_knots(uniforms, (0.0, 2.0, 3.0, 5.0, 20.0))
    thin = from_knots(uniforms, (0.0, 2.0, 3.0, 5.0, 20.0), (3.0, 6.0))
    assert (thin > 12).mean() < 0.2 * (linear > 12).mean()
    assert (thin < 0.5).mean() < 0.5 * (linear < 0.5).mean()


@pytest.mark.parametrize(
    ("column", "quartiles"),
    [
        ("DAYS_BIRTH", (-19682, -15750, -12413)),
        ("DAYS_REGISTRATION", (-7479.5, -4504, -2010)),
        ("DAYS_ID_PUBLISH", (-4299, -3254, -1720)),
        ("EXT_SOURCE_1", (0.334, 0.506, 0.675)),
        ("EXT_SOURCE_2", (0.392, 0.566, 0.664)),
        ("EXT_SOURCE_3", (0.371, 0.535, 0.669)),
        ("AMT_CREDIT", (270000, 513531, 808650)),
    ],
)
def test_quartiles_match_the_real_ones(
    application: pd.DataFrame, column: str, quartiles: tuple[float, ...]
) -> None:
    drawn = application[column].dropna().quantile([0.25, 0.5, 0.75]).to_numpy()
    spread = quartiles[2] - quartiles[0]
    np.testing.assert_allclose(drawn, quartiles, atol=0.04 * spread)


def test_external_scores_have_thin_upper_tails(application: pd.DataFrame) -> None:
    # Real: 3.6% of EXT_SOURCE_3 above 0.8, 4.7% of EXT_SOURCE_2 above 0.75.
    assert 0.027 < share_above(application["EXT_SOURCE_3"], 0.8) < 0.047
    assert 0.035 < share_above(application["EXT_SOURCE_2"], 0.75) < 0.061


def test_few_applicants_are_very_young_or_old(application: pd.DataFrame) -> None:
    # Two to three times fewer than the linear tails' 8.4% and 6.6% (the issue).
    age = -application["DAYS_BIRTH"] / DAYS_PER_YEAR
    assert 0.03 < (age < 25).mean() < 0.052
    assert 0.019 < (age > 65).mean() < 0.034


def test_few_credits_are_above_two_million(application: pd.DataFrame) -> None:
    # Real: 0.7%.
    assert 0.0045 < share_above(application["AMT_CREDIT"], 2e6) < 0.0095


def test_registration_and_id_dates_have_thin_old_tails(
    application: pd.DataFrame,
) -> None:
    # Real: about 1% beyond these, where evenly spread outer quarters put 10-15%.
    assert 0.003 < (application["DAYS_REGISTRATION"] < -15000).mean() < 0.02
    assert 0.003 < (application["DAYS_ID_PUBLISH"] < -6000).mean() < 0.02


def test_applicants_unknown_to_the_bureau_all_lack_ext_source_3(
    application: pd.DataFrame,
) -> None:
    bureau_missing = application["AMT_REQ_CREDIT_BUREAU_YEAR"].isna()
    ext_source_3_missing = application["EXT_SOURCE_3"].isna()
    assert ext_source_3_missing[bureau_missing].all()
    assert bureau_missing.mean() == pytest.approx(0.135, abs=0.006)
    assert ext_source_3_missing.mean() == pytest.approx(0.19, abs=0.008)
    # Not all the other way round: some applicants lack only EXT_SOURCE_3.
    assert (ext_source_3_missing & ~bureau_missing).mean() > 0.03
