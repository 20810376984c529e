"""Helpers shared by both tables: text columns as codes, draws, the final frame.

Text columns are held as integer codes into the schema's categories (-1 missing)
until the frame is built: comparisons and selections on codes are fast.
``to_frame`` turns the codes into pandas "string" columns at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from loan_default.schema import TableSchema


def category_code(table: TableSchema, column: str, value: str) -> int:
    """The code of ``value`` among the schema's categories of ``column``."""
    categories = table[column].categories or ()
    if value not in categories:
        raise ValueError(f"{table.filename}: {value!r} is not a {column} category")
    return categories.index(value)


def category_codes(
    table: TableSchema, column: str, values: Sequence[str]
) -> np.ndarray:
    return np.array(
        [category_code(table, column, value) for value in values], dtype=np.int16
    )


def from_knots(
    uniforms: np.ndarray,
    knots: Sequence[float],
    tails: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Map uniforms through a quantile function with the given (min, quartiles, max).

    Linear between the quartiles. In each outer quarter the values follow an
    exponential density truncated at the extreme: its rate (``tails``: lower, upper)
    sets how fast the tail thins out, 0 being linear. Real tails are thin: spread
    evenly, the outer quarters would put far too many rows near the extremes.
    """
    minimum, lower_quartile, _, upper_quartile, maximum = knots
    values = np.interp(uniforms, (0.25, 0.5, 0.75), knots[1:4])
    lower_rate, upper_rate = tails
    lower = uniforms < 0.25
    values[lower] = lower_quartile - (lower_quartile - minimum) * truncated_exponential(
        (0.25 - uniforms[lower]) / 0.25, lower_rate
    )
    upper = uniforms > 0.75
    values[upper] = upper_quartile + (maximum - upper_quartile) * truncated_exponential(
        (uniforms[upper] - 0.75) / 0.25, upper_rate
    )
    return values


def truncated_exponential(uniforms: np.ndarray, rate: float) -> np.ndarray:
    """Quantiles in [0, 1] of an exponential density of ``rate`` truncated at 1.

    A negative rate piles the mass up towards 1 instead; 0 is the uniform.
    """
    if abs(rate) < 1e-9:
        return uniforms
    return -np.log1p(uniforms * np.expm1(-rate)) / rate


def category_weights(
    counts: Mapping[str, float], overrides: Mapping[str, float] | None
) -> tuple[list[str], np.ndarray]:
    """Values and their probabilities; ``overrides`` fix some shares, the rest scale."""
    values = list(counts)
    probabilities = np.array([counts[value] for value in values], dtype=float)
    probabilities /= probabilities.sum()
    if overrides:
        fixed = np.array([value in overrides for value in values])
        rest = probabilities[~fixed].sum()
        if rest > 0:
            probabilities[~fixed] *= (1.0 - sum(overrides.values())) / rest
        probabilities[fixed] = [overrides[value] for value in np.array(values)[fixed]]
        probabilities /= probabilities.sum()
    return values, probabilities


def draw_codes(
    rng: np.random.Generator,
    table: TableSchema,
    column: str,
    counts: Mapping[str, float],
    n_rows: int,
    *,
    overrides: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Codes of ``column`` drawn with the relative sizes in ``counts``."""
    values, probabilities = category_weights(counts, overrides)
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0
    picked = np.searchsorted(cumulative, rng.random(n_rows), side="right")
    return category_codes(table, column, values)[picked]


def round_to(values: np.ndarray, step: float) -> np.ndarray:
    return np.round(values / step) * step


def nan_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    values = values.astype(float)
    values[mask] = np.nan
    return values


def negative_binomial(
    rng: np.random.Generator, mean: float, shape: float, n_rows: int
) -> np.ndarray:
    """Counts with the given mean; a smaller ``shape`` spreads them more."""
    return rng.negative_binomial(shape, shape / (shape + mean), n_rows)


def text_array(
    codes: np.ndarray, categories: Sequence[str]
) -> pd.api.extensions.ExtensionArray:
    """Codes into ``categories`` (-1 missing) as a pandas "string" array."""
    codes = np.asarray(codes, dtype=np.int64)
    dictionary = pa.array(list(categories), type=pa.large_string())
    return pd.array(dictionary.take(pa.array(codes, mask=codes < 0)), dtype="string")


def to_frame(columns: Mapping[str, np.ndarray], table: TableSchema) -> pd.DataFrame:
    """Assemble the columns in the schema's order with the schema's dtypes."""
    data = {}
    for spec in table.columns:
        values = columns[spec.name]
        if spec.dtype == "string":
            data[spec.name] = text_array(values, spec.categories or ())
        elif spec.dtype == "int64":
            as_float = np.asarray(values, dtype=float)
            if np.isnan(as_float).any():
                data[spec.name] = pd.array(values, dtype="Int64")
            else:
                data[spec.name] = np.asarray(values).astype(np.int64)
        else:
            data[spec.name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data, copy=False)
