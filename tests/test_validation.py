"""Every validation rule, each with a passing and a failing case."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION
from loan_default.validation import (
    RawDataValidationError,
    find_row_violations,
    validate_table,
)
from tests.tables import valid_table


def check_rejected(frame, table, *expected_fragments, require_target=True) -> str:
    with pytest.raises(RawDataValidationError) as raised:
        validate_table(
            frame, table, "data/01_raw/test.csv", require_target=require_target
        )
    message = str(raised.value)
    assert "data/01_raw/test.csv" in message
    for fragment in expected_fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize("table", [APPLICATION, PREVIOUS_APPLICATION])
def test_valid_table_passes_and_is_typed_in_schema_order(table):
    frame = valid_table(table).iloc[:, ::-1]  # column order in the file is free
    typed = validate_table(
        frame, table, "test.csv", require_target=table is APPLICATION
    )
    assert list(typed.columns) == table.column_names
    for spec in table.columns:
        expected = {"string": "string", "int64": "int64", "float64": "float64"}[
            spec.dtype
        ]
        assert str(typed[spec.name].dtype) == expected, spec.name


def test_extra_columns_are_ignored_with_a_warning(caplog):
    frame = valid_table(APPLICATION).assign(SOMETHING_NEW=1)
    with caplog.at_level(logging.WARNING):
        typed = validate_table(frame, APPLICATION, "test.csv")
    assert "SOMETHING_NEW" not in typed.columns
    assert "SOMETHING_NEW" in caplog.text


def test_missing_columns_are_named():
    frame = valid_table(APPLICATION).drop(columns=["AMT_CREDIT", "EXT_SOURCE_2"])
    check_rejected(frame, APPLICATION, "AMT_CREDIT, EXT_SOURCE_2", "missing")


def test_target_may_be_absent_when_not_required():
    frame = valid_table(APPLICATION).drop(columns=["TARGET"])
    typed = validate_table(frame, APPLICATION, "new.csv", require_target=False)
    assert "TARGET" not in typed.columns


def test_value_that_is_not_a_number_is_named():
    frame = valid_table(APPLICATION)
    frame["AMT_CREDIT"] = frame["AMT_CREDIT"].astype(object)
    frame.loc[2, "AMT_CREDIT"] = "12,5O0"
    check_rejected(
        frame,
        APPLICATION,
        "column AMT_CREDIT",
        "expected a number",
        "'12,5O0'",
        "rows 2",
    )


def test_fractional_value_in_integer_column():
    frame = valid_table(APPLICATION)
    frame["CNT_CHILDREN"] = frame["CNT_CHILDREN"].astype(float)
    frame.loc[1, "CNT_CHILDREN"] = 1.5
    check_rejected(frame, APPLICATION, "column CNT_CHILDREN", "whole number", "1.5")


def test_target_other_than_zero_or_one():
    frame = valid_table(APPLICATION)
    frame.loc[0, "TARGET"] = 2
    check_rejected(frame, APPLICATION, "column TARGET", "<= 1", "2")


def test_target_with_a_single_class():
    frame = valid_table(APPLICATION).assign(TARGET=0)
    check_rejected(frame, APPLICATION, "column TARGET", "both classes", "found only 0")


def test_missing_target_value_is_rejected():
    frame = valid_table(APPLICATION)
    frame["TARGET"] = frame["TARGET"].astype(float)
    frame.loc[3, "TARGET"] = np.nan
    check_rejected(frame, APPLICATION, "column TARGET", "required")


def test_duplicated_application_id():
    frame = valid_table(APPLICATION)
    frame.loc[4, "SK_ID_CURR"] = frame.loc[0, "SK_ID_CURR"]
    check_rejected(frame, APPLICATION, "column SK_ID_CURR", "unique", "rows 0, 4")


def test_duplicated_previous_application_id():
    frame = valid_table(PREVIOUS_APPLICATION)
    frame.loc[1, "SK_ID_PREV"] = frame.loc[0, "SK_ID_PREV"]
    check_rejected(
        frame, PREVIOUS_APPLICATION, "column SK_ID_PREV", "unique", require_target=False
    )


def test_negative_amount():
    frame = valid_table(APPLICATION)
    frame.loc[5, "AMT_INCOME_TOTAL"] = -1.0
    check_rejected(
        frame, APPLICATION, "column AMT_INCOME_TOTAL", ">= 0", "-1.0", "rows 5"
    )


def test_positive_day_count_but_the_employment_sentinel_is_allowed():
    frame = valid_table(APPLICATION)
    frame.loc[0, "DAYS_EMPLOYED"] = 365243
    validate_table(frame, APPLICATION, "test.csv")
    frame.loc[1, "DAYS_EMPLOYED"] = 10
    check_rejected(
        frame, APPLICATION, "column DAYS_EMPLOYED", "<= 0 or the sentinel 365243", "10"
    )


def test_score_outside_unit_interval():
    frame = valid_table(APPLICATION)
    frame.loc[0, "EXT_SOURCE_3"] = 1.2
    check_rejected(frame, APPLICATION, "column EXT_SOURCE_3", "<= 1", "1.2")


def test_unknown_category_level():
    frame = valid_table(APPLICATION)
    frame.loc[0, "NAME_CONTRACT_TYPE"] = "Mortgage"
    check_rejected(
        frame, APPLICATION, "column NAME_CONTRACT_TYPE", "known levels", "'Mortgage'"
    )


def test_empty_table():
    frame = valid_table(APPLICATION).iloc[0:0]
    check_rejected(frame, APPLICATION, "no rows")


def test_every_broken_rule_is_reported_at_once():
    frame = valid_table(APPLICATION)
    frame.loc[0, "AMT_CREDIT"] = -5.0
    frame.loc[1, "CODE_GENDER"] = "Q"
    message = check_rejected(frame, APPLICATION, "AMT_CREDIT", "CODE_GENDER")
    assert "2 broken rule(s)" in message


def test_row_violations_point_at_the_bad_rows():
    frame = valid_table(APPLICATION)
    frame.loc[3, "AMT_CREDIT"] = -5.0
    violations = find_row_violations(frame, APPLICATION, "batch.csv")
    assert [(v.column, list(v.rows)) for v in violations] == [("AMT_CREDIT", [3])]


def test_missing_optional_values_are_allowed():
    frame = valid_table(APPLICATION)
    frame.loc[0, ["EXT_SOURCE_1", "OCCUPATION_TYPE", "CNT_CHILDREN"]] = None
    typed = validate_table(frame, APPLICATION, "test.csv")
    assert typed["CNT_CHILDREN"].dtype == "Int64"
    assert typed["OCCUPATION_TYPE"].isna().sum() == 1


@pytest.mark.parametrize(
    ("table", "column"),
    [(APPLICATION, "SK_ID_CURR"), (PREVIOUS_APPLICATION, "SK_ID_PREV")],
)
def test_id_beyond_int64_is_rejected_never_wrapped(table, column):
    frame = valid_table(table).astype({column: "float64"})
    frame.loc[2, column] = 1e20  # int64 would wrap it to -9223372036854775808
    check_rejected(
        frame,
        table,
        f"column {column}",
        "whole number within int64",
        "1e+20",
        "rows 2",
        require_target=table is APPLICATION,
    )


def test_day_count_beyond_int64_is_rejected():
    frame = valid_table(APPLICATION).astype({"DAYS_BIRTH": "float64"})
    frame.loc[1, "DAYS_BIRTH"] = -1e20  # int64 would wrap it; the range refuses it
    check_rejected(frame, APPLICATION, "column DAYS_BIRTH", ">= -36525", "-1e+20")


def test_large_integer_id_is_kept_exactly():
    frame = valid_table(APPLICATION)
    frame.loc[0, "SK_ID_CURR"] = 2**62 + 1  # not exact as a float64
    typed = validate_table(frame, APPLICATION, "test.csv")
    assert typed.loc[0, "SK_ID_CURR"] == 2**62 + 1


def test_huge_amount_is_rejected_by_the_schema_maximum():
    frame = valid_table(APPLICATION)
    frame.loc[4, "AMT_CREDIT"] = 1e308
    message = check_rejected(
        frame, APPLICATION, "column AMT_CREDIT", "<= 1000000000.0", "1e+308"
    )
    assert "float32" not in message  # one rule per bad value


@pytest.mark.parametrize(
    ("column", "value"),
    # Columns with an open end in the schema: no range catches these values.
    [
        ("DAYS_FIRST_DRAWING", -1e300),
        ("DAYS_TERMINATION", -np.inf),
        ("CNT_PAYMENT", np.inf),
    ],
)
def test_number_beyond_float32_is_rejected_in_any_column(column, value):
    frame = valid_table(PREVIOUS_APPLICATION)
    frame.loc[3, column] = value
    check_rejected(
        frame,
        PREVIOUS_APPLICATION,
        f"column {column}",
        "float32 range",
        "rows 3",
        require_target=False,
    )


def test_repeated_column_is_named():
    frame = valid_table(APPLICATION)
    frame = pd.concat([frame, frame[["TARGET", "AMT_CREDIT"]]], axis=1)
    check_rejected(
        frame,
        APPLICATION,
        "column TARGET: expected each column once",
        "column AMT_CREDIT: expected each column once",
        "found it 2 times",
    )


def test_a_huge_value_is_quoted_as_a_short_excerpt():
    frame = valid_table(APPLICATION).astype({"CODE_GENDER": "object"})
    frame.loc[0, "CODE_GENDER"] = "M" * 1_000_000
    message = check_rejected(
        frame, APPLICATION, "column CODE_GENDER", "(1,000,000 characters)"
    )
    assert len(message) < 1_000
