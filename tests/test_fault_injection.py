"""A run killed (SIGKILL) at any save point, or inside its commit, leaves no
half-written artifact that a later run, batch scoring or the API would load."""

from __future__ import annotations

import signal
from pathlib import Path

import pandas as pd
import pytest

from loan_default.api.settings import resolve_champion_file
from loan_default.faults import KILL_AFTER_SAVE, KILL_IN_COMMIT
from loan_default.staging import STAGING_FOLDER_NAME
from tests.project import kedro_run
from tests.trained import (
    SMALL,
    catalog_filepath,
    copy_project,
    data_snapshot,
    run_with,
    versions,
)

pytestmark = pytest.mark.slow

SAVE_POINTS = (
    "application_validated",  # data engineering, first node
    "model_input_train",  # a split
    "xgboost_model",  # a model's version folder
    "champion_model",  # the champion, saved last but one
    "evaluation_report",  # the report, the last node
)


@pytest.fixture(scope="module")
def trained(trained_small_project) -> Path:
    return trained_small_project


@pytest.fixture
def project(trained, tmp_path) -> Path:
    return copy_project(trained, tmp_path / "project")


def champion_versions(project: Path) -> list[str]:
    return versions(catalog_filepath(project, "champion_model"))


def assert_scoring_uses(project: Path, champion_version: str) -> None:
    result = kedro_run(project, "--pipelines", "scoring")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scores_folder = catalog_filepath(project, "scores")
    newest = scores_folder / versions(scores_folder)[-1] / scores_folder.name
    assert set(pd.read_parquet(newest)["MODEL_VERSION"]) == {champion_version}


def assert_killed(result) -> None:
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]


@pytest.mark.parametrize("dataset", SAVE_POINTS)
def test_a_kill_after_a_save_leaves_the_previous_run_untouched(project, dataset):
    before = data_snapshot(project)
    (previous_champion,) = champion_versions(project)

    assert_killed(run_with(project, {KILL_AFTER_SAVE: dataset}, *SMALL))

    assert data_snapshot(project) == before
    champion = resolve_champion_file(catalog_filepath(project, "champion_model"))
    assert previous_champion in champion.parts
    assert_scoring_uses(project, previous_champion)
    # The next run cleaned what the killed one left in its staging folder.
    assert not any((project / "data" / STAGING_FOLDER_NAME).iterdir())


@pytest.mark.parametrize("moved", [0, 5])
def test_a_kill_inside_the_commit_is_finished_by_the_next_run(project, moved):
    (previous_champion,) = champion_versions(project)

    assert_killed(run_with(project, {KILL_IN_COMMIT: str(moved)}, *SMALL))

    # The champion is moved last: until then the previous one is the newest.
    assert champion_versions(project) == [previous_champion]
    champion = resolve_champion_file(catalog_filepath(project, "champion_model"))
    assert previous_champion in champion.parts
    # The commit point was passed: the next run completes it before it starts.
    result = kedro_run(project, "--pipelines", "scoring")
    assert result.returncode == 0, result.stderr[-3000:]
    committed = champion_versions(project)
    assert len(committed) == 2
    assert not any((project / "data" / STAGING_FOLDER_NAME).iterdir())
    # Scoring reads the registry's champion: the killed run's candidate never got
    # its alias (it moves after the commit), so production is the previous one.
    assert_scoring_uses(project, previous_champion)
