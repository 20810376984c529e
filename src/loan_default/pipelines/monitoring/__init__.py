"""Monitoring: the latest scored batch against the training reference."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
