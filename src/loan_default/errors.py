"""The project's own errors: each message says what went wrong and what to do.

``kedro run`` prints a ``ProjectError`` as one paragraph without a traceback (see
``loan_default.cli``); set ``LOAN_DEFAULT_TRACEBACK=1`` or pass ``--traceback`` to
see it.
"""

from __future__ import annotations


class ProjectError(Exception):
    """Base class of errors whose message is meant for the person running the project."""
