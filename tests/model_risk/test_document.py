import base64

import pandas as pd
import pytest
from matplotlib.figure import Figure

from loan_default.model_risk.document import (
    SECTION_TITLES,
    Section,
    html_table,
    render_document,
)


def sections() -> list[Section]:
    return [Section(title, paragraphs=[f"About {title}."]) for title in SECTION_TITLES]


def test_every_heading_in_order_with_text_escaped():
    parts = sections()
    parts[0].paragraphs.append("<script>alert(1)</script> & more")
    page = render_document("A <b>model</b>", [("Model", "x & y")], parts)
    positions = [
        page.index(f"{i}. {title}</h2>") for i, title in enumerate(SECTION_TITLES, 1)
    ]
    assert positions == sorted(positions)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<title>A &lt;b&gt;model&lt;/b&gt;</title>" in page
    assert "<dd>x &amp; y</dd>" in page


def test_plots_are_embedded_as_png():
    parts = sections()
    figure = Figure()
    figure.add_subplot().plot([0, 1], [0, 1])
    parts[4].add_plot("A line", figure)
    page = render_document("t", [], parts)
    encoded = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert "<figcaption>A line</figcaption>" in page


def test_a_saved_png_is_embedded_byte_for_byte_and_anything_else_refused():
    parts = sections()
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    parts[4].add_png("Saved plot", png)
    page = render_document("t", [], parts)
    encoded = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(encoded) == png
    with pytest.raises(ValueError, match="the plot 'Not a plot' is not a PNG"):
        parts[4].add_png("Not a plot", b"<svg></svg>")


def test_tables_are_formatted_cells():
    table = html_table(
        pd.DataFrame({"a": [0.12345, float("nan")], "b": [1234, 5], "c": [True, False]})
    )
    assert table == {
        "columns": ["a", "b", "c"],
        "rows": [["0.123", "1,234", "yes"], ["n/a", "5", "no"]],
    }


def test_a_missing_or_misplaced_heading_is_refused():
    parts = sections()
    with pytest.raises(ValueError, match="do not match the expected headings"):
        render_document("t", [], parts[:-1])
    with pytest.raises(ValueError, match="do not match the expected headings"):
        render_document("t", [], [parts[1], parts[0], *parts[2:]])


def test_a_collapsed_table_opens_on_a_click():
    parts = sections()
    parts[3].add_table("Points", pd.DataFrame({"bin": ["a", "b"]}), collapsed=True)
    page = render_document("t", [], parts)
    assert "<details><summary>Points (2 rows)</summary>" in page
