"""Reason statements: names before patterns, patterns in written order, and a clear
error for every feature or entry the table cannot serve."""

from __future__ import annotations

import pytest

from loan_default.model.reason_statements import (
    ReasonStatementError,
    resolve_statements,
)
from tests.project import project_parameters

TABLE = {
    "EXT_SOURCE_MISSING_COUNT": "External credit scores are missing",
    "EXT_SOURCE_*": "External credit scores are low",
    "*_COUNT": "Counts",
    "AMT_CREDIT": "The amount of credit requested is high",
}


def test_an_exact_name_wins_then_the_first_matching_pattern():
    features = [
        "EXT_SOURCE_MISSING_COUNT",
        "EXT_SOURCE_2",
        "DOCUMENT_COUNT",
        "AMT_CREDIT",
    ]
    assert resolve_statements(features, TABLE) == {
        "EXT_SOURCE_MISSING_COUNT": "External credit scores are missing",
        "EXT_SOURCE_2": "External credit scores are low",
        "DOCUMENT_COUNT": "Counts",
        "AMT_CREDIT": "The amount of credit requested is high",
    }


def test_a_feature_without_a_statement_is_named():
    with pytest.raises(ReasonStatementError) as error:
        resolve_statements(["AMT_CREDIT", "DAYS_BIRTH", "CODE_GENDER"], TABLE)
    message = str(error.value)
    assert "params:reason_statements" in message
    assert "DAYS_BIRTH, CODE_GENDER" in message
    named = message.split("feature(s)", maxsplit=1)[1].split(":", maxsplit=1)[0]
    assert "AMT_CREDIT" not in named


def test_a_long_list_of_missing_features_is_cut():
    with pytest.raises(ReasonStatementError, match="and 5 more"):
        resolve_statements([f"F{i}" for i in range(25)], TABLE)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (None, "must map feature names or patterns"),
        ({}, "must map feature names or patterns"),
        (
            {"AMT_CREDIT": ""},
            r"params:reason_statements.AMT_CREDIT must be a non-empty",
        ),
        ({"AMT_CREDIT": 3}, r"params:reason_statements.AMT_CREDIT must be a non-empty"),
        ({"  ": "Something"}, "a key must be a feature name or pattern"),
    ],
)
def test_a_malformed_table_is_refused(table, message):
    with pytest.raises(ReasonStatementError, match=message):
        resolve_statements(["AMT_CREDIT"], table)


def test_the_projects_table_covers_every_feature_of_a_model(champion):
    # The champion fixture is assembled with the project's table: every source
    # feature has its sentence, and a one-hot family is its categorical column.
    sources = champion.explainer.sources
    assert set(champion.reason_statements) == set(sources)
    assert (
        champion.reason_statements["EXT_SOURCE_2"] == "External credit scores are low"
    )
    assert "CODE_GENDER" in champion.reason_statements
    assert project_parameters()["reason_statements"]["EXT_SOURCE_*"]
