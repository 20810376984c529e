"""The schema describes the real Kaggle files exactly."""

from __future__ import annotations

import pytest

from loan_default.schema import (
    AMOUNT_MAXIMUM,
    APPLICATION,
    APPLICATION_FEATURE_COLUMNS,
    DAYS_EMPLOYED_SENTINEL,
    PREVIOUS_APPLICATION,
)


def test_application_table_shape_matches_the_real_file():
    # The real file: 122 columns, 65 float, 41 int, 16 text.
    assert len(APPLICATION.columns) == 122
    assert len(APPLICATION.columns_of("float64")) == 65
    assert len(APPLICATION.columns_of("int64")) == 41
    assert len(APPLICATION.columns_of("string")) == 16
    assert APPLICATION.column_names[:3] == [
        "SK_ID_CURR",
        "TARGET",
        "NAME_CONTRACT_TYPE",
    ]
    assert APPLICATION.column_names[-1] == "AMT_REQ_CREDIT_BUREAU_YEAR"


def test_previous_application_table_shape_matches_the_real_file():
    assert len(PREVIOUS_APPLICATION.columns) == 37
    assert PREVIOUS_APPLICATION.column_names[:2] == ["SK_ID_PREV", "SK_ID_CURR"]
    assert PREVIOUS_APPLICATION.column_names[-1] == "NFLAG_INSURED_ON_APPROVAL"


@pytest.mark.parametrize("table", [APPLICATION, PREVIOUS_APPLICATION])
def test_names_are_unique_and_every_text_column_has_levels(table):
    assert len(set(table.column_names)) == len(table.columns)
    for spec in table.columns:
        assert (spec.categories is not None) == (spec.dtype == "string"), spec.name
        if spec.categories:
            assert len(set(spec.categories)) == len(spec.categories), spec.name


def test_known_levels_and_rules():
    assert set(APPLICATION["CODE_GENDER"].categories) == {"F", "M", "XNA"}
    assert len(APPLICATION["ORGANIZATION_TYPE"].categories) == 58
    assert "XNA" in APPLICATION["ORGANIZATION_TYPE"].categories
    assert APPLICATION["DAYS_EMPLOYED"].sentinel == DAYS_EMPLOYED_SENTINEL
    assert APPLICATION["EXT_SOURCE_1"].minimum == 0
    assert APPLICATION["EXT_SOURCE_1"].maximum == 1
    assert APPLICATION["AMT_CREDIT"].minimum == 0
    assert {spec.name for spec in APPLICATION.columns if spec.required} == {
        "SK_ID_CURR",
        "TARGET",
    }
    assert set(PREVIOUS_APPLICATION["NAME_CONTRACT_STATUS"].categories) == {
        "Approved",
        "Canceled",
        "Refused",
        "Unused offer",
    }


def test_feature_columns_exclude_only_the_label():
    assert "TARGET" not in APPLICATION_FEATURE_COLUMNS
    assert len(APPLICATION_FEATURE_COLUMNS) == 121


def test_unknown_column_lookup_names_the_file():
    with pytest.raises(KeyError, match="application_data.csv"):
        APPLICATION["NOT_A_COLUMN"]


@pytest.mark.parametrize("table", [APPLICATION, PREVIOUS_APPLICATION])
def test_every_money_amount_is_bounded(table):
    # AMT_REQ_CREDIT_BUREAU_* are counts of enquiries, not money.
    amounts = [
        spec
        for spec in table.columns
        if spec.name.startswith("AMT_") and not spec.name.startswith("AMT_REQ_")
    ]
    assert amounts
    for spec in amounts:
        assert spec.maximum == AMOUNT_MAXIMUM, spec.name
