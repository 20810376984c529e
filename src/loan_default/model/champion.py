"""The champion model: the one artifact batch scoring and the API load.

``ChampionModel`` bundles everything a decision needs, so that scoring can never pair
an estimator with the wrong preprocessing or threshold: the fitted feature transformer
(only ever applied, never refitted), the fitted estimator, the operating threshold,
the risk-decile edges of the reference (test) scores and metadata describing where
the model came from.

``ChampionModelDataset`` saves it with joblib and writes the run's version string
into its metadata, so that every score carries the version of the file that made it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import xgboost
from kedro.io.core import generate_timestamp
from kedro_datasets.pickle import PickleDataset

from loan_default.features import build_features
from loan_default.model.calibration import (
    PriorCorrectedClassifier,
    prior_correction,
    unwrap_prior_correction,
)
from loan_default.model.xgboost_adapter import iteration_range, xgboost_matrix
from loan_default.schema import APPLICATION_ID, PREVIOUS_APPLICATION

N_RISK_DECILES = 10
SCORE_COLUMNS = [
    APPLICATION_ID,
    "PROBABILITY",
    "DECISION",
    "RISK_DECILE",
    "MODEL_VERSION",
]
"""The columns of ``ChampionModel.score``, in order."""

_MAX_EXAMPLES = 5


def risk_decile_edges(reference_scores: Any) -> tuple[float, ...]:
    """The nine inner edges that split ``reference_scores`` into ten equal groups."""
    scores = np.asarray(reference_scores, dtype="float64")
    if scores.ndim != 1 or scores.size == 0 or np.isnan(scores).any():
        raise ValueError(
            "reference scores for the risk deciles must be a non-empty 1-D array "
            f"without NaN; got shape {scores.shape} with {int(np.isnan(scores).sum())} NaN"
        )
    quantiles = np.arange(1, N_RISK_DECILES) / N_RISK_DECILES
    return tuple(float(edge) for edge in np.quantile(scores, quantiles))


def assign_risk_deciles(scores: Any, edges: tuple[float, ...]) -> np.ndarray:
    """Risk decile 1..10 of each score, 10 the riskiest.

    A score equal to an edge goes to the upper decile, as ``probability >= edge``.
    """
    if len(edges) != N_RISK_DECILES - 1:
        raise ValueError(
            f"risk deciles need {N_RISK_DECILES - 1} edges; got {len(edges)}"
        )
    positions = np.searchsorted(np.asarray(edges), np.asarray(scores), side="right")
    return (positions + 1).astype("int64")


def estimator_input(estimator: Any, encoded: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    """What to hand ``estimator``: a plain matrix for XGBoost models, whose
    DataFrame route costs tens of milliseconds of per-column checks and gives the
    same probabilities (``encoded`` is already in the training column order); the
    frame itself otherwise, as scikit-learn checks the feature names it was fitted
    with."""
    if isinstance(unwrap_prior_correction(estimator), xgboost.XGBModel):
        return encoded.to_numpy(dtype="float64")
    return encoded


@dataclasses.dataclass(frozen=True)
class ChampionModel:
    """A fitted transformer and estimator with the decision rule they are used with.

    ``metadata`` holds at least ``model_version``, ``algorithm`` and
    ``feature_names`` (the estimator's input columns, in order).
    """

    transformer: Any
    estimator: Any
    threshold: float
    risk_decile_edges: tuple[float, ...]
    metadata: dict[str, Any]
    # The cleaning and features parameters the model was trained with, so that
    # scoring and the API build features exactly as training did.
    feature_parameters: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"cleaning": {}, "features": {}}
    )

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 1:
            raise ValueError(
                f"the operating threshold must lie in [0, 1]; got {self.threshold}"
            )
        missing = {"model_version", "algorithm", "feature_names"} - set(self.metadata)
        if missing:
            raise ValueError(f"champion metadata lacks {sorted(missing)}")
        if len(self.risk_decile_edges) != N_RISK_DECILES - 1:
            raise ValueError(
                f"risk deciles need {N_RISK_DECILES - 1} edges; "
                f"got {len(self.risk_decile_edges)}"
            )

    @property
    def model_version(self) -> str:
        return str(self.metadata["model_version"])

    @property
    def algorithm(self) -> str:
        return str(self.metadata["algorithm"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["feature_names"])

    def with_model_version(self, model_version: str) -> ChampionModel:
        """A copy stamped with ``model_version`` (shares the fitted objects)."""
        return dataclasses.replace(
            self, metadata={**self.metadata, "model_version": model_version}
        )

    def encode(self, features: pd.DataFrame) -> pd.DataFrame:
        """The estimator's input: ``build_features`` output through the transformer,
        in the estimator's column order."""
        return self.select_features(self.transformer.transform(features))

    def select_features(self, transformed: pd.DataFrame) -> pd.DataFrame:
        """The transformer's output in the estimator's column order."""
        names = self.feature_names
        if list(transformed.columns) == names:
            return transformed
        missing = [name for name in names if name not in transformed]
        if missing:
            raise ValueError(
                f"the feature transformer's output lacks {len(missing)} columns the "
                f"{self.algorithm} estimator was trained on, e.g. "
                f"{missing[:_MAX_EXAMPLES]}"
            )
        return transformed[names]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of default of each row of ``build_features`` output."""
        if len(features) == 0:
            return np.empty(0, dtype="float64")
        return self.predict_proba_encoded(self.encode(features))

    def predict_proba_encoded(
        self, encoded: pd.DataFrame, matrix: xgboost.DMatrix | None = None
    ) -> np.ndarray:
        """Probability of default of each row of ``encode`` output. ``matrix``:
        ``xgboost_matrix(self.estimator, encoded)``, when the caller has built it."""
        if len(encoded) == 0:
            return np.empty(0, dtype="float64")
        model = unwrap_prior_correction(self.estimator)
        if isinstance(model, xgboost.XGBClassifier) and model.objective == (
            "binary:logistic"
        ):
            if matrix is None:
                matrix = xgboost_matrix(model, encoded)
            if matrix is not None:
                # What XGBClassifier.predict_proba answers, bit for bit (tested),
                # without its wrapper's per-call costs.
                positive = np.asarray(
                    model.get_booster().predict(
                        matrix,
                        iteration_range=iteration_range(model),
                        validate_features=False,
                    ),
                    dtype="float64",
                )
                if isinstance(self.estimator, PriorCorrectedClassifier):
                    positive = prior_correction(
                        positive, self.estimator.positive_weight
                    )
                return positive
        probability = self.estimator.predict_proba(
            estimator_input(self.estimator, encoded)
        )
        return np.asarray(probability, dtype="float64")[:, 1]

    def build_features(
        self,
        application: pd.DataFrame,
        previous_application: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Features of validated raw applications, as training built them."""
        if previous_application is None:
            previous_application = pd.DataFrame(
                columns=PREVIOUS_APPLICATION.column_names
            )
        return build_features(
            application,
            previous_application,
            self.feature_parameters["cleaning"],
            self.feature_parameters["features"],
        )

    def score_applications(
        self,
        application: pd.DataFrame,
        previous_application: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``score`` of validated raw applications (and their earlier applications)."""
        return self.score(self.build_features(application, previous_application))

    def decisions(self, probability: np.ndarray) -> np.ndarray:
        """1 where the applicant is flagged as a likely default, else 0."""
        return (probability >= self.threshold).astype("int64")

    def risk_deciles(self, probability: Any) -> np.ndarray:
        return assign_risk_deciles(probability, self.risk_decile_edges)

    def score(
        self, features: pd.DataFrame, encoded: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """One row per applicant: probability, decision, risk decile and version.

        ``DECISION`` is 1 when the applicant is flagged as a likely default, that is
        when ``PROBABILITY >= threshold``. ``encoded``: ``encode(features)``, when
        the caller has it already (the API explains the scores with it too).
        """
        if APPLICATION_ID not in features:
            raise ValueError(
                f"features to score must carry the applicant key {APPLICATION_ID}; "
                f"got columns {list(features.columns)[:_MAX_EXAMPLES]}..."
            )
        if encoded is None:
            probability = self.predict_proba(features)
        elif len(encoded) != len(features):
            raise ValueError(
                f"{len(encoded)} encoded rows for {len(features)} rows of features"
            )
        else:
            probability = self.predict_proba_encoded(encoded)
        return pd.DataFrame(
            {
                APPLICATION_ID: features[APPLICATION_ID].to_numpy(),
                "PROBABILITY": probability,
                "DECISION": self.decisions(probability),
                "RISK_DECILE": self.risk_deciles(probability),
                "MODEL_VERSION": self.model_version,
            },
            columns=SCORE_COLUMNS,
        )


class ChampionModelDataset(PickleDataset):
    """``PickleDataset`` for a ``ChampionModel`` that stamps the run's version on save.

    With ``versioned: true`` the version is the folder the file is saved in (the
    run's timestamp), so a score's ``MODEL_VERSION`` names the exact file that made
    it. Unversioned, a fresh timestamp is used.
    """

    def save(self, data: ChampionModel) -> None:
        if not isinstance(data, ChampionModel):
            raise TypeError(
                f"{self._filepath} holds a ChampionModel; got {type(data).__name__}"
            )
        version = self.resolve_save_version() or generate_timestamp()
        # The unwrapped parent save: this method is already wrapped by Kedro's
        # versioning, and wrapping twice would resolve the version twice.
        PickleDataset.save.__wrapped__(self, data.with_model_version(version))
