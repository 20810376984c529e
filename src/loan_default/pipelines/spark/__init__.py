"""The Spark environment's data_engineering and scoring (``kedro run --env spark``)."""

from .pipeline import (
    create_data_engineering_pipeline,
    create_scoring_pipeline,
    on_the_driver,
)

__all__ = [
    "create_data_engineering_pipeline",
    "create_scoring_pipeline",
    "on_the_driver",
]
