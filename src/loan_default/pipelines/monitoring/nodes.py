"""Nodes of the monitoring pipeline: the scored batch against the training reference.

The measurements are the ``loan_default.monitoring`` library's; these nodes gather
its inputs from the catalog (reference, batch, contributions, the champion's test
metrics) and hand its results to the catalog's files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from loan_default.metrics import EVALUATION_COLUMNS
from loan_default.model.champion import SCORE_COLUMNS, ChampionModel
from loan_default.monitoring import (
    html_report,
    model_contributions,
    monitor_batch,
    prometheus_exposition,
    raise_on_act_alerts,
    sample_rows,
)
from loan_default.monitoring.alerts import ALERT_COLUMNS, SEVERITIES
from loan_default.schema import APPLICATION_ID

logger = logging.getLogger(__name__)

MODEL_VERSION = SCORE_COLUMNS[-1]
_OPERATING_PREFIX = "operating_"


def _with_scores(features: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Features and score columns side by side; the model version is no feature."""
    score_columns = [
        name for name in SCORE_COLUMNS if name not in (APPLICATION_ID, MODEL_VERSION)
    ]
    return pd.concat(
        [
            features.reset_index(drop=True),
            scores[score_columns].reset_index(drop=True),
        ],
        axis=1,
    )


def build_reference(
    applicant_features: pd.DataFrame,
    model_input_test: pd.DataFrame,
    champion_model: ChampionModel,
) -> pd.DataFrame:
    """The test applicants' features with the champion's scores.

    Test applicants, not training ones: the model never learnt from them, so their
    scores are what a new batch's should look like, and the champion's risk-decile
    edges were cut on them (each decile holds a tenth of the reference).
    """
    test_ids = model_input_test[APPLICATION_ID]
    reference = applicant_features.loc[
        applicant_features[APPLICATION_ID].isin(test_ids)
    ].reset_index(drop=True)
    if len(reference) != test_ids.nunique():
        raise ValueError(
            f"applicant_features holds {len(reference)} of the {test_ids.nunique()} "
            "test applicants of model_input_test: the two come from different runs; "
            "run `kedro run` again"
        )
    return _with_scores(reference, champion_model.score(reference))


def join_batch_scores(
    batch_features: pd.DataFrame,
    scores: pd.DataFrame,
    champion_model: ChampionModel,
) -> pd.DataFrame:
    """The scored batch: its features with its scores, checked to belong together."""
    feature_ids = batch_features[APPLICATION_ID].to_numpy()
    score_ids = scores[APPLICATION_ID].to_numpy()
    if len(feature_ids) != len(score_ids) or (feature_ids != score_ids).any():
        raise ValueError(
            f"batch_features ({len(feature_ids)} rows) and scores ({len(score_ids)} "
            "rows) do not hold the same applicants in the same order: they come "
            "from different scoring runs; run `kedro run --pipeline scoring` again"
        )
    versions = sorted(set(scores[MODEL_VERSION].astype(str)))
    if versions != [champion_model.model_version]:
        raise ValueError(
            f"the batch was scored by model version(s) {versions} but the champion "
            f"is {champion_model.model_version}: the score comparison would mix two "
            "models; run `kedro run --pipeline scoring` again"
        )
    return _with_scores(batch_features, scores)


def reference_performance(metadata: Mapping[str, Any]) -> dict[str, float]:
    """The champion's test metrics under the names the monitoring library uses.

    ``metrics_test`` is keyed by ``evaluation_results.csv``'s column names; threshold
    metrics are those at the operating threshold, as the batch's decisions are.
    """
    metrics_test = metadata.get("metrics_test", {})
    labels = {
        key: label
        for key, label in EVALUATION_COLUMNS.items()
        if not key.startswith(_OPERATING_PREFIX)
    }
    labels.update(
        {
            key.removeprefix(_OPERATING_PREFIX): label
            for key, label in EVALUATION_COLUMNS.items()
            if key.startswith(_OPERATING_PREFIX)
        }
    )
    return {
        name: float(metrics_test[label])
        for name, label in labels.items()
        if label in metrics_test
    }


def _contributions(
    champion_model: ChampionModel, features: pd.DataFrame, sampling: Mapping
) -> pd.DataFrame:
    sample = sample_rows(features, int(sampling["sample_rows"]), int(sampling["seed"]))
    encoded = champion_model.transformer.transform(sample)
    return model_contributions(
        champion_model.estimator, encoded[champion_model.feature_names]
    )


def monitor_scored_batch(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    champion_model: ChampionModel,
    monitoring: dict[str, Any],
) -> dict[str, Any]:
    """Every measurement of ``monitor_batch``, with the champion's contributions
    (when its estimator supports them) and test metrics as the reference."""
    contributions: dict[str, pd.DataFrame | None] = {
        "reference_contributions": None,
        "current_contributions": None,
    }
    try:
        for side, frame in (("reference", reference), ("current", current)):
            contributions[f"{side}_contributions"] = _contributions(
                champion_model, frame, monitoring["contributions"]
            )
    except TypeError as error:
        logger.warning("Importance stability and client profile skipped: %s", error)
        contributions = dict.fromkeys(contributions)
    results = monitor_batch(
        reference,
        current,
        monitoring,
        **contributions,
        reference_performance=reference_performance(champion_model.metadata),
        threshold=champion_model.threshold,
    )
    alerts = results["alerts"]
    counts = {s: int((alerts["severity"] == s).sum()) for s in SEVERITIES}
    logger.info(
        "Monitoring: %d batch rows against %d reference rows; %d act and %d watch "
        "alert(s)%s",
        results["batch_rows"],
        results["reference_rows"],
        counts["act"],
        counts["watch"],
        "; labelled: performance measured" if "performance" in results else "",
    )
    for alert in alerts.itertuples(index=False):
        log = logger.warning if alert.severity == "act" else logger.info
        log(
            "%s alert %s: %s = %.4g breaks %s",
            alert.severity,
            alert.name,
            alert.statistic,
            alert.observed,
            alert.rule,
        )
    return results


def _context(
    champion_model: ChampionModel, scoring_summary: Mapping[str, Any]
) -> dict[str, Any]:
    source = scoring_summary["batch_source"]
    batch = (
        f"file {source['path']} (sha256 {source['sha256'][:12]}...)"
        if source["kind"] == "file"
        else f"synthetic, seed {source['seed']}, drift {source['drift'] or 'none'}"
    )
    return {
        "model": f"{champion_model.algorithm} {champion_model.model_version}",
        "batch": batch,
        "rows_quarantined": scoring_summary["rows_quarantined"],
    }


def export_monitoring(
    results: dict[str, Any],
    champion_model: ChampionModel,
    scoring_summary: dict[str, Any],
    monitoring: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any], str, str]:
    """The metrics table, the alerts with their context, the HTML report and the
    Prometheus text."""
    context = _context(champion_model, scoring_summary)
    alerts = results["alerts"]
    alerts_document = {
        **context,
        "batch_rows": results["batch_rows"],
        "reference_rows": results["reference_rows"],
        "counts": {s: int((alerts["severity"] == s).sum()) for s in SEVERITIES},
        "alerts": alerts.to_dict(orient="records"),
    }
    return (
        results["metrics"],
        alerts_document,
        html_report(results, monitoring, context=context),
        prometheus_exposition(results["metrics"], alerts, results["batch_rows"]),
    )


def check_act_alerts(monitoring_alerts: dict[str, Any], fail_on_act: bool) -> None:
    """Fail the run on ``act`` alerts when ``fail_on_act`` is set.

    It reads the written alerts, which the node that writes the metrics, report and
    Prometheus file also writes: by the time it runs, the evidence is on disk and a
    scheduler sees the failure.
    """
    alerts = pd.DataFrame(monitoring_alerts["alerts"], columns=ALERT_COLUMNS)
    raise_on_act_alerts(alerts, bool(fail_on_act))
