import pandas as pd
import pytest

from loan_default.monitoring.batch import monitor_batch
from loan_default.monitoring.table import METRICS_COLUMNS


def test_stable_batch_raises_no_act_alert(reference, stable_batch, monitoring_params):
    outputs = monitor_batch(reference, stable_batch, monitoring_params)
    assert (outputs["alerts"]["severity"] == "act").sum() == 0
    assert "performance" not in outputs  # no threshold: no performance
    assert outputs["score_psi"] < 0.1


def test_drifted_labelled_batch_gives_every_part(drifted_outputs, monitoring_params):
    outputs = drifted_outputs
    alerts = outputs["alerts"].set_index("name")
    assert alerts.loc["feature_drift_num_00", "severity"] == "act"
    assert alerts.loc["score_drift", "severity"] == "act"
    assert outputs["metrics"].columns.tolist() == METRICS_COLUMNS
    sections = set(outputs["metrics"]["section"])
    assert sections == {
        "quality",
        "drift",
        "score",
        "risk_decile",
        "importance",
        "performance",
    }
    profile = outputs["client_profile"]
    assert profile["feature"].nunique() == monitoring_params["profile_features"]
    assert outputs["importance"]["feature"].iloc[0] == "num_00"


def test_rule_on_a_feature_the_batch_lacks_is_refused(
    reference, stable_batch, monitoring_params
):
    params = monitoring_params | {
        "rules": [
            {
                "name": "typo",
                "feature": "num_99",
                "statistic": "mean",
                "operator": "<",
                "value": 0,
                "severity": "watch",
            }
        ]
    }
    with pytest.raises(ValueError, match="'typo'.*'num_99'"):
        monitor_batch(reference, stable_batch, params)


def test_unscored_frames_skip_the_score_parts(
    reference, stable_batch, monitoring_params
):
    score_columns = list(monitoring_params["score_columns"].values())
    params = monitoring_params | {"rules": []}
    outputs = monitor_batch(
        reference.drop(columns=score_columns),
        stable_batch.drop(columns=score_columns),
        params,
    )
    assert "score_psi" not in outputs
    assert isinstance(outputs["metrics"], pd.DataFrame)
