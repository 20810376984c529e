"""An algorithm block that trains on Spark (``trains_on: spark``,
``xgboost.spark.SparkXGBClassifier``): it trains on the Spark model input without
collecting it, and gives the usual XGBoost estimator, saved and loaded as the
others are."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import xgboost
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from loan_default.errors import ProjectError
from loan_default.model.artifact import load_scoring_model
from loan_default.model.calibration import PriorCorrectedClassifier, prior_correction
from loan_default.model.xgboost_adapter import classifier_of_booster
from loan_default.pipeline_registry import build_pipelines
from loan_default.pipelines.modelling.algorithms import (
    AlgorithmConfigError,
    as_algorithm_block,
)
from loan_default.schema import APPLICATION_ID, TARGET
from loan_default.settings import CONFIG_LOADER_ARGS
from loan_default.synthetic_parquet import write_parquet_chunks
from tests.project import PROJECT_ROOT, make_project_copy

pytest.importorskip("pyspark", reason="the Spark tests need PySpark (pip extra)")

from pyspark.ml.functions import vector_to_array  # noqa: E402
from pyspark.sql import DataFrame  # noqa: E402

from loan_default.pipelines.spark import fit_model_on_spark  # noqa: E402
from loan_default.spark.training import (  # noqa: E402
    SparkModelInputError,
    booster_of,
    fit_on_spark,
    with_features_vector,
    xgboost_settings,
)

FEATURES = [f"FEATURE_{position}" for position in range(6)]
SMALL = {"n_estimators": 200, "learning_rate": 0.1}
"""Fewer, faster rounds than the environment's block: early stopping still stops."""


def _spark_block(**hyperparameters) -> dict:
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"),
        **{**CONFIG_LOADER_ARGS, "default_run_env": "spark"},
        env="spark",
    )
    block = loader["parameters"]["algorithms"]["xgboost_spark"]
    return {
        **block,
        "hyperparameters": {**block["hyperparameters"], **hyperparameters},
    }


def _model_input(rows: int, seed: int) -> pd.DataFrame:
    random = np.random.default_rng(seed)
    features = random.normal(size=(rows, len(FEATURES)))
    odds = np.exp(1.2 * features[:, 0] - 0.8 * features[:, 1] - 2.5)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame.insert(0, TARGET, (random.random(rows) < odds / (1 + odds)).astype("int64"))
    frame.insert(0, APPLICATION_ID, np.arange(rows, dtype="int64") + seed * rows)
    return frame


@pytest.fixture(scope="module")
def model_inputs(spark):
    train, validation = _model_input(3_000, 1), _model_input(1_000, 2)
    return (
        (train, spark.createDataFrame(train).repartition(2)),
        (validation, spark.createDataFrame(validation).repartition(2)),
    )


@pytest.fixture(scope="module")
def fitted(model_inputs):
    (train, spark_train), (_, spark_validation) = model_inputs
    block = _spark_block(**SMALL)
    with pytest.MonkeyPatch.context() as patch:
        # Nothing of the training split reaches the driver as a table.
        def refused(frame, *arguments, **keywords):
            raise AssertionError("a Spark model input was collected")

        patch.setattr(DataFrame, "toPandas", refused)
        model, summary = fit_model_on_spark(
            spark_train, spark_validation, block, {"random_state": 42}, "xgboost_spark"
        )
    return model, summary, train


def test_the_block_trains_on_spark_with_early_stopping_and_class_weights(fitted):
    model, summary, train = fitted
    assert summary["trains_on"] == "spark"
    assert summary["n_train_rows"] == len(train)
    ratio = (train[TARGET] == 0).sum() / train[TARGET].sum()
    assert summary["negatives_per_positive"] == pytest.approx(ratio)
    # scale_pos_weight as the default XGBoost block sets it, corrected back.
    assert isinstance(model, PriorCorrectedClassifier)
    assert model.positive_weight == pytest.approx(ratio)
    assert isinstance(model.estimator, xgboost.XGBClassifier)
    assert model.estimator.get_params()["scale_pos_weight"] == pytest.approx(ratio)
    stopped = summary["early_stopping"]
    assert stopped["rounds"] == 50
    assert stopped["n_trees_used"] < SMALL["n_estimators"]
    assert model.estimator.get_booster().feature_names == FEATURES
    assert summary["hyperparameters"]["random_state"] == 42


def test_spark_probabilities_are_the_plain_boosters(spark, model_inputs):
    (_, spark_train), (validation, spark_validation) = model_inputs
    estimator = as_algorithm_block(_spark_block(**SMALL)).estimator_class()
    estimator.setParams(
        **SMALL, max_depth=2, early_stopping_rounds=20, num_workers=2, verbose=False
    )
    spark_model = fit_on_spark(estimator, spark_train, spark_validation, FEATURES)
    booster = booster_of(spark_model, "test")
    classifier = classifier_of_booster(booster, xgboost_settings(estimator))
    on_spark = (
        spark_model.transform(with_features_vector(spark_validation, FEATURES))
        .select(APPLICATION_ID, vector_to_array("probability")[1].alias("p"))
        .toPandas()
        .set_index(APPLICATION_ID)
        .loc[validation[APPLICATION_ID], "p"]
        .to_numpy()
    )
    plain = booster.predict(
        xgboost.DMatrix(validation[FEATURES]),
        iteration_range=(0, booster.best_iteration + 1),
    )
    assert classifier.best_iteration == booster.best_iteration
    np.testing.assert_allclose(on_spark, plain, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(
        classifier.predict_proba(validation[FEATURES])[:, 1], plain
    )


def test_a_spark_model_input_with_missing_values_is_refused(spark, model_inputs):
    (train, _), (_, spark_validation) = model_inputs
    broken = train.copy()
    broken.loc[5, "FEATURE_2"] = np.nan
    with pytest.raises(SparkModelInputError, match="with NaN: \\['FEATURE_2'\\]"):
        fit_model_on_spark(
            spark.createDataFrame(broken),
            spark_validation,
            _spark_block(),
            {"random_state": 42},
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"estimator": "xgboost.XGBClassifier"},
            "xgboost.XGBClassifier is not a Spark ML estimator",
        ),
        (
            {"search": {"method": "grid", "space": {"max_depth": [2]}, "cv_folds": 3}},
            "search.method must be none with trains_on 'spark'",
        ),
        ({"scale_features": True}, "scale_features: cannot be combined with"),
        (
            {"hyperparameters": {"n_jobs": 2}},
            "unknown hyperparameter 'n_jobs'",
        ),
        (
            {"hyperparameters": {"features_col": "x"}},
            "unknown hyperparameter 'features_col'",
        ),
    ],
)
def test_a_bad_spark_block_is_refused_with_its_key(change, message):
    with pytest.raises(AlgorithmConfigError, match=message) as error:
        as_algorithm_block({**_spark_block(), **change}, "xgboost_spark")
    assert "params:algorithms.xgboost_spark" in str(error.value)


def test_a_spark_block_outside_the_spark_engine_is_refused():
    with pytest.raises(ProjectError, match="only the Spark engine has"):
        build_pipelines(["xgboost_spark"], "pandas", ["xgboost_spark"])


def test_only_the_spark_block_reads_the_spark_model_input():
    modelling = build_pipelines(
        ["xgboost", "xgboost_spark"], "spark", ["xgboost_spark"]
    )["modelling"]
    fits = {node.name: set(node.inputs) for node in modelling.nodes}
    assert "model_input_train" in fits["xgboost_spark.fit_model"]
    assert "model_input_train_on_driver" in fits["xgboost.fit_model"]
    # With only Spark blocks, modelling collects no model input.
    alone = build_pipelines(["xgboost_spark"], "spark", ["xgboost_spark"])
    assert not any(
        name.startswith("model_input") and name.endswith("_on_driver")
        for name in alone["modelling"].all_inputs()
    )


N_APPLICATIONS = 1_500


@pytest.fixture
def project(tmp_path, monkeypatch, spark):
    project = make_project_copy(tmp_path)
    shutil.copytree(PROJECT_ROOT / "conf" / "spark", project / "conf" / "spark")
    # The environment's Spark block, smaller, against the cheapest usual block.
    algorithms = {
        "xgboost_spark": _spark_block(**SMALL),
        "decision_tree": project_block("decision_tree"),
    }
    (project / "conf" / "spark" / "parameters_modelling.yml").write_text(
        yaml.safe_dump({"algorithms": algorithms}), encoding="utf-8"
    )
    write_parquet_chunks(N_APPLICATIONS, 3, project / "data" / "01_raw", 1_000)
    monkeypatch.setenv("LOAN_DEFAULT_TRACKING", "off")
    bootstrap_project(project)
    return project


def project_block(name: str) -> dict:
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )
    return loader["parameters"]["algorithms"][name]


def test_a_kedro_run_trains_the_spark_block_through_modelling(project):
    with KedroSession.create(project_path=project, env="spark") as session:
        session.run(pipeline_names=["data_engineering", "modelling"])
    data = project / "data"
    (manifest,) = (data / "06_models" / "xgboost_spark" / "model").rglob(
        "manifest.json"
    )
    model = load_scoring_model(manifest.parent)  # the verified loader
    assert model.metadata["estimator"] == "xgboost.spark.SparkXGBClassifier"
    assert (manifest.parent / "estimator.json").is_file()
    assert not list(manifest.parent.glob("*.skops"))

    # The run's validation probabilities (the inference object on the raw
    # applications) are the plain booster's on the Spark model input's rows.
    predictions = pd.read_parquet(
        data / "07_model_output" / "xgboost_spark" / "predictions_validation.parquet"
    ).set_index(APPLICATION_ID)
    model_input = pd.read_parquet(data / "05_model_input" / "validation.parquet")
    booster = model.estimator.estimator.get_booster()
    plain = prior_correction(
        booster.predict(
            xgboost.DMatrix(
                model_input.drop(columns=[APPLICATION_ID, TARGET]).astype("float64")
            ),
            iteration_range=(0, booster.best_iteration + 1),
        ),
        model.estimator.positive_weight,
    )
    found = predictions.loc[model_input[APPLICATION_ID], "PROBABILITY"].to_numpy()
    np.testing.assert_allclose(found, plain, rtol=0, atol=1e-6)

    results = pd.read_csv(data / "08_reporting" / "validation_results.csv")
    assert set(results["model"]) == {"xgboost_spark", "decision_tree"}
    assert (data / "06_models" / "champion" / "champion_model").is_dir()
