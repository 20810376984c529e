"""Nodes of the monitoring pipeline: the scored batch against the training reference.

One node per check, each writing its own dataset, so that Kedro-Viz shows the checks
and each can be rerun alone (``kedro run --pipelines monitoring --from-nodes ...``).
The measurements are the ``loan_default.monitoring`` library's; these nodes pick the
columns and parameters each check reads and hand its result to the catalog.

``reference`` and ``batch`` are scored feature frames: features, maybe ``TARGET``,
and the score columns named in ``params:monitoring.score_columns``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from kedro.io.core import generate_timestamp

from loan_default.features import columns_frame
from loan_default.metrics import EVALUATION_COLUMNS
from loan_default.model.scoring_model import SCORE_COLUMNS, ScoringModel
from loan_default.monitoring import (
    html_report,
    model_contributions,
    prometheus_exposition,
    raise_on_act_alerts,
    sample_rows,
)
from loan_default.monitoring.alerts import (
    ALERT_COLUMNS,
    SEVERITIES,
    alerts_frame,
    drift_alerts,
    null_share_alerts,
    performance_alerts,
    score_drift_alerts,
)
from loan_default.monitoring.columns import (
    as_float,
    non_feature_columns,
    split_features,
)
from loan_default.monitoring.drift import drift_and_characteristics, numeric_psi
from loan_default.monitoring.estimates import estimated_performance
from loan_default.monitoring.history import batch_id, history_rows, trends
from loan_default.monitoring.performance import (
    PERFORMANCE_COLUMNS,
    labelled_performance,
)
from loan_default.monitoring.quality import data_quality
from loan_default.monitoring.stability import (
    client_profile,
    importance_stability,
    population_stability,
    score_histogram,
    score_statistics,
)
from loan_default.monitoring.table import metrics_table
from loan_default.schema import APPLICATION_ID, TARGET

logger = logging.getLogger(__name__)

MODEL_VERSION = SCORE_COLUMNS[-1]
_OPERATING_PREFIX = "operating_"

IMPORTANCE_METHOD = "tree-path (Saabas) approximation"
"""How ``compute_contributions`` computes the importance ranking's contributions:
XGBoost's ``approx_contribs`` (log-odds scale) or the decision paths of scikit-learn
trees (probability scale). Ranking features needs no exact SHAP values, which cost
about twenty times as much on thousands of rows."""


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
    application_test: pd.DataFrame,
    previous_application_validated: pd.DataFrame,
    champion_model: ScoringModel,
) -> pd.DataFrame:
    """The test applicants' features with the champion's scores, from one call of
    the champion on their raw rows.

    Test applicants: the model never learnt from them and the champion was not
    chosen on them, so their scores are what a new batch's should look like.
    """
    scored = champion_model.score(application_test, previous_application_validated)
    return _with_scores(columns_frame(scored.features), scored.scores)


def join_batch_scores(
    batch_features: pd.DataFrame,
    scores: pd.DataFrame,
    champion_model: ScoringModel,
) -> pd.DataFrame:
    """The scored batch: its features with its scores, checked to belong together."""
    feature_ids = batch_features[APPLICATION_ID].to_numpy()
    score_ids = scores[APPLICATION_ID].to_numpy()
    if len(feature_ids) != len(score_ids) or (feature_ids != score_ids).any():
        raise ValueError(
            f"batch_features ({len(feature_ids)} rows) and scores ({len(score_ids)} "
            "rows) do not hold the same applicants in the same order: they come "
            "from different scoring runs; run `kedro run --pipelines scoring` again"
        )
    versions = sorted(set(scores[MODEL_VERSION].astype(str)))
    if versions != [champion_model.model_version]:
        raise ValueError(
            f"the batch was scored by model version(s) {versions} but the champion "
            f"is {champion_model.model_version}: the score comparison would mix two "
            "models; run `kedro run --pipelines scoring` again"
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


def select_score_columns(
    frame: pd.DataFrame, score_columns: dict[str, str]
) -> pd.DataFrame:
    """The key, the label when present and the score columns of a scored frame: the
    score checks read this small frame instead of every feature."""
    kept = [
        name
        for name in (APPLICATION_ID, TARGET, *score_columns.values())
        if name in frame.columns
    ]
    return frame[kept]


# --- the checks ------------------------------------------------------------------


def _features(
    reference: pd.DataFrame, batch: pd.DataFrame, score_columns: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    return split_features(reference, batch, non_feature_columns(score_columns))


def _score_column(frame: pd.DataFrame, side: str, column: str, role: str) -> pd.Series:
    """One side's ``column``; a scored frame without it is a broken feed."""
    if column not in frame.columns:
        raise ValueError(
            f"the monitoring {side} has no column {column!r} ({role}, "
            "params:monitoring.score_columns): monitoring compares scored frames; "
            "run `kedro run --pipelines scoring,monitoring` again"
        )
    return frame[column]


def _score_columns(
    reference: pd.DataFrame, batch: pd.DataFrame, column: str, role: str
) -> tuple[pd.Series, pd.Series]:
    return (
        _score_column(reference, "reference", column, role),
        _score_column(batch, "batch", column, role),
    )


def measure_data_quality(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    score_columns: dict[str, str],
    workers: int,
) -> pd.DataFrame:
    """Null shares, ranges, centres and unseen levels, one row per feature."""
    numeric, categorical = _features(reference, batch, score_columns)
    return data_quality(reference, batch, numeric, categorical, workers=int(workers))


def measure_feature_drift(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    score_columns: dict[str, str],
    psi: dict[str, Any],
    workers: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature drift (PSI with its verdict, KS or Jensen-Shannon distance, one row
    per feature) and the characteristic analysis (per feature and bin: both sides'
    shares, the bin's CSI term and mean score), from one binning of each feature."""
    numeric, categorical = _features(reference, batch, score_columns)
    column = score_columns["probability"]
    _score_columns(reference, batch, column, "probability of default")
    return drift_and_characteristics(
        reference,
        batch,
        numeric,
        categorical,
        psi,
        score_column=column,
        workers=int(workers),
    )


def measure_score_stability(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    score_columns: dict[str, str],
    psi: dict[str, Any],
    score_quantiles: list[float],
) -> tuple[pd.DataFrame, float, pd.DataFrame]:
    """The probability's statistics, its PSI (same bins as the features') and its
    histogram for the report."""
    before, after = _score_columns(
        reference, batch, score_columns["probability"], "probability of default"
    )
    score_psi = numeric_psi(
        as_float(before), as_float(after), int(psi["bins"]), float(psi["epsilon"])
    )
    return (
        score_statistics(before, after, score_quantiles),
        score_psi,
        score_histogram(before, after),
    )


def measure_decile_shares(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    score_columns: dict[str, str],
    psi: dict[str, Any],
) -> pd.DataFrame:
    """The population stability report by risk grade: expected (reference) against
    actual share per risk decile, each decile's PSI term and mean score."""
    grades = _score_columns(
        reference, batch, score_columns["risk_decile"], "risk decile"
    )
    scores = _score_columns(
        reference, batch, score_columns["probability"], "probability of default"
    )
    return population_stability(*grades, *scores, float(psi["epsilon"]))


def estimate_performance(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    champion_model: ScoringModel,
    score_columns: dict[str, str],
    estimated: dict[str, Any],
) -> pd.DataFrame:
    """Default rate, AUC, flagged share, recall and precision at the operating
    threshold expected from the champion's calibrated probabilities, with their
    intervals; the realised figures beside them when the batch has outcomes."""
    before, after = _score_columns(
        reference, batch, score_columns["probability"], "probability of default"
    )
    labels = batch[TARGET] if TARGET in batch.columns else None
    return estimated_performance(
        before, after, float(champion_model.threshold), estimated, labels
    )


def compute_contributions(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    champion_model: ScoringModel,
    contributions: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contributions of the champion's inputs on a random sample of each side.

    An estimator ``model_contributions`` does not support gives two empty tables:
    importance stability and client profile are then skipped with a log line, and
    the other checks still run.
    """
    rows, seed = int(contributions["sample_rows"]), int(contributions["seed"])
    encoded = [
        champion_model.encode(sample_rows(frame, rows, seed))
        for frame in (reference, batch)
    ]
    try:
        before, after = (
            model_contributions(champion_model.estimator, sample, exact=False)
            for sample in encoded
        )
    except TypeError as error:
        logger.warning("Importance stability and client profile skipped: %s", error)
        return pd.DataFrame(), pd.DataFrame()
    return before, after


def measure_importance_stability(
    reference_contributions: pd.DataFrame, batch_contributions: pd.DataFrame
) -> pd.DataFrame:
    """Mean absolute contribution and rank per model input, both sides, labelled
    with the contribution method; empty without contributions."""
    return importance_stability(reference_contributions, batch_contributions).assign(
        method=IMPORTANCE_METHOD
    )


def profile_clients(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    importance: pd.DataFrame,
    score_columns: dict[str, str],
    profile_features: int,
) -> pd.DataFrame:
    """Mean of the most important numeric features per risk decile, both sides;
    empty without an importance ranking."""
    numeric, _ = _features(reference, batch, score_columns)
    # Encoded inputs (one-hot levels, missing flags) have no column of their own here.
    known = set(numeric)
    top = [
        name
        for name in importance["feature"].head(int(profile_features))
        if name in known
    ]
    if not top:
        return pd.DataFrame(
            {
                "risk_decile": pd.Series(dtype="int64"),
                "feature": pd.Series(dtype="string"),
                **{
                    side: pd.Series(dtype="float64")
                    for side in ("reference", "current", "change")
                },
            }
        )
    return client_profile(reference, batch, top, score_columns["risk_decile"])


def measure_performance(
    batch: pd.DataFrame, champion_model: ScoringModel, score_columns: dict[str, str]
) -> pd.DataFrame:
    """Discrimination and operating-threshold metrics against the champion's test
    figures, on the batch rows whose outcome has arrived.

    A batch without outcomes (no ``TARGET`` column, or no value in it) gives an
    empty table with the same columns: the metrics table then has no performance
    section and rules on performance figures are skipped.
    """
    if TARGET not in batch.columns or batch[TARGET].isna().all():
        logger.info("Monitoring: the batch has no outcomes; performance not measured")
        return pd.DataFrame(
            {
                column: pd.Series(dtype="string" if column == "metric" else "float64")
                for column in PERFORMANCE_COLUMNS
            }
        )
    return labelled_performance(
        batch[TARGET],
        _score_column(
            batch, "batch", score_columns["probability"], "probability of default"
        ),
        champion_model.threshold,
        reference_performance(champion_model.metadata),
    )


def _measured(table: pd.DataFrame) -> pd.DataFrame | None:
    """``None`` for a check that measured nothing (an empty table)."""
    return None if table.empty else table


def build_metrics_table(
    *,
    quality: pd.DataFrame,
    drift: pd.DataFrame,
    score_statistics: pd.DataFrame,
    score_psi: float,
    decile_shares: pd.DataFrame,
    importance: pd.DataFrame,
    performance: pd.DataFrame,
    estimates: pd.DataFrame,
) -> pd.DataFrame:
    """Every figure in one tidy table (``section, feature, statistic, reference,
    current, method``)."""
    return metrics_table(
        quality,
        drift,
        score_statistics=score_statistics,
        score_psi=float(score_psi),
        decile_shares=decile_shares,
        importance=_measured(importance),
        performance=_measured(performance),
        estimates=estimates,
    )


def raise_alerts(
    *,
    quality: pd.DataFrame,
    drift: pd.DataFrame,
    score_psi: float,
    estimates: pd.DataFrame,
    psi: dict[str, Any],
    null_share_jump: dict[str, Any],
    estimated: dict[str, Any],
) -> pd.DataFrame:
    """Drift, null-share, score-drift and performance alerts with their evidence,
    act first."""
    watch, act = float(psi["watch"]), float(psi["act"])
    alerts = alerts_frame(
        drift_alerts(drift, watch, act)
        + null_share_alerts(quality, null_share_jump)
        + score_drift_alerts(float(score_psi), watch, act)
        + performance_alerts(estimates, float(estimated["auc_margin"]))
    )
    counts = _counts(alerts)
    logger.info(
        "Monitoring: %d act and %d watch alert(s)", counts["act"], counts["watch"]
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
    return alerts


# --- the exports -----------------------------------------------------------------


def _counts(alerts: pd.DataFrame) -> dict[str, int]:
    return {s: int((alerts["severity"] == s).sum()) for s in SEVERITIES}


def describe_monitoring_run(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    champion_model: ScoringModel,
    scoring_summary: dict[str, Any],
) -> dict[str, Any]:
    """What was compared: the model, the batch's source and both sides' sizes."""
    source = scoring_summary["batch_source"]
    described = (
        f"file {source['path']} (sha256 {source['sha256'][:12]}...)"
        if source["kind"] == "file"
        else f"synthetic, seed {source['seed']}, drift {source['drift'] or 'none'}"
    )
    logger.info(
        "Monitoring: %d batch rows against %d reference rows",
        len(batch),
        len(reference),
    )
    return {
        "model": f"{champion_model.algorithm} {champion_model.model_version}",
        "batch": described,
        "batch_id": batch_id(batch[APPLICATION_ID]),
        "rows_quarantined": scoring_summary["rows_quarantined"],
        "batch_rows": len(batch),
        "reference_rows": len(reference),
    }


_ROW_COUNTS = ("batch_rows", "reference_rows")


def export_alerts(alerts: pd.DataFrame, context: dict[str, Any]) -> dict[str, Any]:
    """The alerts document: the run's context, the alert counts and each alert."""
    return {
        **context,
        "counts": _counts(alerts),
        "alerts": alerts.to_dict(orient="records"),
    }


def record_history(metrics: pd.DataFrame, context: dict[str, Any]) -> pd.DataFrame:
    """This batch's tracked figures, one row per metric: a new version of the
    history dataset."""
    return history_rows(metrics, context["batch_id"])


def collect_trends(
    history: dict[str, Any], this_run: pd.DataFrame, report: dict[str, Any]
) -> pd.DataFrame:
    """The last ``report.history_batches`` batches of the history, oldest first.

    ``history`` is the partitioned view of every version (partition ids start with
    the run's save version); ``this_run`` is the version just written, taken so
    that Kedro runs this node after it.
    """
    runs = {
        partition.split("/", 1)[0]: load()[this_run.columns]
        for partition, load in history.items()
    }
    if not any(frame.equals(this_run) for frame in runs.values()):
        # A `kedro run` stages its outputs until it commits: the version just
        # written is not among the history's yet. It is the newest.
        runs[generate_timestamp()] = this_run
    return trends(runs, int(report["history_batches"]))


def render_report(
    *,
    context: dict[str, Any],
    alerts: pd.DataFrame,
    quality: pd.DataFrame,
    drift: pd.DataFrame,
    score_statistics: pd.DataFrame,
    score_psi: float,
    score_histogram: pd.DataFrame,
    decile_shares: pd.DataFrame,
    importance: pd.DataFrame,
    client_profile: pd.DataFrame,
    performance: pd.DataFrame,
    estimates: pd.DataFrame,
    characteristic: pd.DataFrame,
    trends: pd.DataFrame,
    report: dict[str, Any],
    psi: dict[str, Any],
) -> str:
    """The self-contained HTML report; unmeasured parts (empty tables) are left out."""
    outputs = {
        "alerts": alerts,
        "quality": quality,
        "drift": drift,
        "score_statistics": score_statistics,
        "score_psi": score_psi,
        "score_histogram": score_histogram,
        "decile_shares": decile_shares,
        "importance": importance,
        "client_profile": client_profile,
        "performance": performance,
        "estimates": estimates,
        "characteristic": characteristic,
        "trends": trends,
        **{name: context[name] for name in _ROW_COUNTS},
    }
    described = {k: v for k, v in context.items() if k not in _ROW_COUNTS}
    return html_report(outputs, {"report": report, "psi": psi}, context=described)


def export_prometheus(
    *,
    metrics: pd.DataFrame,
    alerts: pd.DataFrame,
    context: dict[str, Any],
    psi: dict[str, Any],
    null_share_jump: dict[str, Any],
    estimated: dict[str, Any],
) -> str:
    """Gauges in the Prometheus text format, for a textfile collector, with the
    thresholds the alerting rules compare them with."""
    thresholds = {
        "psi": {"watch": psi["watch"], "act": psi["act"]},
        "null_share_jump": dict(null_share_jump),
        "auc_margin": {"act": estimated["auc_margin"]},
    }
    return prometheus_exposition(metrics, alerts, context["batch_rows"], thresholds)


def check_act_alerts(
    monitoring_alerts: dict[str, Any], fail_on_act: bool, *exports: object
) -> None:
    """Fail the run on ``act`` alerts when ``fail_on_act`` is set.

    It reads the written alerts, and takes the other exports (report, Prometheus
    text) as inputs only so that Kedro runs it after them: by the time it fails, the
    evidence is on disk and a scheduler sees the failure.
    """
    alerts = pd.DataFrame(monitoring_alerts["alerts"], columns=ALERT_COLUMNS)
    raise_on_act_alerts(alerts, bool(fail_on_act))
