"""The modelling template (fit -> predict -> evaluate), one namespace per algorithm."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable

from kedro.pipeline import Node, Pipeline

from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    PROMOTION_NAMESPACE,
    SPARK,
)
from loan_default.pipelines.modelling.nodes import (
    assemble_model,
    build_champion_model,
    choose_operating_threshold,
    evaluate_model,
    fit_model,
    predict_applications,
    score_applications,
    select_champion,
    set_decision_rule,
    tabulate_points,
    tabulate_test_metrics,
    tabulate_validation_metrics,
)
from loan_default.pipelines.modelling.promotion import (
    data_source_tags,
    decide_promotion,
    registration_request,
    tracked_metrics,
)

SHARED_INPUTS = (
    "model_input_train",
    "model_input_validation",
    "feature_transformer",
    "application_validation",
    "application_test",
    "previous_application_validated",
)
"""Datasets every algorithm reads (produced by the data_engineering pipeline)."""
SHARED_PARAMETERS = (
    "params:modelling",
    "params:decision_rule",
    "params:cleaning",
    "params:features",
    "params:reason_statements",
    "params:uncertainty",
)


PUBLISHED = ("model", "predictions_test", "metrics", "points_table")
"""Template outputs that other pipelines read: published outside the namespace as
``<algorithm>_<output>``, since a dataset name with a dot is reserved for reading
inside its own namespace."""


def published(algorithm: str, output: str) -> str:
    """The name under which ``algorithm``'s ``output`` leaves its namespace."""
    return f"{algorithm}_{output}"


def _fit_function(trains_on: str) -> tuple[Callable, list[str]]:
    """The fit node's function for a block's ``trains_on``, and its tags."""
    if trains_on != SPARK:
        return fit_model, []
    # Imported only when a block trains on Spark: PySpark is an extra. The tag
    # keeps the node reading the Spark model inputs where the other nodes read
    # their driver copies (pipelines/spark).
    spark = importlib.import_module("loan_default.pipelines.spark")
    return spark.fit_model_on_spark, [spark.READS_SPARK]


def model_template(algorithm: str | None = None, trains_on: str = "driver") -> Pipeline:
    """One algorithm's pipeline, written once and instantiated per namespace: fit
    the estimator, assemble the inference object, choose its decision rule on
    validation, then score validation and test through that same object.
    ``algorithm`` (the block's name) only words the fit's errors; ``trains_on``
    (the block's key) says whether the fit reads the driver's model input or, in
    the Spark environment, trains on the Spark one."""
    fit, fit_tags = _fit_function(trains_on)
    return Pipeline(
        [
            Node(
                # Named and documented as the fit function (Kedro-Viz shows its code).
                functools.update_wrapper(
                    functools.partial(fit, algorithm=algorithm), fit
                ),
                inputs=[
                    "model_input_train",
                    "model_input_validation",
                    "params:model_options",
                    "params:modelling",
                ],
                outputs=["estimator", "fit_summary"],
                name="fit_model",
                tags=fit_tags,
            ),
            Node(
                assemble_model,
                inputs=[
                    "estimator",
                    "feature_transformer",
                    "fit_summary",
                    "params:cleaning",
                    "params:features",
                    "params:reason_statements",
                ],
                outputs="model_without_rule",
                name="assemble_model",
            ),
            Node(
                tabulate_points,
                inputs="estimator",
                outputs="points_table",
                name="tabulate_points",
            ),
            Node(
                predict_applications,
                inputs=[
                    "model_without_rule",
                    "application_validation",
                    "previous_application_validated",
                ],
                outputs="predictions_validation",
                name="predict_validation",
            ),
            Node(
                choose_operating_threshold,
                inputs=["predictions_validation", "params:decision_rule"],
                outputs="operating_threshold",
                name="choose_operating_threshold",
            ),
            Node(
                set_decision_rule,
                inputs=[
                    "model_without_rule",
                    "operating_threshold",
                    "predictions_validation",
                ],
                outputs="model",
                name="set_decision_rule",
            ),
            Node(
                score_applications,
                inputs=["model", "application_test", "previous_application_validated"],
                outputs="predictions_test",
                name="score_test",
            ),
            Node(
                evaluate_model,
                inputs={
                    "predictions_validation": "predictions_validation",
                    "predictions_test": "predictions_test",
                    "fit_summary": "fit_summary",
                    "operating_threshold": "operating_threshold",
                    "threshold_options": "params:decision_rule",
                    "uncertainty_options": "params:uncertainty",
                },
                outputs="metrics",
                name="evaluate_model",
            ),
        ]
    )


def champion_pipeline(names: list[str]) -> Pipeline:
    """Compare the algorithms on validation and build the deployable champion."""
    metrics = {name: published(name, "metrics") for name in names}
    return Pipeline(
        [
            Node(
                tabulate_validation_metrics,
                inputs=metrics,
                outputs="validation_results",
                name="tabulate_validation_metrics",
            ),
            Node(
                tabulate_test_metrics,
                inputs=metrics,
                outputs="evaluation_results",
                name="tabulate_test_metrics",
            ),
            Node(
                select_champion,
                inputs=["validation_results", "params:champion"],
                outputs="champion_name",
                name="select_champion",
            ),
            Node(
                build_champion_model,
                inputs={
                    "champion_name": "champion_name",
                    "validation_results": "validation_results",
                    "evaluation_results": "evaluation_results",
                    "data_source": "data_source",
                    "champion_options": "params:champion",
                    **{name: published(name, "model") for name in names},
                },
                outputs="champion_model",
                name="build_champion_model",
            ),
        ],
        tags=["modelling"],
    )


def promotion_pipeline() -> Pipeline:
    """The promotion gate against the registered champion, the candidate's
    registration, and the run's metrics and data source in MLflow: one namespace,
    so one box in Kedro-Viz and one Airflow task (one MLflow run there), with every
    dataset under its own name."""
    gate = Pipeline(
        [
            Node(
                decide_promotion,
                inputs=[
                    "champion_model",
                    "registered_champion",
                    "application_validation",
                    "previous_application_validated",
                    "params:promotion",
                ],
                outputs="promotion_decision",
                name="decide_promotion",
            ),
            Node(
                registration_request,
                inputs=[
                    "champion_model",
                    "promotion_decision",
                    "application_validation",
                    "data_source",
                    "params:registry",
                ],
                outputs="model_registration",
                name="register_candidate",
            ),
            Node(
                tracked_metrics,
                inputs="evaluation_results",
                outputs="tracked_evaluation_metrics",
                name="track_evaluation_metrics",
            ),
            Node(
                data_source_tags,
                inputs="data_source",
                outputs="tracked_data_source",
                name="track_data_source",
            ),
        ],
    )
    return Pipeline(
        gate,
        namespace=PROMOTION_NAMESPACE,
        inputs=gate.inputs() - {"params:promotion", "params:registry"},
        outputs=gate.all_outputs(),
        parameters={"params:promotion", "params:registry"},
        tags=["modelling", "promotion"],
    )


def create_pipeline(
    algorithms: Iterable[str], trained_on_spark: Iterable[str] = (), **kwargs
) -> Pipeline:
    """The template once per algorithm block, then the champion across them.

    ``trained_on_spark``: the blocks with ``trains_on: spark`` (Spark environment)."""
    # The names of the run's algorithm blocks, passed by the pipeline registry.
    names = list(algorithms)
    on_spark = set(trained_on_spark)
    per_algorithm = sum(
        (
            Pipeline(
                model_template(name, SPARK if name in on_spark else "driver"),
                namespace=name,
                inputs=set(SHARED_INPUTS),
                parameters={
                    "params:model_options": f"params:{ALGORITHMS_KEY}.{name}",
                    **{parameter: parameter for parameter in SHARED_PARAMETERS},
                },
                outputs={output: published(name, output) for output in PUBLISHED},
                tags=["modelling", name],
            )
            for name in names
        ),
        Pipeline([]),
    )
    return per_algorithm + champion_pipeline(names) + promotion_pipeline()
