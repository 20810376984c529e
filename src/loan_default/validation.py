"""Validation of raw tables against ``schema.py``.

Every rule reads the schema; nothing here lists columns. Two ways out:
``validate_table`` stops at the first broken rule set with one clear error (training
data must be whole), while ``find_row_violations`` says which rows break which rule, so
a scoring batch can quarantine bad rows instead of rejecting the whole file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loan_default.errors import ProjectError
from loan_default.schema import (
    FLOAT32_MAXIMUM,
    INT64,
    TARGET,
    ColumnSpec,
    TableSchema,
)

logger = logging.getLogger(__name__)

EXCERPT_CHARACTERS = 80
"""How much of a value or name a message quotes; a hostile cell can be megabytes."""

# Floats at or beyond 2**63 do not fit int64; converting them would wrap.
_INT64_FLOAT_LIMIT = 2.0**63


def shorten(text: str, length: int | None = None) -> str:
    """``text`` cut to a readable length, saying how long the original was."""
    if len(text) <= EXCERPT_CHARACTERS:
        return text
    return f"{text[:EXCERPT_CHARACTERS]}... ({length or len(text):,} characters)"


def excerpt(value: object) -> str:
    """``repr(value)``, shortened: how a message quotes a value."""
    return shorten(repr(value), len(value) if isinstance(value, str) else None)


class RawDataValidationError(ProjectError, ValueError):
    """Raw data breaks a schema rule; the message names file, column, rule, values."""


@dataclass
class Violation:
    """One broken rule: where, which rule, and which rows (``None`` for table rules)."""

    source: str
    column: str
    rule: str
    rows: np.ndarray | None = None
    examples: list = field(default_factory=list)

    def describe(self, max_examples: int) -> str:
        where = f"{self.source}: column {self.column}"
        if self.rows is None:
            return f"{where}: {self.rule}"
        shown = ", ".join(excerpt(value) for value in self.examples[:max_examples])
        return (
            f"{where}: {self.rule}: {len(self.rows)} row(s) break it, e.g. {shown} "
            f"(rows {', '.join(str(row) for row in self.rows[:max_examples])})"
        )


def _python_value(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _rows_violation(
    source: str, column: str, rule: str, frame: pd.DataFrame, mask: pd.Series
) -> Violation | None:
    if not mask.any():
        return None
    rows = np.flatnonzero(mask.to_numpy())
    examples = [_python_value(v) for v in frame[column].iloc[rows[:20]].tolist()]
    return Violation(source, column, rule, rows, examples)


def _coerce_numeric(
    values: pd.Series, spec: ColumnSpec, source: str
) -> tuple[pd.Series, list[Violation]]:
    violations = []
    frame = values.to_frame()
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    numbers = pd.to_numeric(values, errors="coerce")
    not_a_number = values.notna() & numbers.isna()
    violation = _rows_violation(
        source, spec.name, f"expected a number ({spec.dtype})", frame, not_a_number
    )
    if violation:
        violations.append(violation)
    numbers = numbers.astype("float64")
    if spec.dtype == "int64":
        fractional = numbers.notna() & (numbers != np.floor(numbers))
        violation = _rows_violation(
            source, spec.name, "expected a whole number", frame, fractional
        )
        if violation:
            violations.append(violation)
    return numbers, violations


def _range_violations(
    numbers: pd.Series, original: pd.Series, spec: ColumnSpec, source: str
) -> list[Violation]:
    frame = original.to_frame()
    allowed_sentinel = (
        numbers == spec.sentinel
        if spec.sentinel is not None
        else pd.Series(False, index=numbers.index)
    )
    violations = []
    if spec.minimum is not None:
        below = (numbers < spec.minimum) & ~allowed_sentinel
        violations.append(
            _rows_violation(
                source, spec.name, f"expected a value >= {spec.minimum}", frame, below
            )
        )
    if spec.maximum is not None:
        above = (numbers > spec.maximum) & ~allowed_sentinel
        rule = f"expected a value <= {spec.maximum}"
        if spec.sentinel is not None:
            rule += f" or the sentinel {spec.sentinel}"
        violations.append(_rows_violation(source, spec.name, rule, frame, above))
    broken = [violation for violation in violations if violation]
    already = np.zeros(len(numbers), dtype=bool)
    for violation in broken:
        already[violation.rows] = True
    # Reported only where no schema range already caught the value.
    unrepresentable = _unrepresentable(numbers, original, spec) & ~already
    violation = _rows_violation(
        source, spec.name, _representable_rule(spec), frame, unrepresentable
    )
    return broken + ([violation] if violation else [])


def _representable_rule(spec: ColumnSpec) -> str:
    if spec.dtype == "int64":
        return f"expected a whole number within int64 ({INT64.min} to {INT64.max})"
    return (
        f"expected a number within the float32 range the models read "
        f"(-{FLOAT32_MAXIMUM:.4g} to {FLOAT32_MAXIMUM:.4g})"
    )


def _unrepresentable(
    numbers: pd.Series, original: pd.Series, spec: ColumnSpec
) -> pd.Series:
    """Values the column's type cannot hold: typing them would wrap or overflow."""
    if spec.dtype != "int64":
        return numbers.abs() > FLOAT32_MAXIMUM  # infinities too; NaN is missing
    if pd.api.types.is_signed_integer_dtype(original):
        return pd.Series(False, index=numbers.index)  # the reader kept them as int64
    if pd.api.types.is_unsigned_integer_dtype(original):
        return original > INT64.max
    return (numbers >= _INT64_FLOAT_LIMIT) | (numbers < -_INT64_FLOAT_LIMIT)


def _category_violation(
    values: pd.Series, spec: ColumnSpec, source: str
) -> Violation | None:
    text = values.astype("string")
    unknown = text.notna() & ~text.isin(spec.categories)
    levels = ", ".join(repr(level) for level in spec.categories)
    if len(levels) > 200:
        levels = levels[:200] + ", ..."
    return _rows_violation(
        source,
        spec.name,
        f"expected one of the known levels ({levels})",
        values.to_frame(),
        unknown,
    )


def typed_column(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    """The column in its schema dtype; integers are nullable only when needed."""
    if spec.dtype == "string":
        return values.astype("string")
    if spec.dtype == "int64" and pd.api.types.is_signed_integer_dtype(values):
        # Already integers: a round trip through float64 would round large ids.
        return values.astype("int64" if values.notna().all() else "Int64")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    if spec.dtype == "int64":
        return numbers.astype("int64" if numbers.notna().all() else "Int64")
    return numbers


def find_row_violations(frame: pd.DataFrame, table: TableSchema, source: str) -> list:
    """Every row-level rule a table breaks: dtype, integer, range, category, required.

    Columns missing from ``frame`` or repeated in it are skipped here;
    ``validate_table`` reports them.
    """
    violations: list[Violation] = []
    repeated = set(_repeated_columns(frame))
    for spec in table.columns:
        if spec.name not in frame.columns or spec.name in repeated:
            continue
        values = frame[spec.name]
        if spec.required:
            missing = _rows_violation(
                source, spec.name, "expected a value (required)", frame, values.isna()
            )
            if missing:
                violations.append(missing)
        if spec.is_numeric:
            numbers, coercion = _coerce_numeric(values, spec, source)
            violations.extend(coercion)
            violations.extend(_range_violations(numbers, values, spec, source))
        elif spec.categories is not None:
            category = _category_violation(values, spec, source)
            if category:
                violations.append(category)
    return violations


def _repeated_columns(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))


def _table_violations(
    frame: pd.DataFrame, table: TableSchema, source: str, require_target: bool
) -> list[Violation]:
    repeated = _repeated_columns(frame)
    violations = [
        Violation(
            source,
            shorten(str(name)),
            "expected each column once in the header, found it "
            f"{int((frame.columns == name).sum())} times",
        )
        for name in repeated
    ]
    if frame.empty:
        violations.append(Violation(source, "(all)", "the table has no rows"))
    missing = [
        spec.name
        for spec in table.columns
        if spec.name not in frame.columns and (spec.name != TARGET or require_target)
    ]
    if missing:
        violations.append(
            Violation(
                source,
                ", ".join(missing),
                f"{len(missing)} required column(s) missing",
            )
        )
    if table.key in frame.columns and table.key not in repeated:
        duplicated = frame[table.key].duplicated(keep=False) & frame[table.key].notna()
        violation = _rows_violation(
            source, table.key, "expected unique values", frame, duplicated
        )
        if violation:
            violations.append(violation)
    if (
        require_target
        and TARGET in frame.columns
        and TARGET in table
        and TARGET not in repeated
    ):
        classes = set(pd.to_numeric(frame[TARGET], errors="coerce").dropna().unique())
        if classes and not {0, 1} <= classes:
            violations.append(
                Violation(
                    source,
                    TARGET,
                    "expected both classes 0 and 1 to be present, found only "
                    + ", ".join(str(int(value)) for value in sorted(classes)),
                )
            )
    return violations


def violation_error(
    violations: list[Violation], table: TableSchema, source: str, max_examples: int
) -> RawDataValidationError:
    """The error listing ``violations`` of ``table`` in ``source``."""
    details = "\n  - ".join(v.describe(max_examples) for v in violations)
    return RawDataValidationError(
        f"{source} does not match the {table.filename} schema "
        f"({len(violations)} broken rule(s)):\n  - {details}"
    )


def validate_table(
    frame: pd.DataFrame,
    table: TableSchema,
    source: str,
    *,
    require_target: bool = True,
    max_examples: int = 5,
) -> pd.DataFrame:
    """Check ``frame`` against ``table`` and return it typed, in the schema's order.

    Raises ``RawDataValidationError`` listing every broken rule (file, column, rule,
    a few offending values and their row numbers). Unknown extra columns are ignored
    with a warning; the order of columns in the file does not matter.
    """
    extra = [column for column in frame.columns if column not in table]
    if extra:
        logger.warning(
            "%s: ignoring %d column(s) the schema does not know: %s",
            source,
            len(extra),
            ", ".join(shorten(str(name)) for name in extra[:20]),
        )
    violations = _table_violations(frame, table, source, require_target)
    violations += find_row_violations(frame, table, source)
    if violations:
        raise violation_error(violations, table, source, max_examples)
    columns = [spec for spec in table.columns if spec.name in frame.columns]
    return pd.DataFrame(
        {spec.name: typed_column(frame[spec.name], spec) for spec in columns}
    ).reset_index(drop=True)
