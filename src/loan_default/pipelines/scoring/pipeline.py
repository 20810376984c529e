"""Wiring of the scoring pipeline: a batch of new applications to versioned scores."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import (
    collect_batch,
    lookup_history,
    score_batch,
    summarise_scoring,
    validate_batch,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                collect_batch,
                ["new_application_batch", "params:scoring.synthetic_batch"],
                ["batch_raw_applications", "batch_generated_history", "batch_source"],
                name="collect_batch",
            ),
            Node(
                validate_batch,
                [
                    "batch_raw_applications",
                    "batch_source",
                    "params:scoring.invalid_rows",
                    "params:validation",
                ],
                ["batch_applications", "quarantine"],
                name="validate_batch",
            ),
            Node(
                lookup_history,
                [
                    "batch_applications",
                    "previous_application_validated",
                    "batch_generated_history",
                ],
                "batch_history",
                name="lookup_history",
            ),
            Node(
                score_batch,
                [
                    "production_model",
                    "batch_applications",
                    "batch_history",
                    "params:scoring.reason_codes",
                    "params:scoring.chunk_applications",
                ],
                ["batch_features", "scores"],
                name="score_batch",
            ),
            Node(
                summarise_scoring,
                ["batch_source", "quarantine", "scores", "params:scoring.invalid_rows"],
                "scoring_summary",
                name="summarise_scoring",
            ),
        ],
        tags=["scoring"],
    )
