"""A real MLflow registry for tests: a SQLite database in a temporary folder, and
champions registered into it as the promotion gate registers them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pandas as pd

from loan_default.model.registry import (
    CHAMPION,
    MlflowModelRegistrationDataset,
    Registration,
    apply_pending_aliases,
    list_versions,
    registry_at,
)
from loan_default.model.scoring_model import ScoringModel

MODEL_NAME = "loan_default"


@contextmanager
def registry_database(folder: Path) -> Iterator[str]:
    """Point MLflow at ``folder/mlflow.db``; yield the experiment id."""
    with registry_at(f"sqlite:///{folder}/mlflow.db"):
        try:
            yield mlflow.create_experiment(
                MODEL_NAME, artifact_location=(folder / "mlartifacts").as_uri()
            )
        finally:
            if mlflow.active_run() is not None:
                mlflow.end_run()


def register(
    model: ScoringModel,
    example: pd.DataFrame,
    experiment: str,
    alias: str = CHAMPION,
    apply: bool = True,
) -> int:
    """Register ``model`` in one MLflow run; return its version."""
    dataset = MlflowModelRegistrationDataset(model_name=MODEL_NAME)
    with mlflow.start_run(experiment_id=experiment) as run:
        dataset.save(
            Registration(model, alias, example, {"algorithm": model.algorithm})
        )
        if apply:
            apply_pending_aliases(MODEL_NAME, run.info.run_id)
    return max(version.version for version in list_versions(MODEL_NAME))
