"""Checks made before a run: missing inputs name the pipeline to run first."""

from __future__ import annotations

import copy

import pytest
from kedro.framework.project import configure_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pandas import ParquetDataset

from loan_default.hooks import (
    MissingInputsError,
    check_algorithm_blocks,
    check_inputs_exist,
    producer_of,
)
from loan_default.pipeline_registry import register_pipelines
from loan_default.pipelines.modelling import create_pipeline
from loan_default.pipelines.modelling.algorithms import AlgorithmConfigError
from tests.pipelines.modelling.conftest import (
    MODELLING_OPTIONS,
    SMALL_ALGORITHMS,
    build_catalog,
    make_model_inputs,
)
from tests.project import kedro_run, make_project_copy

SPLITS = ("train", "validation", "test")


def catalog_with_files(tmp_path, algorithms, written=()):
    catalog = DataCatalog(
        {
            f"model_input_{split}": ParquetDataset(
                filepath=(tmp_path / f"{split}.parquet").as_posix()
            )
            for split in SPLITS
        }
    )
    for split, frame in written:
        catalog.save(f"model_input_{split}", frame)
    catalog["params:modelling"] = MemoryDataset(MODELLING_OPTIONS)
    for name, block in algorithms.items():
        catalog[f"params:algorithms.{name}"] = MemoryDataset(block)
    return catalog


@pytest.fixture
def algorithms():
    return copy.deepcopy(SMALL_ALGORITHMS)


@pytest.fixture(scope="module")
def model_inputs():
    return make_model_inputs(n_rows=300)


@pytest.fixture(scope="module")
def registered():
    configure_project("loan_default")
    return register_pipelines()


def test_the_producer_of_each_layer_is_found(registered):
    assert producer_of("model_input_train", registered) == "data_engineering"
    assert producer_of("xgboost.model", registered) == "modelling"
    assert producer_of("champion_model", registered) == "reporting"
    assert producer_of("no_such_dataset", registered) is None


def test_missing_model_input_says_which_pipeline_to_run(
    tmp_path, algorithms, registered
):
    catalog = catalog_with_files(tmp_path, algorithms)
    with pytest.raises(
        MissingInputsError,
        match=r"model_input_test, model_input_train, model_input_validation: written "
        r"by the data_engineering pipeline; run `kedro run --pipeline data_engineering` first",
    ):
        check_inputs_exist(create_pipeline(list(algorithms)), catalog, registered)


def test_only_the_missing_split_is_named(
    tmp_path, algorithms, model_inputs, registered
):
    catalog = catalog_with_files(
        tmp_path, algorithms, written=[("train", model_inputs["train"])]
    )
    with pytest.raises(MissingInputsError) as error:
        check_inputs_exist(create_pipeline(list(algorithms)), catalog, registered)
    assert "model_input_test, model_input_validation:" in str(error.value)
    assert "model_input_train" not in str(error.value)


def test_input_produced_in_the_same_run_is_not_required(
    tmp_path, algorithms, registered
):
    producer = Pipeline(
        [
            Node(
                lambda: None,
                None,
                [f"model_input_{split}" for split in SPLITS],
                name="stand_in",
            )
        ]
    )
    catalog = catalog_with_files(tmp_path, algorithms)
    check_inputs_exist(
        producer + create_pipeline(list(algorithms)), catalog, registered
    )


def test_present_inputs_and_good_blocks_pass(
    tmp_path, algorithms, model_inputs, registered
):
    catalog = build_catalog(model_inputs, algorithms, tmp_path)
    pipeline = create_pipeline(list(algorithms))
    check_inputs_exist(pipeline, catalog, registered)
    check_algorithm_blocks(pipeline, catalog)


def test_bad_block_fails_before_the_run_with_its_name(
    tmp_path, algorithms, model_inputs
):
    algorithms["random_forest"]["hyperparameters"]["n_trees"] = 10
    catalog = build_catalog(model_inputs, algorithms, tmp_path)
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.random_forest .*unknown hyperparameter 'n_trees'",
    ):
        check_algorithm_blocks(create_pipeline(list(algorithms)), catalog)


@pytest.mark.slow
def test_kedro_run_of_modelling_before_data_engineering_says_what_to_do(tmp_path):
    project = make_project_copy(tmp_path)
    result = kedro_run(project, "--pipeline", "modelling")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "MissingInputsError" in output
    assert "kedro run --pipeline data_engineering" in output
    assert not any((project / "data" / "06_models").iterdir())
