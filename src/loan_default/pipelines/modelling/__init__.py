"""Modelling: one fit -> predict -> evaluate template per algorithm block."""

from loan_default.pipelines.modelling.pipeline import algorithm_names, create_pipeline

__all__ = ["algorithm_names", "create_pipeline"]
