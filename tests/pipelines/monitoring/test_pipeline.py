"""Monitoring's DAG of checks, then scoring and monitoring end to end, with
SequentialRunner on small generated data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.runner import SequentialRunner
from prometheus_client.parser import text_string_to_metric_families

from loan_default.monitoring import MonitoringActAlertError
from loan_default.pipelines.monitoring import create_pipeline
from loan_default.pipelines.monitoring.nodes import build_reference
from loan_default.synthetic import generate_new_applications
from tests.pipelines.monitoring.conftest import (
    checks_pipeline,
    latest,
    monitoring_catalog,
    run_checks,
    run_scoring_and_monitoring,
)
from tests.project import PROJECT_ROOT

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


CHECKS = {
    "measure_data_quality": "monitoring_quality",
    "measure_feature_drift": "monitoring_drift",
    "measure_score_stability": "monitoring_score_statistics",
    "measure_decile_shares": "monitoring_decile_shares",
    "compute_contributions": "monitoring_batch_contributions",
    "measure_importance_stability": "monitoring_importance",
    "profile_clients": "monitoring_client_profile",
    "measure_performance": "monitoring_performance",
    "estimate_performance": "monitoring_estimates",
    "build_metrics_table": "monitoring_metrics",
    "raise_alerts": "monitoring_alert_table",
    "record_history": "monitoring_history_rows",
    "collect_trends": "monitoring_trends",
}
CHECK_FILES = "data/08_reporting/monitoring/checks"


# --- the DAG of checks ----------------------------------------------------------


def test_one_node_per_check_each_with_its_own_dataset():
    pipeline = create_pipeline()
    nodes = {node.name: node for node in pipeline.nodes}
    for name, dataset in CHECKS.items():
        assert dataset in nodes[name].outputs, name
    producers = [output for node in pipeline.nodes for output in node.outputs]
    assert len(producers) == len(set(producers))
    # Each node reads the parameter keys it uses, never the whole block.
    assert not any("params:monitoring" in node.inputs for node in pipeline.nodes)


def test_every_monitoring_dataset_is_a_file_with_a_kedro_viz_layer():
    """Files, so that one check can be rerun alone; layered for Kedro-Viz."""
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"),
        base_env="base",
        default_run_env="base",
        config_patterns={"monitoring": ["catalog_monitoring*"]},
    )
    entries = loader["monitoring"]
    produced = set(create_pipeline().all_outputs())
    assert produced <= set(entries)
    for name, entry in entries.items():
        assert entry["type"] != "MemoryDataset", name
        assert entry["metadata"]["kedro-viz"]["layer"] in (
            "model_output",
            "reporting",
        ), name


@pytest.fixture(scope="module")
def generated_drifted(
    tmp_path_factory,
    generated_reference,
    generated_drifted_batch,
    generated_champion,
    monitoring_params,
):
    return run_checks(
        tmp_path_factory.mktemp("generated_drifted"),
        generated_reference,
        generated_drifted_batch,
        generated_champion,
        monitoring_params,
    )


@pytest.fixture(scope="module")
def generated_stable(
    tmp_path_factory,
    generated_reference,
    generated_stable_batch,
    generated_champion,
    monitoring_params,
):
    return run_checks(
        tmp_path_factory.mktemp("generated_stable"),
        generated_reference,
        generated_stable_batch,
        generated_champion,
        monitoring_params,
    )


def test_the_checks_write_their_results_and_the_exports(generated_drifted):
    root = generated_drifted
    for name in (
        "quality",
        "drift",
        "score_statistics",
        "score_histogram",
        "decile_shares",
        "contributions_reference",
        "contributions_batch",
        "importance",
        "client_profile",
        "performance",
        "alerts",
        "characteristic",
        "estimates",
        "trends",
    ):
        assert not pd.read_parquet(root / CHECK_FILES / f"{name}.parquet").empty, name
    score_psi = json.loads((root / CHECK_FILES / "score_psi.json").read_text())
    assert score_psi >= 0.25
    acts = {a["name"] for a in alerts_of(root)["alerts"] if a["severity"] == "act"}
    assert {"feature_drift_num_00", "score_drift"} <= acts
    metrics = metrics_of(root)
    assert set(metrics["section"]) == {
        "quality",
        "drift",
        "score",
        "risk_decile",
        "importance",
        "performance",
        "estimate",
    }
    importance = metrics.query("section == 'importance'")
    assert (importance["method"] == "tree-path (Saabas) approximation").all()
    page = latest(root, "data/08_reporting/monitoring/report.html").read_text()
    assert "method: tree-path (Saabas) approximation" in page


def test_an_unlabelled_batch_writes_an_empty_performance_table(generated_stable):
    root = generated_stable
    performance = pd.read_parquet(root / CHECK_FILES / "performance.parquet")
    assert performance.empty
    assert list(performance.columns) == ["metric", "reference", "current", "change"]
    assert metrics_of(root).query("section == 'performance'").empty
    assert alerts_of(root)["counts"]["act"] == 0
    page = latest(root, "data/08_reporting/monitoring/report.html").read_text()
    assert "Performance on labelled outcomes" not in page


def test_one_check_reruns_alone_from_the_files_of_the_last_run(
    tmp_path,
    generated_reference,
    generated_drifted_batch,
    generated_champion,
    monitoring_params,
):
    """``kedro run --pipelines monitoring --from-nodes measure_feature_drift``: a
    later session reads the other checks' results from their files."""
    root = run_checks(
        tmp_path,
        generated_reference,
        generated_drifted_batch,
        generated_champion,
        monitoring_params,
    )
    untouched = ("quality.parquet", "score_psi.json", "importance.parquet")
    written = {
        name: (root / CHECK_FILES / name).stat().st_mtime_ns for name in untouched
    }
    lenient = monitoring_params | {"psi": {**monitoring_params["psi"], "act": 5.0}}
    rerun = checks_pipeline().from_nodes("measure_feature_drift")
    assert "measure_data_quality" not in {node.name for node in rerun.nodes}
    # A fresh catalog: nothing in memory but the champion, summary and parameters.
    SequentialRunner().run(rerun, monitoring_catalog(root, generated_champion, lenient))
    for name in untouched:
        assert (root / CHECK_FILES / name).stat().st_mtime_ns == written[name], name
    drift = pd.read_parquet(root / CHECK_FILES / "drift.parquet").set_index("feature")
    assert drift.loc["num_00", "verdict"] == "watch"  # act only from PSI 5 now
    versions = sorted((root / "data/08_reporting/monitoring/alerts.json").iterdir())
    assert len(versions) == 2
    acts = {a["name"] for a in alerts_of(root)["alerts"] if a["severity"] == "act"}
    assert not {"feature_drift_num_00", "score_drift"} & acts


# --- scoring and monitoring end to end --------------------------------------------


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
        *(f"REASON_{rank}" for rank in range(1, 5)),
        *(f"REASON_{rank}_STATEMENT" for rank in range(1, 5)),
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


def test_importance_and_profile_come_from_the_champion(stable, trained):
    metrics = metrics_of(stable)
    importance = metrics.query("section == 'importance'")
    assert importance["feature"].str.startswith("EXT_SOURCE").any()
    assert (importance["method"] == "tree-path (Saabas) approximation").all()
    page = latest(stable, "data/08_reporting/monitoring/report.html").read_text()
    assert "Client profile" in page
    assert f"{trained.champion.algorithm} {trained.champion.model_version}" in page


def test_prometheus_file_parses(stable):
    text = latest(stable, "data/08_reporting/monitoring/monitoring.prom").read_text()
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {
        "loan_default_feature_psi",
        "loan_default_score_psi",
        "loan_default_alerts",
        "loan_default_batch_rows",
    } <= families


# --- the history: ten daily batches, drift growing from day 5 ---------------------

DAYS = 10


def _drift_of_day(day: int) -> dict:
    """No drift for four days, then the external score falling a little more each
    day (a covariate shift: the outcomes still follow the features)."""
    if day < 5:
        return {}
    return {"shift": {"EXT_SOURCE_3": -0.05 * (day - 4)}}


def _scored_day(trained, day: int) -> pd.DataFrame:
    """The day's batch from the generator, scored by the champion as the scoring
    pipeline scores it; outcomes known for the first three days."""
    batch = generate_new_applications(
        1_000, seed=100 + day, drift=_drift_of_day(day), with_target=day <= 3,
        first_id=600_000 + 10_000 * day,
    )  # fmt: skip
    return build_reference(
        batch.application, batch.previous_application, trained.champion
    )


def _run_day(trained, root, reference, day: int, monitoring: dict) -> None:
    run_checks(
        root,
        reference,
        _scored_day(trained, day),
        trained.champion,
        monitoring,
        save_version=f"2026-03-{day:02d}T06.00.00.000Z",
    )


@pytest.fixture(scope="module")
def champion_reference(trained) -> pd.DataFrame:
    return build_reference(
        trained.application_test,
        trained.previous_application_validated,
        trained.champion,
    )


@pytest.fixture(scope="module")
def ten_days(trained, champion_reference, monitoring_params, tmp_path_factory):
    root = tmp_path_factory.mktemp("ten_days")
    for day in range(1, DAYS + 1):
        _run_day(trained, root, champion_reference, day, monitoring_params)
    return root


def test_history_keeps_one_row_per_batch_per_metric(ten_days):
    folder = ten_days / "data/08_reporting/monitoring/history.parquet"
    versions = sorted(path.name for path in folder.iterdir())
    assert versions == [f"2026-03-{day:02d}T06.00.00.000Z" for day in range(1, 11)]
    history = pd.concat(
        pd.read_parquet(folder / version / "history.parquet").assign(run=version)
        for version in versions
    )
    assert history["batch_id"].nunique() == DAYS
    per_batch = history.groupby(["batch_id", "section", "feature", "statistic"])
    assert (per_batch.size() == 1).all()


def test_trends_follow_the_growing_drift(ten_days):
    trends = pd.read_parquet(ten_days / CHECK_FILES / "trends.parquet")
    assert trends["first_run"].nunique() == DAYS
    by_day = trends.loc[
        (trends["section"] == "drift") & (trends["feature"] == "EXT_SOURCE_3")
    ].set_index("first_run")["value"]
    assert by_day.iloc[:4].max() < 0.1  # undrifted days
    assert by_day.iloc[-1] >= 0.25  # the last day acts
    assert by_day.iloc[4:].is_monotonic_increasing
    default_rate = trends.loc[trends["statistic"] == "default_rate"]
    expected = default_rate.set_index("first_run")["value"]
    assert expected.iloc[-1] > expected.iloc[:4].max()  # riskier applicants
    realised = trends.loc[trends["statistic"] == "roc_auc_realised"]
    assert len(realised) == 3  # the three labelled days
    page = latest(ten_days, "data/08_reporting/monitoring/report.html").read_text()
    assert f"Trends over the last {DAYS} batches" in page


def test_history_window_is_set_in_the_parameters(
    ten_days, trained, champion_reference, monitoring_params
):
    window = monitoring_params | {
        "report": monitoring_params["report"] | {"history_batches": 4}
    }
    _run_day(trained, ten_days, champion_reference, 11, window)
    trends = pd.read_parquet(ten_days / CHECK_FILES / "trends.parquet")
    assert trends["first_run"].unique().tolist() == [
        f"2026-03-{day:02d}T06.00.00.000Z" for day in range(8, 12)
    ]
