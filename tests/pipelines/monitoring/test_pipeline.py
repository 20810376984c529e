"""Scoring and monitoring end to end with SequentialRunner on small generated data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loan_default.monitoring import MonitoringActAlertError
from tests.pipelines.monitoring.conftest import latest, run_scoring_and_monitoring

BATCH = {"n_applications": 3_000, "seed": 31}
PLANTED_DRIFT = {"shift": {"EXT_SOURCE_3": -0.2}}
OUTPUTS = (
    "data/07_model_output/scores.parquet",
    "data/07_model_output/quarantine.csv",
    "data/08_reporting/monitoring/metrics.csv",
    "data/08_reporting/monitoring/alerts.json",
    "data/08_reporting/monitoring/report.html",
    "data/08_reporting/monitoring/monitoring.prom",
)


@pytest.fixture(scope="module")
def stable(trained, tmp_path_factory):
    """An unlabelled batch from the generator that made the training data."""
    return run_scoring_and_monitoring(
        trained, tmp_path_factory.mktemp("stable"), synthetic_batch=BATCH
    )


@pytest.fixture(scope="module")
def drifted(trained, tmp_path_factory):
    """A labelled batch with planted drift, run with fail_on_act; returns the folder
    and the error the run ended with."""
    root = tmp_path_factory.mktemp("drifted")
    with pytest.raises(MonitoringActAlertError) as error:
        run_scoring_and_monitoring(
            trained,
            root,
            synthetic_batch={**BATCH, "with_target": True, "drift": PLANTED_DRIFT},
            monitoring={"fail_on_act": True},
        )
    return root, error.value


def alerts_of(root) -> dict:
    return json.loads(
        latest(root, "data/08_reporting/monitoring/alerts.json").read_text()
    )


def metrics_of(root) -> pd.DataFrame:
    return pd.read_csv(latest(root, "data/08_reporting/monitoring/metrics.csv"))


def test_scores_hold_one_row_per_applicant(stable, trained):
    scores = pd.read_parquet(latest(stable, "data/07_model_output/scores.parquet"))
    assert list(scores.columns) == [
        "SK_ID_CURR",
        "PROBABILITY",
        "DECISION",
        "RISK_DECILE",
        "MODEL_VERSION",
    ]
    assert len(scores) == BATCH["n_applications"]
    assert scores["SK_ID_CURR"].is_unique
    assert (scores["MODEL_VERSION"] == trained.champion.model_version).all()
    assert scores["RISK_DECILE"].between(1, 10).all()


def test_a_batch_from_the_training_generator_raises_no_act_alert(stable):
    alerts = alerts_of(stable)
    assert alerts["counts"]["act"] == 0
    drift = metrics_of(stable).query("section == 'drift' and statistic == 'psi'")
    watched = [a for a in alerts["alerts"] if a["name"].startswith("feature_drift_")]
    assert len(watched) < 0.05 * len(drift)
    assert alerts["batch"].startswith("synthetic, seed 31")


def test_planted_drift_is_found_as_act(drifted):
    root, _ = drifted
    acts = {a["name"] for a in alerts_of(root)["alerts"] if a["severity"] == "act"}
    assert "feature_drift_EXT_SOURCE_3" in acts


def test_fail_on_act_fails_after_every_output_is_written(drifted):
    root, error = drifted
    assert "feature_drift_EXT_SOURCE_3" in str(error)
    assert "fail_on_act" in str(error)
    for relative_path in OUTPUTS:
        assert latest(root, relative_path).stat().st_size > 0, relative_path


def test_performance_is_measured_only_when_labels_arrived(stable, drifted):
    labelled, _ = drifted
    performance = metrics_of(labelled).query("section == 'performance'")
    auc = performance.set_index("statistic").loc["roc_auc"]
    assert 0.5 < auc["current"] <= 1
    assert 0.5 < auc["reference"] <= 1  # the champion's test AUC
    assert metrics_of(stable).query("section == 'performance'").empty
    labelled_page = latest(labelled, "data/08_reporting/monitoring/report.html")
    stable_page = latest(stable, "data/08_reporting/monitoring/report.html")
    assert "Performance on labelled outcomes" in labelled_page.read_text()
    assert "Performance on labelled outcomes" not in stable_page.read_text()


def test_importance_and_profile_come_from_the_champion(stable):
    metrics = metrics_of(stable)
    importance = metrics.query("section == 'importance'")
    assert importance["feature"].str.startswith("EXT_SOURCE").any()
    page = latest(stable, "data/08_reporting/monitoring/report.html").read_text()
    assert "Client profile" in page
    assert "xgboost 2030-01-01T00.00.00.000Z" in page


def test_prometheus_file_parses(stable):
    text = latest(stable, "data/08_reporting/monitoring/monitoring.prom").read_text()
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {
        "loan_default_feature_psi",
        "loan_default_score_psi",
        "loan_default_alerts",
        "loan_default_batch_rows",
    } <= families
