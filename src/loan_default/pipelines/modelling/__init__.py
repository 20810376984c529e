"""Modelling: one fit -> predict -> evaluate template per algorithm block."""

from loan_default.pipelines.modelling.pipeline import create_pipeline

__all__ = ["create_pipeline"]
