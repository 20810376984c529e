"""Small model inputs and algorithm blocks for the modelling nodes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from loan_default.schema import APPLICATION_ID, TARGET
from tests.pipelines.algorithms import SMALL_ALGORITHMS

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


MODELLING_OPTIONS = {"random_state": 42, "evaluation_threshold": 0.5}


@pytest.fixture(scope="session")
def model_inputs() -> dict[str, pd.DataFrame]:
    return make_model_inputs()


@pytest.fixture
def algorithms() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(SMALL_ALGORITHMS)
