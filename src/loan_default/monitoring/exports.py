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
from loan_default.monitoring.estimates import ESTIMATED_METRICS

PREFIX = "loan_default"


ESTIMATE_FIGURES = ("lower", "upper", "realised")


def _estimate_gauges(registry: CollectorRegistry, metrics: pd.DataFrame) -> None:
    estimates = metrics.loc[metrics["section"] == "estimate"].set_index("statistic")
    if estimates.empty:
        return
    estimated = Gauge(
        f"{PREFIX}_estimated_performance",
        "Performance expected from the calibrated probabilities, before outcomes: "
        "the reference's, the batch's estimate and interval, and the realised "
        "figure once outcomes arrived",
        ["metric", "figure"],
        registry=registry,
    )
    for name in (n for n in ESTIMATED_METRICS if n in estimates.index):
        estimated.labels(metric=name, figure="reference").set(
            estimates.loc[name, "reference"]
        )
        estimated.labels(metric=name, figure="estimate").set(
            estimates.loc[name, "current"]
        )
        for figure in ESTIMATE_FIGURES:
            if f"{name}_{figure}" in estimates.index:
                estimated.labels(metric=name, figure=figure).set(
                    estimates.loc[f"{name}_{figure}", "current"]
                )


def _threshold_gauges(
    registry: CollectorRegistry, thresholds: Mapping[str, Mapping[str, float]]
) -> None:
    if not thresholds:
        return
    threshold = Gauge(
        f"{PREFIX}_threshold",
        "Alert thresholds of the monitoring parameters",
        ["check", "severity"],
        registry=registry,
    )
    for check, levels in thresholds.items():
        for severity, value in levels.items():
            threshold.labels(check=check, severity=severity).set(float(value))


def prometheus_exposition(
    metrics: pd.DataFrame,
    alerts: pd.DataFrame,
    batch_rows: int | None = None,
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> str:
    """Gauges in the Prometheus text format, for a textfile collector or a push.

    ``loan_default_feature_psi{feature}``, ``loan_default_feature_null_share{feature}``,
    ``loan_default_feature_null_share_change{feature}``, ``loan_default_score_psi``,
    ``loan_default_alerts{severity}``,
    ``loan_default_estimated_performance{metric, figure}`` (figure: ``reference``,
    ``estimate``, ``lower``, ``upper``, and ``realised`` once outcomes arrived),
    ``loan_default_threshold{check, severity}`` (the parameters' thresholds, which
    the Prometheus alerting rules compare with), and when labels arrived
    ``loan_default_auc``, ``loan_default_gini`` and ``loan_default_performance{metric}``.
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
    null_share_change = Gauge(
        f"{PREFIX}_feature_null_share_change",
        "Share of missing values in the batch minus the reference's",
        ["feature"],
        registry=registry,
    )
    for row in figures("quality", "null_share").itertuples(index=False):
        null_share_change.labels(feature=row.feature).set(row.current - row.reference)
    _estimate_gauges(registry, metrics)
    _threshold_gauges(registry, thresholds or {})
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


def _series(trends: pd.DataFrame, section: str, statistic: str) -> pd.Series:
    """One model-level figure per batch, indexed by the batch's first run."""
    rows = trends.loc[
        (trends["section"] == section) & (trends["statistic"] == statistic)
    ]
    return rows.set_index("first_run")["value"]


def _trend_plot(trends: pd.DataFrame, watch: float, act: float, features: int) -> str:
    """Four panels over the last batches: PSI of the features drifting most in the
    latest batch, the score PSI, the AUC and the default rate (estimated with its
    interval, realised where outcomes arrived)."""
    runs = sorted(trends["first_run"].unique())
    position = {run: index for index, run in enumerate(runs)}
    figure = Figure(figsize=(10, 6.5))
    panels = figure.subplots(2, 2, sharex=True).ravel()
    drift = trends.loc[(trends["section"] == "drift") & (trends["statistic"] == "psi")]
    latest = drift.loc[drift["first_run"] == runs[-1]].nlargest(features, "value")
    for feature in latest["feature"]:
        line = drift.loc[drift["feature"] == feature]
        panels[0].plot(line["first_run"].map(position), line["value"], label=feature)
    score_psi = _series(trends, "score", "psi")
    panels[1].plot(score_psi.index.map(position), score_psi, color="tab:purple")
    for axes in panels[:2]:
        for threshold, style in ((watch, ":"), (act, "--")):
            axes.axhline(threshold, color="grey", linestyle=style)
    panels[0].set(title="PSI of the top features", ylabel="PSI")
    panels[0].legend(fontsize="x-small")
    panels[1].set(title="score PSI", ylabel="PSI")
    for axes, metric, title in (
        (panels[2], "roc_auc", "AUC: estimated (band: 95% interval) and realised"),
        (panels[3], "default_rate", "default rate: expected and realised"),
    ):
        estimate = _series(trends, "estimate", metric)
        x = estimate.index.map(position)
        axes.plot(x, estimate, marker=".", label="estimated")
        axes.fill_between(
            x,
            _series(trends, "estimate", f"{metric}_lower").reindex(estimate.index),
            _series(trends, "estimate", f"{metric}_upper").reindex(estimate.index),
            alpha=0.25,
        )
        realised = _series(trends, "estimate", f"{metric}_realised")
        axes.plot(realised.index.map(position), realised, "o", label="realised")
        reference = trends.loc[
            (trends["section"] == "estimate") & (trends["statistic"] == metric)
        ].set_index("first_run")["reference"]
        axes.plot(x, reference.reindex(estimate.index), ":", color="grey",
                  label="reference")  # fmt: skip
        axes.set(title=title)
        axes.legend(fontsize="x-small")
    labels = [str(run)[:10] for run in runs]
    for axes in panels[2:]:
        axes.set_xticks(range(len(runs)), labels, rotation=45, fontsize="x-small")
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
    ``importance``, ``client_profile``, ``performance``, ``estimates``,
    ``characteristic``, ``trends``) and ``batch_rows`` and
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
        "estimates": None,
        "characteristic": None,
        "trends": None,
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
    if (estimates := _present(outputs.get("estimates"))) is not None:
        view["estimates"] = _table(estimates)
    if (characteristic := _present(outputs.get("characteristic"))) is not None:
        shown = drift["feature"].head(int(params["report"]["characteristic_features"]))
        view["characteristic"] = _table(
            characteristic.loc[characteristic["feature"].isin(shown)]
            .assign(
                order=lambda frame: frame["feature"].map(
                    {name: index for index, name in enumerate(shown)}
                )
            )
            .sort_values("order", kind="stable")
            .drop(columns="order")
        )
    if (history := _present(outputs.get("trends"))) is not None:
        view["trends"] = {
            "batches": int(history["batch_id"].nunique()),
            "plot": _trend_plot(
                history, watch, act, int(params["report"]["trend_features"])
            ),
        }
    if (profile := _present(outputs.get("client_profile"))) is not None:
        view["profile"] = _table(
            profile.pivot(
                index="risk_decile", columns="feature", values="change"
            ).reset_index()
        )
    return _templates().get_template("report.html.j2").render(view)
