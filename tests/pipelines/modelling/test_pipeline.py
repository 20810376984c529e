"""The modelling pipeline run on a small project trained by the real pipelines."""

from __future__ import annotations

import pandas as pd
import pytest
from kedro.io import MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from loan_default.model.scoring_model import SCORE_COLUMNS, ScoringModel
from loan_default.pipelines.modelling import create_pipeline
from loan_default.pipelines.modelling.algorithms import core_estimator
from loan_default.schema import APPLICATION_ID, TARGET
from tests.pipelines.conftest import SAVE_VERSION, train_project
from tests.project import project_parameters


def test_project_parameters_define_the_algorithms():
    assert list(project_parameters()["algorithms"]) == [
        "xgboost",
        "xgboost_monotone",
        "random_forest",
        "decision_tree",
        "scorecard",
    ]


def test_template_is_instantiated_once_per_algorithm():
    pipeline = create_pipeline(["a_model", "b_model"])
    for name in ("a_model", "b_model"):
        nodes = {node.name for node in pipeline.nodes if node.namespace == name}
        assert nodes == {
            f"{name}.{step}"
            for step in (
                "fit_model",
                "assemble_model",
                "predict_validation",
                "choose_operating_threshold",
                "set_decision_rule",
                "score_test",
                "evaluate_model",
                "tabulate_points",
            )
        }
        assert f"params:algorithms.{name}" in pipeline.inputs()
    assert {"a_model_model", "b_model_metrics"} <= pipeline.all_outputs()
    assert {"a_model_points_table", "b_model_points_table"} <= pipeline.all_outputs()


def test_no_dataset_name_has_a_dot_outside_its_namespace():
    pipeline = create_pipeline(["a_model", "b_model"])
    for node in pipeline.nodes:
        for name in [*node.inputs, *node.outputs]:
            if "." in name and not name.startswith("params:"):
                assert node.namespace and name.startswith(node.namespace + "."), (
                    node.name,
                    name,
                )


def test_every_algorithm_writes_its_outputs(trained_project):
    root = trained_project.data_root / "data"
    for name in trained_project.algorithms:
        model = trained_project.load(f"{name}_model")
        assert isinstance(model, ScoringModel)
        assert model.model_version == SAVE_VERSION
        assert model.threshold is not None
        assert (root / "06_models" / name / "fit_summary.json").exists()
        assert (
            root / "07_model_output" / name / "predictions_validation.parquet"
        ).exists()
        metrics = trained_project.load(f"{name}_metrics")
        assert set(metrics) >= {"validation", "test", "fit_seconds", "estimator"}
        assert metrics["validation"]["operating_threshold"] == model.threshold


def test_predictions_come_from_the_inference_object(trained_project):
    """Evaluation scores the raw validation and test applications end to end."""
    previous = trained_project.load("previous_application_validated")
    for name in trained_project.algorithms:
        model = trained_project.load(f"{name}_model")
        for split in ("validation", "test"):
            applications = trained_project.load(f"application_{split}")
            predictions = trained_project.load(
                f"{name}.predictions_validation"
                if split == "validation"
                else f"{name}_predictions_test"
            )
            assert predictions[APPLICATION_ID].tolist() == (
                applications[APPLICATION_ID].tolist()
            )
            expected = model.score(applications, previous).scores
            pd.testing.assert_series_equal(
                predictions["PROBABILITY"], expected["PROBABILITY"], check_names=False
            )
            assert predictions[TARGET].tolist() == applications[TARGET].tolist()


def test_risk_deciles_are_cut_on_validation(trained_project):
    model = trained_project.load("xgboost_model")
    validation = trained_project.load("xgboost.predictions_validation")
    deciles = model.score(
        trained_project.load("application_validation"),
        trained_project.load("previous_application_validated"),
    ).scores
    counts = deciles["RISK_DECILE"].value_counts()
    assert sorted(counts.index) == list(range(1, 11))
    assert counts.max() - counts.min() <= len(validation) * 0.03


def test_champion_is_chosen_on_validation_not_test(trained_project):
    validation = trained_project.load("validation_results").set_index("model")
    test = trained_project.load("evaluation_results").set_index("model")
    champion = trained_project.load("champion_model")
    assert champion.algorithm == trained_project.load("champion_name")
    assert champion.algorithm == validation["AUC"].round(4).idxmax()
    assert champion.metadata["chosen_by"].startswith("on the validation split")
    assert (
        champion.metadata["metrics_test"]["AUC"] == test.loc[champion.algorithm, "AUC"]
    )
    assert champion.model_version == SAVE_VERSION
    scores = champion.score(trained_project.load("application_test")).scores
    assert list(scores.columns) == SCORE_COLUMNS


def test_algorithm_added_by_parameters_alone(tmp_path):
    project = train_project(tmp_path, n_applications=2_500, with_reporting=False)
    parameters = project.parameters
    parameters["algorithms"]["logistic_regression"] = {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "hyperparameters": {"C": 1.0, "max_iter": 300},
        "class_imbalance": "balanced",
        "scale_features": True,
        "search": {"method": "grid", "space": {"C": [0.1, 1.0]}, "cv_folds": 3},
    }
    pipeline: Pipeline = create_pipeline(
        ["logistic_regression"]
    ).only_nodes_with_namespaces(["logistic_regression"])
    catalog = project.catalog
    catalog["params:algorithms.logistic_regression"] = MemoryDataset(
        parameters["algorithms"]["logistic_regression"]
    )
    SequentialRunner().run(pipeline, catalog)
    model = catalog.load("logistic_regression_model")
    assert core_estimator(model.estimator).get_params()["class_weight"] == "balanced"
    metrics = catalog.load("logistic_regression_metrics")
    assert metrics["search"]["n_candidates"] == 2
    assert metrics["test"]["roc_auc"] > 0.6


@pytest.mark.slow
def test_two_runs_give_identical_results(trained_project, tmp_path):
    second = train_project(tmp_path, with_reporting=False)
    for name in trained_project.algorithms:
        first_metrics = trained_project.load(f"{name}_metrics")
        second_metrics = second.load(f"{name}_metrics")
        for split in ("validation", "test"):
            assert first_metrics[split] == second_metrics[split]
        pd.testing.assert_frame_equal(
            trained_project.load(f"{name}_predictions_test"),
            second.load(f"{name}_predictions_test"),
        )
