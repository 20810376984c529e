"""Scoring and monitoring run together on a small trained project, with the
project's own catalog entries re-rooted in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import generate_timestamp
from kedro.runner import SequentialRunner

from loan_default.pipelines.monitoring import create_pipeline as monitoring_pipeline
from loan_default.pipelines.scoring import create_pipeline as scoring_pipeline
from tests.pipelines.scoring.conftest import (
    N_TRAINING_APPLICATIONS,
    TrainedProject,
    train_small_project,
)
from tests.project import PROJECT_ROOT

OWN_CATALOGS = ("catalog_scoring.yml", "catalog_monitoring.yml")


@pytest.fixture(scope="session")
def trained() -> TrainedProject:
    return train_small_project(N_TRAINING_APPLICATIONS, seed=21)


def own_catalog_entries(root: Path) -> dict[str, dict]:
    """The scoring and monitoring catalog entries, their files under ``root``."""
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"),
        base_env="base",
        default_run_env="base",
        config_patterns={"own": [name.replace(".yml", "*") for name in OWN_CATALOGS]},
    )
    entries = {}
    for name, entry in loader["own"].items():
        entries[name] = dict(entry)
        if "filepath" in entry:
            entries[name]["filepath"] = str(root / entry["filepath"])
    return entries


def run_scoring_and_monitoring(
    trained: TrainedProject,
    root: Path,
    synthetic_batch: dict[str, Any] | None = None,
    monitoring: dict[str, Any] | None = None,
) -> Path:
    """Run both pipelines as ``kedro run --pipelines scoring,monitoring`` would, the
    parameters overridden; files land under ``root``. Returns ``root``."""
    inputs = trained.catalog_inputs()
    if synthetic_batch:
        inputs["params:scoring.synthetic_batch"] = {
            **inputs["params:scoring.synthetic_batch"],
            **synthetic_batch,
        }
    if monitoring:
        merged = {**inputs["params:monitoring"], **monitoring}
        inputs["params:monitoring"] = merged
        inputs.update({f"params:monitoring.{k}": v for k, v in merged.items()})
    catalog = DataCatalog.from_config(
        own_catalog_entries(root), save_version=generate_timestamp()
    )
    for name, value in inputs.items():
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    SequentialRunner().run(scoring_pipeline() + monitoring_pipeline(), catalog)
    return root


def latest(root: Path, relative_path: str) -> Path:
    """The newest version of a versioned file (the file itself when unversioned)."""
    path = root / relative_path
    if path.is_file():
        return path
    versions = sorted(path.iterdir())
    assert versions, f"no version of {relative_path}"
    return versions[-1] / path.name
