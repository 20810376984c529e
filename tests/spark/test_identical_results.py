"""The Spark environment's model inputs, probabilities and decisions are the default
environment's, within 1e-9, on the same generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from loan_default.datasets import FrameChunks
from loan_default.pipelines.data_engineering import create_pipeline
from loan_default.schema import APPLICATION_ID, PREVIOUS_APPLICATION
from loan_default.synthetic import (
    FIRST_TRAINING_ID,
    generate_loan_data,
    generate_new_applications,
)
from loan_default.synthetic_parquet import write_parquet_chunks
from tests.project import project_parameters

pytest.importorskip("pyspark", reason="the Spark tests need PySpark (pip extra)")

from loan_default.pipelines.scoring.nodes import score_in_chunks  # noqa: E402
from loan_default.pipelines.spark import (  # noqa: E402
    create_data_engineering_pipeline,
)
from loan_default.pipelines.spark.nodes import (  # noqa: E402
    collect_model_input,
    fit_transformer_on_driver,
    score_spark_batch,
    validate_spark_batch,
)
from loan_default.spark import collect_frame  # noqa: E402

N_APPLICATIONS = 2_000
SEED = 5
TOLERANCE = 1e-9
SPARK = {
    "applications_per_group": 500,
    "driver_max_rows": 100_000,
    "collect_batch_rows": 250,
    "transformer_fit_columns": 8,
}
"""Four groups of applicants for the history steps; the holdout applications and
model inputs reach the driver in batches."""
PARTS = ("train", "validation", "test")


class KeptDataset(MemoryDataset):
    """In memory, and kept after its last consumer ran (the tests read them all)."""

    def _release(self) -> None:
        pass


def _parameters() -> dict:
    return {**project_parameters(), "spark": SPARK}


def _run(pipeline, inputs: dict) -> dict:
    catalog = DataCatalog(
        {name: MemoryDataset(value) for name, value in inputs.items()}
    )
    parameters = _parameters()
    for name in pipeline.inputs():
        if name.startswith("params:"):
            catalog[name] = MemoryDataset(parameters[name.removeprefix("params:")])
    for name in pipeline.all_outputs():
        catalog[name] = KeptDataset(copy_mode="assign")
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog[name].load() for name in pipeline.all_outputs()}


@pytest.fixture(scope="module")
def raw_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    write_parquet_chunks(
        N_APPLICATIONS, SEED, folder, chunk_applications=N_APPLICATIONS
    )
    return folder


@pytest.fixture(scope="module")
def default_outputs():
    data = generate_loan_data(N_APPLICATIONS, SEED)
    raw = {
        "application": data.application,
        "previous_application": data.previous_application,
        "true_default_probability": data.true_default_probability,
        "source": {"kind": "synthetic", "seed": SEED},
    }
    return _run(create_pipeline(), {"raw_loan_data": raw})


@pytest.fixture(scope="module")
def spark_outputs(spark, raw_folder):
    tables = {
        f"{name}_raw": spark.read.parquet(str(raw_folder / f"{name}.parquet"))
        for name in ("application", "previous_application", "true_default_probability")
    }
    return _run(create_data_engineering_pipeline(), tables)


def test_one_chunk_is_the_embedded_data(raw_folder):
    data = generate_loan_data(N_APPLICATIONS, SEED)
    written = pd.read_parquet(raw_folder / "application.parquet")
    pd.testing.assert_frame_equal(written, data.application, check_dtype=False)


@pytest.mark.parametrize("part", PARTS)
def test_model_inputs_are_the_default_environments(
    default_outputs, spark_outputs, part
):
    expected = default_outputs[f"model_input_{part}"]
    found = collect_model_input(spark_outputs[f"model_input_{part}"], SPARK)
    assert list(found.columns) == list(expected.columns)
    assert found[APPLICATION_ID].tolist() == expected[APPLICATION_ID].tolist()
    difference = np.abs(
        found.to_numpy(dtype="float64") - expected.to_numpy(dtype="float64")
    )
    assert difference.max() <= TOLERANCE


def test_the_transformer_is_fitted_on_the_same_training_split(
    default_outputs, spark_outputs
):
    assert (
        spark_outputs["feature_transformer"].to_state()
        == default_outputs["feature_transformer"].to_state()
    )


def test_a_transformer_fit_of_no_columns_at_a_time_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"spark.transformer_fit_columns: expected at least 1, got 0"
    ):
        fit_transformer_on_driver(
            None, None, {}, {**SPARK, "transformer_fit_columns": 0}
        )


def test_a_collect_of_no_rows_at_a_time_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"spark.collect_batch_rows: expected at least 1, got 0"
    ):
        collect_frame(None, {**SPARK, "collect_batch_rows": 0}, "a table")


def test_holdout_applications_are_the_default_environments(
    default_outputs, spark_outputs
):
    for part in ("validation", "test"):
        pd.testing.assert_frame_equal(
            spark_outputs[f"application_{part}"],
            default_outputs[f"application_{part}"],
        )


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    """New applications, some of them applicants with history on record, three of
    them breaking a schema rule."""
    application = generate_new_applications(
        600, seed=9, first_id=FIRST_TRAINING_ID
    ).application
    application.loc[[4, 250, 501], "AMT_INCOME_TOTAL"] = -5.0
    return application


@pytest.fixture(scope="module")
def default_scores(champion, batch, default_outputs):
    chunks = list(
        score_in_chunks(
            champion,
            FrameChunks(batch),
            default_outputs["previous_application_validated"],
            pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names),
            {"kind": "file", "path": "new_application_batch", "rows": len(batch)},
            "quarantine",
            {"max_examples": 5},
            4,
            250,
        )
    )
    features, scores, quarantine, _ = (
        pd.concat([chunk[index] for chunk in chunks], ignore_index=True)
        for index in range(4)
    )
    return features, scores, quarantine


@pytest.fixture(scope="module")
def spark_scores(spark, champion, batch, spark_outputs):
    valid, quarantine, _ = validate_spark_batch(
        spark.createDataFrame(batch), "quarantine", {"max_examples": 5}
    )
    features, scores = score_spark_batch(
        champion, valid, spark_outputs["previous_application_validated"], 4, SPARK
    )
    order = [APPLICATION_ID]
    return (
        features.toPandas().sort_values(order).reset_index(drop=True),
        scores.toPandas().sort_values(order).reset_index(drop=True),
        quarantine,
    )


def test_probabilities_and_decisions_are_the_default_environments(
    default_scores, spark_scores
):
    expected, found = default_scores[1], spark_scores[1]
    assert found[APPLICATION_ID].tolist() == expected[APPLICATION_ID].tolist()
    assert len(found) == 600 - 3
    difference = np.abs(found["PROBABILITY"] - expected["PROBABILITY"])
    assert difference.max() <= TOLERANCE
    for column in ("DECISION", "RISK_DECILE", "REASON_1", "REASON_4_STATEMENT"):
        assert found[column].tolist() == expected[column].tolist()
    assert found["DECISION"].sum() > 0


def test_batch_features_are_the_default_environments(default_scores, spark_scores):
    expected, found = default_scores[0], spark_scores[0]
    assert list(found.columns) == list(expected.columns)
    numbers = expected.select_dtypes("number").columns
    difference = np.abs(
        found[numbers].to_numpy(dtype="float64")
        - expected[numbers].to_numpy(dtype="float64")
    )
    assert np.nanmax(difference) <= TOLERANCE
    assert (
        np.isnan(found[numbers].to_numpy(dtype="float64"))
        == np.isnan(expected[numbers].to_numpy(dtype="float64"))
    ).all()
    assert found["HAS_PREVIOUS_APPLICATION"].sum() > 50


def test_quarantine_is_the_default_environments(default_scores, spark_scores):
    expected, found = default_scores[2], spark_scores[2]
    assert (
        found["batch_row"].tolist() == expected["batch_row"].tolist() == [4, 250, 501]
    )
    assert found["rule"].tolist() == expected["rule"].tolist()
