"""The tidy metrics table: every figure of a monitoring run, one row each.

Columns ``section, feature, statistic, reference, current, method``: ``feature`` is
empty for model-level figures (score, risk deciles, performance, estimate),
``reference`` is NaN for figures that compare the two samples (PSI, KS, ...) and
``method`` names how an estimated figure was computed (importance: the contribution
method; estimate: expected from calibrated probabilities), empty otherwise.
Dashboards read it as CSV or JSON; the Prometheus gauges and the history are read
from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRICS_COLUMNS = [
    "section",
    "feature",
    "statistic",
    "reference",
    "current",
    "method",
]

_QUALITY_PAIRED = ("null_share", "min", "max", "mean", "median", "mode")
_QUALITY_SINGLE = ("out_of_range_share", "unseen_share")
_DRIFT = ("psi", "ks_statistic", "ks_pvalue", "missing_share_change", "js_distance")


def _long(
    frame: pd.DataFrame,
    section: str,
    statistic: str,
    reference: str | None,
    current: str,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "section": section,
            "feature": frame["feature"].astype("string"),
            "statistic": statistic,
            "reference": frame[reference] if reference else np.nan,
            "current": frame[current],
            "method": frame["method"] if "method" in frame else "",
        }
    )


ESTIMATE_METHOD = "expected from calibrated probabilities"


def _estimate_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """``<metric>`` (the reference's estimate against the batch's), then
    ``<metric>_lower``, ``_upper`` and, once outcomes arrived, ``_realised``."""
    rows = []
    for row in estimates.itertuples(index=False):
        rows.append((row.metric, row.reference, row.estimate))
        rows += [
            (f"{row.metric}_{name}", np.nan, getattr(row, name))
            for name in ("lower", "upper", "realised")
        ]
    frame = pd.DataFrame(rows, columns=["statistic", "reference", "current"])
    return frame.assign(section="estimate", feature="", method=ESTIMATE_METHOD)


def metrics_table(
    quality: pd.DataFrame,
    drift: pd.DataFrame,
    *,
    score_statistics: pd.DataFrame | None = None,
    score_psi: float | None = None,
    decile_shares: pd.DataFrame | None = None,
    importance: pd.DataFrame | None = None,
    performance: pd.DataFrame | None = None,
    estimates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All figures in one tidy table; missing parts (no scores, no labels) are skipped.

    Rows whose current value is NaN (a KS test on a categorical feature) are dropped.
    ``importance`` may carry a ``method`` column (how the contributions were
    computed), which its rows keep.
    """
    parts = [
        _long(quality, "quality", name, f"{name}_reference", f"{name}_current")
        for name in _QUALITY_PAIRED
    ]
    parts += [_long(quality, "quality", name, None, name) for name in _QUALITY_SINGLE]
    parts += [_long(drift, "drift", name, None, name) for name in _DRIFT]
    if importance is not None:
        parts.append(
            _long(
                importance,
                "importance",
                "mean_abs_contribution",
                "reference",
                "current",
            )
        )
        parts.append(
            _long(importance, "importance", "rank", "rank_reference", "rank_current")
        )
    model_level = []
    if score_statistics is not None:
        model_level.append(
            score_statistics.assign(section="score")[
                ["section", "statistic", "reference", "current"]
            ]
        )
    if score_psi is not None:
        model_level.append(
            pd.DataFrame(
                {
                    "section": ["score"],
                    "statistic": ["psi"],
                    "reference": [np.nan],
                    "current": [score_psi],
                }
            )
        )
    if decile_shares is not None:
        model_level.append(
            pd.DataFrame(
                {
                    "section": "risk_decile",
                    "statistic": [
                        f"share_decile_{decile:02d}"
                        for decile in decile_shares["risk_decile"]
                    ],
                    "reference": decile_shares["reference"],
                    "current": decile_shares["current"],
                }
            )
        )
    if performance is not None:
        model_level.append(
            performance.rename(columns={"metric": "statistic"}).assign(
                section="performance"
            )[["section", "statistic", "reference", "current"]]
        )
    parts += [part.assign(feature="", method="") for part in model_level]
    if estimates is not None:
        parts.append(_estimate_rows(estimates))
    table = pd.concat(
        [part[METRICS_COLUMNS] for part in parts if len(part)], ignore_index=True
    )
    table = table.astype(
        {
            "section": "string",
            "feature": "string",
            "statistic": "string",
            "reference": "float64",
            "current": "float64",
            "method": "string",
        }
    )
    return table.loc[table["current"].notna()].reset_index(drop=True)
