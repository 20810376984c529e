import numpy as np
import pandas as pd
import pytest

from loan_default.monitoring.alerts import (
    Alert,
    MonitoringActAlertError,
    alerts_frame,
    drift_alerts,
    null_share_alerts,
    performance_alerts,
    raise_on_act_alerts,
    score_drift_alerts,
)


def _estimates(**realised: float) -> pd.DataFrame:
    """An estimated-performance table: reference AUC 0.76, batch estimate 0.72."""
    table = pd.DataFrame(
        {
            "metric": ["roc_auc", "default_rate", "recall"],
            "reference": [0.76, 0.08, 0.5],
            "estimate": [0.72, 0.09, 0.48],
            "lower": [0.70, 0.085, 0.44],
            "upper": [0.74, 0.095, 0.52],
            "realised": [realised.get(name, np.nan) for name in
                         ("roc_auc", "default_rate", "recall")],
        }
    )  # fmt: skip
    known = table["realised"].notna()
    inside = table["realised"].between(table["lower"], table["upper"])
    table["within_interval"] = np.where(known, inside.astype(float), np.nan)
    return table


def test_estimated_auc_drop_beyond_the_margin_acts_before_outcomes():
    (alert,) = performance_alerts(_estimates(), auc_margin=0.03)
    assert alert == Alert(
        name="estimated_auc_drop",
        severity="act",
        source="estimate",
        feature="",
        statistic="reference roc_auc - estimated roc_auc",
        observed=pytest.approx(0.04),
        rule="drop > 0.03",
    )
    assert performance_alerts(_estimates(), auc_margin=0.05) == []


def test_realised_outside_the_interval_means_calibration_drift():
    alerts = performance_alerts(
        _estimates(roc_auc=0.71, default_rate=0.12, recall=0.5), auc_margin=0.05
    )
    assert [alert.name for alert in alerts] == [
        "realised_auc_drop",
        "calibration_drift_default_rate",
    ]
    assert alerts[1].observed == pytest.approx(0.12)
    assert alerts[1].rule == "0.085 <= realised <= 0.095"


def test_realised_inside_the_interval_raises_nothing():
    assert (
        performance_alerts(
            _estimates(roc_auc=0.73, default_rate=0.09, recall=0.5), auc_margin=0.05
        )
        == []
    )


def test_auc_margin_must_be_positive():
    with pytest.raises(ValueError, match="auc_margin must be positive"):
        performance_alerts(_estimates(), auc_margin=0)


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
            Alert("w", "watch", "quality", "x", "null_share_change", 0.1, "x >= 0.05"),
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
