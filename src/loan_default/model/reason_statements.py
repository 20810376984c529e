"""Reason statements: what a lender tells an applicant for each reason code.

The table (``params:reason_statements``, ``conf/base/parameters_reason_statements.yml``)
maps feature names or shell-style patterns (``EXT_SOURCE_*``, ``FLAG_DOCUMENT_?``)
to one sentence each. A model's statements are resolved once, when modelling
assembles it, for every source feature it reads (a one-hot family is its
categorical column): an exact name wins, otherwise the first pattern in the
table's order that matches. A feature without a statement is an error, so no
reason code is ever sent without words. The resolved statements travel inside the
saved model: the API and batch scoring need no configuration for them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from loan_default.errors import ProjectError

PARAMETERS_KEY = "reason_statements"
"""The parameters key of the table."""

_PATTERN_CHARACTERS = frozenset("*?[")
_MAX_LISTED = 20


class ReasonStatementError(ProjectError, ValueError):
    """A reason statement table that is malformed or leaves a feature without words."""


def _where(key: object | None = None) -> str:
    return f"params:{PARAMETERS_KEY}" + ("" if key is None else f".{key}")


def check_statement_table(table: Any) -> dict[str, str]:
    """The table as a dict, after checking that it maps names to sentences."""
    if not isinstance(table, Mapping) or not table:
        raise ReasonStatementError(
            f"{_where()} must map feature names or patterns to reason statements; "
            f"got {type(table).__name__}"
        )
    checked = {}
    for key, statement in table.items():
        if not isinstance(key, str) or not key.strip():
            raise ReasonStatementError(
                f"{_where()}: a key must be a feature name or pattern; got {key!r}"
            )
        if not isinstance(statement, str) or not statement.strip():
            raise ReasonStatementError(
                f"{_where(key)} must be a non-empty sentence; got {statement!r}"
            )
        checked[key] = statement.strip()
    return checked


def resolve_statements(features: Iterable[str], table: Any) -> dict[str, str]:
    """Each feature's statement; ``ReasonStatementError`` naming every feature the
    table has none for."""
    checked = check_statement_table(table)
    patterns = [key for key in checked if _PATTERN_CHARACTERS & set(key)]
    resolved, missing = {}, []
    for feature in features:
        if feature in checked:
            resolved[feature] = checked[feature]
            continue
        pattern = next((p for p in patterns if fnmatch.fnmatchcase(feature, p)), None)
        if pattern is None:
            missing.append(feature)
        else:
            resolved[feature] = checked[pattern]
    if missing:
        listed = ", ".join(missing[:_MAX_LISTED])
        more = len(missing) - _MAX_LISTED
        raise ReasonStatementError(
            f"{_where()} has no reason statement for feature(s) {listed}"
            + (f" and {more} more" if more > 0 else "")
            + ": every feature the model reads needs one (add the name, or a pattern "
            "such as 'EXT_SOURCE_*', to conf/base/parameters_reason_statements.yml)"
        )
    return resolved
