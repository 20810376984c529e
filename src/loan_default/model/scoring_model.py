"""The one inference object: raw applications in; probability, decision, risk decile
and reason codes out.

``ScoringModel`` holds every fitted part a decision needs, so that nothing can pair
an estimator with the wrong preprocessing or threshold: the feature parameters
(cleaning and features, as training used them), the fitted feature transformer
(only ever applied), the fitted estimator with its calibration, the operating
threshold and the risk-decile edges. Modelling fits the parts; evaluation, batch
scoring and the API call this object, and nothing else scores.

``artifact.ScoringModelDataset`` saves it as files that load without running code,
and writes the run's version into its metadata, so that every score carries the
version of the files that made it.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd
import xgboost

from loan_default.features import (
    Columns,
    FeatureTransformer,
    Records,
    columns_frame,
    feature_columns,
    frame_columns,
    history_aggregates,
)
from loan_default.model.calibration import PriorCorrectedClassifier, prior_correction
from loan_default.model.explanations import ReasonCodeExplainer
from loan_default.model.xgboost_adapter import (
    iteration_range,
    xgboost_booster,
    xgboost_matrix,
)
from loan_default.schema import APPLICATION_ID

N_RISK_DECILES = 10
PROBABILITY = "PROBABILITY"
DECISION = "DECISION"
RISK_DECILE = "RISK_DECILE"
MODEL_VERSION = "MODEL_VERSION"
SCORE_COLUMNS = [APPLICATION_ID, PROBABILITY, DECISION, RISK_DECILE, MODEL_VERSION]
"""The columns of ``ScoringModel.score``, in order (then any reason columns)."""
REASON_PREFIX = "REASON_"
STATEMENT_SUFFIX = "_STATEMENT"

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


@dataclasses.dataclass(frozen=True)
class Scored:
    """What one scoring call gives: the applicant features it built, the scores
    (``SCORE_COLUMNS``) and, per applicant, its reason codes."""

    features: Columns
    scores: pd.DataFrame
    reason_codes: list[list[dict[str, Any]]]


@dataclasses.dataclass(frozen=True)
class ScoringModel:
    """A fitted feature path and estimator with the decision rule they are used with.

    ``metadata`` holds at least ``algorithm`` and ``model_version``. ``threshold``
    and ``risk_decile_edges`` are set from validation scores by modelling
    (``with_decision_rule``); a model without them gives probabilities only.
    ``reason_statements`` maps each source feature to the sentence its reason code
    is sent with (``reason_statements.resolve_statements``).
    """

    transformer: FeatureTransformer
    estimator: Any
    feature_parameters: dict[str, Any]
    threshold: float | None = None
    risk_decile_edges: tuple[float, ...] | None = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    reason_statements: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = {"cleaning", "features"} - set(self.feature_parameters)
        if missing:
            raise ValueError(f"feature_parameters lacks {sorted(missing)}")
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ValueError(
                f"the operating threshold must lie in [0, 1]; got {self.threshold}"
            )
        if (
            self.risk_decile_edges is not None
            and len(self.risk_decile_edges) != N_RISK_DECILES - 1
        ):
            raise ValueError(
                f"risk deciles need {N_RISK_DECILES - 1} edges; "
                f"got {len(self.risk_decile_edges)}"
            )

    def __getstate__(self) -> dict[str, Any]:
        # The fields only: the cached helpers are rebuilt after loading.
        return {
            field.name: getattr(self, field.name) for field in dataclasses.fields(self)
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    # --- identity --------------------------------------------------------------------

    @property
    def model_version(self) -> str:
        return str(self.metadata.get("model_version"))

    @property
    def algorithm(self) -> str:
        return str(self.metadata.get("algorithm"))

    @property
    def feature_names(self) -> list[str]:
        """The estimator's input columns, in order."""
        return list(self.transformer.feature_names_out_)

    def with_metadata(self, **metadata: Any) -> ScoringModel:
        """A copy with ``metadata`` added (shares the fitted parts)."""
        return dataclasses.replace(self, metadata={**self.metadata, **metadata})

    def with_decision_rule(
        self, threshold: float, reference_scores: Any
    ) -> ScoringModel:
        """A copy deciding at ``threshold``, with risk deciles cut on
        ``reference_scores`` (each decile holds a tenth of them)."""
        return dataclasses.replace(
            self,
            threshold=float(threshold),
            risk_decile_edges=risk_decile_edges(reference_scores),
        )

    # --- the feature path ----------------------------------------------------------

    @functools.cached_property
    def _no_history(self) -> Columns:
        """The aggregates of an empty history, computed once."""
        parameters = self.feature_parameters
        return frame_columns(
            history_aggregates(None, parameters["cleaning"], parameters["features"])
        )

    def feature_columns(
        self,
        application: pd.DataFrame | Records,
        previous_application: pd.DataFrame | None = None,
    ) -> Columns:
        """Applicant features of raw applications, as training built them.

        ``application``: raw rows in ``application_data.csv``'s schema (TARGET
        optional), as a DataFrame or as validated records. ``previous_application``:
        their earlier applications (None: no applicant has any on record).
        """
        cleaning = self.feature_parameters["cleaning"]
        features = self.feature_parameters["features"]
        if previous_application is None or len(previous_application) == 0:
            aggregates = self._no_history
        else:
            # Only the history of the applicants scored is aggregated.
            scored = (
                application[APPLICATION_ID]
                if isinstance(application, pd.DataFrame)
                else [record[APPLICATION_ID] for record in application]
            )
            own = previous_application[APPLICATION_ID].isin(scored)
            aggregates = history_aggregates(
                previous_application.loc[own], cleaning, features
            )
        return feature_columns(application, aggregates, cleaning, features)

    def features(
        self,
        application: pd.DataFrame | Records,
        previous_application: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``feature_columns`` as a table (batch scoring keeps it for monitoring)."""
        return columns_frame(self.feature_columns(application, previous_application))

    def encode(self, features: pd.DataFrame | Columns) -> pd.DataFrame:
        """The estimator's input: applicant features through the fitted
        transformer (its columns are the estimator's, in order)."""
        return self.transformer.transform(features)

    # --- the estimator -------------------------------------------------------------

    @functools.cached_property
    def booster(self) -> xgboost.Booster | None:
        """The XGBoost booster of the estimator, read directly for speed; None for
        other estimators."""
        return xgboost_booster(self.estimator)

    def _probability(
        self, encoded: pd.DataFrame, matrix: xgboost.DMatrix | None
    ) -> np.ndarray:
        if len(encoded) == 0:
            return np.empty(0, dtype="float64")
        if matrix is not None and self._reads_booster:
            # What XGBClassifier.predict_proba answers, bit for bit (tested),
            # without its wrapper's per-call costs.
            core = self._core_estimator
            positive = np.asarray(
                self.booster.predict(
                    matrix,
                    iteration_range=iteration_range(core),
                    validate_features=False,
                ),
                dtype="float64",
            )
            if isinstance(self.estimator, PriorCorrectedClassifier):
                positive = prior_correction(positive, self.estimator.positive_weight)
            return positive
        if isinstance(self._core_estimator, xgboost.XGBModel):
            encoded = encoded.to_numpy(dtype="float64")
        return np.asarray(self.estimator.predict_proba(encoded), dtype="float64")[:, 1]

    @functools.cached_property
    def _core_estimator(self) -> Any:
        if isinstance(self.estimator, PriorCorrectedClassifier):
            return self.estimator.estimator
        return self.estimator

    @functools.cached_property
    def _reads_booster(self) -> bool:
        core = self._core_estimator
        return (
            isinstance(core, xgboost.XGBClassifier)
            and core.objective == "binary:logistic"
        )

    @functools.cached_property
    def explainer(self) -> ReasonCodeExplainer:
        """Exact per-applicant contributions grouped by source feature."""
        return ReasonCodeExplainer(
            self.estimator,
            self.transformer,
            self.feature_names,
            exact=True,
            statements=self.reason_statements,
        )

    # --- scoring -------------------------------------------------------------------

    def predict_proba(
        self,
        application: pd.DataFrame | Records,
        previous_application: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """Probability of default of each raw application."""
        encoded = self.encode(self.feature_columns(application, previous_application))
        return self._probability(encoded, xgboost_matrix(self.estimator, encoded))

    def score(
        self,
        application: pd.DataFrame | Records,
        previous_application: pd.DataFrame | None = None,
        reason_codes: int = 0,
    ) -> Scored:
        """Features, scores and up to ``reason_codes`` reason codes per raw
        application, in the order given.

        ``DECISION`` is 1 when the applicant is flagged as a likely default, that is
        when ``PROBABILITY >= threshold``; ``RISK_DECILE`` 10 is the riskiest.
        """
        if self.threshold is None or self.risk_decile_edges is None:
            raise ValueError(
                f"the {self.algorithm} model has no decision rule yet: modelling "
                "sets the operating threshold and risk deciles from validation scores"
            )
        features = self.feature_columns(application, previous_application)
        encoded = self.encode(features)
        # XGBoost reads one matrix for the probabilities and the reason codes.
        matrix = xgboost_matrix(self.estimator, encoded)
        probability = self._probability(encoded, matrix)
        scores = pd.DataFrame(
            {
                APPLICATION_ID: features[APPLICATION_ID],
                PROBABILITY: probability,
                DECISION: self.decisions(probability),
                RISK_DECILE: assign_risk_deciles(probability, self.risk_decile_edges),
                MODEL_VERSION: self.model_version,
            },
            columns=SCORE_COLUMNS,
        )
        reasons = (
            self.explainer.reason_codes(features, encoded, reason_codes, matrix)
            if reason_codes > 0
            else [[] for _ in range(len(scores))]
        )
        return Scored(features=features, scores=scores, reason_codes=reasons)

    def decisions(self, probability: np.ndarray) -> np.ndarray:
        """1 where the applicant is flagged as a likely default, else 0."""
        return (probability >= self.threshold).astype("int64")


def reason_columns(reason_codes: list[list[dict[str, Any]]], top: int) -> pd.DataFrame:
    """Reason codes as ``REASON_1`` .. ``REASON_<top>`` columns of feature names,
    then ``REASON_1_STATEMENT`` .. of their statements (missing where an applicant
    has fewer reasons), for tables of scores."""

    def column(key: str, rank: int) -> pd.api.extensions.ExtensionArray:
        return pd.array(
            [
                reasons[rank].get(key) if rank < len(reasons) else None
                for reasons in reason_codes
            ],
            dtype="string",
        )

    return pd.DataFrame(
        {
            **{
                f"{REASON_PREFIX}{rank + 1}": column("feature", rank)
                for rank in range(top)
            },
            **{
                f"{REASON_PREFIX}{rank + 1}{STATEMENT_SUFFIX}": column(
                    "statement", rank
                )
                for rank in range(top)
            },
        }
    )
