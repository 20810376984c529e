"""Monitoring's checks on generated scored frames, and scoring and monitoring run
together on a small trained project; the project's own catalog entries re-rooted in
a temporary folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import generate_timestamp
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from xgboost import XGBClassifier

from loan_default.pipelines.monitoring import create_pipeline as monitoring_pipeline
from loan_default.pipelines.scoring import create_pipeline as scoring_pipeline
from loan_default.schema import TARGET
from tests.monitoring.conftest import scored_frame
from tests.pipelines.scoring.conftest import (
    N_TRAINING_APPLICATIONS,
    TrainedProject,
    train_small_project,
)
from tests.project import PROJECT_ROOT, project_parameters

OWN_CATALOGS = ("catalog_scoring.yml", "catalog_monitoring.yml")


@pytest.fixture(scope="session")
def trained() -> TrainedProject:
    return train_small_project(N_TRAINING_APPLICATIONS, seed=21)


# --- generated scored frames ------------------------------------------------------


@dataclass(frozen=True)
class GeneratedChampion:
    """What monitoring reads of the champion, fitted on generated frames: the input
    encoding, the estimator, the operating threshold and the metadata."""

    estimator: Any
    feature_names: list[str]
    threshold: float = 0.2
    metadata: dict[str, Any] = field(
        default_factory=lambda: {
            "algorithm": "xgboost",
            "model_version": "2030-01-01T00.00.00.000Z",
            "metrics_test": {"AUC": 0.75, "Gini": 0.5},
        }
    )

    @property
    def algorithm(self) -> str:
        return self.metadata["algorithm"]

    @property
    def model_version(self) -> str:
        return self.metadata["model_version"]

    def encode(self, features: pd.DataFrame) -> pd.DataFrame:
        return features[self.feature_names].astype("float64")


@pytest.fixture(scope="session")
def generated_reference() -> pd.DataFrame:
    return scored_frame(6_000, seed=0)


@pytest.fixture(scope="session")
def generated_stable_batch() -> pd.DataFrame:
    """From the reference's distribution, without outcomes."""
    return scored_frame(2_000, seed=1).drop(columns=TARGET)


@pytest.fixture(scope="session")
def generated_drifted_batch() -> pd.DataFrame:
    """``num_00`` and ``cat_00`` shifted, with outcomes."""
    return scored_frame(2_000, seed=2, shift=1.0)


@pytest.fixture(scope="session")
def generated_champion(generated_reference) -> GeneratedChampion:
    names = [
        name
        for name in generated_reference.columns
        if name.startswith("num_") or name in ("EXT_SOURCE_3", "flag", "count")
    ]
    estimator = XGBClassifier(
        n_estimators=30, max_depth=3, learning_rate=0.2, n_jobs=1, random_state=0
    ).fit(generated_reference[names], generated_reference[TARGET])
    return GeneratedChampion(estimator, names)


@pytest.fixture(scope="session")
def monitoring_params() -> dict[str, Any]:
    return project_parameters()["monitoring"]


SCORING_SUMMARY = {
    "batch_source": {"kind": "synthetic", "seed": 7, "drift": None},
    "rows_quarantined": 0,
}


def parameter_inputs(monitoring: dict[str, Any]) -> dict[str, Any]:
    """``params:monitoring`` and each of its keys, as a Kedro session provides them."""
    return {
        "params:monitoring": monitoring,
        **{f"params:monitoring.{key}": value for key, value in monitoring.items()},
    }


def monitoring_catalog(
    root: Path,
    champion: Any,
    monitoring: dict[str, Any],
    save_version: str | None = None,
) -> DataCatalog:
    """The monitoring catalog under ``root`` with the champion, the scoring summary
    and the parameters in memory: what a later ``kedro run`` would find there."""
    catalog = DataCatalog.from_config(
        own_catalog_entries(root), save_version=save_version or generate_timestamp()
    )
    inputs = {
        "production_model": champion,
        "scoring_summary": SCORING_SUMMARY,
        **parameter_inputs(monitoring),
    }
    for name, value in inputs.items():
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    return catalog


def checks_pipeline() -> Pipeline:
    """Every monitoring node downstream of the two scored frames."""
    return monitoring_pipeline().from_inputs("monitoring_reference", "monitoring_batch")


def run_checks(
    root: Path,
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    champion: Any,
    monitoring: dict[str, Any],
    *,
    save_version: str | None = None,
) -> Path:
    """Save the two scored frames as the upstream nodes would, then run every check
    and export with SequentialRunner; files land under ``root``, versioned ones as
    ``save_version`` (default: now). Returns ``root``."""
    catalog = monitoring_catalog(root, champion, monitoring, save_version)
    catalog.save("monitoring_reference", reference)
    catalog.save("monitoring_batch", batch)
    SequentialRunner().run(checks_pipeline(), catalog)
    return root


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
        for key in ("filepath", "path"):  # a partitioned dataset has a path
            if key in entry:
                entries[name][key] = str(root / entry[key])
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
