"""Scoring of validated requests: the champion ``ScoringModel`` called on the
request's records, exactly as batch scoring calls it on a table.

The API scores an application on its own fields: it receives no previous
applications, so every applicant is scored as one without history (as batch scoring
does for an applicant absent from ``previous_application.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loan_default.api.schemas import REQUEST_COLUMNS
from loan_default.api.settings import ApiSettings, resolve_champion_file
from loan_default.model.artifact import load_scoring_model
from loan_default.model.registry import load_version, registry_at, resolve_model_uri
from loan_default.model.scoring_model import (
    DECISION,
    PROBABILITY,
    RISK_DECILE,
    ScoringModel,
)
from loan_default.schema import APPLICATION_ID


class PredictionService:
    """Scores applications with a champion and explains each score."""

    def __init__(
        self,
        champion: ScoringModel,
        reason_codes: int,
        large_batch_rows: int = ApiSettings.model_fields[
            "inline_batch_applications"
        ].default,
        large_batch_threads: int = 1,
    ) -> None:
        self.champion = champion
        self.reason_codes = reason_codes
        # An XGBoost champion scores batches above large_batch_rows on
        # large_batch_threads threads, smaller ones on one: starting threads costs
        # more than scoring a few rows.
        self._large_batch_rows = large_batch_rows
        self._large_batch_threads = large_batch_threads
        self._booster_threads = 0
        self._use_threads(1)
        # One application at start-up: checks the model end to end before the
        # service reports ready.
        self.predict([{APPLICATION_ID: 0}])

    def _use_threads(self, rows: int) -> None:
        threads = self._large_batch_threads if rows > self._large_batch_rows else 1
        booster = self.champion.booster
        if booster is not None and threads != self._booster_threads:
            booster.set_param({"nthread": threads})
            self._booster_threads = threads

    def predict(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One prediction per record, in order. Keys must be unique in ``records``."""
        self._use_threads(len(records))
        scored = self.champion.score(list(records), reason_codes=self.reason_codes)
        scores = scored.scores
        version = self.champion.model_version
        return [
            {
                APPLICATION_ID: int(key),
                "probability": float(probability),
                "decision": int(decision),
                "risk_decile": int(decile),
                "reason_codes": codes,
                "model_version": version,
            }
            for key, probability, decision, decile, codes in zip(
                scores[APPLICATION_ID].tolist(),
                scores[PROBABILITY].tolist(),
                scores[DECISION].tolist(),
                scores[RISK_DECILE].tolist(),
                scored.reason_codes,
                strict=True,
            )
        ]

    def model_card(self) -> dict[str, Any]:
        """What GET /model answers: where the model came from and how it decides."""
        metadata = self.champion.metadata
        return {
            "model_version": self.champion.model_version,
            "registered_model": metadata.get("registered_model"),
            "registered_version": metadata.get("registered_version"),
            "registered_aliases": metadata.get("registered_aliases", []),
            "algorithm": self.champion.algorithm,
            "estimator": metadata.get("estimator"),
            "operating_threshold": self.champion.threshold,
            "chosen_by": metadata.get("chosen_by"),
            "metrics_validation": metadata.get("metrics_validation", {}),
            "metrics_test": metadata.get("metrics_test", {}),
            "data_source": metadata.get("data_source"),
            "training_date": metadata.get("training_date"),
            "created_at": metadata.get("created_at"),
            "package_version": metadata.get("package_version"),
            "risk_decile_edges": list(self.champion.risk_decile_edges),
            "reason_code_method": self.champion.explainer.method,
            "raw_fields": [spec.name for spec in REQUEST_COLUMNS],
            "features": self.champion.explainer.sources,
            "encoded_features": self.champion.feature_names,
        }


def load_champion(settings: ApiSettings) -> ScoringModel:
    """The champion the settings designate: the saved folder at ``model_path``
    when given (see ``resolve_champion_file``), else the registered ``model_uri``."""
    if settings.model_path is not None:
        return load_scoring_model(resolve_champion_file(settings.model_path))
    with registry_at(settings.registry_uri):
        return load_version(resolve_model_uri(settings.model_uri))
