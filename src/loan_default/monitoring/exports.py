"""What a monitoring run hands on: Prometheus text and a self-contained HTML report.

The report embeds its plots as base64 PNG and its tables as HTML: no script, style
sheet or image is fetched from elsewhere, and no applicant row is written into it,
only aggregates.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

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
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{encoded}">'


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


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(
        index=False,
        float_format=lambda value: f"{value:.4g}",
        na_rep="",
        border=0,
        escape=True,
    )


_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 1.5em; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.act { color: #b00; font-weight: bold; } .watch { color: #b60; }
"""


def html_report(
    outputs: Mapping[str, Any],
    params: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> str:
    """The monitoring run as one self-contained HTML page (alerts first).

    ``outputs`` is what ``monitor_batch`` returns, ``params`` the ``monitoring``
    parameters; parts that are absent (no scores, no labels, no contributions) are
    left out of the page. ``context`` (e.g. model version, batch source) is listed
    under the title.
    """
    title = str(params["report"]["title"])
    top = int(params["report"]["top_features"])
    watch, act = float(params["psi"]["watch"]), float(params["psi"]["act"])
    alerts = outputs["alerts"]
    counts = {
        severity: int((alerts["severity"] == severity).sum()) for severity in SEVERITIES
    }
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        *(
            f"<p><b>{html.escape(str(name))}</b>: {html.escape(str(value))}</p>"
            for name, value in (context or {}).items()
        ),
        f"<p>{outputs['batch_rows']} applications in the batch against "
        f"{outputs['reference_rows']} in the reference. Alerts: "
        f'<span class="act">{counts["act"]} act</span>, '
        f'<span class="watch">{counts["watch"]} watch</span>.</p>',
        "<h2>Alerts</h2>",
        _table(alerts) if len(alerts) else "<p>None.</p>",
    ]
    if outputs.get("performance") is not None:
        parts += [
            "<h2>Performance on labelled outcomes</h2>",
            _table(outputs["performance"]),
        ]
    if outputs.get("score_statistics") is not None:
        parts += [
            "<h2>Score stability</h2>",
            f"<p>Score PSI: {outputs['score_psi']:.4f}</p>",
            _score_plot(outputs["score_histogram"]),
            _table(outputs["score_statistics"]),
        ]
    if outputs.get("decile_shares") is not None:
        parts += [
            "<h3>Applicants per risk decile</h3>",
            _decile_plot(outputs["decile_shares"]),
            _table(outputs["decile_shares"]),
        ]
    drift = outputs["drift"]
    parts += [
        "<h2>Feature drift</h2>",
        f"<p>PSI over reference deciles, missing values as their own bin; watch at "
        f"{watch}, act at {act}. "
        f"The {top} largest:</p>",
        _psi_plot(drift, watch, act, top),
        _table(drift),
    ]
    if outputs.get("importance") is not None:
        parts += [
            "<h2>Feature importance stability</h2>",
            _importance_plot(outputs["importance"], top),
            _table(outputs["importance"].head(top)),
        ]
    if outputs.get("client_profile") is not None:
        profile = outputs["client_profile"]
        parts += [
            "<h2>Client profile: change in the mean of the top features per risk "
            "decile (current minus reference)</h2>",
            _table(
                profile.pivot(
                    index="risk_decile", columns="feature", values="change"
                ).reset_index()
            ),
        ]
    parts += ["<h2>Data quality</h2>", _table(outputs["quality"])]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
