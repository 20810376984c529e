"""Scoring of validated requests: the same typed frame, features and champion as
batch scoring, with everything that does not depend on the request prepared once.

The API scores an application on its own fields: it receives no previous
applications, so every applicant is scored as one without history (as batch scoring
does for an applicant absent from ``previous_application.csv``). The aggregates of
that empty history are computed once, at start-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from loan_default.api.schemas import REQUEST_COLUMNS
from loan_default.api.settings import ApiSettings, resolve_champion_file
from loan_default.features import (
    ANOMALY_SUFFIX,
    HAS_PREVIOUS_APPLICATION,
    SENTINEL_COLUMNS,
    aggregate_previous_applications,
    build_applicant_features,
    clean_application,
    clean_previous_application,
    engineered_features,
    sentinel_to_missing,
)
from loan_default.model.champion import ChampionModel
from loan_default.model.explanations import ReasonCodeExplainer
from loan_default.model.xgboost_adapter import xgboost_booster, xgboost_matrix
from loan_default.schema import (
    APPLICATION_ID,
    MISSING_CATEGORY,
    PREVIOUS_APPLICATION,
)

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


_ABSENT_RECORD = dict.fromkeys(spec.name for spec in REQUEST_COLUMNS)
_number_values = itemgetter(*_NUMBER_COLUMNS)
_key_values = itemgetter(*_KEY_COLUMNS)


def _float_matrix(rows: Sequence[tuple], width: int) -> np.ndarray:
    """Rows of numbers and None as a float64 matrix, None as NaN."""
    nan = math.nan
    return np.fromiter(
        (nan if value is None else value for value in chain.from_iterable(rows)),
        dtype="float64",
        count=len(rows) * width,
    ).reshape(len(rows), width)


def _request_arrays(
    records: Sequence[Mapping[str, Any]],
) -> tuple[np.ndarray, np.ndarray, dict[str, list]]:
    """The keys (int64) and numbers (float64) of the records as matrices with the
    columns ``_KEY_COLUMNS`` and ``_NUMBER_COLUMNS``, and each text column's values."""
    # One tuple per record, read by C getters: a lookup per value in Python was
    # most of the cost of a thousand applications. None is NaN, as an empty CSV cell.
    try:
        number_rows = [_number_values(record) for record in records]
    except KeyError:  # validated requests carry every field; other callers may not
        records = [{**_ABSENT_RECORD, **record} for record in records]
        number_rows = [_number_values(record) for record in records]
    numbers = _float_matrix(number_rows, len(_NUMBER_COLUMNS))
    keys = np.array([_key_values(record) for record in records], dtype="int64").reshape(
        len(records), len(_KEY_COLUMNS)
    )
    text = {name: [record[name] for record in records] for name in _TEXT_COLUMNS}
    return keys, numbers, text


def application_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Validated request records as the conformed application table that feature
    building makes of a CSV holding the same values (absent fields are missing),
    built a block at a time (one float64 matrix for the numbers)."""
    keys, numbers, text = _request_arrays(records)
    frame = pd.concat(
        [
            pd.DataFrame(keys, columns=_KEY_COLUMNS),
            pd.DataFrame(numbers, columns=_NUMBER_COLUMNS),
            pd.DataFrame(
                {
                    name: pd.array(values, dtype="string")
                    for name, values in text.items()
                }
            ),
        ],
        axis=1,
    )
    return frame[[spec.name for spec in REQUEST_COLUMNS]]


class PredictionService:
    """Scores applications with a champion and explains each score.

    ``predict`` builds features and the model input on arrays, one per column,
    without pandas frames: for the few records of a request, per-column pandas work
    was most of the cost. ``predict_with_frames`` does the same through batch
    scoring's frames; the tests hold the two to identical answers.
    """

    def __init__(
        self,
        champion: ChampionModel,
        reason_codes: int,
        large_batch_rows: int = ApiSettings.inline_batch_applications,
        large_batch_threads: int = 1,
    ) -> None:
        self.champion = champion
        self.reason_codes = reason_codes
        # An XGBoost champion scores batches above large_batch_rows on
        # large_batch_threads threads, smaller ones on one.
        self._large_batch_rows = large_batch_rows
        self._large_batch_threads = large_batch_threads
        self._booster = xgboost_booster(champion.estimator)
        self._booster_threads = 0
        self._use_threads(1)
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
        # One application through the general path: checks the parameters, and
        # gives the history features of an applicant without history.
        probe = self.build_features(application_frame([{APPLICATION_ID: 0}]))
        self._without_history = {
            name: _scalar(probe[name])
            for name in [*self._no_history.columns, HAS_PREVIOUS_APPLICATION]
            if name != APPLICATION_ID
        }
        self._in_estimator_order = (
            list(champion.transformer.feature_names_out_) == champion.feature_names
        )
        self._dropped = list(self._cleaning["drop_columns"])

    def build_features(self, application: pd.DataFrame) -> pd.DataFrame:
        return build_applicant_features(
            clean_application(application, self._cleaning),
            self._no_history,
            self._features,
        )

    def feature_arrays(
        self, records: Sequence[Mapping[str, Any]]
    ) -> dict[str, np.ndarray]:
        """What ``build_features`` makes of the records, as one array per column:
        numbers float64 (NaN missing), text object (None missing)."""
        keys, numbers, text = _request_arrays(records)
        values: dict[str, np.ndarray] = dict(zip(_KEY_COLUMNS, keys.T, strict=True))
        values.update(zip(_NUMBER_COLUMNS, numbers.T, strict=True))
        for name, items in text.items():
            values[name] = np.array(
                [None if item == MISSING_CATEGORY else item for item in items],
                dtype=object,
            )
        for spec in SENTINEL_COLUMNS:  # as clean_application: value and flag
            values[spec.name], values[spec.name + ANOMALY_SUFFIX] = sentinel_to_missing(
                values[spec.name], spec.sentinel
            )
        for name in self._dropped:
            del values[name]
        values.update(engineered_features(values))
        for name, value in self._without_history.items():
            values[name] = np.full(len(records), value, dtype=_dtype_of(value))
        return values

    def _use_threads(self, rows: int) -> None:
        threads = self._large_batch_threads if rows > self._large_batch_rows else 1
        if self._booster is not None and threads != self._booster_threads:
            self._booster.set_param({"nthread": threads})
            self._booster_threads = threads

    def predict(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One prediction per record, in order. Keys must be unique in ``records``."""
        self._use_threads(len(records))
        values = self.feature_arrays(records)
        matrix = self.champion.transformer.transform_arrays(values, len(records))
        if self._in_estimator_order:
            encoded = pd.DataFrame(
                matrix, columns=self.explainer.feature_index, copy=False
            )
        else:
            encoded = self.champion.select_features(
                pd.DataFrame(
                    matrix,
                    columns=self.champion.transformer.feature_names_out_,
                    copy=False,
                )
            )
        return self._predictions(values[APPLICATION_ID], encoded, values)

    def predict_with_frames(
        self, records: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """``predict`` through the frames batch scoring builds."""
        features = self.build_features(application_frame(records))
        encoded = self.champion.encode(features)
        return self._predictions(features[APPLICATION_ID].to_numpy(), encoded, features)

    def _predictions(
        self, keys: np.ndarray, encoded: pd.DataFrame, features: Any
    ) -> list[dict[str, Any]]:
        # What ChampionModel.score answers, without building its frame.
        # XGBoost reads one matrix for the probabilities and the reason codes.
        matrix = xgboost_matrix(self.champion.estimator, encoded)
        probabilities = self.champion.predict_proba_encoded(encoded, matrix)
        reasons = self.explainer.reason_codes(
            features, encoded, self.reason_codes, matrix
        )
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
                keys,
                probabilities,
                self.champion.decisions(probabilities),
                self.champion.risk_deciles(probabilities),
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


def _scalar(column: pd.Series) -> float | str | None:
    """The one value of a one-row column: a float, or text (None when missing)."""
    value = column.iloc[0]
    if pd.api.types.is_float_dtype(column.dtype):
        return float(value)
    return None if pd.isna(value) else str(value)


def _dtype_of(value: float | str | None) -> str:
    return "float64" if isinstance(value, float) else "object"


def load_champion(model_path: Path) -> ChampionModel:
    """The champion saved at ``model_path`` (see ``resolve_champion_file``)."""
    path = resolve_champion_file(model_path)
    champion = joblib.load(path)
    if not isinstance(champion, ChampionModel):
        raise TypeError(
            f"{path}: expected a saved ChampionModel, found a {type(champion).__name__}"
        )
    return champion
