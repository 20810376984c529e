"""The project's own errors end a run with one readable paragraph, not a traceback
through Kedro's internals; LOAN_DEFAULT_TRACEBACK=1 or --traceback brings it back."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DatasetError

from loan_default.cli import TRACEBACK_VARIABLE, readable_error
from loan_default.errors import ProjectError
from loan_default.hooks import MissingInputsError
from loan_default.run_lock import RunLockHeldError
from loan_default.synthetic import generate_loan_data
from loan_default.validation import RawDataValidationError
from tests.project import kedro_run, make_project_copy
from tests.trained import run_with

MAX_ERROR_LINES = 15


def test_the_projects_errors_derive_from_project_error():
    assert issubclass(MissingInputsError, ProjectError)
    assert issubclass(RunLockHeldError, ProjectError)


def test_a_project_error_is_found_behind_kedros_wrapping():
    cause = RawDataValidationError("application_data.csv: column AMT_CREDIT: < 0")
    try:
        try:
            raise cause
        except RawDataValidationError as error:
            raise DatasetError("Failed while loading data from dataset") from error
    except DatasetError as wrapped:
        assert readable_error(wrapped) is cause


def test_other_errors_keep_their_traceback():
    assert readable_error(KeyError("a bug")) is None


def error_paragraph(stderr: str) -> list[str]:
    """The lines click prints from ``Error:`` on."""
    lines = stderr.rstrip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Error: "))
    return lines[start:]


@pytest.fixture
def broken_project(tmp_path) -> Path:
    project = make_project_copy(tmp_path)
    raw = generate_loan_data(200, seed=3)
    application = raw.application.copy()
    application.loc[3, "AMT_CREDIT"] = -5.0
    application.to_csv(project / "data/01_raw/application_data.csv", index=False)
    raw.previous_application.to_csv(
        project / "data/01_raw/previous_application.csv", index=False
    )
    return project


@pytest.mark.slow
def test_a_broken_raw_file_prints_one_paragraph(broken_project):
    result = kedro_run(broken_project)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    paragraph = error_paragraph(result.stderr)
    assert len(paragraph) <= MAX_ERROR_LINES
    assert paragraph[0].startswith("Error: RawDataValidationError: ")
    assert any("column AMT_CREDIT" in line for line in paragraph)


@pytest.mark.slow
@pytest.mark.parametrize("switch", ["environment", "flag"])
def test_the_switch_brings_the_traceback_back(broken_project, switch):
    if switch == "flag":
        result = run_with(broken_project, {}, "--traceback")
    else:
        result = run_with(broken_project, {TRACEBACK_VARIABLE: "1"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" in output
    assert "RawDataValidationError" in output


@pytest.mark.slow
def test_missing_inputs_print_one_paragraph(tmp_path):
    result = kedro_run(make_project_copy(tmp_path), "--pipelines", "modelling")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    paragraph = error_paragraph(result.stderr)
    assert len(paragraph) <= MAX_ERROR_LINES
    assert paragraph[0].startswith("Error: MissingInputsError: ")


@pytest.mark.slow
def test_a_bad_algorithm_block_prints_one_paragraph(tmp_path):
    result = kedro_run(
        make_project_copy(tmp_path),
        "--pipelines",
        "modelling",
        "--params",
        "algorithms.random_forest.hyperparameters.n_trees=10",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    paragraph = error_paragraph(result.stderr)
    assert len(paragraph) <= MAX_ERROR_LINES
    assert paragraph[0].startswith("Error: AlgorithmConfigError: ")
    assert any("n_trees" in line for line in paragraph)
