"""Request and response models of the API.

The application model is built from ``schema.APPLICATION`` (every column but TARGET),
so the API accepts exactly the raw Kaggle fields with the same rules as raw-data
validation: numbers typed int or float within the schema's range (a sentinel such as
DAYS_EMPLOYED = 365243 is allowed), text one of the schema's levels. Every field but
the key may be absent or null: a client sends what it has, and the feature pipeline
treats the rest as missing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from loan_default.schema import (
    APPLICATION,
    FLOAT32_MAXIMUM,
    INT64,
    TARGET,
    ColumnSpec,
)

# The largest magnitude the model holds (schema.FLOAT32_MAXIMUM): a larger value
# would fail the scoring of every request batched with it.
FLOAT32_MAX = FLOAT32_MAXIMUM

REQUEST_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    spec for spec in APPLICATION.columns if spec.name != TARGET
)
"""The raw columns a request may carry, in the schema's order."""


def _range_with_sentinel(spec: ColumnSpec) -> AfterValidator:
    """Schema range check that lets the column's sentinel through."""

    def check(value: float | None) -> float | None:
        if value is None or value == spec.sentinel:
            return value
        if spec.minimum is not None and value < spec.minimum:
            raise PydanticCustomError(
                "out_of_range",
                "expected a value >= {minimum} or the sentinel {sentinel}",
                {"minimum": spec.minimum, "sentinel": spec.sentinel},
            )
        if spec.maximum is not None and value > spec.maximum:
            raise PydanticCustomError(
                "out_of_range",
                "expected a value <= {maximum} or the sentinel {sentinel}",
                {"maximum": spec.maximum, "sentinel": spec.sentinel},
            )
        return value

    return AfterValidator(check)


def _json_number(value: Any) -> Any:
    """Lets JSON numbers and null through: lax integer parsing would read "5" and
    true as 5 and 1."""
    if value is None or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return value
    raise PydanticCustomError("int_type", "Input should be a valid integer")


def _json_range(spec: ColumnSpec, base: type, low: float, high: float) -> dict:
    return {
        "type": "integer" if base is int else "number",
        "minimum": low if spec.minimum is None else spec.minimum,
        "maximum": high if spec.maximum is None else spec.maximum,
    }


def _field_type(spec: ColumnSpec) -> Any:
    """The annotated type of one column: base type, constraints, nullability."""
    if spec.dtype == "string":
        base: Any = Literal[spec.categories] if spec.categories else str
        constraints: list[Any] = []
    else:
        base = int if spec.dtype == "int64" else float
        # Whole numbers must also fit the int64 columns they are stored in, and
        # decimals the float32 the model reads them as.
        low, high = (
            (INT64.min, INT64.max) if base is int else (-FLOAT32_MAX, FLOAT32_MAX)
        )
        # A number must be a JSON number: "500000" and true are refused. Decimals
        # are strict; whole numbers also take 5.0, an integer to JSON Schema.
        bounds = {"ge": low, "le": high, "allow_inf_nan": False}
        if base is float:
            bounds["strict"] = True
        numbers_only = [BeforeValidator(_json_number)] if base is int else []
        if spec.sentinel is None:
            if spec.minimum is not None:
                bounds["ge"] = spec.minimum
            if spec.maximum is not None:
                bounds["le"] = spec.maximum
            constraints = [Field(**bounds), *numbers_only]
        else:
            # Documented as the rule it checks: the schema's range, or the sentinel.
            documented = WithJsonSchema(
                {
                    "anyOf": [
                        _json_range(spec, base, low, high),
                        {"const": spec.sentinel},
                    ]
                }
            )
            constraints = [
                Field(**bounds),
                *numbers_only,
                _range_with_sentinel(spec),
                documented,
            ]
    annotated = Annotated[base, *constraints] if constraints else base
    return annotated if spec.required else annotated | None


def build_application_model() -> type[BaseModel]:
    """The pydantic model of one application, one field per schema column."""
    fields: dict[str, Any] = {
        spec.name: (_field_type(spec), ... if spec.required else None)
        for spec in REQUEST_COLUMNS
    }
    return create_model(
        "Application",
        __config__=ConfigDict(extra="forbid"),
        __doc__="One loan application with the raw Kaggle field names.",
        **fields,
    )


Application = build_application_model()


def build_request_model(max_applications: int) -> type[BaseModel]:
    """The body of POST /predict: ``{"applications": [...]}``."""
    return create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        applications=(
            Annotated[
                list[Application],
                Field(min_length=1, max_length=max_applications),
            ],
            ...,
        ),
    )


class ReasonCode(BaseModel):
    """A feature that raises this applicant's risk, with the applicant's value, its
    contribution in the model's own units (log-odds for XGBoost, probability for
    scikit-learn trees, points below the best bin for the scorecard) and the
    statement a lender sends for it (null for a model saved without statements)."""

    feature: str
    value: float | str | None
    contribution: float
    statement: str | None


class Prediction(BaseModel):
    SK_ID_CURR: int
    probability: float
    # 1: flagged as a likely default (probability >= the operating threshold).
    decision: Literal[0, 1]
    risk_decile: int
    reason_codes: list[ReasonCode]
    model_version: str


class PredictResponse(BaseModel):
    predictions: list[Prediction]


class ErrorItem(BaseModel):
    type: str
    loc: list[str | int]
    msg: str
    # The offending value, when it is a scalar; long text is cut to an excerpt.
    input: str | int | float | bool | None = None


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


def request_records(application: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a raw application table as /predict records: the schema's fields the
    table has (TARGET and unknown columns left out), missing values as null."""
    names = [spec.name for spec in REQUEST_COLUMNS if spec.name in application]
    columns = [
        application[name].astype(object).where(application[name].notna(), None).tolist()
        for name in names
    ]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
