"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

DEFAULT_PIPELINES = ("data_engineering", "modelling", "reporting")
"""What a bare ``kedro run`` runs: raw data to the evaluation report."""


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under ``pipelines/`` by its folder name."""
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipelines[name] for name in DEFAULT_PIPELINES if name in pipelines),
        Pipeline([]),
    )
    return pipelines
