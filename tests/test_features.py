"""Cleaning, applicant features and the fitted feature transformer."""

from __future__ import annotations

import math
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.exceptions import NotFittedError

from loan_default.features import (
    FeatureTransformer,
    aggregate_previous_applications,
    build_applicant_features,
    build_features,
    clean_application,
    clean_previous_application,
    to_model_input,
)
from loan_default.schema import (
    APPLICATION,
    DAYS_EMPLOYED_SENTINEL,
    PREVIOUS_APPLICATION,
)
from tests.tables import valid_table

PARAMETERS = Path(__file__).resolve().parents[1] / (
    "conf/base/parameters_data_engineering.yml"
)


@pytest.fixture(scope="module")
def params() -> dict:
    return yaml.safe_load(PARAMETERS.read_text())


@pytest.fixture
def cleaning(params: dict) -> dict:
    return params["cleaning"]


@pytest.fixture
def features_params(params: dict) -> dict:
    return params["features"]


def applications(n_rows: int = 4) -> pd.DataFrame:
    """Valid applications with round amounts and real employment days."""
    frame = valid_table(APPLICATION, n_rows)
    frame["AMT_INCOME_TOTAL"] = 100_000.0
    frame["AMT_CREDIT"] = 300_000.0
    frame["AMT_ANNUITY"] = 15_000.0
    frame["AMT_GOODS_PRICE"] = 270_000.0
    frame["DAYS_BIRTH"] = -14_610  # 40 years of 365.25 days
    frame["DAYS_EMPLOYED"] = -3_652  # about 10 years
    return frame


def previous_rows(rows: list[dict]) -> pd.DataFrame:
    """Previous applications: valid defaults, with the given fields per row."""
    frame = valid_table(PREVIOUS_APPLICATION, len(rows))
    for name in ("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_TERMINATION"):
        frame[name] = -10.0
    for index, row in enumerate(rows):
        for name, value in row.items():
            frame.loc[index, name] = value
    return frame


def one_row(frame: pd.DataFrame, key: int) -> pd.Series:
    return frame.set_index("SK_ID_CURR").loc[key]


# --- cleaning -----------------------------------------------------------------------


def test_clean_application_turns_the_employment_sentinel_into_missing_and_a_flag(
    cleaning: dict,
) -> None:
    raw = applications(3)
    raw.loc[0, "DAYS_EMPLOYED"] = DAYS_EMPLOYED_SENTINEL
    raw["DAYS_EMPLOYED"] = raw["DAYS_EMPLOYED"].astype("Int64")
    raw.loc[2, "DAYS_EMPLOYED"] = pd.NA

    clean = clean_application(raw, cleaning)

    assert math.isnan(clean.loc[0, "DAYS_EMPLOYED"])
    assert clean.loc[1, "DAYS_EMPLOYED"] == -3_652
    assert clean["DAYS_EMPLOYED_ANOMALY"].tolist()[:2] == [1.0, 0.0]
    assert math.isnan(clean.loc[2, "DAYS_EMPLOYED_ANOMALY"])
    assert clean["DAYS_EMPLOYED"].dtype == "float64"


def test_clean_application_turns_xna_into_missing(cleaning: dict) -> None:
    raw = applications(3)
    raw["CODE_GENDER"] = ["XNA", "F", "M"]
    raw["ORGANIZATION_TYPE"] = ["Bank", "XNA", "School"]

    clean = clean_application(raw, cleaning)

    assert clean["CODE_GENDER"].isna().tolist() == [True, False, False]
    assert clean["ORGANIZATION_TYPE"].isna().tolist() == [False, True, False]
    assert clean["CODE_GENDER"].dtype == "string"


def test_clean_application_applies_the_drop_list(cleaning: dict) -> None:
    clean = clean_application(applications(), cleaning)

    assert cleaning["drop_columns"]
    assert not set(cleaning["drop_columns"]) & set(clean.columns)
    # No _AVG twin: kept. Borderline-correlated AMT_GOODS_PRICE: kept on purpose.
    for kept in ("TOTALAREA_MODE", "WALLSMATERIAL_MODE", "APARTMENTS_AVG"):
        assert kept in clean.columns
    assert "AMT_GOODS_PRICE" in clean.columns
    assert "APARTMENTS_MEDI" not in clean.columns
    assert "OBS_60_CNT_SOCIAL_CIRCLE" not in clean.columns


def test_clean_application_drops_every_numeric_building_twin(cleaning: dict) -> None:
    twins = {
        name
        for name in APPLICATION.columns_of("float64")
        if name.endswith(("_MODE", "_MEDI")) and name != "TOTALAREA_MODE"
    }
    assert twins <= set(cleaning["drop_columns"])


def test_clean_application_keeps_an_absent_target_absent(cleaning: dict) -> None:
    clean = clean_application(applications().drop(columns="TARGET"), cleaning)
    assert "TARGET" not in clean.columns


def test_clean_application_rejects_an_unknown_drop_column(cleaning: dict) -> None:
    bad = {**cleaning, "drop_columns": ["APARTMENTS_MODE", "NOT_A_COLUMN"]}
    with pytest.raises(ValueError, match=r"cleaning\.drop_columns.*NOT_A_COLUMN"):
        clean_application(applications(), bad)


def test_clean_application_refuses_to_drop_the_key(cleaning: dict) -> None:
    bad = {**cleaning, "drop_columns": ["SK_ID_CURR"]}
    with pytest.raises(ValueError, match="cannot drop.*SK_ID_CURR"):
        clean_application(applications(), bad)


def test_clean_application_names_a_missing_parameter() -> None:
    with pytest.raises(KeyError, match="cleaning.*drop_columns"):
        clean_application(applications(), {})


def test_clean_application_requires_the_key(cleaning: dict) -> None:
    with pytest.raises(ValueError, match=r"application_data\.csv.*SK_ID_CURR"):
        clean_application(applications().drop(columns="SK_ID_CURR"), cleaning)


def test_clean_application_names_text_in_a_numeric_column(cleaning: dict) -> None:
    raw = applications()
    raw["AMT_CREDIT"] = raw["AMT_CREDIT"].astype(object)
    raw.loc[1, "AMT_CREDIT"] = "lots"
    with pytest.raises(ValueError, match=r"AMT_CREDIT.*'lots'"):
        clean_application(raw, cleaning)


def test_clean_previous_application_turns_sentinels_and_xna_into_missing(
    cleaning: dict,
) -> None:
    raw = previous_rows(
        [
            {
                "DAYS_FIRST_DRAWING": DAYS_EMPLOYED_SENTINEL,
                "DAYS_TERMINATION": -40.0,
                "NAME_CLIENT_TYPE": "XNA",
            },
            {"DAYS_FIRST_DUE": DAYS_EMPLOYED_SENTINEL, "NAME_CLIENT_TYPE": "New"},
        ]
    )
    clean = clean_previous_application(raw, cleaning)

    assert clean["DAYS_FIRST_DRAWING"].isna().tolist() == [True, False]
    assert clean["DAYS_FIRST_DUE"].isna().tolist() == [False, True]
    assert clean["DAYS_TERMINATION"].tolist() == [-40.0, -10.0]
    assert clean["NAME_CLIENT_TYPE"].isna().tolist() == [True, False]
    # XAP ("not applicable") is information, not a missing value.
    assert (clean["CODE_REJECT_REASON"].dropna() == "XAP").any()


def test_clean_previous_application_rejects_an_unknown_sentinel_column(
    cleaning: dict,
) -> None:
    bad = {**cleaning, "previous_application_sentinel_columns": ["DAYS_EMPLOYED"]}
    with pytest.raises(ValueError, match=r"previous_application\.csv.*DAYS_EMPLOYED"):
        clean_previous_application(previous_rows([{}]), bad)


# --- previous-application aggregates ------------------------------------------------

KNOWN_HISTORY = [
    # Applicant 100001: three decisions, one in each recency bin.
    {
        "SK_ID_CURR": 100001,
        "NAME_CONTRACT_STATUS": "Approved",
        "DAYS_DECISION": -100,
        "AMT_APPLICATION": 100.0,
        "AMT_CREDIT": 90.0,
    },
    {
        "SK_ID_CURR": 100001,
        "NAME_CONTRACT_STATUS": "Refused",
        "DAYS_DECISION": -500,
        "AMT_APPLICATION": 200.0,
        "AMT_CREDIT": 0.0,
    },
    {
        "SK_ID_CURR": 100001,
        "NAME_CONTRACT_STATUS": "Approved",
        "DAYS_DECISION": -1000,
        "AMT_APPLICATION": 0.0,  # nothing applied for: no ratio
        "AMT_CREDIT": 50.0,
    },
    # Applicant 100002: one cancelled application, decided exactly 365 days ago.
    {
        "SK_ID_CURR": 100002,
        "NAME_CONTRACT_STATUS": "Canceled",
        "DAYS_DECISION": -365,
        "AMT_APPLICATION": 10.0,
        "AMT_CREDIT": 10.0,
    },
    # Applicant 999999 is not in the application table: ignored.
    {
        "SK_ID_CURR": 999999,
        "NAME_CONTRACT_STATUS": "Refused",
        "DAYS_DECISION": -1,
        "AMT_APPLICATION": 1.0,
        "AMT_CREDIT": 1.0,
    },
]


@pytest.fixture
def known_aggregates(cleaning: dict, features_params: dict) -> pd.DataFrame:
    clean = clean_previous_application(previous_rows(KNOWN_HISTORY), cleaning)
    return aggregate_previous_applications(clean, features_params)


def test_aggregates_of_a_known_history(known_aggregates: pd.DataFrame) -> None:
    row = one_row(known_aggregates, 100001)

    assert row["PREV_COUNT_APPLICATIONS"] == 3
    assert row["PREV_COUNT_APPROVED"] == 2
    assert row["PREV_COUNT_REFUSED"] == 1
    assert row["PREV_COUNT_CANCELED"] == 0
    assert row["PREV_COUNT_UNUSED_OFFER"] == 0
    assert row["PREV_RATE_APPROVED"] == pytest.approx(2 / 3)
    assert row["PREV_RATE_REFUSED"] == pytest.approx(1 / 3)
    assert row["PREV_COUNT_DECIDED_WITHIN_365D"] == 1
    assert row["PREV_COUNT_DECIDED_365_730D"] == 1
    assert row["PREV_COUNT_DECIDED_OVER_730D"] == 1
    assert row["PREV_GRANTED_APPLIED_RATIO_MEAN"] == pytest.approx((0.9 + 0.0) / 2)
    assert row["PREV_AMT_CREDIT_SUM"] == 140.0
    assert row["PREV_DAYS_SINCE_LAST_DECISION"] == 100
    assert row["PREV_LAST_STATUS"] == "Approved"


def test_aggregates_put_a_bin_edge_in_the_nearer_bin(
    known_aggregates: pd.DataFrame,
) -> None:
    row = one_row(known_aggregates, 100002)
    assert row["PREV_COUNT_DECIDED_WITHIN_365D"] == 1
    assert row["PREV_COUNT_DECIDED_365_730D"] == 0
    assert row["PREV_LAST_STATUS"] == "Canceled"


def test_aggregates_have_one_row_per_applicant_with_history(
    known_aggregates: pd.DataFrame,
) -> None:
    assert known_aggregates["SK_ID_CURR"].tolist() == [100001, 100002, 999999]


def test_aggregates_of_no_previous_applications_have_every_column(
    cleaning: dict, features_params: dict, known_aggregates: pd.DataFrame
) -> None:
    empty = clean_previous_application(previous_rows([]), cleaning)
    aggregates = aggregate_previous_applications(empty, features_params)
    assert aggregates.empty
    assert aggregates.columns.tolist() == known_aggregates.columns.tolist()


def test_aggregates_reject_bad_recency_bins(cleaning: dict) -> None:
    clean = clean_previous_application(previous_rows(KNOWN_HISTORY), cleaning)
    bad = {"previous_application": {"decision_recency_bins_days": [730, 365]}}
    with pytest.raises(ValueError, match=r"decision_recency_bins_days.*\[730, 365\]"):
        aggregate_previous_applications(clean, bad)


# --- applicant features -------------------------------------------------------------


@pytest.fixture
def applicant_features(
    cleaning: dict, features_params: dict, known_aggregates: pd.DataFrame
) -> pd.DataFrame:
    raw = applications(3)
    raw.loc[1, "DAYS_EMPLOYED"] = DAYS_EMPLOYED_SENTINEL
    raw.loc[2, "AMT_INCOME_TOTAL"] = 0.0
    raw.loc[2, "AMT_ANNUITY"] = np.nan
    raw["EXT_SOURCE_1"] = [0.2, np.nan, np.nan]
    raw["EXT_SOURCE_2"] = [0.4, 0.5, np.nan]
    raw["EXT_SOURCE_3"] = [0.6, np.nan, np.nan]
    documents = [n for n in raw.columns if n.startswith("FLAG_DOCUMENT_")]
    raw[documents] = 0
    raw.loc[0, ["FLAG_DOCUMENT_3", "FLAG_DOCUMENT_8"]] = 1
    clean = clean_application(raw, cleaning)
    return build_applicant_features(clean, known_aggregates, features_params)


def test_ratios_ages_and_document_count(applicant_features: pd.DataFrame) -> None:
    row = applicant_features.loc[0]
    assert row["CREDIT_INCOME_RATIO"] == pytest.approx(3.0)
    assert row["ANNUITY_INCOME_RATIO"] == pytest.approx(0.15)
    assert row["CREDIT_ANNUITY_RATIO"] == pytest.approx(20.0)
    assert row["GOODS_CREDIT_RATIO"] == pytest.approx(0.9)
    assert row["AGE_YEARS"] == pytest.approx(40.0)
    assert row["YEARS_EMPLOYED"] == pytest.approx(3_652 / 365.25)
    assert row["EMPLOYED_AGE_RATIO"] == pytest.approx(3_652 / 14_610)
    assert row["DOCUMENT_COUNT"] == 2
    assert applicant_features.loc[1, "DOCUMENT_COUNT"] == 0


def test_division_by_zero_or_missing_gives_missing_not_inf(
    applicant_features: pd.DataFrame,
) -> None:
    row = applicant_features.loc[2]
    assert math.isnan(row["CREDIT_INCOME_RATIO"])  # income 0
    assert math.isnan(row["CREDIT_ANNUITY_RATIO"])  # annuity missing
    numeric = applicant_features.select_dtypes("number").to_numpy(dtype="float64")
    assert not np.isinf(numeric).any()


def test_employment_sentinel_gives_missing_years_employed(
    applicant_features: pd.DataFrame,
) -> None:
    row = applicant_features.loc[1]
    assert math.isnan(row["YEARS_EMPLOYED"])
    assert math.isnan(row["EMPLOYED_AGE_RATIO"])
    assert row["DAYS_EMPLOYED_ANOMALY"] == 1


def test_ext_source_statistics(applicant_features: pd.DataFrame) -> None:
    full, one, none = (applicant_features.loc[i] for i in range(3))
    assert full["EXT_SOURCE_MEAN"] == pytest.approx(0.4)
    assert full["EXT_SOURCE_MIN"] == pytest.approx(0.2)
    assert full["EXT_SOURCE_MAX"] == pytest.approx(0.6)
    assert full["EXT_SOURCE_PRODUCT"] == pytest.approx(0.048)
    assert full["EXT_SOURCE_STD"] == pytest.approx(math.sqrt(0.08 / 3))
    assert full["EXT_SOURCE_MISSING_COUNT"] == 0
    assert one["EXT_SOURCE_MEAN"] == pytest.approx(0.5)
    assert math.isnan(one["EXT_SOURCE_PRODUCT"])
    assert math.isnan(one["EXT_SOURCE_STD"])
    assert one["EXT_SOURCE_MISSING_COUNT"] == 2
    assert math.isnan(none["EXT_SOURCE_MEAN"])
    assert none["EXT_SOURCE_MISSING_COUNT"] == 3


def test_applicant_with_history_gets_its_aggregates(
    applicant_features: pd.DataFrame,
) -> None:
    row = one_row(applicant_features, 100001)
    assert row["HAS_PREVIOUS_APPLICATION"] == 1
    assert row["PREV_COUNT_APPLICATIONS"] == 3
    assert row["PREV_LAST_STATUS"] == "Approved"


def test_applicant_without_history_is_kept_with_zero_counts_and_missing_rates(
    applicant_features: pd.DataFrame,
) -> None:
    row = one_row(applicant_features, 100003)
    assert row["HAS_PREVIOUS_APPLICATION"] == 0
    assert row["PREV_COUNT_APPLICATIONS"] == 0
    assert row["PREV_COUNT_REFUSED"] == 0
    assert row["PREV_COUNT_DECIDED_WITHIN_365D"] == 0
    assert row["PREV_AMT_CREDIT_SUM"] == 0
    assert math.isnan(row["PREV_RATE_APPROVED"])
    assert math.isnan(row["PREV_GRANTED_APPLIED_RATIO_MEAN"])
    assert math.isnan(row["PREV_DAYS_SINCE_LAST_DECISION"])
    assert pd.isna(row["PREV_LAST_STATUS"])


def test_one_row_per_applicant_in_application_order(
    applicant_features: pd.DataFrame,
) -> None:
    assert applicant_features["SK_ID_CURR"].tolist() == [100001, 100002, 100003]
    assert applicant_features.columns[:2].tolist() == ["SK_ID_CURR", "TARGET"]
    assert 999999 not in applicant_features["SK_ID_CURR"].tolist()


def test_features_reject_a_repeated_applicant(
    cleaning: dict, features_params: dict, known_aggregates: pd.DataFrame
) -> None:
    clean = clean_application(applications(2), cleaning)
    clean["SK_ID_CURR"] = 100001
    with pytest.raises(ValueError, match=r"SK_ID_CURR must be unique.*100001"):
        build_applicant_features(clean, known_aggregates, features_params)


def test_features_need_the_columns_their_formulas_use(
    cleaning: dict, features_params: dict, known_aggregates: pd.DataFrame
) -> None:
    dropping_goods = {
        **cleaning,
        "drop_columns": [*cleaning["drop_columns"], "AMT_GOODS_PRICE"],
    }
    clean = clean_application(applications(), dropping_goods)
    with pytest.raises(ValueError, match="AMT_GOODS_PRICE"):
        build_applicant_features(clean, known_aggregates, features_params)


def test_build_features_is_the_step_by_step_composition(
    cleaning: dict, features_params: dict
) -> None:
    raw_applications = applications(3)
    raw_previous = previous_rows(KNOWN_HISTORY)
    step_by_step = build_applicant_features(
        clean_application(raw_applications, cleaning),
        aggregate_previous_applications(
            clean_previous_application(raw_previous, cleaning), features_params
        ),
        features_params,
    )
    composed = build_features(raw_applications, raw_previous, cleaning, features_params)
    pd.testing.assert_frame_equal(composed, step_by_step)


def test_a_partial_record_gets_missing_values_not_an_error(
    cleaning: dict, features_params: dict
) -> None:
    record = pd.DataFrame(
        {"SK_ID_CURR": [5], "AMT_CREDIT": [200_000.0], "AMT_INCOME_TOTAL": [50_000.0]}
    )
    features = build_features(record, previous_rows([]), cleaning, features_params)
    assert features.loc[0, "CREDIT_INCOME_RATIO"] == pytest.approx(4.0)
    assert math.isnan(features.loc[0, "EXT_SOURCE_MEAN"])
    assert features.loc[0, "HAS_PREVIOUS_APPLICATION"] == 0
    assert "TARGET" not in features.columns


# --- the transformer ----------------------------------------------------------------


def frame(**columns: list) -> pd.DataFrame:
    data = {"SK_ID_CURR": np.arange(len(next(iter(columns.values()))))}
    for name, values in columns.items():
        data[name] = (
            pd.Series(values, dtype="string")
            if any(isinstance(v, str) for v in values)
            else pd.Series(values, dtype="float64")
        )
    return pd.DataFrame(data)


TRAIN = frame(
    TARGET=[0, 1, 0, 1, 0, 0, 0, 0, 1, 0],
    AMOUNT=[1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
    SCORE=[0.1] * 10,
    CITY=["A", "A", "A", "A", "B", "B", "B", "C", None, None],
)


@pytest.fixture
def fitted() -> FeatureTransformer:
    return FeatureTransformer(min_category_frequency=0.15).fit(TRAIN)


def test_transformer_output_layout(fitted: FeatureTransformer) -> None:
    assert fitted.feature_names_out_ == [
        "AMOUNT",
        "AMOUNT__missing",
        "SCORE",
        "CITY=A",
        "CITY=B",
        "CITY=__other__",
        "CITY=__missing__",
    ]
    output = fitted.transform(TRAIN)
    assert output.columns.tolist() == fitted.feature_names_out_
    assert (output.dtypes == "float64").all()
    assert not output.isna().any().any()
    assert list(fitted.get_feature_names_out()) == fitted.feature_names_out_


def test_transformer_imputes_the_train_median_and_flags_it(
    fitted: FeatureTransformer,
) -> None:
    output = fitted.transform(TRAIN)
    assert output.loc[3, "AMOUNT"] == 6.0  # median of 1,2,3,5,...,10
    assert output["AMOUNT__missing"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_transformer_groups_rare_levels_and_encodes_missing(
    fitted: FeatureTransformer,
) -> None:
    output = fitted.transform(TRAIN)
    # C is 1 row in 10, below 0.15: grouped with unseen levels.
    assert output.loc[7, ["CITY=A", "CITY=B", "CITY=__other__"]].tolist() == [0, 0, 1]
    assert output.loc[8, "CITY=__missing__"] == 1
    assert (output.filter(like="CITY=").sum(axis=1) == 1).all()


def test_transformer_puts_an_unseen_level_in_the_other_column(
    fitted: FeatureTransformer,
) -> None:
    new = frame(AMOUNT=[1.0], SCORE=[0.1], CITY=["Z never seen"])
    output = fitted.transform(new)
    assert output.loc[0, "CITY=__other__"] == 1
    assert output.loc[0, ["CITY=A", "CITY=B", "CITY=__missing__"]].sum() == 0


def test_transformer_treats_an_absent_column_as_missing(
    fitted: FeatureTransformer,
) -> None:
    partial = fitted.transform(frame(SCORE=[0.3]))
    explicit = fitted.transform(frame(SCORE=[0.3], AMOUNT=[np.nan], CITY=[None]))
    pd.testing.assert_frame_equal(partial, explicit)
    assert partial.loc[0, "AMOUNT"] == 6.0
    assert partial.loc[0, "CITY=__missing__"] == 1


def test_transformer_never_makes_nan_or_inf(fitted: FeatureTransformer) -> None:
    odd = frame(AMOUNT=[np.inf, -np.inf, np.nan], SCORE=[np.nan] * 3, CITY=["A"] * 3)
    output = fitted.transform(odd).to_numpy()
    assert np.isfinite(output).all()


def test_transformer_state_depends_on_the_train_split_only(
    fitted: FeatureTransformer,
) -> None:
    batch = frame(AMOUNT=[np.nan, 4.0], SCORE=[0.2, 0.3], CITY=["B", "C"])
    different = frame(
        AMOUNT=[1e9, np.nan, 1e9, 1e9],
        SCORE=[5.0, 5.0, 5.0, 5.0],
        CITY=["C", "C", "C", None],
    )
    alone = fitted.transform(batch)
    mixed = fitted.transform(pd.concat([batch, different], ignore_index=True))
    pd.testing.assert_frame_equal(alone, mixed.iloc[:2])
    assert alone.loc[0, "AMOUNT"] == 6.0  # train median, not the batch's
    assert fitted.medians_["AMOUNT"] == 6.0  # transform never refits


def test_transformer_never_uses_the_key_or_the_target(
    fitted: FeatureTransformer,
) -> None:
    assert not {"SK_ID_CURR", "TARGET"} & set(fitted.feature_names_out_)


def test_transformer_survives_a_joblib_round_trip(
    fitted: FeatureTransformer, tmp_path: Path
) -> None:
    path = tmp_path / "transformer.pkl"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    pd.testing.assert_frame_equal(loaded.transform(TRAIN), fitted.transform(TRAIN))


def test_transformer_refuses_to_transform_before_fit() -> None:
    with pytest.raises(NotFittedError):
        FeatureTransformer().transform(TRAIN)


def test_transformer_rejects_a_bad_frequency() -> None:
    with pytest.raises(ValueError, match=r"min_category_frequency.*1\.5"):
        FeatureTransformer(min_category_frequency=1.5).fit(TRAIN)


def test_transformer_rejects_an_empty_train_table() -> None:
    with pytest.raises(ValueError, match="empty"):
        FeatureTransformer().fit(TRAIN.iloc[:0])


@pytest.mark.parametrize("per_batch", [1, 2, 3])
def test_transformer_fitted_in_column_batches_equals_the_whole_fit(
    fitted: FeatureTransformer, per_batch: int
) -> None:
    columns = TRAIN.columns.tolist()
    batches = (
        TRAIN[columns[start : start + per_batch]]
        for start in range(0, len(columns), per_batch)
    )
    in_batches = FeatureTransformer(min_category_frequency=0.15).fit_in_column_batches(
        columns, batches, len(TRAIN)
    )
    assert in_batches.to_state() == fitted.to_state()


def test_transformer_refuses_column_batches_out_of_order() -> None:
    columns = TRAIN.columns.tolist()
    with pytest.raises(ValueError, match=r"the batches hold the columns .*expected"):
        FeatureTransformer().fit_in_column_batches(
            columns, [TRAIN[columns[::-1]]], len(TRAIN)
        )


def test_transformer_refuses_a_column_batch_of_other_rows() -> None:
    columns = TRAIN.columns.tolist()
    with pytest.raises(ValueError, match=r"a batch of columns has 5 rows, expected 10"):
        FeatureTransformer().fit_in_column_batches(
            columns, [TRAIN[columns[:2]], TRAIN[columns[2:]].iloc[:5]], len(TRAIN)
        )


def test_transformer_names_text_in_a_numeric_column(
    fitted: FeatureTransformer,
) -> None:
    bad = frame(AMOUNT=["12", "twelve"], SCORE=[0.1, 0.1], CITY=["A", "A"])
    with pytest.raises(ValueError, match=r"AMOUNT.*'twelve'"):
        fitted.transform(bad)


def test_to_model_input_layout(fitted: FeatureTransformer) -> None:
    model_input = to_model_input(fitted, TRAIN)
    assert model_input.columns.tolist() == [
        "SK_ID_CURR",
        "TARGET",
        *fitted.feature_names_out_,
    ]
    assert model_input["SK_ID_CURR"].tolist() == TRAIN["SK_ID_CURR"].tolist()
    scoring = to_model_input(fitted, TRAIN.drop(columns="TARGET"))
    assert scoring.columns[0] == "SK_ID_CURR"
    assert "TARGET" not in scoring.columns


def test_the_whole_path_on_applicant_features(
    applicant_features: pd.DataFrame, params: dict
) -> None:
    transformer = FeatureTransformer(**params["transformer"]).fit(applicant_features)
    model_input = to_model_input(transformer, applicant_features)
    encoded = model_input.drop(columns=["SK_ID_CURR", "TARGET"])
    assert np.isfinite(encoded.to_numpy(dtype="float64")).all()
    assert "PREV_LAST_STATUS=Approved" in encoded.columns
    assert "HAS_PREVIOUS_APPLICATION" in encoded.columns


# --- on the synthetic generator's output --------------------------------------------


@pytest.fixture(scope="module")
def generated() -> object:
    from loan_default.synthetic import generate_loan_data  # noqa: PLC0415

    return generate_loan_data(n_applications=600, seed=11)


def test_generated_data_through_the_whole_path(generated: object, params: dict) -> None:
    application = generated.application
    previous = generated.previous_application
    features = build_features(
        application, previous, params["cleaning"], params["features"]
    )

    assert features["SK_ID_CURR"].tolist() == application["SK_ID_CURR"].tolist()
    with_history = application["SK_ID_CURR"].isin(previous["SK_ID_CURR"])
    assert features["HAS_PREVIOUS_APPLICATION"].tolist() == with_history.tolist()
    counted = previous["SK_ID_CURR"].value_counts()
    expected = application["SK_ID_CURR"].map(counted).fillna(0).tolist()
    assert features["PREV_COUNT_APPLICATIONS"].tolist() == expected
    sentinel = application["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL
    assert features["DAYS_EMPLOYED_ANOMALY"].tolist() == sentinel.tolist()
    for column in features.select_dtypes("string").columns:
        assert not (features[column] == "XNA").any(), column

    train, test = features.iloc[:400], features.iloc[400:]
    transformer = FeatureTransformer(**params["transformer"]).fit(train)
    model_input = to_model_input(transformer, test)
    encoded = model_input.drop(columns=["SK_ID_CURR", "TARGET"]).to_numpy()
    assert np.isfinite(encoded).all()
    assert len(model_input) == 200


def test_generated_previous_applications_lose_their_sentinels(
    generated: object, cleaning: dict
) -> None:
    clean = clean_previous_application(generated.previous_application, cleaning)
    for column in cleaning["previous_application_sentinel_columns"]:
        assert not (clean[column] == DAYS_EMPLOYED_SENTINEL).any(), column
        assert (clean[column] < 0).any(), column


def test_every_output_name_labels_its_own_data_whatever_the_input_order() -> None:
    # A text column between numeric ones: names and values must still line up.
    interleaved = TRAIN[["SK_ID_CURR", "CITY", "AMOUNT", "TARGET", "SCORE"]]
    transformer = FeatureTransformer(min_category_frequency=0.15).fit(interleaved)
    output = transformer.transform(interleaved)
    assert output["AMOUNT"].tolist() == [1, 2, 3, 6, 5, 6, 7, 8, 9, 10]
    assert output["SCORE"].tolist() == [0.1] * 10
    assert output["CITY=A"].tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert output["CITY=__missing__"].tolist() == [0] * 8 + [1, 1]


# LightGBM's rule: no , : " [ ] { } in a feature name (XGBoost's: no [ ] <).
LIGHTGBM_REFUSED = re.compile(r'[,:"\[\]{}]')


def test_encoded_names_are_safe_for_every_model_library(champion) -> None:
    """Levels holding the characters LightGBM or XGBoost refuse are encoded under
    safe names, as are all the project's own features."""
    levels = ["Spouse, partner", "a:b", 'say "x"', "[1]", "{k}", "<5"]
    train = frame(TARGET=[0, 1] * 6, KIND=levels * 2)
    names = FeatureTransformer(min_category_frequency=0.0).fit(train).feature_names_out_
    assert "KIND=Spouse_ partner" in names
    for name in [*names, *champion.feature_names]:
        assert not LIGHTGBM_REFUSED.search(name), name
        assert not re.search(r"[\[\]<]", name), name
