"""Real ``kedro run``s of scoring and monitoring in a trained project copy."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from loan_default.synthetic import generate_new_applications
from tests.project import kedro_run, make_project_copy

BATCH_ROWS = 300
BAD_ROWS = {5: ("AMT_CREDIT", -1.0), 9: ("NAME_CONTRACT_TYPE", "Leasing")}


def versions(project, relative_path: str) -> list:
    folder = project / relative_path
    return sorted(folder.iterdir()) if folder.exists() else []


def output_of(result) -> str:
    """What the run printed, lines re-joined: the console wraps long messages."""
    return " ".join((result.stdout + result.stderr).split())


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project copy after a small full run, with a delivered batch holding two bad
    rows."""
    project = make_project_copy(tmp_path_factory.mktemp("project"))
    trained = kedro_run(project, "--params", "synthetic_n_applications=3000")
    assert trained.returncode == 0, output_of(trained)[-3000:]
    batch = generate_new_applications(BATCH_ROWS, seed=12).application.copy()
    for row, (column, value) in BAD_ROWS.items():
        batch[column] = batch[column].astype("object")
        batch.loc[row, column] = value
    batch.to_csv(project / "data" / "01_raw" / "new_applications.csv", index=False)
    return project


@pytest.mark.slow
def test_scoring_quarantines_bad_rows_and_scores_the_rest(project):
    result = kedro_run(
        project, "--pipelines", "scoring", "--params", "scoring.chunk_applications=120"
    )

    assert result.returncode == 0, output_of(result)[-3000:]
    assert "quarantined 2 of 300 rows" in output_of(result)
    (summary_version,) = versions(project, "data/07_model_output/scoring_summary.json")
    summary = json.loads((summary_version / "scoring_summary.json").read_text())
    assert summary["batch_source"]["kind"] == "file"
    assert summary["rows_quarantined"] == len(BAD_ROWS)
    assert summary["chunks"] == 3
    (scores_version,) = versions(project, "data/07_model_output/scores.parquet")
    scores = pd.read_parquet(scores_version / "scores.parquet")
    assert len(scores) == BATCH_ROWS - len(BAD_ROWS)
    assert len(list((scores_version / "scores.parquet").iterdir())) == 3  # parts
    (quarantine_version,) = versions(project, "data/07_model_output/quarantine.csv")
    assert quarantine_version.name == scores_version.name  # one run, one version
    quarantine = pd.read_csv(quarantine_version / "quarantine.csv")
    assert sorted(quarantine["batch_row"]) == sorted(BAD_ROWS)
    assert set(quarantine["column"]) == {"AMT_CREDIT", "NAME_CONTRACT_TYPE"}
    assert "Leasing" in set(quarantine["value"])

    monitored = kedro_run(project, "--pipelines", "monitoring")

    assert monitored.returncode == 0, output_of(monitored)[-3000:]
    reporting = project / "data" / "08_reporting" / "monitoring"
    assert (reporting / "monitoring.prom").stat().st_size > 0
    for name in ("report.html", "metrics.csv", "alerts.json"):
        assert len(versions(project, f"data/08_reporting/monitoring/{name}")) == 1


@pytest.mark.slow
def test_reject_fails_with_a_clear_error_and_writes_nothing(project):
    earlier = versions(project, "data/07_model_output/scores.parquet")

    result = kedro_run(
        project, "--pipelines", "scoring", "--params", "scoring.invalid_rows=reject"
    )

    assert result.returncode != 0
    output = output_of(result)
    assert "new_applications.csv" in output
    assert "NAME_CONTRACT_TYPE: expected one of the known levels" in output
    assert "AMT_CREDIT: expected a value >= 0" in output
    assert versions(project, "data/07_model_output/scores.parquet") == earlier


@pytest.mark.slow
def test_a_run_failing_after_chunks_were_written_commits_none_of_them(project):
    """A repeated SK_ID_CURR in the third chunk fails the run after two chunks of
    every output were appended: they were staged, and are gone."""
    batch_file = project / "data" / "01_raw" / "new_applications.csv"
    delivered = batch_file.read_text()
    batch = pd.read_csv(batch_file)
    batch.loc[250, "SK_ID_CURR"] = batch.loc[10, "SK_ID_CURR"]
    batch.to_csv(batch_file, index=False)
    outputs = ("scores.parquet", "quarantine.csv", "scoring_chunks.csv")
    earlier = {
        name: versions(project, f"data/07_model_output/{name}") for name in outputs
    }
    try:
        result = kedro_run(
            project,
            "--pipelines",
            "scoring",
            "--params",
            "scoring.chunk_applications=100",
        )
    finally:
        batch_file.write_text(delivered)

    assert result.returncode != 0
    assert "SK_ID_CURR: expected unique values" in output_of(result)
    assert "(rows 10, 250)" in output_of(result)
    for name in outputs:
        assert versions(project, f"data/07_model_output/{name}") == earlier[name]
    assert not any((project / "data" / ".staging").iterdir())
