"""Wiring of the monitoring pipeline: reference and batch -> one node per check ->
metrics, alerts, history and trends, report, Prometheus text -> the act-alert gate."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import (
    build_metrics_table,
    build_reference,
    check_act_alerts,
    collect_trends,
    compute_contributions,
    describe_monitoring_run,
    estimate_performance,
    export_alerts,
    export_prometheus,
    join_batch_scores,
    measure_data_quality,
    measure_decile_shares,
    measure_feature_drift,
    measure_importance_stability,
    measure_performance,
    measure_score_stability,
    profile_clients,
    raise_alerts,
    record_history,
    render_report,
    select_score_columns,
)

SIDES = ["monitoring_reference", "monitoring_batch"]
SCORES = ["monitoring_reference_scores", "monitoring_batch_scores"]
SCORE_COLUMNS = "params:monitoring.score_columns"
PSI = "params:monitoring.psi"
WORKERS = "params:monitoring.workers"
ESTIMATED = "params:monitoring.estimated_performance"
NULL_SHARE_JUMP = "params:monitoring.null_share_jump"
REPORT = "params:monitoring.report"


def _inputs() -> Pipeline:
    return Pipeline(
        [
            Node(
                build_reference,
                [
                    "application_test",
                    "previous_application_validated",
                    "production_model",
                ],
                "monitoring_reference",
                name="build_monitoring_reference",
            ),
            Node(
                join_batch_scores,
                ["batch_features", "scores", "production_model"],
                "monitoring_batch",
                name="join_batch_scores",
            ),
        ]
    )


def _checks() -> Pipeline:
    return Pipeline(
        [
            *(
                Node(
                    select_score_columns,
                    [side, SCORE_COLUMNS],
                    scores,
                    name=f"select_{side.removeprefix('monitoring_')}_scores",
                )
                for side, scores in zip(SIDES, SCORES, strict=True)
            ),
            Node(
                measure_data_quality,
                [*SIDES, SCORE_COLUMNS, WORKERS],
                "monitoring_quality",
                name="measure_data_quality",
            ),
            Node(
                measure_feature_drift,
                [*SIDES, SCORE_COLUMNS, PSI, WORKERS],
                ["monitoring_drift", "monitoring_characteristic"],
                name="measure_feature_drift",
            ),
            Node(
                measure_score_stability,
                [*SCORES, SCORE_COLUMNS, PSI, "params:monitoring.score_quantiles"],
                [
                    "monitoring_score_statistics",
                    "monitoring_score_psi",
                    "monitoring_score_histogram",
                ],
                name="measure_score_stability",
            ),
            Node(
                measure_decile_shares,
                [*SCORES, SCORE_COLUMNS, PSI],
                "monitoring_decile_shares",
                name="measure_decile_shares",
            ),
            Node(
                estimate_performance,
                [*SCORES, "production_model", SCORE_COLUMNS, ESTIMATED],
                "monitoring_estimates",
                name="estimate_performance",
            ),
            Node(
                compute_contributions,
                [*SIDES, "production_model", "params:monitoring.contributions"],
                [
                    "monitoring_reference_contributions",
                    "monitoring_batch_contributions",
                ],
                name="compute_contributions",
            ),
            Node(
                measure_importance_stability,
                [
                    "monitoring_reference_contributions",
                    "monitoring_batch_contributions",
                ],
                "monitoring_importance",
                name="measure_importance_stability",
            ),
            Node(
                profile_clients,
                [
                    *SIDES,
                    "monitoring_importance",
                    SCORE_COLUMNS,
                    "params:monitoring.profile_features",
                ],
                "monitoring_client_profile",
                name="profile_clients",
            ),
            Node(
                measure_performance,
                ["monitoring_batch_scores", "production_model", SCORE_COLUMNS],
                "monitoring_performance",
                name="measure_performance",
            ),
            Node(
                build_metrics_table,
                {
                    "quality": "monitoring_quality",
                    "drift": "monitoring_drift",
                    "score_statistics": "monitoring_score_statistics",
                    "score_psi": "monitoring_score_psi",
                    "decile_shares": "monitoring_decile_shares",
                    "importance": "monitoring_importance",
                    "performance": "monitoring_performance",
                    "estimates": "monitoring_estimates",
                },
                "monitoring_metrics",
                name="build_metrics_table",
            ),
            Node(
                raise_alerts,
                {
                    "quality": "monitoring_quality",
                    "drift": "monitoring_drift",
                    "score_psi": "monitoring_score_psi",
                    "estimates": "monitoring_estimates",
                    "psi": PSI,
                    "null_share_jump": NULL_SHARE_JUMP,
                    "estimated": ESTIMATED,
                },
                "monitoring_alert_table",
                name="raise_alerts",
            ),
        ]
    )


def _exports() -> Pipeline:
    return Pipeline(
        [
            Node(
                describe_monitoring_run,
                [*SCORES, "production_model", "scoring_summary"],
                "monitoring_context",
                name="describe_monitoring_run",
            ),
            Node(
                record_history,
                ["monitoring_metrics", "monitoring_context"],
                "monitoring_history_rows",
                name="record_history",
            ),
            Node(
                collect_trends,
                ["monitoring_history", "monitoring_history_rows", REPORT],
                "monitoring_trends",
                name="collect_trends",
            ),
            Node(
                export_alerts,
                ["monitoring_alert_table", "monitoring_context"],
                "monitoring_alerts",
                name="export_alerts",
            ),
            Node(
                render_report,
                {
                    "context": "monitoring_context",
                    "alerts": "monitoring_alert_table",
                    "quality": "monitoring_quality",
                    "drift": "monitoring_drift",
                    "score_statistics": "monitoring_score_statistics",
                    "score_psi": "monitoring_score_psi",
                    "score_histogram": "monitoring_score_histogram",
                    "decile_shares": "monitoring_decile_shares",
                    "importance": "monitoring_importance",
                    "client_profile": "monitoring_client_profile",
                    "performance": "monitoring_performance",
                    "estimates": "monitoring_estimates",
                    "characteristic": "monitoring_characteristic",
                    "trends": "monitoring_trends",
                    "report": REPORT,
                    "psi": PSI,
                },
                "monitoring_report",
                name="render_report",
            ),
            Node(
                export_prometheus,
                {
                    "metrics": "monitoring_metrics",
                    "alerts": "monitoring_alert_table",
                    "context": "monitoring_context",
                    "psi": PSI,
                    "null_share_jump": NULL_SHARE_JUMP,
                    "estimated": ESTIMATED,
                },
                "monitoring_prometheus",
                name="export_prometheus",
            ),
            # The report and the Prometheus text are inputs only for the order: the
            # gate fails the run after every export is written.
            Node(
                check_act_alerts,
                [
                    "monitoring_alerts",
                    "params:monitoring.fail_on_act",
                    "monitoring_report",
                    "monitoring_prometheus",
                ],
                None,
                name="check_act_alerts",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(_inputs() + _checks() + _exports(), tags=["monitoring"])
