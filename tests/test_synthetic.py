"""Tests of the synthetic Loan Defaulter generator against the schema and quirks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from loan_default.schema import (
    APPLICATION,
    DAYS_EMPLOYED_SENTINEL,
    PREVIOUS_APPLICATION,
    TableSchema,
)
from loan_default.synthetic import (
    SyntheticLoanData,
    generate_loan_data,
    generate_new_applications,
    main,
)
from loan_default.synthetic.calibration import NEW_APPLICATIONS_FIRST_ID

N = 4000


@pytest.fixture(scope="module")
def data() -> SyntheticLoanData:
    return generate_loan_data(N, seed=11)


@pytest.fixture(scope="module")
def application(data: SyntheticLoanData) -> pd.DataFrame:
    return data.application


def assert_matches_schema(frame: pd.DataFrame, table: TableSchema, drop=()) -> None:
    expected = [name for name in table.column_names if name not in drop]
    assert list(frame.columns) == expected
    for spec in table.columns:
        if spec.name in drop:
            continue
        column = frame[spec.name]
        if spec.dtype == "string":
            assert column.dtype == "string", spec.name
            bad = set(column.dropna().unique()) - set(spec.categories)
            assert not bad, f"{spec.name}: {bad}"
            continue
        expected_dtype = {"int64": ("int64", "Int64"), "float64": ("float64",)}
        assert str(column.dtype) in expected_dtype[spec.dtype], spec.name
        values = column.dropna()
        if spec.sentinel is not None:
            values = values[values != spec.sentinel]
        if spec.minimum is not None:
            assert (values >= spec.minimum).all(), (spec.name, values.min())
        if spec.maximum is not None:
            assert (values <= spec.maximum).all(), (spec.name, values.max())


def test_tables_match_the_schema_exactly(data: SyntheticLoanData) -> None:
    assert_matches_schema(data.application, APPLICATION)
    assert_matches_schema(data.previous_application, PREVIOUS_APPLICATION)
    truth = data.true_default_probability
    assert list(truth.columns) == ["SK_ID_CURR", "TRUE_PD"]
    assert truth.dtypes.astype(str).tolist() == ["int64", "float64"]
    assert truth["SK_ID_CURR"].tolist() == data.application["SK_ID_CURR"].tolist()


def test_keys_are_unique(data: SyntheticLoanData) -> None:
    assert data.application["SK_ID_CURR"].is_unique
    assert data.previous_application["SK_ID_PREV"].is_unique


def test_same_seed_same_frames_and_other_seed_differs() -> None:
    first, again = generate_loan_data(300, seed=5), generate_loan_data(300, seed=5)
    pd.testing.assert_frame_equal(first.application, again.application)
    pd.testing.assert_frame_equal(
        first.previous_application, again.previous_application
    )
    other = generate_loan_data(300, seed=6)
    assert not first.application.equals(other.application)


def test_default_rate_is_near_the_real_one(application: pd.DataFrame) -> None:
    # Systematic sampling keeps the count close to the sum of probabilities.
    assert application["TARGET"].mean() == pytest.approx(0.0807, abs=0.006)


def test_true_probability_is_hidden_and_discriminates(data: SyntheticLoanData) -> None:
    assert "TRUE_PD" not in data.application.columns
    auc = roc_auc_score(
        data.application["TARGET"], data.true_default_probability["TRUE_PD"]
    )
    assert 0.72 < auc < 0.87


def test_employment_sentinel_marks_pensioners_and_unemployed(
    application: pd.DataFrame,
) -> None:
    sentinel = application["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL
    assert 0.15 < sentinel.mean() < 0.21
    rows = application[sentinel]
    assert set(rows["NAME_INCOME_TYPE"]) <= {"Pensioner", "Unemployed"}
    assert (rows["ORGANIZATION_TYPE"] == "XNA").all()
    assert rows["OCCUPATION_TYPE"].isna().all()
    assert (rows["FLAG_EMP_PHONE"] == 0).all()
    assert (application.loc[~sentinel, "ORGANIZATION_TYPE"] != "XNA").all()
    # Pensioners default less, as in the real data.
    assert rows["TARGET"].mean() < application.loc[~sentinel, "TARGET"].mean()


def test_car_age_present_exactly_for_car_owners(application: pd.DataFrame) -> None:
    has_car = application["FLAG_OWN_CAR"] == "Y"
    assert (application["OWN_CAR_AGE"].notna() == has_car).all()


def test_family_size_is_children_plus_one_or_two_adults(
    application: pd.DataFrame,
) -> None:
    adults = (application["CNT_FAM_MEMBERS"] - application["CNT_CHILDREN"]).dropna()
    assert set(adults.unique()) <= {1.0, 2.0}
    couples = application["NAME_FAMILY_STATUS"].isin(["Married", "Civil marriage"])
    assert (adults[couples] == 2).all()


def test_amounts_follow_the_real_grids_and_ratios(application: pd.DataFrame) -> None:
    income = application["AMT_INCOME_TOTAL"]
    goods = application["AMT_GOODS_PRICE"].dropna()
    assert (income % 2250 == 0).mean() > 0.97
    assert (goods % 4500 == 0).mean() > 0.99
    ratio = (application["AMT_GOODS_PRICE"] / application["AMT_CREDIT"]).dropna()
    assert ratio.median() == pytest.approx(0.894, abs=0.03)
    annuity_share = (application["AMT_ANNUITY"] / application["AMT_CREDIT"]).dropna()
    assert annuity_share.between(0.025, 0.1245).all()
    credit_to_income = application["AMT_CREDIT"] / income
    assert 2.7 < credit_to_income.median() < 4.0


def test_external_scores_missing_rates_and_correlation(
    application: pd.DataFrame,
) -> None:
    missing = application[["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]].isna()
    assert missing.mean().round(2).tolist() == pytest.approx(
        [0.56, 0.0, 0.19], abs=0.03
    )
    assert application["EXT_SOURCE_1"].corr(application["DAYS_BIRTH"]) < -0.5


def test_building_statistics_go_missing_together(application: pd.DataFrame) -> None:
    for statistic in ("APARTMENTS", "FLOORSMAX", "COMMONAREA"):
        forms = application[[f"{statistic}_{k}" for k in ("AVG", "MODE", "MEDI")]]
        assert (forms.isna().nunique(axis=1) == 1).all(), statistic
        assert forms.corr().min().min() > 0.95
    any_building = application.filter(regex="_(AVG|MODE|MEDI)$").notna().any(axis=1)
    assert 0.45 < any_building.mean() < 0.6
    bureau = application.filter(like="AMT_REQ_CREDIT_BUREAU_").isna()
    assert (bureau.nunique(axis=1) == 1).all()
    social = application.filter(like="_CNT_SOCIAL_CIRCLE").isna()
    assert (social.nunique(axis=1) == 1).all()


def test_previous_applications_are_linked_with_gaps(data: SyntheticLoanData) -> None:
    previous = data.previous_application
    ids = set(data.application["SK_ID_CURR"])
    linked = previous["SK_ID_CURR"].isin(ids)
    assert 0.8 < linked.mean() < 0.9  # the rest belong to other clients
    with_history = data.application["SK_ID_CURR"].isin(previous["SK_ID_CURR"])
    assert 0.9 < with_history.mean() < 0.98
    per_client = linked.sum() / with_history.sum()
    assert per_client == pytest.approx(4.86, abs=0.5)
    status = previous["NAME_CONTRACT_STATUS"].value_counts(normalize=True)
    assert status["Approved"] == pytest.approx(0.63, abs=0.03)
    assert status["Refused"] == pytest.approx(0.17, abs=0.03)
    not_refused = previous["NAME_CONTRACT_STATUS"] != "Refused"
    assert set(previous.loc[not_refused, "CODE_REJECT_REASON"]) <= {"XAP", "CLIENT"}
    assert previous["DAYS_DECISION"].between(-2922, -1).all()
    approved = previous["NAME_CONTRACT_STATUS"] == "Approved"
    assert previous.loc[~approved, "DAYS_FIRST_DUE"].isna().all()
    assert previous.loc[approved, "DAYS_FIRST_DUE"].notna().all()


def test_past_refusals_raise_the_default_rate(data: SyntheticLoanData) -> None:
    previous = data.previous_application
    refused = previous.loc[previous["NAME_CONTRACT_STATUS"] == "Refused", "SK_ID_CURR"]
    target = data.application.set_index("SK_ID_CURR")["TARGET"]
    ever_refused = target.index.isin(refused)
    assert target[ever_refused].mean() > 1.3 * target[~ever_refused].mean()


def test_new_applications_have_no_target_and_fresh_ids() -> None:
    batch = generate_new_applications(500, seed=3)
    assert_matches_schema(batch.application, APPLICATION, drop=("TARGET",))
    first = NEW_APPLICATIONS_FIRST_ID
    assert batch.application["SK_ID_CURR"].tolist() == list(range(first, first + 500))
    assert (
        batch.previous_application["SK_ID_CURR"].isin(range(first, first + 500)).all()
    )
    labelled = generate_new_applications(500, seed=3, with_target=True, first_id=900)
    assert "TARGET" in labelled.application.columns
    assert labelled.application["SK_ID_CURR"].min() == 900


def test_drift_moves_features_and_the_default_rate() -> None:
    reference = generate_new_applications(N, seed=21, with_target=True)
    drifted = generate_new_applications(
        N,
        seed=21,
        with_target=True,
        drift={
            "shift": {"EXT_SOURCE_3": -0.15},
            "scale": {"AMT_INCOME_TOTAL": 1.15},
            "missing_rate": {"EXT_SOURCE_1": 0.8},
            "category_share": {"NAME_CONTRACT_TYPE": {"Revolving loans": 0.3}},
        },
    )
    before, after = reference.application, drifted.application
    assert after["EXT_SOURCE_3"].mean() < before["EXT_SOURCE_3"].mean() - 0.1
    assert (
        after["AMT_INCOME_TOTAL"].median() > 1.1 * before["AMT_INCOME_TOTAL"].median()
    )
    assert after["EXT_SOURCE_1"].isna().mean() == pytest.approx(0.8, abs=0.01)
    revolving = (after["NAME_CONTRACT_TYPE"] == "Revolving loans").mean()
    assert revolving == pytest.approx(0.3, abs=0.03)
    assert_matches_schema(after, APPLICATION)
    assert (
        drifted.true_default_probability["TRUE_PD"].mean()
        > reference.true_default_probability["TRUE_PD"].mean() + 0.01
    )


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        ({"tilt": {}}, "unknown key"),
        ({"shift": {"NO_SUCH_COLUMN": 1}}, "NO_SUCH_COLUMN"),
        ({"scale": {"AMT_INCOME_TOTAL": -1}}, "bad value"),
        ({"missing_rate": {"EXT_SOURCE_1": 1.5}}, "not in \\[0, 1\\]"),
        ({"missing_rate": {"CNT_CHILDREN": 0.1}}, "CNT_CHILDREN"),
        ({"missing_rate": {"OCCUPATION_TYPE": 0.0}}, "only EXT_SOURCE"),
        ({"category_share": {"NAME_INCOME_TYPE": {"Working": 0.5}}}, "NAME_INCOME"),
        ({"category_share": {"CODE_GENDER": {"X": 0.5}}}, "unknown value"),
        ({"category_share": {"CODE_GENDER": {"F": 0.8, "M": 0.5}}}, "at most 1"),
    ],
)
def test_bad_drift_is_refused_with_a_clear_message(drift, message) -> None:
    with pytest.raises(ValueError, match=message):
        generate_new_applications(200, seed=1, drift=drift)


@pytest.mark.parametrize("size", [0, -5, 2.5])
def test_bad_size_is_refused(size) -> None:
    with pytest.raises(ValueError, match="n_applications"):
        generate_loan_data(size, seed=1)


def test_command_line_writes_kaggle_like_files(tmp_path) -> None:
    main(
        [
            "--n-applications", "200",
            "--seed", "4",
            "--output-dir", str(tmp_path),
            "--new-applications", "50",
        ]
    )  # fmt: skip
    application = pd.read_csv(tmp_path / "application_data.csv")
    assert list(application.columns) == APPLICATION.column_names
    previous = pd.read_csv(tmp_path / "previous_application.csv")
    assert list(previous.columns) == PREVIOUS_APPLICATION.column_names
    new = pd.read_csv(tmp_path / "new_applications.csv")
    assert "TARGET" not in new.columns and len(new) == 50
    truth = pd.read_csv(tmp_path / "true_default_probability.csv")
    assert len(truth) == 200
    assert np.isfinite(truth["TRUE_PD"]).all()


def test_new_batch_history_ids_do_not_collide_with_training_history():
    training = generate_loan_data(2_000, seed=1)
    batch = generate_new_applications(500, seed=2)
    ids = pd.concat(
        [
            training.previous_application["SK_ID_PREV"],
            batch.previous_application["SK_ID_PREV"],
        ]
    )
    assert ids.is_unique
