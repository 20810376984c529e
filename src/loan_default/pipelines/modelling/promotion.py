"""The promotion gate and the run's record in MLflow.

The champion chosen among this run's algorithms is a *candidate*: it replaces the
registered champion only when it beats it, both scored here on this run's
validation split, by at least ``promotion.min_gain``. The first model ever is
promoted; any other candidate is registered as the challenger. The decision, with
its reason, is logged, saved beside the report and shown in it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

from loan_default.errors import ProjectError
from loan_default.model.registry import CHALLENGER, CHAMPION, Registration
from loan_default.model.scoring_model import ScoringModel
from loan_default.schema import TARGET

logger = logging.getLogger(__name__)

GATE_METRICS = {"AUC": roc_auc_score}
"""Metrics the gate can compare, all higher-is-better on the validation labels."""
_MAX_TAG_CHARACTERS = 5000


class PromotionConfigError(ProjectError, ValueError):
    """The ``promotion`` parameters are not usable."""


def _gate_options(promotion: dict[str, Any]) -> tuple[str, float]:
    metric = promotion.get("metric")
    margin = promotion.get("min_gain")
    if metric not in GATE_METRICS:
        raise PromotionConfigError(
            f"parameters promotion.metric: expected one of {sorted(GATE_METRICS)}, "
            f"got {metric!r}"
        )
    if (
        not isinstance(margin, int | float)
        or isinstance(margin, bool)
        or not math.isfinite(margin)
        or margin < 0
    ):
        raise PromotionConfigError(
            f"parameters promotion.min_gain: expected a number >= 0, got {margin!r}"
        )
    return metric, float(margin)


def _validation_score(
    model: ScoringModel,
    application_validation: pd.DataFrame,
    previous_application: pd.DataFrame,
    metric: str,
) -> float:
    probability = model.predict_proba(
        application_validation.drop(columns=[TARGET]), previous_application
    )
    return float(GATE_METRICS[metric](application_validation[TARGET], probability))


def decide_promotion(
    candidate: ScoringModel,
    incumbent: ScoringModel | None,
    application_validation: pd.DataFrame,
    previous_application_validated: pd.DataFrame,
    promotion: dict[str, Any],
) -> dict[str, Any]:
    """Whether ``candidate`` becomes the champion or the challenger, and why.

    Both models score the same raw validation applications, each through its own
    features, so a champion trained by an older version of the project is judged
    on exactly the candidate's data.
    """
    metric, margin = _gate_options(promotion)
    candidate_score = _validation_score(
        candidate, application_validation, previous_application_validated, metric
    )
    described = {
        "metric": metric,
        "min_gain": margin,
        "validation_rows": len(application_validation),
        "candidate": {
            "algorithm": candidate.algorithm,
            "model_version": candidate.model_version,
            "score": candidate_score,
        },
        "incumbent": None,
    }
    if incumbent is None:
        alias = CHAMPION
        reason = (
            f"first registered model: {candidate.algorithm} is promoted "
            f"(validation {metric} {candidate_score:.4f})"
        )
    else:
        incumbent_score = _validation_score(
            incumbent, application_validation, previous_application_validated, metric
        )
        version = incumbent.metadata.get("registered_version")
        described["incumbent"] = {
            "algorithm": incumbent.algorithm,
            "registered_version": version,
            "model_version": incumbent.model_version,
            "score": incumbent_score,
        }
        gain = candidate_score - incumbent_score
        described["gain"] = gain
        promoted = gain >= margin
        alias = CHAMPION if promoted else CHALLENGER
        verdict = "beats" if promoted else "does not beat"
        reason = (
            f"candidate {candidate.algorithm} (validation {metric} "
            f"{candidate_score:.4f}) {verdict} champion version {version} "
            f"({incumbent.algorithm}, {incumbent_score:.4f}) by the required "
            f"{margin:.4f}: gain {gain:+.4f}; it is registered as the {alias}"
        )
    log = logger.info if alias == CHAMPION else logger.warning
    log("Promotion gate: %s", reason)
    return {
        **described,
        "promoted": alias == CHAMPION,
        "alias": alias,
        "reason": reason,
    }


def tracked_metrics(evaluation_results: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every metric of evaluation_results.csv as ``<algorithm>.<metric>``, in
    kedro-mlflow's metrics format."""
    metrics = {}
    for row in evaluation_results.to_dict("records"):
        algorithm = row.pop("model")
        for metric, value in row.items():
            if isinstance(value, int | float) and math.isfinite(value):
                metrics[f"{algorithm}.{metric}"] = {"value": float(value), "step": 0}
    return metrics


def _flat(prefix: str, value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flat(f"{prefix}.{key}", item))
        return flat
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        flat = {}
        for item in value:
            name = item.get("file") or item.get("name") or str(len(flat))
            flat.update(_flat(f"{prefix}.{name}", item))
        return flat
    return {prefix: str(value)[:_MAX_TAG_CHARACTERS]}


def data_source_tags(data_source: dict[str, Any]) -> dict[str, str]:
    """The data the run trained on, as MLflow run tags: the generator's seed and
    size, or each raw file's SHA-256."""
    return _flat("data_source", data_source)


def registration_request(
    champion_model: ScoringModel,
    promotion_decision: dict[str, Any],
    application_validation: pd.DataFrame,
    data_source: dict[str, Any],
    registry: dict[str, Any],
) -> Registration:
    """The candidate, the alias it is due and what to record beside it."""
    rows = registry.get("input_example_rows")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise PromotionConfigError(
            "parameters registry.input_example_rows: expected an integer >= 1, "
            f"got {rows!r}"
        )
    example = application_validation.drop(columns=[TARGET]).head(rows)
    candidate = promotion_decision["candidate"]
    return Registration(
        model=champion_model,
        alias=promotion_decision["alias"],
        input_example=example.reset_index(drop=True),
        tags={
            "algorithm": champion_model.algorithm,
            "model_version": champion_model.model_version,
            f"validation_{promotion_decision['metric']}": candidate["score"],
            "promotion_reason": promotion_decision["reason"][:_MAX_TAG_CHARACTERS],
            **data_source_tags(data_source),
        },
    )
