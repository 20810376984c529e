"""A real ``kedro run`` on bad raw files: clear error, non-zero exit, nothing lost."""

from __future__ import annotations

import pytest

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION
from tests.project import kedro_run, make_project_copy
from tests.tables import valid_table

EARLIER_OUTPUTS = {
    "data/02_intermediate/application.parquet": b"earlier validated table",
    "data/05_model_input/train.parquet": b"earlier model input",
    "data/06_models/feature_transformer.pkl/2026-01-01T00.00.00.000Z/feature_transformer.pkl": b"earlier transformer",
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
