import numpy as np
import pandas as pd
import pytest

from loan_default.monitoring.alerts import (
    Alert,
    MonitoringActAlertError,
    alerts_frame,
    drift_alerts,
    null_share_alerts,
    raise_on_act_alerts,
    rule_alerts,
    score_drift_alerts,
    validate_rules,
)
from loan_default.monitoring.table import METRICS_COLUMNS


@pytest.fixture
def metrics() -> pd.DataFrame:
    rows = [
        ("quality", "EXT_SOURCE_3", "mean", 0.51, 0.40),
        ("quality", "EXT_SOURCE_3", "null_share", 0.20, 0.22),
        ("drift", "EXT_SOURCE_3", "psi", np.nan, 0.30),
        ("score", "", "mean", 0.08, 0.12),
        ("score", "", "psi", np.nan, 0.05),
        ("performance", "", "roc_auc", 0.75, 0.70),
    ]
    # No figure here is an estimate: the method column is empty.
    return pd.DataFrame([(*row, "") for row in rows], columns=METRICS_COLUMNS)


def _rule(**overrides) -> dict:
    rule = {
        "name": "ext3_low",
        "feature": "EXT_SOURCE_3",
        "statistic": "mean",
        "operator": "<",
        "value": 0.45,
        "severity": "watch",
    }
    return rule | overrides


def test_rule_alert_fires_with_its_evidence(metrics):
    (alert,) = rule_alerts(metrics, [_rule()])
    assert alert == Alert(
        name="ext3_low",
        severity="watch",
        source="rule",
        feature="EXT_SOURCE_3",
        statistic="mean",
        observed=0.40,
        rule="mean < 0.45",
    )


def test_rule_that_holds_raises_nothing(metrics):
    assert rule_alerts(metrics, [_rule(operator=">")]) == []


def test_rule_on_change_and_section(metrics):
    auc_drop = _rule(
        name="auc_drop",
        feature="",
        statistic="roc_auc",
        compare="change",
        operator="<",
        value=-0.03,
        severity="act",
    )
    score_shift = _rule(
        name="score_shift",
        feature="",
        section="score",
        statistic="mean",
        compare="change",
        operator=">",
        value=0.03,
    )
    alerts = rule_alerts(metrics, [auc_drop, score_shift])
    assert [alert.name for alert in alerts] == ["auc_drop", "score_shift"]
    assert alerts[0].observed == pytest.approx(-0.05)
    assert alerts[0].rule == "roc_auc change < -0.03"
    assert alerts[1].observed == pytest.approx(0.04)


def test_performance_rule_is_skipped_without_labels(metrics):
    unlabelled = metrics.loc[metrics["section"] != "performance"]
    rule = _rule(feature="", statistic="roc_auc", operator="<", value=0.7)
    assert rule_alerts(unlabelled, [rule]) == []


def test_rule_on_an_unknown_figure_is_an_error_not_silence(metrics):
    with pytest.raises(ValueError, match="'EXT_SOURCE_9'.*matches 0 figures"):
        rule_alerts(metrics, [_rule(feature="EXT_SOURCE_9")])


def test_malformed_rules_are_all_listed():
    rules = [
        _rule(operator="=<"),
        _rule(severity="panic", compare="later"),
        {"name": "half"},
        _rule(value="low", threshold=1),
    ]
    with pytest.raises(ValueError) as error:
        validate_rules(rules)
    message = str(error.value)
    for expected in (
        "operator '=<'",
        "severity 'panic'",
        "compare 'later'",
        "rule 2 (half): missing keys",
        "value 'low' is not a number",
        "unknown keys ['threshold']",
    ):
        assert expected in message


def test_drift_score_and_null_share_alerts():
    drift = pd.DataFrame(
        {
            "feature": ["a", "b", "c"],
            "verdict": ["act", "watch", "ok"],
            "psi": [0.4, 0.15, 0.01],
        }
    )
    alerts = drift_alerts(drift, 0.1, 0.25)
    assert [(alert.feature, alert.severity, alert.rule) for alert in alerts] == [
        ("a", "act", "psi >= 0.25"),
        ("b", "watch", "psi >= 0.1"),
    ]
    assert score_drift_alerts(0.05, 0.1, 0.25) == []
    assert score_drift_alerts(0.3, 0.1, 0.25)[0].severity == "act"
    quality = pd.DataFrame(
        {"feature": ["x", "y", "z"], "null_share_change": [0.3, 0.06, -0.5]}
    )
    jumps = null_share_alerts(quality, {"watch": 0.05, "act": 0.2})
    assert [(alert.feature, alert.severity) for alert in jumps] == [
        ("x", "act"),
        ("y", "watch"),
    ]
    with pytest.raises(ValueError, match="0 < watch <= act"):
        null_share_alerts(quality, {"watch": 0.3, "act": 0.2})


def _alerts() -> pd.DataFrame:
    return alerts_frame(
        [
            Alert("w", "watch", "rule", "x", "mean", 1.0, "mean > 0.5"),
            Alert("drift_a", "act", "drift", "a", "psi", 0.4, "psi >= 0.25"),
        ]
    )


def test_alerts_frame_puts_act_first():
    assert _alerts()["severity"].tolist() == ["act", "watch"]
    assert alerts_frame([]).columns.tolist() == list(Alert.__dataclass_fields__)


def test_fail_on_act_lists_the_act_alerts():
    with pytest.raises(
        MonitoringActAlertError,
        match=r"(?s)1 act alert.*drift_a.*psi = 0\.4 breaks psi >= 0\.25",
    ):
        raise_on_act_alerts(_alerts(), fail_on_act=True)


def test_no_failure_when_off_or_without_act():
    raise_on_act_alerts(_alerts(), fail_on_act=False)
    raise_on_act_alerts(_alerts().iloc[1:], fail_on_act=True)
