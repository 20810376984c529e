"""The reporting pipeline run end to end on small fitted models with the project's
catalog and parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from loan_default.model.champion import SCORE_COLUMNS, ChampionModel
from loan_default.pipelines.reporting import create_pipeline
from loan_default.pipelines.reporting.nodes import (
    stack_predictions,
    write_evaluation_report,
)
from tests.pipelines.reporting.conftest import ALGORITHMS
from tests.project import PROJECT_ROOT, project_parameters

CATALOG_FILE = PROJECT_ROOT / "conf" / "base" / "catalog_reporting.yml"
SAVE_VERSION = "2030-01-02T03.04.05.678Z"


def file_datasets(data_root: Path) -> dict[str, dict]:
    """catalog_reporting.yml with factories resolved per algorithm, under data_root."""
    config = yaml.safe_load(CATALOG_FILE.read_text())
    resolved = {}
    for name, entry in config.items():
        names = (
            {name.format(algorithm=a): a for a in ALGORITHMS}
            if "{algorithm}" in name
            else {name: None}
        )
        for concrete, algorithm in names.items():
            if "filepath" not in entry:
                continue
            filepath = entry["filepath"].format(algorithm=algorithm)
            resolved[concrete] = {**entry, "filepath": str(data_root / filepath)}
    return resolved


@pytest.fixture(scope="module")
def run(upstream, reporting_parameters, tmp_path_factory):
    data_root = tmp_path_factory.mktemp("project")
    datasets = file_datasets(data_root)
    catalog = DataCatalog.from_config(datasets, save_version=SAVE_VERSION)
    pipeline = create_pipeline(algorithms=ALGORITHMS)
    for name in pipeline.inputs():
        if name.startswith("params:reporting."):
            value = reporting_parameters[name.removeprefix("params:reporting.")]
        elif name.startswith("params:"):
            value = project_parameters()[name.removeprefix("params:")]
        else:
            value = upstream[name]
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    SequentialRunner().run(pipeline, catalog)
    return {
        "catalog": catalog,
        "datasets": datasets,
        "reporting_dir": data_root / "data" / "08_reporting",
        "pipeline": pipeline,
    }


def test_every_file_output_is_written(run):
    assert run["datasets"], "the catalog has no file datasets"
    for name, entry in run["datasets"].items():
        path = Path(entry["filepath"])
        if entry.get("versioned"):
            path = path / SAVE_VERSION / path.name
        assert path.exists(), f"{name} was not written to {path}"
    assert set(run["datasets"]) >= {
        "evaluation_results",
        "segment_metrics",
        "champion_model",
        "champion_metadata",
        "evaluation_report",
        "roc_curves_plot",
        "roc_curves_chart",
    }


def test_pipeline_is_wired_per_algorithm(run):
    inputs = run["pipeline"].inputs()
    for algorithm in ALGORITHMS:
        assert f"{algorithm}.model" in inputs
        assert f"{algorithm}.predictions_validation" in inputs
        assert f"{algorithm}.predictions_test" in inputs


def test_evaluation_results_has_one_row_per_algorithm(run):
    table = pd.read_csv(run["reporting_dir"] / "evaluation_results.csv")
    assert sorted(table["model"]) == sorted(ALGORITHMS)
    assert table["AUC"].between(0.5, 1).all()
    thresholds = json.loads(
        (run["reporting_dir"] / "operating_thresholds.json").read_text()
    )
    assert table.set_index("model")["Operating threshold"].to_dict() == pytest.approx(
        thresholds
    )


def test_champion_artifact_scores_new_features(run, upstream):
    champion = run["catalog"].load("champion_model")
    metadata = json.loads((run["reporting_dir"] / "champion_metadata.json").read_text())
    assert isinstance(champion, ChampionModel)
    assert champion.model_version == SAVE_VERSION == metadata["model_version"]
    assert champion.algorithm == metadata["algorithm"] in ALGORITHMS
    assert metadata["data_source"] == upstream["data_source"]
    assert metadata["metrics_test"]["AUC"] > 0.5
    scores = champion.score(upstream["applicant_features_test"])
    assert list(scores.columns) == SCORE_COLUMNS
    # Tied scores (a small tree has few leaves) can leave some deciles empty.
    assert scores["RISK_DECILE"].between(1, 10).all()
    by_score = scores.sort_values("PROBABILITY")
    assert by_score["RISK_DECILE"].is_monotonic_increasing
    assert by_score["RISK_DECILE"].iloc[-1] == 10
    # The artifact reproduces the champion's test predictions from raw features.
    predictions = upstream[f"{champion.algorithm}.predictions_test"]
    pd.testing.assert_series_equal(
        scores["PROBABILITY"], predictions["PROBABILITY"], check_exact=False
    )


def test_report_links_point_at_written_plots(run):
    report = (run["reporting_dir"] / "evaluation_report.md").read_text()
    links = [
        line.split("](")[1].rstrip(")")
        for line in report.splitlines()
        if line.startswith("- [")
    ]
    assert len(links) >= 6 + len(ALGORITHMS)
    for link in links:
        assert (run["reporting_dir"] / link).exists(), link


def test_report_states_oracle_auc_for_synthetic_data_only(run, upstream):
    catalog = run["catalog"]
    synthetic = (run["reporting_dir"] / "evaluation_report.md").read_text()
    assert "Oracle AUC on the test split" in synthetic
    assert "seed 1" in synthetic
    files = {
        "kind": "files",
        "files": [{"path": "application_data.csv", "rows": 900, "sha256": "ab12"}],
    }
    real = write_evaluation_report(
        data_source=files,
        evaluation_results=catalog.load("evaluation_results"),
        champion_metadata=catalog.load("champion_metadata"),
        segment_metrics=catalog.load("segment_metrics"),
        test_predictions=stack_predictions(
            **{name: upstream[f"{name}.predictions_test"] for name in ALGORITHMS}
        ),
        true_default_probability=upstream["true_default_probability"].iloc[0:0],
        threshold_options=catalog.load("params:reporting.operating_threshold"),
        champion_options=catalog.load("params:reporting.champion"),
        report_options=catalog.load("params:reporting.report"),
    )
    assert "Oracle" not in real
    assert "ab12" in real
