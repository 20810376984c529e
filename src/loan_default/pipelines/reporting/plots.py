"""Figures of the reporting pipeline.

Matplotlib figures are built without pyplot (no global state, no display needed) and
saved as PNG by ``matplotlib.MatplotlibDataset``; plotly figures are saved as JSON by
``plotly.JSONDataset`` for Kedro-Viz to preview. Each chart's numbers are computed
once and drawn by both libraries when it has both forms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from loan_default.metrics import discrimination_metrics
from loan_default.pipelines.reporting.nodes import MODEL, PROBABILITY
from loan_default.schema import TARGET

_MAX_CURVE_POINTS = 500
_FIGURE_SIZE = (7.0, 5.5)


def _thinned(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Curves over tens of thousands of scores would make heavy JSON for no visible gain.
    if len(x) <= _MAX_CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, _MAX_CURVE_POINTS).astype("int64"))
    return x[keep], y[keep]


def _by_model(test_predictions: pd.DataFrame):
    for algorithm, predictions in test_predictions.groupby(MODEL, sort=True):
        yield (
            str(algorithm),
            predictions[TARGET].to_numpy(dtype="int64"),
            predictions[PROBABILITY].to_numpy(dtype="float64"),
        )


def _roc_points(test_predictions: pd.DataFrame) -> list[tuple[str, np.ndarray, ...]]:
    points = []
    for algorithm, labels, scores in _by_model(test_predictions):
        false_positive_rate, true_positive_rate, _ = roc_curve(labels, scores)
        auc = discrimination_metrics(labels, scores)["roc_auc"]
        x, y = _thinned(false_positive_rate, true_positive_rate)
        points.append((f"{algorithm} (AUC {auc:.3f})", x, y))
    return points


def _precision_recall_points(
    test_predictions: pd.DataFrame,
) -> list[tuple[str, np.ndarray, ...]]:
    points = []
    for algorithm, labels, scores in _by_model(test_predictions):
        precision, recall, _ = precision_recall_curve(labels, scores)
        pr_auc = discrimination_metrics(labels, scores)["pr_auc"]
        x, y = _thinned(recall, precision)
        points.append((f"{algorithm} (PR AUC {pr_auc:.3f})", x, y))
    return points


def _line_figure(
    points: list, title: str, x_label: str, y_label: str, diagonal: bool
) -> Figure:
    figure = Figure(figsize=_FIGURE_SIZE, layout="constrained")
    axes = figure.subplots()
    for label, x, y in points:
        axes.plot(x, y, label=label)
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(title=title, xlabel=x_label, ylabel=y_label, xlim=(0, 1), ylim=(0, 1.02))
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    return figure


def _line_chart(
    points: list, title: str, x_label: str, y_label: str, diagonal: bool
) -> go.Figure:
    chart = go.Figure()
    for label, x, y in points:
        chart.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label))
    if diagonal:
        chart.add_trace(
            go.Scatter(
                x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dash"}
            )
        )
    chart.update_layout(
        title=title, xaxis_title=x_label, yaxis_title=y_label, template="plotly_white"
    )
    return chart


def plot_roc_curves(test_predictions: pd.DataFrame) -> tuple[Figure, go.Figure]:
    """ROC curves of every algorithm on the test split, as PNG and plotly chart."""
    points = _roc_points(test_predictions)
    labels = ("ROC curves (test split)", "False positive rate", "True positive rate")
    return (
        _line_figure(points, *labels, diagonal=True),
        _line_chart(points, *labels, diagonal=True),
    )


def plot_precision_recall_curves(
    test_predictions: pd.DataFrame,
) -> tuple[Figure, go.Figure]:
    """Precision-recall curves of every algorithm on the test split."""
    points = _precision_recall_points(test_predictions)
    labels = ("Precision-recall curves (test split)", "Recall", "Precision")
    return (
        _line_figure(points, *labels, diagonal=False),
        _line_chart(points, *labels, diagonal=False),
    )


def plot_calibration_curves(test_predictions: pd.DataFrame) -> Figure:
    """Observed default rate against mean predicted probability, by score decile."""
    figure = Figure(figsize=_FIGURE_SIZE, layout="constrained")
    axes = figure.subplots()
    highest = 0.0
    for algorithm, labels, scores in _by_model(test_predictions):
        observed, predicted = calibration_curve(
            labels, scores, n_bins=10, strategy="quantile"
        )
        axes.plot(predicted, observed, marker="o", label=algorithm)
        highest = max(highest, float(observed.max()), float(predicted.max()))
    limit = min(1.0, highest * 1.05 + 0.01)
    axes.plot([0, limit], [0, limit], linestyle="--", color="grey", label="perfect")
    axes.set(
        title="Calibration by score decile (test split)",
        xlabel="Mean predicted probability of default",
        ylabel="Observed default rate",
        xlim=(0, limit),
        ylim=(0, limit),
    )
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    return figure


def plot_lift_and_gain(decile_table: pd.DataFrame) -> Figure:
    """Lift per risk decile and cumulative gain, riskiest decile first."""
    figure = Figure(figsize=(11.0, 4.8), layout="constrained")
    lift_axes, gain_axes = figure.subplots(1, 2)
    algorithms = sorted(decile_table[MODEL].unique())
    width = 0.8 / max(len(algorithms), 1)
    for index, algorithm in enumerate(algorithms):
        table = decile_table.loc[decile_table[MODEL] == algorithm]
        lift_axes.bar(
            table["risk_decile"] + (index - (len(algorithms) - 1) / 2) * width,
            table["lift"],
            width=width,
            label=algorithm,
        )
        gain_axes.plot(
            np.r_[0, table["applicants_share_cumulative"]],
            np.r_[0, table["cumulative_gain"]],
            marker="o",
            label=algorithm,
        )
    lift_axes.axhline(1.0, linestyle="--", color="grey")
    lift_axes.set(
        title="Lift by risk decile (10 = riskiest)",
        xlabel="Risk decile",
        ylabel="Default rate / overall default rate",
        xticks=range(1, 11),
    )
    lift_axes.invert_xaxis()
    gain_axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    gain_axes.set(
        title="Cumulative gain",
        xlabel="Share of applicants, riskiest first",
        ylabel="Share of defaults caught",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    for axes in (lift_axes, gain_axes):
        axes.grid(alpha=0.3)
        axes.legend(loc="best")
    return figure


def plot_confusion_matrix(
    test_predictions: pd.DataFrame,
    champion_metadata: dict[str, Any],
) -> Figure:
    """The champion's confusion matrix on the test split at its operating threshold."""
    champion_name = champion_metadata["algorithm"]
    predictions = test_predictions.loc[test_predictions[MODEL] == champion_name]
    threshold = float(champion_metadata["operating_threshold"])
    flagged = (predictions[PROBABILITY] >= threshold).astype("int64")
    counts = confusion_matrix(
        predictions[TARGET].astype("int64"), flagged, labels=[0, 1]
    )
    figure = Figure(figsize=(5.5, 4.8), layout="constrained")
    axes = figure.subplots()
    axes.imshow(counts, cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        share = count / counts.sum()
        colour = "white" if count > counts.max() / 2 else "black"
        axes.text(
            column,
            row,
            f"{count:,}\n{share:.1%}",
            ha="center",
            va="center",
            color=colour,
        )
    axes.set(
        title=f"{champion_name} at threshold {threshold:.3f} (test split)",
        xticks=[0, 1],
        yticks=[0, 1],
        xticklabels=["approved", "flagged"],
        yticklabels=["repaid", "defaulted"],
        xlabel="Decision",
        ylabel="Outcome",
    )
    return figure


def plot_metric_comparison(
    evaluation_results: pd.DataFrame, plot_options: dict
) -> tuple[Figure, go.Figure]:
    """Grouped bars of the chosen metrics, one group per metric."""
    metrics = list(plot_options["comparison_metrics"])
    missing = [metric for metric in metrics if metric not in evaluation_results]
    if missing:
        raise ValueError(
            f"parameters reporting_plots.comparison_metrics: {missing} are not "
            f"columns of evaluation_results ({list(evaluation_results.columns)})"
        )
    figure = Figure(figsize=(max(7.0, 1.2 * len(metrics)), 4.8), layout="constrained")
    axes = figure.subplots()
    chart = go.Figure()
    positions = np.arange(len(metrics))
    width = 0.8 / max(len(evaluation_results), 1)
    for index, (_, row) in enumerate(evaluation_results.iterrows()):
        values = row[metrics].astype("float64").to_numpy()
        offset = (index - (len(evaluation_results) - 1) / 2) * width
        axes.bar(positions + offset, values, width=width, label=row[MODEL])
        chart.add_trace(go.Bar(x=metrics, y=values, name=str(row[MODEL])))
    axes.set_xticks(positions, metrics, rotation=30, ha="right")
    axes.set(title="Metric comparison (test split)", ylabel="Value")
    axes.grid(alpha=0.3, axis="y")
    axes.legend(loc="best")
    chart.update_layout(
        title="Metric comparison (test split)", barmode="group", template="plotly_white"
    )
    return figure, chart


def plot_feature_importance(
    feature_importance: pd.DataFrame, importance_options: dict
) -> Figure:
    """The ``top_n`` most important features of one algorithm."""
    top = feature_importance.head(int(importance_options["top_n"])).iloc[::-1]
    method = feature_importance["method"].iloc[0] if len(feature_importance) else ""
    figure = Figure(figsize=(8.0, 0.3 * len(top) + 1.5), layout="constrained")
    axes = figure.subplots()
    axes.barh(top["feature"], top["importance"])
    axes.set(
        title=f"Top {len(top)} features ({method} importance)", xlabel="Importance"
    )
    axes.grid(alpha=0.3, axis="x")
    return figure
