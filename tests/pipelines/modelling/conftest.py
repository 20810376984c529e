"""Small model inputs, small algorithm blocks and a runner over the real catalog."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from sklearn.datasets import make_classification

from loan_default.pipelines.modelling import create_pipeline
from loan_default.schema import APPLICATION_ID, TARGET

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CATALOG_FILE = PROJECT_ROOT / "conf" / "base" / "catalog_modelling.yml"


def make_model_inputs(
    n_rows: int = 3_000, n_features: int = 12, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Train / validation / test frames as data engineering writes them (~8% TARGET)."""
    features, target = make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=5,
        weights=[0.92],
        flip_y=0.02,
        class_sep=0.8,
        random_state=seed,
    )
    frame = pd.DataFrame(features, columns=[f"FEATURE_{i}" for i in range(n_features)])
    frame.insert(0, TARGET, target.astype("int64"))
    frame.insert(0, APPLICATION_ID, np.arange(100_000, 100_000 + n_rows))
    train_end, validation_end = int(n_rows * 0.6), int(n_rows * 0.8)
    return {
        "train": frame.iloc[:train_end].reset_index(drop=True),
        "validation": frame.iloc[train_end:validation_end].reset_index(drop=True),
        "test": frame.iloc[validation_end:].reset_index(drop=True),
    }


SMALL_ALGORITHMS: dict[str, dict[str, Any]] = {
    "xgboost": {
        "estimator": "xgboost.XGBClassifier",
        "hyperparameters": {
            "tree_method": "hist",
            "n_estimators": 200,
            "learning_rate": 0.1,
            "max_depth": 3,
            "eval_metric": "auc",
            # One thread: OpenMP threads crawl on a busy machine.
            "n_jobs": 1,
        },
        "class_imbalance": "scale_pos_weight",
        "early_stopping_rounds": 10,
        "search": {"method": "none"},
    },
    "random_forest": {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        # Two threads: their summing order must not change the probabilities.
        "hyperparameters": {"n_estimators": 20, "min_samples_leaf": 10, "n_jobs": 2},
        "class_imbalance": "balanced_subsample",
        "search": {"method": "none"},
    },
    "decision_tree": {
        "estimator": "sklearn.tree.DecisionTreeClassifier",
        "hyperparameters": {"max_depth": 4, "min_samples_leaf": 20},
        "class_imbalance": "balanced",
    },
}

MODELLING_OPTIONS = {"random_state": 42, "evaluation_threshold": 0.5}


@pytest.fixture(scope="session")
def model_inputs() -> dict[str, pd.DataFrame]:
    return make_model_inputs()


@pytest.fixture
def algorithms() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(SMALL_ALGORITHMS)


def project_catalog_config(data_dir: Path) -> dict[str, Any]:
    """The project's modelling catalog, writing under ``data_dir`` instead of data/."""
    text = CATALOG_FILE.read_text(encoding="utf-8")
    return yaml.safe_load(text.replace("data/", f"{data_dir.as_posix()}/"))


def build_catalog(
    inputs: dict[str, pd.DataFrame],
    algorithms: dict[str, dict[str, Any]],
    data_dir: Path,
    modelling_options: dict[str, Any] | None = None,
    catalog_class: type = DataCatalog,
) -> Any:
    catalog = catalog_class.from_config(project_catalog_config(data_dir))
    for split, frame in inputs.items():
        catalog[f"model_input_{split}"] = MemoryDataset(frame)
    catalog["params:modelling"] = MemoryDataset(
        modelling_options or dict(MODELLING_OPTIONS)
    )
    for name, block in algorithms.items():
        catalog[f"params:algorithms.{name}"] = MemoryDataset(block)
    return catalog


def run_modelling(
    inputs: dict[str, pd.DataFrame],
    algorithms: dict[str, dict[str, Any]],
    data_dir: Path,
    *,
    runner: Any = None,
    catalog_class: type = DataCatalog,
    modelling_options: dict[str, Any] | None = None,
) -> Any:
    """Run the modelling pipeline for ``algorithms``; return the catalog to load from."""
    catalog = build_catalog(
        inputs, algorithms, data_dir, modelling_options, catalog_class
    )
    (runner or SequentialRunner()).run(create_pipeline(list(algorithms)), catalog)
    return catalog
