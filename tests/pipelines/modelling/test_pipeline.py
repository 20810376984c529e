import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import SharedMemoryDataCatalog
from kedro.runner import ParallelRunner

from loan_default.pipelines.modelling import algorithm_names, create_pipeline
from loan_default.pipelines.modelling.algorithms import (
    AlgorithmConfigError,
    core_estimator,
    load_algorithm_blocks,
)
from loan_default.pipelines.modelling.nodes import PROBABILITY
from loan_default.schema import APPLICATION_ID, TARGET
from tests.pipelines.modelling.conftest import PROJECT_ROOT, run_modelling

NAMES = ["xgboost", "random_forest", "decision_tree"]


def _evaluation(catalog, name: str) -> dict:
    """The deterministic part of an algorithm's metrics (fit time varies)."""
    metrics = catalog.load(f"{name}.metrics")
    return {key: value for key, value in metrics.items() if key != "fit_seconds"}


def test_project_parameters_define_the_three_algorithms():
    assert algorithm_names() == NAMES
    blocks = load_algorithm_blocks(PROJECT_ROOT / "conf")
    assert blocks["xgboost"]["estimator"] == "xgboost.XGBClassifier"


def test_origin_grid_environment_reproduces_the_origin_search():
    blocks = load_algorithm_blocks(PROJECT_ROOT / "conf", env="origin_grid")
    assert list(blocks) == NAMES
    spaces = {name: block["search"]["space"] for name, block in blocks.items()}
    assert spaces == {
        "xgboost": {
            "max_depth": [3, 5, 10],
            "n_estimators": [100, 200],
            "learning_rate": [0.01, 0.1, 0.2],
        },
        "random_forest": {
            "n_estimators": [50, 100],
            "max_depth": [5, 10],
            "min_samples_split": [2, 5],
        },
        "decision_tree": {"min_samples_leaf": [1, 2], "max_depth": [5, 10]},
    }
    assert {block["search"]["method"] for block in blocks.values()} == {"grid"}
    assert {block["search"]["cv_folds"] for block in blocks.values()} == {3}


def test_algorithm_names_read_base_and_local(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "base" / "parameters_modelling.yml").write_text(
        "algorithms:\n  b_model: {estimator: x.Y}\n  a_model: {estimator: x.Z}\n"
    )
    assert list(load_algorithm_blocks(tmp_path)) == ["b_model", "a_model"]
    (tmp_path / "local" / "parameters.yml").write_text(
        "algorithms:\n  only_local: {estimator: x.Y}\n"
    )
    assert list(load_algorithm_blocks(tmp_path)) == ["only_local"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("other: 1\n", r"no 'algorithms:' mapping"),
        ("algorithms:\n  bad-name: {estimator: x.Y}\n", r"'bad-name' must be a Python"),
    ],
)
def test_bad_algorithms_config_is_rejected(tmp_path, text, message):
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "base" / "parameters.yml").write_text(text)
    with pytest.raises(AlgorithmConfigError, match=message):
        load_algorithm_blocks(tmp_path)


def test_template_is_instantiated_once_per_algorithm():
    pipeline = create_pipeline(NAMES)

    assert {node.namespace for node in pipeline.nodes} == set(NAMES)
    assert {node.name for node in pipeline.nodes} == {
        f"{name}.{step}"
        for name in NAMES
        for step in (
            "fit_model",
            "predict_validation",
            "predict_test",
            "evaluate_model",
        )
    }
    assert pipeline.inputs() == {
        "model_input_train",
        "model_input_validation",
        "model_input_test",
        "params:modelling",
        *(f"params:algorithms.{name}" for name in NAMES),
    }
    assert pipeline.outputs() == {f"{name}.metrics" for name in NAMES}
    assert "random_forest.model" in pipeline.datasets()
    assert "decision_tree.predictions_test" in pipeline.datasets()
    fit = next(node for node in pipeline.nodes if node.name == "xgboost.fit_model")
    assert "model_input_test" not in fit.inputs


def test_run_writes_every_algorithm_output(model_inputs, algorithms, tmp_path):
    catalog = run_modelling(model_inputs, algorithms, tmp_path)

    for name in NAMES:
        model = catalog.load(f"{name}.model")
        assert hasattr(model, "predict_proba")
        assert len(model.feature_importances_) == 12
        versions = list((tmp_path / "06_models" / name / "model.pkl").iterdir())
        assert len(versions) == 1  # versioned: a folder per run
        for split in ("validation", "test"):
            predictions = pd.read_parquet(
                tmp_path / "07_model_output" / name / f"predictions_{split}.parquet"
            )
            assert list(predictions.columns) == [APPLICATION_ID, TARGET, PROBABILITY]
            assert len(predictions) == len(model_inputs[split])
            assert predictions[PROBABILITY].dtype == "float64"
        metrics = json.loads(
            (tmp_path / "07_model_output" / name / "metrics.json").read_text()
        )
        assert metrics["test"]["roc_auc"] > 0.7
        assert {
            "validation",
            "test",
            "fit_seconds",
            "best_hyperparameters",
            "search",
        } <= set(metrics)


def test_rerun_keeps_the_earlier_model(model_inputs, algorithms, tmp_path):
    blocks = {"decision_tree": algorithms["decision_tree"]}
    run_modelling(model_inputs, blocks, tmp_path)
    run_modelling(model_inputs, blocks, tmp_path)
    versions = list((tmp_path / "06_models" / "decision_tree" / "model.pkl").iterdir())
    assert len(versions) == 2


def test_algorithm_added_by_parameters_alone(model_inputs, algorithms, tmp_path):
    algorithms["logistic_regression"] = {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "hyperparameters": {"C": 1.0, "max_iter": 500},
        "class_imbalance": "balanced",
        "scale_features": True,
        "search": {"method": "grid", "space": {"C": [0.1, 1.0]}, "cv_folds": 3},
    }
    catalog = run_modelling(model_inputs, algorithms, tmp_path)

    model = catalog.load("logistic_regression.model")
    assert core_estimator(model).get_params()["class_weight"] == "balanced"
    assert [name for name, _ in model.estimator.steps] == ["scale", "model"]
    metrics = catalog.load("logistic_regression.metrics")
    assert metrics["search"]["n_candidates"] == 2
    assert metrics["best_hyperparameters"]["C"] in (0.1, 1.0)
    assert metrics["test"]["roc_auc"] > 0.7
    assert (
        tmp_path
        / "07_model_output"
        / "logistic_regression"
        / "predictions_test.parquet"
    ).exists()


def test_two_runs_give_identical_results(model_inputs, algorithms, tmp_path):
    first = run_modelling(model_inputs, algorithms, tmp_path / "first")
    second = run_modelling(model_inputs, algorithms, tmp_path / "second")
    for name in NAMES:
        assert _evaluation(first, name) == _evaluation(second, name)
        pd.testing.assert_frame_equal(
            first.load(f"{name}.predictions_test"),
            second.load(f"{name}.predictions_test"),
        )


def test_parallel_runner_matches_sequential(
    model_inputs, algorithms, tmp_path, monkeypatch
):
    # Forked workers hang in OpenMP once this process has trained a model (GNU
    # libgomp is not fork-safe); kedro run forks from a parent that never trains.
    monkeypatch.setenv("KEDRO_MP_CONTEXT", "spawn")
    sequential = run_modelling(model_inputs, algorithms, tmp_path / "sequential")
    parallel = run_modelling(
        model_inputs,
        algorithms,
        tmp_path / "parallel",
        runner=ParallelRunner(max_workers=2),
        catalog_class=SharedMemoryDataCatalog,
    )
    for name in NAMES:
        assert _evaluation(parallel, name) == _evaluation(sequential, name)


def test_project_defaults_are_found_relative_to_the_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # outside the project: falls back to the source tree
    assert algorithm_names() == NAMES
    assert Path(PROJECT_ROOT / "conf").is_dir()
