"""The ``mlflow.pyfunc`` loader of a registered champion.

A registered version holds the champion's verified folder (see ``artifact``) and an
``MLmodel`` file whose pyfunc flavor names this module as its ``loader_module``:
``mlflow.pyfunc.load_model("models:/loan_default@champion")`` imports the installed
package and calls ``_load_pyfunc``, which reads the folder through
``load_scoring_model``. No pickle and no code travel with the model: a version
whose files differ from their manifest is refused like a file on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from loan_default.model.artifact import load_scoring_model
from loan_default.model.scoring_model import ScoringModel


class ScoringModelPyfunc:
    """``predict`` for MLflow: raw applications in, the champion's scores out."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model

    def unwrap_python_model(self) -> ScoringModel:
        return self.model

    def predict(
        self, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        return self.model.score(model_input).scores


def _load_pyfunc(data_path: str) -> ScoringModelPyfunc:
    return ScoringModelPyfunc(load_scoring_model(Path(data_path)))
