"""Reporting: per-algorithm importance, then the comparison, plots and the Markdown
report. It reads what modelling wrote, the champion included, and chooses nothing."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Node, Pipeline

from loan_default.pipelines.modelling.pipeline import published
from loan_default.pipelines.reporting.document import write_model_document
from loan_default.pipelines.reporting.nodes import (
    build_calibration_by_grade,
    build_decile_table,
    build_segment_metrics,
    build_stability_table,
    collect_by_algorithm,
    compare_model_pairs,
    compare_with_champion,
    compute_feature_importance,
    describe_champion,
    stack_predictions,
    summarise_calibration,
    write_evaluation_report,
)
from loan_default.pipelines.reporting.plots import (
    plot_calibration_curves,
    plot_confusion_matrix,
    plot_feature_importance,
    plot_lift_and_gain,
    plot_metric_comparison,
    plot_precision_recall_curves,
    plot_roc_curves,
)

THRESHOLD_PARAMS = "params:decision_rule"
IMPORTANCE_PARAMS = "params:reporting.feature_importance"
UNCERTAINTY_PARAMS = "params:uncertainty"
SHARED_INPUTS = ("model_input_test",)


def algorithm_template() -> Pipeline:
    """What is reported of one algorithm, written once, namespaced per algorithm."""
    return Pipeline(
        [
            Node(
                compute_feature_importance,
                inputs=["model", *SHARED_INPUTS, IMPORTANCE_PARAMS],
                outputs="feature_importance",
                name="compute_feature_importance",
            ),
            Node(
                plot_feature_importance,
                inputs=["feature_importance", IMPORTANCE_PARAMS],
                outputs="feature_importance_plot",
                name="plot_feature_importance",
            ),
        ]
    )


def comparison_pipeline(names: list[str]) -> Pipeline:
    """Everything that compares the algorithms or describes the champion."""
    return Pipeline(
        [
            Node(
                stack_predictions,
                inputs={name: published(name, "predictions_test") for name in names},
                outputs="test_predictions",
                name="stack_test_predictions",
            ),
            Node(
                describe_champion,
                inputs="champion_model",
                outputs="champion_metadata",
                name="describe_champion",
            ),
            Node(
                build_decile_table,
                inputs="test_predictions",
                outputs="lift_by_decile",
                name="build_decile_table",
            ),
            Node(
                build_segment_metrics,
                inputs=[
                    "test_predictions",
                    "champion_metadata",
                    "application_clean",
                    "params:reporting.segments",
                    UNCERTAINTY_PARAMS,
                ],
                outputs="segment_metrics",
                name="build_segment_metrics",
            ),
            Node(
                compare_with_champion,
                inputs=["test_predictions", "champion_metadata", UNCERTAINTY_PARAMS],
                outputs="champion_comparison",
                name="compare_with_champion",
            ),
            Node(
                compare_model_pairs,
                inputs=[
                    "test_predictions",
                    "params:reporting.comparisons",
                    UNCERTAINTY_PARAMS,
                ],
                outputs="model_comparisons",
                name="compare_model_pairs",
            ),
            Node(
                collect_by_algorithm,
                inputs={name: published(name, "points_table") for name in names},
                outputs="points_tables",
                name="collect_points_tables",
            ),
            Node(
                build_calibration_by_grade,
                inputs=[
                    "test_predictions",
                    "champion_metadata",
                    "params:reporting.calibration",
                ],
                outputs="calibration_by_grade",
                name="build_calibration_by_grade",
            ),
            Node(
                summarise_calibration,
                inputs="test_predictions",
                outputs="calibration_summary",
                name="summarise_calibration",
            ),
            Node(
                build_stability_table,
                inputs=[
                    "champion_model",
                    "model_input_train",
                    "model_input_test",
                    "params:monitoring.psi",
                ],
                outputs="stability",
                name="build_stability_table",
            ),
            Node(
                compute_feature_importance,
                inputs=["champion_model", "model_input_test", IMPORTANCE_PARAMS],
                outputs="champion_feature_importance",
                name="compute_champion_feature_importance",
            ),
            Node(
                plot_roc_curves,
                inputs="test_predictions",
                outputs=["roc_curves_plot", "roc_curves_chart"],
                name="plot_roc_curves",
            ),
            Node(
                plot_precision_recall_curves,
                inputs="test_predictions",
                outputs=[
                    "precision_recall_curves_plot",
                    "precision_recall_curves_chart",
                ],
                name="plot_precision_recall_curves",
            ),
            Node(
                plot_calibration_curves,
                inputs="test_predictions",
                outputs="calibration_curves_plot",
                name="plot_calibration_curves",
            ),
            Node(
                plot_lift_and_gain,
                inputs="lift_by_decile",
                outputs="lift_gain_plot",
                name="plot_lift_and_gain",
            ),
            Node(
                plot_confusion_matrix,
                inputs=["test_predictions", "champion_metadata"],
                outputs="confusion_matrix_plot",
                name="plot_confusion_matrix",
            ),
            Node(
                plot_metric_comparison,
                inputs=["evaluation_results", "params:reporting.plots"],
                outputs=["metric_comparison_plot", "metric_comparison_chart"],
                name="plot_metric_comparison",
            ),
            Node(
                write_evaluation_report,
                inputs={
                    "data_source": "data_source",
                    "evaluation_results": "evaluation_results",
                    "validation_results": "validation_results",
                    "champion_metadata": "champion_metadata",
                    "promotion_decision": "promotion_decision",
                    "segment_metrics": "segment_metrics",
                    "champion_comparison": "champion_comparison",
                    "model_comparisons": "model_comparisons",
                    "points_tables": "points_tables",
                    "calibration_by_grade": "calibration_by_grade",
                    "calibration_summary": "calibration_summary",
                    "champion_importance": "champion_feature_importance",
                    "test_predictions": "test_predictions",
                    "true_default_probability": "true_default_probability",
                    "threshold_options": THRESHOLD_PARAMS,
                    "uncertainty_options": UNCERTAINTY_PARAMS,
                    "segment_options": "params:reporting.segments",
                    "calibration_options": "params:reporting.calibration",
                    "report_options": "params:reporting.report",
                },
                outputs="evaluation_report",
                name="write_evaluation_report",
            ),
            Node(
                write_model_document,
                inputs={
                    "data_source": "data_source",
                    "champion_metadata": "champion_metadata",
                    "evaluation_results": "evaluation_results",
                    "validation_results": "validation_results",
                    "champion_comparison": "champion_comparison",
                    "model_comparisons": "model_comparisons",
                    "points_tables": "points_tables",
                    "calibration_by_grade": "calibration_by_grade",
                    "calibration_summary": "calibration_summary",
                    "segment_metrics": "segment_metrics",
                    "stability": "stability",
                    "champion_importance": "champion_feature_importance",
                    "test_predictions": "test_predictions",
                    "model_input_train": "model_input_train",
                    "roc_curves": "roc_curves_plot",
                    "precision_recall_curves": "precision_recall_curves_plot",
                    "lift_gain": "lift_gain_plot",
                    "confusion_matrix": "confusion_matrix_plot",
                    "calibration_curves": "calibration_curves_plot",
                    "algorithms": "params:algorithms",
                    "uncertainty_options": UNCERTAINTY_PARAMS,
                    "segment_options": "params:reporting.segments",
                    "calibration_options": "params:reporting.calibration",
                    "importance_options": IMPORTANCE_PARAMS,
                    "monitoring_options": "params:monitoring",
                    "document_options": "params:reporting.document",
                },
                outputs="model_document",
                name="write_model_document",
            ),
        ],
        tags=["reporting"],
    )


def create_pipeline(algorithms: Iterable[str], **kwargs) -> Pipeline:
    """The per-algorithm template for each of ``algorithms`` (the run's algorithm
    blocks, passed by the pipeline registry), then the comparison across them."""
    names = list(algorithms)
    template = algorithm_template()
    per_algorithm = sum(
        (
            Pipeline(
                template,
                namespace=name,
                inputs={
                    **{shared: shared for shared in SHARED_INPUTS},
                    "model": published(name, "model"),
                },
                parameters={IMPORTANCE_PARAMS},
                tags=["reporting", name],
            )
            for name in names
        ),
        Pipeline([]),
    )
    return per_algorithm + comparison_pipeline(names)
