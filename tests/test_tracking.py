"""The tracking switch, the git commit tag and the reporting artifacts logged from
their committed place."""

from __future__ import annotations

import subprocess

import mlflow
import pytest
from kedro.io import DatasetError
from mlflow.tracking import MlflowClient

from loan_default.staging import StagedOutput
from loan_default.tracking import (
    TRACKING_VARIABLE,
    MlflowBatchedMetricsDataset,
    MlflowTagsDataset,
    TrackingSettingError,
    git_commit,
    log_reporting_artifacts,
    tracking_enabled,
)
from tests.registry import registry_database


@pytest.mark.parametrize(
    ("value", "enabled"),
    [(None, True), ("on", True), ("ON", True), ("off", False), ("0", False)],
)
def test_tracking_is_on_unless_turned_off(monkeypatch, value, enabled):
    if value is None:
        monkeypatch.delenv(TRACKING_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(TRACKING_VARIABLE, value)
    assert tracking_enabled() is enabled


def test_an_unknown_tracking_value_is_refused(monkeypatch):
    monkeypatch.setenv(TRACKING_VARIABLE, "sometimes")
    with pytest.raises(TrackingSettingError, match="expected on or off"):
        tracking_enabled()


def _git(folder, *arguments):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_git_commit_names_the_checkout_and_says_when_it_is_dirty(tmp_path):
    assert git_commit(tmp_path) is None
    _git(tmp_path, "init", "-q")
    (tmp_path / "file.txt").write_text("one")
    _git(tmp_path, "add", "file.txt")
    _git(tmp_path, "commit", "-q", "-m", "one")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert git_commit(tmp_path) == head
    (tmp_path / "file.txt").write_text("two")
    assert git_commit(tmp_path) == f"{head}-dirty"


def test_reporting_files_are_logged_in_their_folders(tmp_path):
    reporting = tmp_path / "data" / "08_reporting"
    (reporting / "plots").mkdir(parents=True)
    (reporting / "evaluation_report.md").write_text("# report")
    (reporting / "plots" / "roc.png").write_bytes(b"png")
    (tmp_path / "data" / "06_models").mkdir(parents=True)
    (tmp_path / "data" / "06_models" / "model.json").write_text("{}")

    def output(path, layer):
        return StagedOutput("x", path, path, versioned=False, layer=layer)

    outputs = [
        output(reporting / "evaluation_report.md", "reporting"),
        output(reporting / "plots" / "roc.png", "reporting"),
        output(tmp_path / "data" / "06_models" / "model.json", "models"),
    ]
    with registry_database(tmp_path) as experiment:
        with mlflow.start_run(experiment_id=experiment) as run:
            logged = log_reporting_artifacts(outputs, reporting)
        client = MlflowClient()
        listed = [a.path for a in client.list_artifacts(run.info.run_id, "reporting")]
        plots = client.list_artifacts(run.info.run_id, "reporting/plots")
    assert logged == ["reporting/evaluation_report.md", "reporting/plots/roc.png"]
    assert "reporting/evaluation_report.md" in listed
    assert [a.path for a in plots] == ["reporting/plots/roc.png"]


def test_tags_are_set_on_the_active_run_and_not_when_switched_off(tmp_path):
    with registry_database(tmp_path) as experiment:
        with mlflow.start_run(experiment_id=experiment) as run:
            MlflowTagsDataset().save({"data_source.seed": "42"})
            silent = MlflowTagsDataset()
            silent._logging_activated = False
            silent.save({"silent": "yes"})
        tags = MlflowClient().get_run(run.info.run_id).data.tags
    assert tags["data_source.seed"] == "42"
    assert "silent" not in tags


def test_metrics_are_logged_in_one_request_with_their_steps(tmp_path, monkeypatch):
    requests = []
    original = MlflowClient.log_batch

    def counted(self, run_id, *args, **kwargs):
        requests.append(run_id)
        return original(self, run_id, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, "log_batch", counted)
    with registry_database(tmp_path) as experiment:
        with mlflow.start_run(experiment_id=experiment) as run:
            MlflowBatchedMetricsDataset(prefix="").save(
                {
                    "xgboost.AUC": {"value": 0.76, "step": 0},
                    "xgboost.Gini": [
                        {"value": 0.5, "step": 0},
                        {"value": 0.52, "step": 1},
                    ],
                }
            )
            silent = MlflowBatchedMetricsDataset(prefix="")
            silent._logging_activated = False
            silent.save({"silent": {"value": 1.0, "step": 0}})
        client = MlflowClient()
        metrics = client.get_run(run.info.run_id).data.metrics
        history = client.get_metric_history(run.info.run_id, "xgboost.Gini")
    assert requests == [run.info.run_id]
    assert metrics == {"xgboost.AUC": 0.76, "xgboost.Gini": 0.52}
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.52)]


def test_metrics_without_a_run_are_an_error(tmp_path):
    with registry_database(tmp_path), pytest.raises(DatasetError, match="run id"):
        MlflowBatchedMetricsDataset(prefix="").save({"AUC": {"value": 0.7, "step": 0}})
