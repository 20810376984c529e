"""Scoring of validated requests: the same typed frame, features and champion as
batch scoring, with everything that does not depend on the request prepared once.

The API scores an application on its own fields: it receives no previous
applications, so every applicant is scored as one without history (as batch scoring
does for an applicant absent from ``previous_application.csv``). The aggregates of
that empty history are computed once, at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from loan_default.api.explain import ReasonCodeExplainer
from loan_default.api.schemas import REQUEST_COLUMNS
from loan_default.api.settings import resolve_champion_file
from loan_default.champion import ChampionModel
from loan_default.features import (
    aggregate_previous_applications,
    build_applicant_features,
    clean_application,
    clean_previous_application,
)
from loan_default.schema import APPLICATION_ID, PREVIOUS_APPLICATION

# The request columns grouped as ``features`` conforms them: optional numbers as
# float64, required numbers (the key) as int64, text as string.
_TEXT_COLUMNS = [spec.name for spec in REQUEST_COLUMNS if spec.dtype == "string"]
_KEY_COLUMNS = [
    spec.name for spec in REQUEST_COLUMNS if spec.dtype != "string" and spec.required
]
_NUMBER_COLUMNS = [
    spec.name
    for spec in REQUEST_COLUMNS
    if spec.dtype != "string" and not spec.required
]


def application_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Validated request records as the conformed application table that feature
    building makes of a CSV holding the same values (absent fields are missing).

    Built a block at a time (one float64 matrix for the numbers), not a column at a
    time: for a few records, per-column pandas work is most of the cost of scoring.
    """
    # None becomes NaN in a float64 array, as an empty CSV cell does.
    numbers = np.array(
        [[record.get(name) for name in _NUMBER_COLUMNS] for record in records],
        dtype="float64",
    ).reshape(len(records), len(_NUMBER_COLUMNS))
    keys = np.array(
        [[record[name] for name in _KEY_COLUMNS] for record in records],
        dtype="int64",
    ).reshape(len(records), len(_KEY_COLUMNS))
    text = {
        name: pd.array([record.get(name) for record in records], dtype="string")
        for name in _TEXT_COLUMNS
    }
    frame = pd.concat(
        [
            pd.DataFrame(keys, columns=_KEY_COLUMNS),
            pd.DataFrame(numbers, columns=_NUMBER_COLUMNS),
            pd.DataFrame(text),
        ],
        axis=1,
    )
    return frame[[spec.name for spec in REQUEST_COLUMNS]]


class PredictionService:
    """Scores applications with a champion and explains each score."""

    def __init__(self, champion: ChampionModel, reason_codes: int) -> None:
        self.champion = champion
        self.reason_codes = reason_codes
        self._cleaning = champion.feature_parameters["cleaning"]
        self._features = champion.feature_parameters["features"]
        self._no_history = aggregate_previous_applications(
            clean_previous_application(
                pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names),
                self._cleaning,
            ),
            self._features,
        )
        self.explainer = ReasonCodeExplainer(
            champion.estimator, champion.transformer, champion.feature_names
        )

    def build_features(self, application: pd.DataFrame) -> pd.DataFrame:
        return build_applicant_features(
            clean_application(application, self._cleaning),
            self._no_history,
            self._features,
        )

    def predict(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One prediction per record, in order. Keys must be unique in ``records``."""
        features = self.build_features(application_frame(records))
        encoded = self.champion.encode(features)
        scores = self.champion.score(features, encoded)
        reasons = self.explainer.reason_codes(features, encoded, self.reason_codes)
        return [
            {
                APPLICATION_ID: int(key),
                "probability": float(probability),
                "decision": int(decision),
                "risk_decile": int(decile),
                "reason_codes": codes,
                "model_version": version,
            }
            for key, probability, decision, decile, version, codes in zip(
                scores[APPLICATION_ID].to_numpy(),
                scores["PROBABILITY"].to_numpy(),
                scores["DECISION"].to_numpy(),
                scores["RISK_DECILE"].to_numpy(),
                scores["MODEL_VERSION"].to_numpy(),
                reasons,
                strict=True,
            )
        ]

    def model_card(self) -> dict[str, Any]:
        """What GET /model answers: where the model came from and how it decides."""
        metadata = self.champion.metadata
        return {
            "model_version": self.champion.model_version,
            "algorithm": self.champion.algorithm,
            "estimator": metadata.get(
                "estimator", type(self.champion.estimator).__name__
            ),
            "operating_threshold": self.champion.threshold,
            "metrics_test": metadata.get("metrics_test", {}),
            "data_source": metadata.get("data_source"),
            "training_date": metadata.get("training_date"),
            "created_at": metadata.get("created_at"),
            "package_version": metadata.get("package_version"),
            "risk_decile_edges": list(self.champion.risk_decile_edges),
            "reason_code_method": self.explainer.method,
            "raw_fields": [spec.name for spec in REQUEST_COLUMNS],
            "features": self.explainer.sources,
            "encoded_features": self.champion.feature_names,
        }


def load_champion(model_path: Path) -> ChampionModel:
    """The champion saved at ``model_path`` (see ``resolve_champion_file``)."""
    path = resolve_champion_file(model_path)
    champion = joblib.load(path)
    if not isinstance(champion, ChampionModel):
        raise TypeError(
            f"{path}: expected a saved ChampionModel, found a {type(champion).__name__}"
        )
    return champion
