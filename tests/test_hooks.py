"""Checks made before a run: missing inputs name the pipeline to run first, and bad
algorithm blocks fail with their name."""

from __future__ import annotations

import re
import threading
import time
from types import SimpleNamespace

import pytest
from kedro.framework.project import configure_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro_mlflow.framework.hooks import MlflowHook

from loan_default import hooks, pipeline_registry
from loan_default.hooks import (
    MissingInputsError,
    _all_pipelines,
    check_algorithm_blocks,
    check_inputs_exist,
    producer_of,
)
from loan_default.pipeline_registry import register_pipelines
from loan_default.pipelines.modelling import create_pipeline
from loan_default.pipelines.modelling.algorithms import AlgorithmConfigError
from tests.project import kedro_run, make_project_copy, project_parameters

ALGORITHMS = {
    "decision_tree": {
        "estimator": "sklearn.tree.DecisionTreeClassifier",
        "hyperparameters": {"max_depth": 3},
        "class_imbalance": "balanced",
    },
    "random_forest": {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        "hyperparameters": {"n_estimators": 5},
        "class_imbalance": "balanced_subsample",
    },
}


def data_inputs(pipeline: Pipeline) -> list[str]:
    return sorted(name for name in pipeline.inputs() if not name.startswith("params:"))


def catalog_with(pipeline: Pipeline, algorithms: dict, present=()) -> DataCatalog:
    """Every data input of ``pipeline``, those in ``present`` holding data."""
    catalog = DataCatalog()
    for name in data_inputs(pipeline):
        catalog[name] = MemoryDataset("data") if name in present else MemoryDataset()
    for name, block in algorithms.items():
        catalog[f"params:algorithms.{name}"] = MemoryDataset(block)
    return catalog


@pytest.fixture
def algorithms():
    return {name: {**block} for name, block in ALGORITHMS.items()}


@pytest.fixture(scope="module")
def modelling():
    return create_pipeline(list(ALGORITHMS))


@pytest.fixture(scope="module")
def registered():
    configure_project("loan_default")
    return register_pipelines(algorithms=list(project_parameters()["algorithms"]))


def test_the_producer_of_each_layer_is_found(registered):
    assert producer_of("model_input_train", registered) == "data_engineering"
    namespaced = [
        name for name in registered["modelling"].all_outputs() if "xgboost." in name
    ]
    assert namespaced
    assert {producer_of(name, registered) for name in namespaced} == {"modelling"}
    for name in registered["reporting"].outputs():
        assert producer_of(name, registered) == "reporting"
    assert producer_of("no_such_dataset", registered) is None


def test_missing_inputs_say_which_pipeline_to_run(modelling, registered):
    # The registry's champion is read, never written, by a pipeline; it always
    # exists for the promotion gate (none before the first model).
    registry = {"registered_champion"}
    catalog = catalog_with(modelling, ALGORITHMS, present=registry)
    missing = ", ".join(sorted(set(data_inputs(modelling)) - registry))
    with pytest.raises(
        MissingInputsError,
        match=re.escape(
            f"{missing}: written by the data_engineering pipeline; run "
            "`kedro run --pipelines data_engineering` first"
        ),
    ):
        check_inputs_exist(modelling, catalog, registered)


def test_only_the_missing_inputs_are_named(modelling, registered):
    catalog = catalog_with(modelling, ALGORITHMS, present={"model_input_train"})
    with pytest.raises(MissingInputsError) as error:
        check_inputs_exist(modelling, catalog, registered)
    assert "model_input_validation" in str(error.value)
    assert "model_input_train" not in str(error.value)


def test_input_produced_in_the_same_run_is_not_required(modelling, registered):
    producer = Pipeline(
        [Node(lambda: None, None, data_inputs(modelling), name="stand_in")]
    )
    catalog = catalog_with(modelling, ALGORITHMS)
    check_inputs_exist(producer + modelling, catalog, registered)


def test_present_inputs_and_good_blocks_pass(modelling, registered):
    catalog = catalog_with(modelling, ALGORITHMS, present=data_inputs(modelling))
    check_inputs_exist(modelling, catalog, registered)
    check_algorithm_blocks(modelling, catalog)


def test_bad_block_fails_before_the_run_with_its_name(modelling, algorithms):
    algorithms["random_forest"]["hyperparameters"] = {"n_trees": 10}
    catalog = catalog_with(modelling, algorithms)
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.random_forest .*unknown hyperparameter 'n_trees'",
    ):
        check_algorithm_blocks(modelling, catalog)


def test_producers_are_searched_in_the_runs_own_namespaces(monkeypatch):
    # As the project context records them, whatever `--pipelines` asked for.
    monkeypatch.setattr(pipeline_registry, "_run_algorithms", ("only_tree",))
    pipelines = _all_pipelines()
    assert set(pipelines) >= set(pipeline_registry.PIPELINES)
    assert {node.namespace for node in pipelines["modelling"].nodes} >= {"only_tree"}
    assert not any(
        (node.namespace or "").startswith("xgboost")
        for node in pipelines["modelling"].nodes
    )


@pytest.mark.slow
def test_kedro_run_of_modelling_before_data_engineering_says_what_to_do(tmp_path):
    project = make_project_copy(tmp_path)
    result = kedro_run(project, "--pipelines", "modelling")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "MissingInputsError" in output
    assert "kedro run --pipelines data_engineering" in output
    assert not any((project / "data" / "06_models").iterdir())


def test_nodes_on_threads_log_each_parameter_once(monkeypatch):
    """ThreadRunner starts nodes at once: each node's new parameters must reach
    MLflow in its own batch, and none twice (MLflow refuses a repeated key)."""

    def parent_before_node_run(self, node, catalog, inputs, is_async):
        # kedro-mlflow's hook: it logs each parameter input, slowly enough here
        # that the two threads' calls overlap when nothing keeps them apart.
        for name, value in inputs.items():
            time.sleep(0.05)
            self._log_param(name.removeprefix("params:"), value)

    batches: list[dict] = []
    monkeypatch.setattr(MlflowHook, "before_node_run", parent_before_node_run)
    monkeypatch.setattr(hooks.mlflow, "log_params", batches.append)
    hook = hooks.OnceMlflowHook()
    hook.run_id = "run"
    monkeypatch.setattr(
        hooks.mlflow,
        "active_run",
        lambda: SimpleNamespace(info=SimpleNamespace(run_id="run")),
    )
    inputs = {
        "first": {f"params:a{i}": i for i in range(4)},
        "second": {f"params:b{i}": i for i in range(4)},
    }
    threads = [
        threading.Thread(target=hook.before_node_run, args=(node, None, given, False))
        for node, given in inputs.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logged = [name for batch in batches for name in batch]
    assert sorted(logged) == sorted(
        name.removeprefix("params:") for given in inputs.values() for name in given
    )
    assert len(batches) == 2
