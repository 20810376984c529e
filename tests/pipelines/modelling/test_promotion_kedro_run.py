"""Tracking, registration and the promotion gate through real ``kedro run``s and
``kedro model`` commands in a project copy, against its own MLflow database."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from loan_default.faults import RAISE_AFTER_SAVE
from loan_default.tracking import TRACKING_VARIABLE
from tests.project import kedro_command, kedro_run
from tests.trained import SMALL, copy_project

NAME = "loan_default"


@pytest.fixture
def project(trained_small_project, tmp_path):
    """A project copy of its own after the first ``kedro run``, which registered
    version 1: no test depends on another's runs or on which worker runs it."""
    return copy_project(trained_small_project, tmp_path / "project")


@pytest.fixture
def client(project):
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    uri = f"sqlite:///{project}/data/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield MlflowClient(uri, uri)
    mlflow.set_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])


def _runs(client: MlflowClient) -> list:
    experiment = client.get_experiment_by_name(NAME)
    return client.search_runs([experiment.experiment_id], order_by=["start_time ASC"])


def _alias(client: MlflowClient, alias: str) -> int | None:
    aliases = client.get_registered_model(NAME).aliases
    return int(aliases[alias]) if alias in aliases else None


def _decision(project) -> dict:
    path = project / "data" / "08_reporting" / "promotion_decision.json"
    return json.loads(path.read_text())


def test_the_first_run_is_tracked_and_its_champion_promoted(project, client):
    (run,) = _runs(client)
    assert run.info.status == "FINISHED"
    evaluation = pd.read_csv(
        project / "data" / "08_reporting" / "evaluation_results.csv"
    )
    for algorithm in evaluation["model"]:
        assert run.data.metrics[f"{algorithm}.AUC"] == pytest.approx(
            evaluation.set_index("model").loc[algorithm, "AUC"]
        )
    assert run.data.params["algorithms.xgboost.hyperparameters.max_depth"]
    # Every block's parameters, each logged once in its node's batch.
    for algorithm in evaluation["model"]:
        assert any(
            key.startswith(f"algorithms.{algorithm}.") for key in run.data.params
        )
    assert run.data.tags["kedro_env"] == "local"
    assert run.data.tags["data_source.kind"] == "synthetic"
    assert run.data.tags["data_source.n_applications"] == "3000"
    artifacts = [
        artifact.path
        for artifact in client.list_artifacts(run.info.run_id, "reporting")
    ]
    assert "reporting/evaluation_report.md" in artifacts
    plots = client.list_artifacts(run.info.run_id, "reporting/plots")
    assert any(artifact.path.endswith("roc_curves.png") for artifact in plots)
    assert _alias(client, "champion") == 1
    version = client.get_model_version(NAME, "1")
    assert version.run_id == run.info.run_id
    assert "pending_alias" not in version.tags
    decision = _decision(project)
    assert decision["promoted"] and decision["incumbent"] is None


def test_a_rerun_is_the_challenger_until_promoted_and_scoring_follows_the_alias(
    project, client
):
    # On threads, as `--runner ThreadRunner` runs it: nodes log parameters at once.
    result = kedro_run(project, *SMALL, "--runner", "ThreadRunner")
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "Promotion gate: candidate" in output and "does not beat" in output
    decision = _decision(project)
    assert decision["alias"] == "challenger" and decision["gain"] == 0.0
    assert decision["incumbent"]["registered_version"] == 1
    assert _alias(client, "champion") == 1
    assert _alias(client, "challenger") == 2
    first, second = _runs(client)
    assert second.info.status == "FINISHED"
    assert second.data.params == first.data.params

    # Scoring reads the registered champion, or the folder it is given.
    assert _newest_score_versions(project, "--pipelines", "scoring") == {
        client.get_model_version(NAME, "1").tags["model_version"]
    }
    folder = project / "data" / "06_models" / "champion" / "champion_model"
    # The folder's newest version is the second run's model, the challenger.
    assert _newest_score_versions(
        project, "--pipelines", "scoring", "--params", f"model_path={folder}"
    ) == {client.get_model_version(NAME, "2").tags["model_version"]}

    promoted = kedro_command(project, "model", "promote", "2")
    assert promoted.returncode == 0, promoted.stderr[-2000:]
    assert "loan_default@champion: version 1 -> version 2" in promoted.stdout
    assert _alias(client, "champion") == 2
    listed = kedro_command(project, "model", "list")
    assert "version   2  challenger,champion" in listed.stdout
    rolled = kedro_command(project, "model", "rollback")
    assert "loan_default@champion: version 2 -> version 1" in rolled.stdout
    assert _alias(client, "champion") == 1
    refused = kedro_command(project, "model", "promote", "99")
    assert refused.returncode == 1
    assert "no version 99" in refused.stderr


def _newest_score_versions(project, *arguments: str) -> set[str]:
    result = kedro_run(project, *arguments)
    assert result.returncode == 0, result.stderr[-3000:]
    scores = sorted((project / "data" / "07_model_output" / "scores.parquet").iterdir())
    newest = pd.read_parquet(scores[-1] / "scores.parquet")
    return set(newest["MODEL_VERSION"])


def test_a_failed_run_registers_no_champion(project, client, monkeypatch):
    monkeypatch.setenv(RAISE_AFTER_SAVE, "model_registration")
    before = _alias(client, "champion"), _alias(client, "challenger")
    assert before == (1, None)
    result = kedro_run(project, *SMALL, "--params", "promotion.min_gain=0.0")
    assert result.returncode != 0
    assert (_alias(client, "champion"), _alias(client, "challenger")) == before
    failed = _runs(client)[-1]
    assert failed.info.status == "FAILED"
    (version,) = client.search_model_versions(
        f"name = '{NAME}' and run_id = '{failed.info.run_id}'"
    )
    assert version.tags["pending_alias"] == "champion"
    assert not client.get_model_version(NAME, version.version).aliases


def test_tracking_off_logs_and_registers_nothing(project, client, monkeypatch):
    monkeypatch.setenv(TRACKING_VARIABLE, "off")
    runs = len(_runs(client))
    versions = len(client.search_model_versions(f"name = '{NAME}'"))
    result = kedro_run(project, *SMALL)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Tracking is off" in result.stdout + result.stderr
    assert len(_runs(client)) == runs
    assert len(client.search_model_versions(f"name = '{NAME}'")) == versions


def test_a_bad_tracking_setting_is_refused(project, monkeypatch):
    monkeypatch.setenv(TRACKING_VARIABLE, "maybe")
    result = kedro_run(project, *SMALL)
    assert result.returncode != 0
    assert "LOAN_DEFAULT_TRACKING='maybe': expected on or off" in result.stderr
