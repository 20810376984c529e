"""loan-default: predict loan default, from raw data to a served model."""

__version__ = "0.1.0"
