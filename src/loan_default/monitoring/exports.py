"""What a monitoring run hands on: Prometheus text and a self-contained HTML report.

The report is rendered from the package's Jinja2 template ``templates/report.html.j2``
with autoescaping on: every figure and name reaches the page as text. Plots are
embedded as base64 PNG: no script, style sheet or image is fetched from elsewhere, and
no applicant row is written into it, only aggregates.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Mapping
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from loan_default.monitoring.alerts import SEVERITIES

PREFIX = "loan_default"


def prometheus_exposition(
    metrics: pd.DataFrame, alerts: pd.DataFrame, batch_rows: int | None = None
) -> str:
    """Gauges in the Prometheus text format, for a textfile collector or a push.

    ``loan_default_feature_psi{feature}``, ``loan_default_feature_null_share{feature}``,
    ``loan_default_score_psi``, ``loan_default_alerts{severity}``, and when labels
    arrived ``loan_default_auc``, ``loan_default_gini`` and
    ``loan_default_performance{metric}``.
    """
    registry = CollectorRegistry()

    def figures(section: str, statistic: str) -> pd.DataFrame:
        return metrics.loc[
            (metrics["section"] == section) & (metrics["statistic"] == statistic)
        ]

    feature_psi = Gauge(
        f"{PREFIX}_feature_psi",
        "PSI of the feature, batch against reference",
        ["feature"],
        registry=registry,
    )
    for row in figures("drift", "psi").itertuples(index=False):
        feature_psi.labels(feature=row.feature).set(row.current)
    null_share = Gauge(
        f"{PREFIX}_feature_null_share",
        "Share of missing values in the batch",
        ["feature"],
        registry=registry,
    )
    for row in figures("quality", "null_share").itertuples(index=False):
        null_share.labels(feature=row.feature).set(row.current)
    score_psi = figures("score", "psi")
    if len(score_psi):
        Gauge(
            f"{PREFIX}_score_psi", "PSI of the predicted probability", registry=registry
        ).set(score_psi["current"].iloc[0])
    alert_count = Gauge(
        f"{PREFIX}_alerts",
        "Alerts raised by the batch",
        ["severity"],
        registry=registry,
    )
    for severity in SEVERITIES:
        alert_count.labels(severity=severity).set(
            int((alerts["severity"] == severity).sum())
        )
    performance = metrics.loc[metrics["section"] == "performance"]
    if len(performance):
        by_name = performance.set_index("statistic")["current"]
        for name, key in (("auc", "roc_auc"), ("gini", "gini")):
            if key in by_name:
                Gauge(
                    f"{PREFIX}_{name}",
                    f"{key} on the labelled batch",
                    registry=registry,
                ).set(by_name[key])
        gauge = Gauge(
            f"{PREFIX}_performance",
            "Performance on the labelled batch",
            ["metric"],
            registry=registry,
        )
        for name, value in by_name.items():
            gauge.labels(metric=name).set(value)
    if batch_rows is not None:
        Gauge(
            f"{PREFIX}_batch_rows", "Applications in the batch", registry=registry
        ).set(batch_rows)
    return generate_latest(registry).decode("utf-8")


def _png(figure: Figure) -> str:
    """The figure as base64 PNG, for a ``data:`` URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _score_plot(histogram: pd.DataFrame) -> str:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    width = (histogram["bin_right"] - histogram["bin_left"]).to_numpy()
    for name, alpha in (("reference", 0.5), ("current", 0.5)):
        axes.bar(
            histogram["bin_left"],
            histogram[name],
            width=width,
            align="edge",
            alpha=alpha,
            label=name,
        )
    axes.set(xlabel="probability of default", ylabel="share of applicants")
    axes.legend()
    return _png(figure)


def _decile_plot(shares: pd.DataFrame) -> str:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    positions = np.arange(len(shares))
    axes.bar(positions - 0.2, shares["reference"], 0.4, label="reference")
    axes.bar(positions + 0.2, shares["current"], 0.4, label="current")
    axes.set_xticks(positions, shares["risk_decile"].astype(str))
    axes.set(xlabel="risk decile", ylabel="share of applicants")
    axes.legend()
    return _png(figure)


def _psi_plot(drift: pd.DataFrame, watch: float, act: float, top: int) -> str:
    shown = drift.head(top).iloc[::-1]
    figure = Figure(figsize=(7, 0.25 * len(shown) + 1))
    axes = figure.subplots()
    colours = shown["verdict"].map(
        {"ok": "tab:green", "watch": "tab:orange", "act": "tab:red"}
    )
    axes.barh(shown["feature"], shown["psi"], color=colours)
    for threshold, style in ((watch, ":"), (act, "--")):
        axes.axvline(threshold, color="grey", linestyle=style)
    axes.set(xlabel="PSI")
    return _png(figure)


def _importance_plot(importance: pd.DataFrame, top: int) -> str:
    shown = importance.head(top).iloc[::-1]
    positions = np.arange(len(shown))
    figure = Figure(figsize=(7, 0.3 * len(shown) + 1))
    axes = figure.subplots()
    axes.barh(positions + 0.2, shown["reference"], 0.4, label="reference")
    axes.barh(positions - 0.2, shown["current"], 0.4, label="current")
    axes.set_yticks(positions, shown["feature"])
    axes.set(xlabel="mean |contribution|")
    axes.legend()
    return _png(figure)


def _cell(value: object) -> str:
    """A table cell as text: floats to four significant digits, missing as blank."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame) -> dict[str, list]:
    """Header and rows of cells for the template's ``table`` macro."""
    return {
        "columns": [str(name) for name in frame.columns],
        "rows": [
            [_cell(value) for value in row]
            for row in frame.itertuples(index=False, name=None)
        ],
    }


def _present(part: Any) -> Any:
    """``part`` unless it is missing or an empty table (a part that was not measured)."""
    if part is None or (isinstance(part, pd.DataFrame) and part.empty):
        return None
    return part


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("loan_default.monitoring", "templates"),
        autoescape=True,
        # A misspelt name in the template fails the render instead of printing "".
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_report(
    outputs: Mapping[str, Any],
    params: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> str:
    """The monitoring run as one self-contained HTML page (alerts first).

    ``outputs`` holds the checks' results by name (``alerts``, ``quality``, ``drift``,
    ``score_statistics``, ``score_psi``, ``score_histogram``, ``decile_shares``,
    ``importance``, ``client_profile``, ``performance``) and ``batch_rows`` and
    ``reference_rows``; a part that is absent or an empty table (no scores, no labels,
    no contributions) is left out of the page. ``params`` holds the ``report`` and
    ``psi`` blocks of the ``monitoring`` parameters. ``context`` (e.g. model version,
    batch source) is listed under the title.
    """
    top = int(params["report"]["top_features"])
    watch, act = float(params["psi"]["watch"]), float(params["psi"]["act"])
    alerts, drift = outputs["alerts"], outputs["drift"]
    view: dict[str, Any] = {
        "title": str(params["report"]["title"]),
        "context": dict(context or {}),
        "batch_rows": outputs["batch_rows"],
        "reference_rows": outputs["reference_rows"],
        "counts": {s: int((alerts["severity"] == s).sum()) for s in SEVERITIES},
        "alerts": _table(alerts) if len(alerts) else None,
        "performance": None,
        "score": None,
        "deciles": None,
        "drift": {
            "watch": watch,
            "act": act,
            "top": top,
            "plot": _psi_plot(drift, watch, act, top),
            "table": _table(drift),
        },
        "importance": None,
        "profile": None,
        "quality": _table(outputs["quality"]),
    }
    if (performance := _present(outputs.get("performance"))) is not None:
        view["performance"] = _table(performance)
    if (statistics := _present(outputs.get("score_statistics"))) is not None:
        view["score"] = {
            "psi": float(outputs["score_psi"]),
            "plot": _score_plot(outputs["score_histogram"]),
            "table": _table(statistics),
        }
    if (shares := _present(outputs.get("decile_shares"))) is not None:
        view["deciles"] = {"plot": _decile_plot(shares), "table": _table(shares)}
    if (importance := _present(outputs.get("importance"))) is not None:
        methods = importance.get("method", pd.Series(dtype="string"))
        view["importance"] = {
            "method": ", ".join(methods.dropna().unique()),
            "plot": _importance_plot(importance, top),
            "table": _table(
                importance.drop(columns="method", errors="ignore").head(top)
            ),
        }
    if (profile := _present(outputs.get("client_profile"))) is not None:
        view["profile"] = _table(
            profile.pivot(
                index="risk_decile", columns="feature", values="change"
            ).reset_index()
        )
    return _templates().get_template("report.html.j2").render(view)
