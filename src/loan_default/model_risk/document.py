"""The model document: one self-contained HTML page a model validator reads.

Rendered from the package's Jinja2 template ``templates/model_document.html.j2``
with autoescaping, so every name and figure reaches the page as text. Plots are
embedded as base64 PNG in ``data:`` URIs; the page fetches nothing.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

SECTION_TITLES = (
    "Purpose and use",
    "Data and its source",
    "Features",
    "Methodology and alternatives considered",
    "Performance with intervals",
    "Calibration",
    "Stability (train against test, PSI)",
    "Fairness",
    "Limitations",
    "Monitoring plan",
)
"""The headings a validator expects, in this order."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Section:
    """One heading of the document: paragraphs, then tables, then plots."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    plots: list[dict[str, str]] = field(default_factory=list)

    def add_table(
        self, caption: str, frame: pd.DataFrame, collapsed: bool = False
    ) -> None:
        """A table; ``collapsed`` ones open on a click (long reference tables)."""
        self.tables.append(
            {"caption": caption, "collapsed": collapsed, **html_table(frame)}
        )

    def add_plot(self, description: str, figure: Figure) -> None:
        self.add_png(description, figure_png(figure))

    def add_png(self, description: str, png: bytes) -> None:
        """A plot as PNG bytes: one of the run's files, or a figure drawn here."""
        if not png.startswith(PNG_SIGNATURE):
            raise ValueError(f"model document: the plot {description!r} is not a PNG")
        self.plots.append(
            {"description": description, "png": base64.b64encode(png).decode("ascii")}
        )


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


def html_table(frame: pd.DataFrame) -> dict[str, Any]:
    """Header and rows of text cells for the template's ``table`` macro."""
    return {
        "columns": [str(name) for name in frame.columns],
        "rows": [
            [_cell(value) for value in row]
            for row in frame.itertuples(index=False, name=None)
        ],
    }


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("loan_default.model_risk", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_document(
    title: str, summary: Sequence[tuple[str, str]], sections: Sequence[Section]
) -> str:
    """The document as one HTML page. ``sections`` must carry ``SECTION_TITLES``
    in order, so no heading a validator expects is ever missing."""
    titles = tuple(section.title for section in sections)
    if titles != SECTION_TITLES:
        raise ValueError(
            f"model document: sections {list(titles)} do not match the expected "
            f"headings {list(SECTION_TITLES)}"
        )
    return (
        _templates()
        .get_template("model_document.html.j2")
        .render(title=title, summary=list(summary), sections=list(sections))
    )
