"""Raw data to model input: validate, clean, build features, split, encode."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
