"""Reporting: compare the algorithms, choose the champion, its threshold and report."""

from loan_default.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
