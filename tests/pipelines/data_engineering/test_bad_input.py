"""A real ``kedro run`` on bad raw files: clear error, non-zero exit, nothing lost."""

from __future__ import annotations

import pandas as pd
import pytest

from loan_default.pipelines.data_engineering.nodes import (
    minimum_per_class,
    split_applicants,
)
from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION
from tests.project import kedro_run, make_project_copy
from tests.tables import valid_table

EARLIER_OUTPUTS = {
    "data/02_intermediate/application.parquet": b"earlier validated table",
    "data/05_model_input/train.parquet": b"earlier model input",
    "data/06_models/feature_transformer.json/2026-01-01T00.00.00.000Z/feature_transformer.json": b"earlier transformer",
}


@pytest.fixture
def project(tmp_path):
    project = make_project_copy(tmp_path)
    for relative_path, content in EARLIER_OUTPUTS.items():
        path = project / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return project


def write_raw_files(project, application, previous_application=None):
    raw = project / "data" / "01_raw"
    application.to_csv(raw / "application_data.csv", index=False)
    if previous_application is not None:
        previous_application.to_csv(raw / "previous_application.csv", index=False)


def assert_earlier_outputs_untouched(project):
    for relative_path, content in EARLIER_OUTPUTS.items():
        assert (project / relative_path).read_bytes() == content, relative_path


@pytest.mark.slow
def test_bad_value_stops_the_run_with_a_clear_error(project):
    application = valid_table(APPLICATION, n_rows=20)
    application.loc[7, "AMT_CREDIT"] = -100.0
    write_raw_files(project, application, valid_table(PREVIOUS_APPLICATION, n_rows=20))

    result = kedro_run(project, "--pipelines", "data_engineering")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "application_data.csv" in output
    assert "AMT_CREDIT" in output
    assert "expected a value >= 0" in output
    assert "-100.0" in output
    assert_earlier_outputs_untouched(project)


@pytest.mark.slow
def test_real_and_synthetic_data_are_never_mixed(project):
    write_raw_files(project, valid_table(APPLICATION, n_rows=20))

    result = kedro_run(project, "--pipelines", "data_engineering")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "previous_application.csv" in output
    assert "never mixed" in output
    assert_earlier_outputs_untouched(project)


def run_output(project) -> str:
    result = kedro_run(project, "--pipelines", "data_engineering")
    assert result.returncode != 0
    return result.stdout + result.stderr


@pytest.mark.slow
def test_a_number_beyond_any_bound_stops_the_run_before_modelling(project):
    application = valid_table(APPLICATION, n_rows=20)
    application.loc[3, "AMT_CREDIT"] = 1e308  # once crashed modelling in float32
    write_raw_files(project, application, valid_table(PREVIOUS_APPLICATION, n_rows=20))

    output = run_output(project)

    assert "application_data.csv" in output
    assert "AMT_CREDIT: expected a value <= 1000000000.0" in output
    assert_earlier_outputs_untouched(project)


@pytest.mark.slow
def test_a_semicolon_file_is_refused_unread(project):
    raw = project / "data" / "01_raw"
    valid_table(APPLICATION, n_rows=20).to_csv(
        raw / "application_data.csv", index=False, sep=";"
    )
    valid_table(PREVIOUS_APPLICATION, n_rows=20).to_csv(
        raw / "previous_application.csv", index=False
    )

    output = run_output(project)

    assert "application_data.csv: the delimiter is not a comma" in output
    assert "Expected 2 fields" not in output
    assert_earlier_outputs_untouched(project)


@pytest.mark.slow
def test_too_few_defaults_stop_the_run_and_change_no_output(project):
    application = valid_table(APPLICATION, n_rows=10).assign(TARGET=0)
    application.loc[4, "TARGET"] = 1
    write_raw_files(project, application, valid_table(PREVIOUS_APPLICATION, n_rows=10))

    output = run_output(project)

    assert "column TARGET: 1 default(s) (1) and 9 non-default(s) (0)" in output
    assert "needs at least 14 of each class" in output
    assert "least populated class" not in output
    assert_earlier_outputs_untouched(project)  # a failed run commits nothing


SPLIT = {"validation_size": 0.15, "test_size": 0.15, "seed": 42}


def applicants(n_defaults: int, n_goods: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "SK_ID_CURR": range(n_defaults + n_goods),
            "TARGET": [1] * n_defaults + [0] * n_goods,
        }
    )


def test_too_few_defaults_to_split_is_a_clear_error():
    with pytest.raises(ValueError) as raised:
        split_applicants(applicants(1, 9), SPLIT)
    # Not scikit-learn's message: the column, both counts and the minimum.
    assert str(raised.value) == (
        "column TARGET: 1 default(s) (1) and 9 non-default(s) (0) among 10 "
        "applicants; a stratified train / validation / test split with "
        "validation_size 0.15 and test_size 0.15 needs at least 14 of each class"
    )


@pytest.mark.parametrize("n_goods", [14, 15, 100])
def test_the_minimum_of_each_class_is_enough_to_split(n_goods):
    minimum = minimum_per_class(SPLIT)
    parts = split_applicants(applicants(minimum, n_goods), SPLIT)
    for part in parts:
        assert set(part["TARGET"]) == {0, 1}
