"""Batch scoring: validate new applications, build their features, score them."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
