import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pandas import ParquetDataset

from loan_default.pipelines.modelling import create_pipeline
from loan_default.pipelines.modelling.algorithms import AlgorithmConfigError
from loan_default.pipelines.modelling.missing_inputs import (
    MissingModelInputsError,
    ModellingInputsHook,
    check_modelling_inputs,
)
from tests.pipelines.modelling.conftest import MODELLING_OPTIONS, build_catalog


def _catalog_with_files(tmp_path, algorithms, written=()):
    catalog = DataCatalog(
        {
            f"model_input_{split}": ParquetDataset(
                filepath=(tmp_path / f"{split}.parquet").as_posix()
            )
            for split in ("train", "validation", "test")
        }
    )
    for split, frame in written:
        catalog.save(f"model_input_{split}", frame)
    catalog["params:modelling"] = MemoryDataset(MODELLING_OPTIONS)
    for name, block in algorithms.items():
        catalog[f"params:algorithms.{name}"] = MemoryDataset(block)
    return catalog


def test_missing_model_input_says_which_pipeline_to_run(tmp_path, algorithms):
    catalog = _catalog_with_files(tmp_path, algorithms)
    with pytest.raises(
        MissingModelInputsError,
        match=r"model_input_train, model_input_validation, model_input_test does not "
        r"exist yet.*Run `kedro run --pipeline data_engineering` first",
    ):
        ModellingInputsHook().before_pipeline_run(
            {}, create_pipeline(list(algorithms)), catalog
        )


def test_only_the_missing_split_is_named(tmp_path, algorithms, model_inputs):
    catalog = _catalog_with_files(
        tmp_path, algorithms, written=[("train", model_inputs["train"])]
    )
    with pytest.raises(MissingModelInputsError) as error:
        check_modelling_inputs(create_pipeline(list(algorithms)), catalog)
    assert "model_input_validation, model_input_test does" in str(error.value)
    assert "model_input_train" not in str(error.value)


def test_input_produced_in_the_same_run_is_not_required(tmp_path, algorithms):
    producer = Pipeline(
        [
            Node(
                lambda: None,
                None,
                ["model_input_train", "model_input_validation", "model_input_test"],
                name="data_engineering_stand_in",
            )
        ]
    )
    catalog = _catalog_with_files(tmp_path, algorithms)
    check_modelling_inputs(producer + create_pipeline(list(algorithms)), catalog)


def test_present_inputs_and_good_blocks_pass(tmp_path, algorithms, model_inputs):
    catalog = build_catalog(model_inputs, algorithms, tmp_path)
    check_modelling_inputs(create_pipeline(list(algorithms)), catalog)


def test_bad_block_fails_before_the_run_with_its_name(
    tmp_path, algorithms, model_inputs
):
    algorithms["random_forest"]["hyperparameters"]["n_trees"] = 10
    catalog = build_catalog(model_inputs, algorithms, tmp_path)
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.random_forest .*unknown hyperparameter 'n_trees'",
    ):
        check_modelling_inputs(create_pipeline(list(algorithms)), catalog)
