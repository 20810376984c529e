"""The Spark environment's data_engineering and scoring (``kedro run --env spark``),
and the fit of the algorithm blocks that train on Spark."""

from .nodes import fit_model_on_spark
from .pipeline import (
    READS_SPARK,
    create_data_engineering_pipeline,
    create_scoring_pipeline,
    on_the_driver,
)

__all__ = [
    "READS_SPARK",
    "create_data_engineering_pipeline",
    "create_scoring_pipeline",
    "fit_model_on_spark",
    "on_the_driver",
]
