"""Alerts of a monitoring run: drift verdicts, null-share jumps and the estimated
performance, each with its evidence (the statistic, the observed value and the rule
it broke).

They are the run's own verdicts, for the report, ``alerts.json`` and the
``fail_on_act`` gate (``raise_on_act_alerts``). Alerting people is Prometheus'
job: ``deploy/prometheus/alerts.yml`` raises the same alerts from the exported
gauges, with the thresholds exported beside them from the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from loan_default.errors import ProjectError

SEVERITIES = ("watch", "act")


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    source: str
    feature: str
    statistic: str
    observed: float
    rule: str


ALERT_COLUMNS = list(Alert.__dataclass_fields__)


class MonitoringActAlertError(ProjectError, RuntimeError):
    """The batch raised ``act`` alerts and the run is set to fail on them."""


def drift_alerts(drift: pd.DataFrame, watch: float, act: float) -> list[Alert]:
    """One alert per feature whose PSI verdict is ``watch`` or ``act``."""
    flagged = drift.loc[drift["verdict"].isin(SEVERITIES)]
    return [
        Alert(
            name=f"feature_drift_{row.feature}",
            severity=row.verdict,
            source="drift",
            feature=row.feature,
            statistic="psi",
            observed=float(row.psi),
            rule=f"psi >= {act if row.verdict == 'act' else watch}",
        )
        for row in flagged.itertuples(index=False)
    ]


def score_drift_alerts(score_psi: float, watch: float, act: float) -> list[Alert]:
    """An alert when the score's own PSI reaches ``watch`` or ``act``."""
    if score_psi < watch:
        return []
    severity = "act" if score_psi >= act else "watch"
    threshold = act if severity == "act" else watch
    return [
        Alert(
            "score_drift",
            severity,
            "score",
            "",
            "psi",
            score_psi,
            f"psi >= {threshold}",
        )
    ]


def null_share_alerts(
    quality: pd.DataFrame, thresholds: Mapping[str, Any]
) -> list[Alert]:
    """One alert per feature whose null share rose by ``watch`` (or ``act``) or more."""
    watch, act = float(thresholds["watch"]), float(thresholds["act"])
    if not 0 < watch <= act:
        raise ValueError(
            f"null_share_jump thresholds need 0 < watch <= act; got {watch} and {act}"
        )
    jumped = quality.loc[quality["null_share_change"] >= watch]
    return [
        Alert(
            name=f"null_share_jump_{row.feature}",
            severity="act" if row.null_share_change >= act else "watch",
            source="quality",
            feature=row.feature,
            statistic="null_share_change",
            observed=float(row.null_share_change),
            rule=f"null_share_change >= {act if row.null_share_change >= act else watch}",
        )
        for row in jumped.itertuples(index=False)
    ]


def performance_alerts(estimates: pd.DataFrame, auc_margin: float) -> list[Alert]:
    """Alerts on the estimated performance table (``estimates.estimated_performance``).

    - ``estimated_auc_drop``: the AUC expected on the batch is below the reference's
      by more than ``auc_margin``: the population moved to where the model ranks
      worse, before any outcome is known;
    - ``realised_auc_drop``: the same on the realised AUC, once outcomes arrived;
    - ``calibration_drift_<metric>``: the realised figure lies outside the estimate's
      interval: the probabilities no longer match the outcomes.
    """
    if not auc_margin > 0:
        raise ValueError(
            f"estimated_performance.auc_margin must be positive; got {auc_margin}"
        )
    by_metric = estimates.set_index("metric")
    auc = by_metric.loc["roc_auc"]
    alerts = []
    for name, figure in (("estimated", "estimate"), ("realised", "realised")):
        drop = float(auc["reference"] - auc[figure])
        if drop > auc_margin:
            alerts.append(
                Alert(
                    name=f"{name}_auc_drop",
                    severity="act",
                    source="estimate",
                    feature="",
                    statistic=f"reference roc_auc - {name} roc_auc",
                    observed=drop,
                    rule=f"drop > {auc_margin}",
                )
            )
    outside = by_metric.loc[by_metric["within_interval"] == 0]
    alerts += [
        Alert(
            name=f"calibration_drift_{metric}",
            severity="act",
            source="estimate",
            feature="",
            statistic=f"realised {metric}",
            observed=float(row.realised),
            rule=f"{row.lower:.4g} <= realised <= {row.upper:.4g}",
        )
        for metric, row in outside.iterrows()
    ]
    return alerts


def alerts_frame(alerts: Sequence[Alert]) -> pd.DataFrame:
    """Alerts as a table, ``act`` first."""
    frame = pd.DataFrame([asdict(alert) for alert in alerts], columns=ALERT_COLUMNS)
    frame = frame.astype({"observed": "float64"})
    order = frame["severity"].map({"act": 0, "watch": 1})
    return frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(
        drop=True
    )


def raise_on_act_alerts(alerts: pd.DataFrame, fail_on_act: bool) -> None:
    """Raise ``MonitoringActAlertError`` listing the ``act`` alerts, when so configured."""
    acts = alerts.loc[alerts["severity"] == "act"]
    if not fail_on_act or acts.empty:
        return
    lines = [
        f"- {row.name} [{row.source}] {row.feature or 'model'}: "
        f"{row.statistic} = {row.observed:.4g} breaks {row.rule}"
        for row in acts.itertuples(index=False)
    ]
    raise MonitoringActAlertError(
        f"{len(acts)} act alert(s) and fail_on_act is set:\n" + "\n".join(lines)
    )
