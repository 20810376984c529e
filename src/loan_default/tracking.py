"""Experiment tracking with kedro-mlflow: the switch, the run's tags and the
artifacts logged once the run's files are committed.

kedro-mlflow opens one MLflow run per ``kedro run`` and logs every parameter the
nodes read; the catalog's ``Mlflow*`` datasets log the metrics, the tags and the
registered model. What kedro-mlflow cannot know is the project's staging: a run's
files reach ``data/`` only when the whole run succeeded, so the reports and plots
are logged from their committed place, by ``log_reporting_artifacts``.
"""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mlflow
from kedro.io import AbstractDataset, DatasetError
from kedro_mlflow.io.metrics import MlflowMetricsHistoryDataset
from mlflow.entities import Metric

from loan_default.errors import ProjectError
from loan_default.staging import StagedOutput

logger = logging.getLogger(__name__)

TRACKING_VARIABLE = "LOAN_DEFAULT_TRACKING"
REPORTING_LAYER = "reporting"
REPORTING_ARTIFACTS = "reporting"
"""The folder of the MLflow run that holds the reporting layer's files."""


class TrackingSettingError(ProjectError, ValueError):
    """``LOAN_DEFAULT_TRACKING`` holds something other than on or off."""


def tracking_enabled() -> bool:
    """Whether this run is tracked: ``LOAN_DEFAULT_TRACKING`` on (default) or off."""
    value = os.environ.get(TRACKING_VARIABLE, "on").strip().lower()
    if value in ("on", "1", "true", "yes", ""):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    raise TrackingSettingError(
        f"{TRACKING_VARIABLE}={value!r}: expected on or off (tracking is on by default)"
    )


def _git(project_path: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments],
        cwd=project_path,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def git_commit(project_path: Path) -> str | None:
    """The project's git commit, with ``-dirty`` when files differ from it."""
    try:
        head = _git(project_path, "rev-parse", "HEAD")
        status = _git(project_path, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (a packaged project, a container)
    return f"{head}-dirty" if status else head


def log_reporting_artifacts(
    outputs: Iterable[StagedOutput], reporting_root: Path
) -> list[str]:
    """Log the committed files (or version folders) of the reporting layer's
    ``outputs`` to the active MLflow run, under their folders below
    ``reporting_root``; return the artifact paths."""
    root = reporting_root.resolve()
    logged = []
    for output in outputs:
        path = output.final.resolve()
        if output.layer != REPORTING_LAYER or not path.is_relative_to(root):
            continue
        folder = Path(REPORTING_ARTIFACTS, path.parent.relative_to(root)).as_posix()
        if path.is_dir():
            mlflow.log_artifacts(str(path), artifact_path=f"{folder}/{path.name}")
        else:
            mlflow.log_artifact(str(path), artifact_path=folder)
        logged.append(f"{folder}/{path.name}")
    return logged


class MlflowTagsDataset(AbstractDataset[dict[str, str], None]):
    """Sets a dict of tags on the run's MLflow run (nothing when tracking is off:
    kedro-mlflow switches every ``Mlflow*`` dataset's ``_logging_activated``)."""

    def __init__(self, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata
        self._logging_activated = True

    def _describe(self) -> dict[str, Any]:
        return {}

    def load(self) -> dict[str, str]:
        raise DatasetError("run tags are write-only here: read them in MLflow")

    def save(self, data: dict[str, str]) -> None:
        if self._logging_activated and mlflow.active_run() is not None:
            mlflow.set_tags(data)


class MlflowBatchedMetricsDataset(MlflowMetricsHistoryDataset):
    """kedro-mlflow's metrics dataset, logging a save's metrics in one request.

    Its own ``save`` makes a database round trip per metric, several per algorithm
    block; here they go to MLflow together, with one timestamp (loading, prefixes
    and the values' forms are kedro-mlflow's). Tracking must be on with a run
    open, or tracking off (then nothing is logged). Its name starts with
    ``Mlflow``: that is how kedro-mlflow finds the datasets to switch off.
    """

    def _save(self, data: dict[str, Any]) -> None:
        if not self._logging_activated:
            return
        timestamp = int(time.time() * 1000)
        metrics = [
            Metric(key, float(value), timestamp, int(step or 0))
            for key, value, step in itertools.chain.from_iterable(
                self._build_args_list_from_metric_item(key, item)
                for key, item in data.items()
            )
        ]
        # The given run, else the active one; neither is an error (DatasetError).
        mlflow.MlflowClient().log_batch(self.run_id, metrics=metrics)
