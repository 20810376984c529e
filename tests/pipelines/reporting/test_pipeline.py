"""The reporting pipeline run end to end on a small project trained by the real
pipelines, with the project's catalog and parameters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loan_default.model_risk.document import SECTION_TITLES
from loan_default.pipelines.reporting import create_pipeline
from loan_default.pipelines.reporting.nodes import (
    stack_predictions,
    write_evaluation_report,
)
from tests.pipelines.conftest import SAVE_VERSION, catalog_config


def reporting_dir(project) -> Path:
    return project.data_root / "data" / "08_reporting"


def test_every_file_output_is_written(trained_project):
    pipeline = create_pipeline(trained_project.algorithms)
    config = catalog_config(trained_project.data_root)
    written = 0
    for name in pipeline.all_outputs():
        dataset = trained_project.catalog.get(name)
        entry = dataset._describe() if dataset is not None else {}
        filepath = entry.get("filepath")
        if filepath is None:
            continue
        path = Path(str(filepath))
        if name in config and config[name].get("versioned"):
            path = path / SAVE_VERSION / path.name
        assert path.exists(), f"{name} was not written to {path}"
        written += 1
    assert written >= 12
    assert (reporting_dir(trained_project) / "evaluation_report.md").exists()


def test_reporting_reads_the_champion_and_chooses_nothing(trained_project):
    pipeline = create_pipeline(trained_project.algorithms)
    assert "champion_model" in pipeline.inputs()
    assert "champion_model" not in pipeline.all_outputs()
    assert not {"validation_results", "evaluation_results"} & pipeline.all_outputs()
    for algorithm in trained_project.algorithms:
        assert f"{algorithm}_model" in pipeline.inputs()
        assert f"{algorithm}_predictions_test" in pipeline.inputs()


def test_report_says_how_the_champion_was_chosen(trained_project):
    report = (reporting_dir(trained_project) / "evaluation_report.md").read_text()
    champion = trained_project.load("champion_model")
    assert f"**{champion.algorithm}**, chosen on the validation split" in report
    assert "## Metrics on the validation split" in report
    metadata = trained_project.load("champion_metadata")
    assert metadata["algorithm"] == champion.algorithm
    assert metadata["model_version"] == SAVE_VERSION


def test_report_links_point_at_written_plots(trained_project):
    folder = reporting_dir(trained_project)
    report = (folder / "evaluation_report.md").read_text()
    links = [
        line.split("](")[1].rstrip(")")
        for line in report.splitlines()
        if line.startswith("- [")
    ]
    assert len(links) >= 6 + len(trained_project.algorithms)
    for link in links:
        assert (folder / link).exists(), link


def test_report_states_oracle_auc_for_synthetic_data_only(trained_project):
    load = trained_project.load
    synthetic = (reporting_dir(trained_project) / "evaluation_report.md").read_text()
    assert "Oracle AUC on the test split" in synthetic
    files = {
        "kind": "files",
        "files": [{"path": "application_data.csv", "rows": 900, "sha256": "ab12"}],
    }
    parameters = trained_project.parameters
    real = write_evaluation_report(
        data_source=files,
        evaluation_results=load("evaluation_results"),
        validation_results=load("validation_results"),
        champion_metadata=load("champion_metadata"),
        promotion_decision=load("promotion_decision"),
        segment_metrics=load("segment_metrics"),
        champion_comparison=load("champion_comparison"),
        model_comparisons=load("model_comparisons"),
        points_tables={
            name: load(f"{name}_points_table") for name in trained_project.algorithms
        },
        calibration_by_grade=load("calibration_by_grade"),
        calibration_summary=load("calibration_summary"),
        champion_importance=pd.DataFrame({"feature": ["CODE_GENDER=F", "AMT_CREDIT"]}),
        test_predictions=stack_predictions(
            **{
                name: load(f"{name}_predictions_test")
                for name in trained_project.algorithms
            }
        ),
        true_default_probability=pd.DataFrame(columns=["SK_ID_CURR", "TRUE_PD"]),
        threshold_options=parameters["decision_rule"],
        uncertainty_options=parameters["uncertainty"],
        segment_options=parameters["reporting"]["segments"],
        calibration_options=parameters["reporting"]["calibration"],
        report_options=parameters["reporting"]["report"],
    )
    assert "Oracle" not in real
    assert "ab12" in real
    assert "derive from protected attributes: CODE_GENDER=F." in real


def test_report_says_whether_the_champion_was_promoted_and_why(trained_project):
    report = (reporting_dir(trained_project) / "evaluation_report.md").read_text()
    decision = trained_project.load("promotion_decision")
    assert "### Promotion to production" in report
    assert f"Why: {decision['reason']}." in report
    # The test project's registry is empty: its first model is promoted.
    assert "first registered model" in decision["reason"]


def test_report_gives_intervals_and_says_whether_the_lead_is_significant(
    trained_project,
):
    report = (reporting_dir(trained_project) / "evaluation_report.md").read_text()
    comparison = trained_project.load("champion_comparison")
    results = trained_project.load("evaluation_results").set_index("model")
    champion = trained_project.load("champion_metadata")["algorithm"]
    assert len(comparison) == len(trained_project.algorithms) - 1
    assert (comparison["champion"] == champion).all()
    auc = results.loc[champion]
    assert (
        f"{auc['AUC']:.3f} ({auc['AUC CI low']:.3f} to {auc['AUC CI high']:.3f})"
        in report
    )
    for row in comparison.itertuples(index=False):
        sentence = next(
            line
            for line in report.splitlines()
            if line.startswith(("- The champion ", "- On the test split "))
            and f" {row.challenger} " in line
        )
        assert ("not significant" in sentence) == (not row.significant)
    assert "## Calibration (champion, test split)" in report
    assert "Screened attributes: CODE_GENDER, age band, NAME_FAMILY_STATUS" in report


def test_model_document_has_every_heading_and_embeds_its_plots(trained_project):
    page = (reporting_dir(trained_project) / "model_document.html").read_text()
    positions = [page.index(f". {title}</h2>") for title in SECTION_TITLES]
    assert positions == sorted(positions)
    assert page.count('src="data:image/png;base64,') >= 6
    # Nothing is fetched from elsewhere: no links to files or the network.
    assert 'src="http' not in page and 'href="http' not in page
    assert "<script" not in page
    # Figures come from the run's own outputs.
    stability = trained_project.load("stability")
    assert f"PSI {stability['psi'].iloc[0]:.4f}" in page
    calibration = trained_project.load("calibration_summary").set_index("model")
    champion = trained_project.load("champion_metadata")["algorithm"]
    assert f"Calibration slope {calibration.loc[champion, 'slope']:.3f}" in page


def test_report_shows_the_monotone_comparison_and_the_scorecard_points(
    trained_project,
):
    report = (reporting_dir(trained_project) / "evaluation_report.md").read_text()
    pairs = trained_project.load("model_comparisons")
    blocks = set(trained_project.algorithms)
    expected = [
        title
        for title, model, baseline in (
            ("Monotone constraints", "xgboost_monotone", "xgboost"),
            ("Scorecard against boosting", "scorecard", "xgboost"),
        )
        if {model, baseline} <= blocks
    ]
    assert list(pairs["comparison"]) == expected
    for title in expected:
        assert f"{title}: " in report
    if "scorecard" in blocks:
        assert "### Scorecard points" in report
        page = (reporting_dir(trained_project) / "model_document.html").read_text()
        assert "Scorecard points: scorecard" in page
