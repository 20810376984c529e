"""Wiring of the monitoring pipeline: reference and batch -> report, metrics, alerts."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import (
    build_reference,
    check_act_alerts,
    export_monitoring,
    join_batch_scores,
    monitor_scored_batch,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_reference,
                ["applicant_features", "model_input_test", "champion_model"],
                "monitoring_reference",
                name="build_monitoring_reference",
            ),
            Node(
                join_batch_scores,
                ["batch_features", "scores", "champion_model"],
                "monitoring_batch",
                name="join_batch_scores",
            ),
            Node(
                monitor_scored_batch,
                [
                    "monitoring_reference",
                    "monitoring_batch",
                    "champion_model",
                    "params:monitoring",
                ],
                "monitoring_results",
                name="monitor_scored_batch",
            ),
            Node(
                export_monitoring,
                [
                    "monitoring_results",
                    "champion_model",
                    "scoring_summary",
                    "params:monitoring",
                ],
                [
                    "monitoring_metrics",
                    "monitoring_alerts",
                    "monitoring_report",
                    "monitoring_prometheus",
                ],
                name="export_monitoring",
            ),
            Node(
                check_act_alerts,
                ["monitoring_alerts", "params:monitoring.fail_on_act"],
                None,
                name="check_act_alerts",
            ),
        ],
        tags=["monitoring"],
    )
