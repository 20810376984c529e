"""Reporting: per-algorithm threshold, evaluation and importance, then comparison,
champion, plots and the Markdown report."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Node, Pipeline

from loan_default.pipelines.modelling import algorithm_names
from loan_default.pipelines.reporting.nodes import (
    build_champion_model,
    build_decile_table,
    build_evaluation_table,
    build_segment_metrics,
    choose_operating_threshold,
    collect_by_algorithm,
    compute_feature_importance,
    describe_champion,
    evaluate_on_test,
    select_champion,
    stack_predictions,
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

THRESHOLD_PARAMS = "params:reporting.operating_threshold"
IMPORTANCE_PARAMS = "params:reporting.feature_importance"
SHARED_INPUTS = ("feature_transformer", "model_input_test")


def algorithm_template() -> Pipeline:
    """What is reported of one algorithm, written once, namespaced per algorithm."""
    return Pipeline(
        [
            Node(
                choose_operating_threshold,
                inputs=["predictions_validation", THRESHOLD_PARAMS],
                outputs="operating_threshold",
                name="choose_operating_threshold",
            ),
            Node(
                evaluate_on_test,
                inputs=["predictions_test", "operating_threshold", THRESHOLD_PARAMS],
                outputs="evaluation",
                name="evaluate_on_test",
            ),
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


def _collect(dataset: str, names: list[str], output: str) -> Node:
    return Node(
        collect_by_algorithm,
        inputs={name: f"{name}.{dataset}" for name in names},
        outputs=output,
        name=f"collect_{output}",
    )


def comparison_pipeline(names: list[str]) -> Pipeline:
    """Everything that compares the algorithms or describes the champion."""
    return Pipeline(
        [
            _collect("operating_threshold", names, "operating_thresholds"),
            _collect("evaluation", names, "evaluations"),
            _collect("model", names, "models_by_algorithm"),
            Node(
                stack_predictions,
                inputs={name: f"{name}.predictions_test" for name in names},
                outputs="test_predictions",
                name="stack_test_predictions",
            ),
            Node(
                build_evaluation_table,
                inputs="evaluations",
                outputs="evaluation_results",
                name="build_evaluation_table",
            ),
            Node(
                select_champion,
                inputs=["evaluation_results", "params:reporting.champion"],
                outputs="champion_name",
                name="select_champion",
            ),
            Node(
                build_champion_model,
                inputs={
                    "champion_name": "champion_name",
                    "models": "models_by_algorithm",
                    "operating_thresholds": "operating_thresholds",
                    "test_predictions": "test_predictions",
                    "evaluation_results": "evaluation_results",
                    "feature_transformer": "feature_transformer",
                    "data_source": "data_source",
                    "cleaning": "params:cleaning",
                    "features": "params:features",
                },
                outputs="champion_model",
                name="build_champion_model",
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
                    "champion_name",
                    "operating_thresholds",
                    "application_clean",
                    "params:reporting.segments",
                ],
                outputs="segment_metrics",
                name="build_segment_metrics",
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
                inputs=["test_predictions", "champion_name", "operating_thresholds"],
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
                    "champion_metadata": "champion_metadata",
                    "segment_metrics": "segment_metrics",
                    "test_predictions": "test_predictions",
                    "true_default_probability": "true_default_probability",
                    "threshold_options": THRESHOLD_PARAMS,
                    "champion_options": "params:reporting.champion",
                    "report_options": "params:reporting.report",
                },
                outputs="evaluation_report",
                name="write_evaluation_report",
            ),
        ],
        tags=["reporting"],
    )


def create_pipeline(algorithms: Iterable[str] | None = None, **kwargs) -> Pipeline:
    """The per-algorithm template for each algorithm (default: those in the
    modelling parameters), then the comparison across them."""
    names = list(algorithms) if algorithms is not None else algorithm_names()
    template = algorithm_template()
    per_algorithm = sum(
        (
            Pipeline(
                template,
                namespace=name,
                inputs=set(SHARED_INPUTS),
                parameters={THRESHOLD_PARAMS, IMPORTANCE_PARAMS},
                tags=["reporting", name],
            )
            for name in names
        ),
        Pipeline([]),
    )
    return per_algorithm + comparison_pipeline(names)
