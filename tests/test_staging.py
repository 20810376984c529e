"""A run's files are staged and moved into place only when the whole run succeeds;
a failed run leaves the outputs of the last successful run exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog

from loan_default.faults import RAISE_AFTER_SAVE
from loan_default.staging import (
    COMMIT_RECORD_NAME,
    RunStaging,
    recover,
    staging_root,
)
from tests.trained import (
    SMALL,
    catalog_filepath,
    copy_project,
    data_snapshot,
    run_with,
    versions,
)

RUN_ID = "2030-01-01T00.00.00.000Z"
TABLE = pd.DataFrame({"a": [1, 2, 3]})


def catalog_in(data_root: Path) -> DataCatalog:
    return DataCatalog.from_config(
        {
            "table": {
                "type": "pandas.CSVDataset",
                "filepath": str(data_root / "03_primary" / "table.csv"),
            },
            "{name}_model": {
                "type": "pickle.PickleDataset",
                "filepath": str(data_root / "06_models" / "{name}.pkl"),
                "versioned": True,
            },
        },
        save_version=RUN_ID,
    )


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "data"
    (root / "03_primary").mkdir(parents=True)
    return root


def staged_run(data_root: Path) -> tuple[DataCatalog, RunStaging]:
    catalog = catalog_in(data_root)
    staging = RunStaging(data_root, RUN_ID)
    staging.stage(catalog, ["table", "tree_model"], RUN_ID)
    catalog.save("table", TABLE)
    catalog.save("tree_model", {"fitted": True})
    return catalog, staging


def test_saves_go_to_the_staging_folder_and_are_read_back_from_it(data_root):
    catalog, _ = staged_run(data_root)
    assert not (data_root / "03_primary" / "table.csv").exists()
    assert not (data_root / "06_models").exists()
    assert (data_root / ".staging" / RUN_ID / "03_primary" / "table.csv").is_file()
    assert catalog.load("table").equals(TABLE)
    assert catalog.load("tree_model") == {"fitted": True}


def test_a_commit_moves_files_and_version_folders_into_place(data_root):
    _, staging = staged_run(data_root)
    staging.commit()
    assert pd.read_csv(data_root / "03_primary" / "table.csv").equals(TABLE)
    assert versions(data_root / "06_models" / "tree.pkl") == [RUN_ID]
    assert not (staging_root(data_root) / RUN_ID).exists()


def test_a_discarded_run_leaves_the_previous_files(data_root):
    previous = data_root / "03_primary" / "table.csv"
    previous.write_text("old\n")
    _, staging = staged_run(data_root)
    staging.discard()
    assert previous.read_text() == "old\n"
    assert not (data_root / "06_models").exists()


def test_recovery_deletes_uncommitted_runs_and_finishes_committed_ones(data_root):
    _, uncommitted = staged_run(data_root)
    committed_root = staging_root(data_root) / "2030-01-02T00.00.00.000Z"
    (committed_root / "03_primary").mkdir(parents=True)
    (committed_root / "03_primary" / "other.csv").write_text("new\n")
    (committed_root / COMMIT_RECORD_NAME).write_text(
        '[["03_primary/other.csv", "03_primary/other.csv"]]'
    )
    recover(data_root)
    assert not uncommitted.root.exists()
    assert not committed_root.exists()
    assert (data_root / "03_primary" / "other.csv").read_text() == "new\n"
    assert not (data_root / "03_primary" / "table.csv").exists()


def test_files_outside_the_data_folder_are_not_staged(tmp_path, data_root):
    catalog = DataCatalog.from_config(
        {
            "elsewhere": {
                "type": "pandas.CSVDataset",
                "filepath": str(tmp_path / "x.csv"),
            }
        }
    )
    assert RunStaging(data_root, RUN_ID).stage(catalog, ["elsewhere"], RUN_ID) == []


@pytest.fixture(scope="module")
def trained(trained_small_project) -> Path:
    return trained_small_project


@pytest.mark.slow
@pytest.mark.parametrize(
    "dataset",
    ["xgboost_metrics", "champion_model", "lift_by_decile", "evaluation_report"],
)
def test_a_node_failing_after_validation_changes_no_output(trained, tmp_path, dataset):
    project = copy_project(trained, tmp_path / "project")
    before = data_snapshot(project)
    champion_before = versions(catalog_filepath(project, "champion_model"))

    result = run_with(project, {RAISE_AFTER_SAVE: dataset}, *SMALL)

    assert result.returncode != 0
    assert "InjectedFault" in result.stdout + result.stderr
    assert data_snapshot(project) == before
    assert versions(catalog_filepath(project, "champion_model")) == champion_before
    assert not any((project / "data" / ".staging").iterdir())
