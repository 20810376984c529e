"""The synthetic previous-application table against the real table's relationships.

Each test reads one relationship of the real ``previous_application.csv`` (its
public profile and category counts) as ranges on one large generated sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from loan_default.synthetic import SyntheticLoanData, generate_loan_data

N_APPLICATIONS = 60_000  # about 300,000 previous applications
SENTINEL = 365243

# Status counts of the real rows that belong to an applicant.
REAL_STATUS_COUNTS = {
    "Approved": 886_099,
    "Canceled": 259_441,
    "Refused": 245_390,
    "Unused offer": 22_771,
}
# Share of 365243 among the present values, from each column's profile mean and
# standard deviation (the dated values' mean lies between the minimum and 0).
REAL_SENTINEL_SHARES = {
    "DAYS_FIRST_DRAWING": 0.942,
    "DAYS_FIRST_DUE": 0.043,
    "DAYS_LAST_DUE_1ST_VERSION": 0.089,
    "DAYS_LAST_DUE": 0.212,
    "DAYS_TERMINATION": 0.226,
}


@pytest.fixture(scope="module")
def data() -> SyntheticLoanData:
    return generate_loan_data(N_APPLICATIONS, seed=17)


@pytest.fixture(scope="module")
def previous(data: SyntheticLoanData) -> pd.DataFrame:
    return data.previous_application


def test_status_depends_on_the_contract_type(previous: pd.DataFrame) -> None:
    shares = pd.crosstab(
        previous["NAME_CONTRACT_TYPE"],
        previous["NAME_CONTRACT_STATUS"],
        normalize="index",
    )
    consumer, cash, revolving = (
        shares.loc[name] for name in ("Consumer loans", "Cash loans", "Revolving loans")
    )
    # Point-of-sale loans are decided in the shop: mostly approved, rarely canceled.
    assert 0.78 < consumer["Approved"] < 0.85
    assert consumer["Canceled"] < 0.08
    assert consumer["Unused offer"] > 0.02
    # Cash requests carry most cancellations.
    assert 0.41 < cash["Approved"] < 0.49
    assert 0.28 < cash["Canceled"] < 0.36
    assert 0.45 < revolving["Approved"] < 0.55
    assert revolving["Refused"] > consumer["Refused"] + 0.1
    assert (shares.loc["XNA", "Canceled"]) == 1.0
    # The table-wide mix stays the real one.
    overall = previous["NAME_CONTRACT_STATUS"].value_counts(normalize=True)
    total = sum(REAL_STATUS_COUNTS.values())
    for status, count in REAL_STATUS_COUNTS.items():
        assert overall[status] == pytest.approx(count / total, abs=0.01), status


def test_refusals_still_follow_the_clients_risk(
    data: SyntheticLoanData, previous: pd.DataFrame
) -> None:
    risk = data.true_default_probability.set_index("SK_ID_CURR")["TRUE_PD"]
    linked = previous[previous["SK_ID_CURR"].isin(risk.index)]
    refused = linked["NAME_CONTRACT_STATUS"] == "Refused"
    client_risk = risk.loc[linked["SK_ID_CURR"]].to_numpy()
    for contract_type in ("Consumer loans", "Cash loans", "Revolving loans"):
        rows = (linked["NAME_CONTRACT_TYPE"] == contract_type).to_numpy()
        auc = roc_auc_score(refused[rows], client_risk[rows])
        assert auc > 0.62, contract_type


def test_sentinel_dates_are_as_rare_as_in_the_real_table(
    previous: pd.DataFrame,
) -> None:
    for column, real_share in REAL_SENTINEL_SHARES.items():
        present = previous[column].dropna()
        share = (present == SENTINEL).mean()
        assert share == pytest.approx(real_share, abs=0.01), column


def test_payment_counts_come_from_a_grid_that_depends_on_the_product(
    previous: pd.DataFrame,
) -> None:
    count = previous["CNT_PAYMENT"]
    # Missing exactly where there are no terms, as often as in the real table.
    assert count.isna().mean() == pytest.approx(0.2085, abs=0.015)
    assert (count.isna() == previous["AMT_ANNUITY"].isna()).all()
    values = count.dropna()
    assert 20 <= values.nunique() <= 35
    commonest = values.value_counts().index[:6].tolist()
    assert commonest[0] == 12
    assert {6, 10, 24} <= set(commonest)
    assert values.quantile([0.25, 0.5, 0.75]).tolist() == [6, 12, 18]
    assert values.mean() == pytest.approx(15.6, abs=1.0)
    assert values.std() == pytest.approx(14.0, abs=1.5)
    by_type = count.groupby(previous["NAME_CONTRACT_TYPE"])
    assert (by_type.get_group("Revolving loans").dropna() == 0).all()
    assert by_type.get_group("XNA").isna().all()
    assert by_type.get_group("Cash loans").median() > 1.5 * (
        by_type.get_group("Consumer loans").median()
    )
    status = previous["NAME_CONTRACT_STATUS"]
    assert count[status == "Canceled"].isna().all()
    assert count[status == "Unused offer"].notna().all()


def implied_yearly_rate(
    credit: np.ndarray, annuity: np.ndarray, months: np.ndarray
) -> np.ndarray:
    """The yearly rate at which ``annuity`` is the level payment of ``credit``."""
    low, high = np.full(len(credit), -0.5), np.full(len(credit), 3.0)
    for _ in range(50):
        rate = (low + high) / 2
        monthly = rate / 12
        with np.errstate(divide="ignore", invalid="ignore"):
            payment = np.where(
                np.abs(monthly) > 1e-12,
                credit * monthly / -np.expm1(-months * np.log1p(monthly)),
                credit / months,
            )
        too_high = payment > annuity
        high = np.where(too_high, rate, high)
        low = np.where(too_high, low, rate)
    return (low + high) / 2


def test_annuity_is_the_level_payment_at_a_realistic_rate(
    previous: pd.DataFrame,
) -> None:
    rows = previous[(previous["CNT_PAYMENT"] > 0) & (previous["AMT_CREDIT"] > 0)]
    credit, annuity, months = (
        rows[name].to_numpy(dtype=float)
        for name in ("AMT_CREDIT", "AMT_ANNUITY", "CNT_PAYMENT")
    )
    assert np.corrcoef(np.log(annuity), np.log(credit / months))[0, 1] > 0.98
    rate = pd.Series(implied_yearly_rate(credit, annuity, months), index=rows.index)
    assert rate.between(-0.005, 0.33).mean() > 0.999
    by_group = rate.groupby(rows["NAME_YIELD_GROUP"]).median()
    assert by_group["low_action"] < 0.05
    assert 0.10 < by_group["low_normal"] < 0.16
    assert 0.16 < by_group["middle"] < 0.24
    assert 0.24 < by_group["high"] < 0.32


def test_seller_place_area_has_a_long_tail_and_few_zeros(
    previous: pd.DataFrame,
) -> None:
    area = previous["SELLERPLACE_AREA"]
    # Never missing: -1 stands for "no seller".
    assert area.notna().all()
    assert area.min() == -1
    assert area.quantile(0.25) == -1
    assert 0.3 < (area == -1).mean() < 0.5
    assert 5 <= area.median() <= 20
    assert 70 <= area.quantile(0.75) <= 140
    assert area.max() == 4_000_000
    assert (area == 0).mean() < 0.05
