"""The modelling template (fit -> predict -> evaluate), one namespace per algorithm."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Node, Pipeline

from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    load_algorithm_blocks,
)
from loan_default.pipelines.modelling.nodes import (
    evaluate_model,
    fit_model,
    predict_probability,
)

MODEL_INPUTS = ("model_input_train", "model_input_validation", "model_input_test")
"""Datasets shared by every algorithm (produced by the data_engineering pipeline)."""


def algorithm_names() -> list[str]:
    """Names of the algorithm blocks in the project's parameters, in written order."""
    return list(load_algorithm_blocks())


def model_template() -> Pipeline:
    """One algorithm's pipeline, written once and instantiated per namespace."""
    return Pipeline(
        [
            Node(
                fit_model,
                inputs=[
                    "model_input_train",
                    "model_input_validation",
                    "params:model_options",
                    "params:modelling",
                ],
                outputs=["model", "fit_summary"],
                name="fit_model",
            ),
            Node(
                predict_probability,
                inputs=["model", "model_input_validation"],
                outputs="predictions_validation",
                name="predict_validation",
            ),
            Node(
                predict_probability,
                inputs=["model", "model_input_test"],
                outputs="predictions_test",
                name="predict_test",
            ),
            Node(
                evaluate_model,
                inputs=[
                    "predictions_validation",
                    "predictions_test",
                    "fit_summary",
                    "params:modelling",
                ],
                outputs="metrics",
                name="evaluate_model",
            ),
        ]
    )


def create_pipeline(algorithms: Iterable[str] | None = None, **kwargs) -> Pipeline:
    """The template once per algorithm block (default: those in the parameters)."""
    template = model_template()
    names = list(algorithms) if algorithms is not None else algorithm_names()
    return sum(
        (
            Pipeline(
                template,
                namespace=name,
                inputs=set(MODEL_INPUTS),
                parameters={
                    "params:model_options": f"params:{ALGORITHMS_KEY}.{name}",
                    "params:modelling": "params:modelling",
                },
                tags=["modelling", name],
            )
            for name in names
        ),
        Pipeline([]),
    )
