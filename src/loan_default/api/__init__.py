"""The prediction API: FastAPI app serving the champion model (see docs/api.md)."""

from loan_default.api.app import create_app
from loan_default.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
