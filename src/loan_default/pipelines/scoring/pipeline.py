"""Wiring of the scoring pipeline: a batch of new applications to versioned scores,
streamed a chunk at a time (``score_in_chunks`` yields; the outputs append; a
``StreamingNode`` holds one chunk's outputs at a time)."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from loan_default.streaming import StreamingNode

from .nodes import collect_batch, score_in_chunks, summarise_scoring


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                collect_batch,
                ["new_application_batch", "params:scoring.synthetic_batch"],
                ["batch_raw_applications", "batch_generated_history", "batch_source"],
                name="collect_batch",
            ),
            StreamingNode(
                score_in_chunks,
                [
                    "production_model",
                    "batch_raw_applications",
                    "in_house_history",
                    "batch_generated_history",
                    "batch_source",
                    "params:scoring.invalid_rows",
                    "params:validation",
                    "params:scoring.reason_codes",
                    "params:scoring.chunk_applications",
                ],
                ["batch_features", "scores", "quarantine", "scoring_chunks"],
                name="score_batch",
            ),
            Node(
                summarise_scoring,
                [
                    "batch_source",
                    "scoring_chunks",
                    "params:scoring.invalid_rows",
                ],
                "scoring_summary",
                name="summarise_scoring",
            ),
        ],
        tags=["scoring"],
    )
