"""Alerts: from drift verdicts, null-share jumps and rules written in the parameters.

Every alert carries its evidence: the statistic, the observed value and the rule it
broke. ``raise_on_act_alerts`` lets a run fail on ``act`` alerts (``fail_on_act``).
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from loan_default.errors import ProjectError

logger = logging.getLogger(__name__)

SEVERITIES = ("watch", "act")
OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_RULE_KEYS = {"name", "statistic", "operator", "value", "severity"}
_OPTIONAL_RULE_KEYS = {"feature", "section", "compare"}


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


def validate_rules(rules: Sequence[Mapping[str, Any]]) -> None:
    """Check every rule's keys, operator, severity and value; one error lists them all."""
    problems = []
    for position, rule in enumerate(rules):
        label = f"monitoring rule {position} ({rule.get('name', 'unnamed')})"
        missing = _RULE_KEYS - set(rule)
        unknown = set(rule) - _RULE_KEYS - _OPTIONAL_RULE_KEYS
        if missing:
            problems.append(f"{label}: missing keys {sorted(missing)}")
        if unknown:
            problems.append(
                f"{label}: unknown keys {sorted(unknown)}; allowed: "
                f"{sorted(_RULE_KEYS | _OPTIONAL_RULE_KEYS)}"
            )
        if "operator" in rule and rule["operator"] not in OPERATORS:
            problems.append(
                f"{label}: operator {rule['operator']!r} not in {list(OPERATORS)}"
            )
        if "severity" in rule and rule["severity"] not in SEVERITIES:
            problems.append(
                f"{label}: severity {rule['severity']!r} not in {list(SEVERITIES)}"
            )
        if rule.get("compare", "current") not in ("current", "change"):
            problems.append(
                f"{label}: compare {rule['compare']!r} not in ['current', 'change']"
            )
        if "value" in rule and not isinstance(rule["value"], int | float):
            problems.append(f"{label}: value {rule['value']!r} is not a number")
    if problems:
        raise ValueError("invalid monitoring rules:\n" + "\n".join(problems))


def rule_alerts(
    metrics: pd.DataFrame, rules: Sequence[Mapping[str, Any]]
) -> list[Alert]:
    """Evaluate parameter rules against the tidy metrics table.

    A rule names a ``statistic`` and, for a feature-level figure, a ``feature``
    (``section`` settles a name used in two sections). ``compare: change`` compares
    ``current - reference`` instead of the current value. When the batch has no
    labels, a model-level rule whose figure is absent (performance) is skipped with a
    log line; any other absent figure is an error, so a typo cannot silence an alert.
    """
    validate_rules(rules)
    labelled = bool((metrics["section"] == "performance").any())
    alerts = []
    for rule in rules:
        feature = str(rule.get("feature", ""))
        matches = metrics.loc[
            (metrics["statistic"] == rule["statistic"])
            & (metrics["feature"] == feature)
        ]
        if "section" in rule:
            matches = matches.loc[matches["section"] == rule["section"]]
        if matches.empty and feature == "" and not labelled:
            logger.info("rule %s skipped: the batch has no labels", rule["name"])
            continue
        if len(matches) != 1:
            raise ValueError(
                f"monitoring rule {rule['name']!r}: statistic {rule['statistic']!r} "
                f"for feature {feature!r} matches {len(matches)} figures "
                f"(sections {sorted(matches['section'].unique())}); known statistics: "
                f"{sorted(metrics['statistic'].unique())}"
            )
        row = matches.iloc[0]
        on_change = rule.get("compare", "current") == "change"
        observed = row["current"] - row["reference"] if on_change else row["current"]
        statistic = f"{rule['statistic']} change" if on_change else rule["statistic"]
        if np.isnan(observed):
            logger.info("rule %s skipped: %s is not defined", rule["name"], statistic)
            continue
        if OPERATORS[rule["operator"]](observed, rule["value"]):
            alerts.append(
                Alert(
                    name=rule["name"],
                    severity=rule["severity"],
                    source="rule",
                    feature=feature,
                    statistic=statistic,
                    observed=float(observed),
                    rule=f"{statistic} {rule['operator']} {rule['value']}",
                )
            )
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
