"""Wiring of the Spark environment: data_engineering and scoring on Spark, and the
nodes that bring to the driver what modelling, reporting and monitoring read.

The registry uses these in place of the default data_engineering and scoring when
the run's parameters say ``engine: spark`` (conf/spark/parameters_spark.yml). The
other pipelines are the default ones, reading the driver copies under their own
names (``on_driver``).
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from loan_default.pipelines.scoring.nodes import summarise_scoring

from .nodes import (
    build_features_by_applicant,
    clean_applications_of,
    clean_tables,
    collect_model_input,
    count_spark_scoring,
    encode_parts,
    fit_transformer_on_driver,
    history_of_holdout,
    holdout_applications,
    score_spark_batch,
    split_by_applicant,
    validate_raw_tables,
    validate_spark_batch,
)

COLLECTED = (
    "model_input_train",
    "model_input_validation",
    "model_input_test",
    "batch_features",
    "scores",
)
"""Spark datasets the default pipelines read whole, collected on the driver."""
READS_SPARK = "spark"
"""Tag of the nodes that read Spark datasets themselves, as every node here does
and the fit of a block that trains on Spark: ``on_the_driver`` leaves their inputs
as they are."""
HOLDOUT_HISTORY = "previous_application_holdout"
TEST_CLEAN = "application_clean_test"


def on_driver(name: str) -> str:
    """The name of the driver copy of the Spark dataset ``name``."""
    return f"{name}_on_driver"


def create_data_engineering_pipeline() -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_raw_tables,
                [
                    "application_raw",
                    "previous_application_raw",
                    "true_default_probability_raw",
                    "params:validation",
                ],
                [
                    "application_validated",
                    "previous_application_validated",
                    "data_source",
                    "true_default_probability",
                ],
                name="validate_raw_data",
            ),
            Node(
                clean_tables,
                [
                    "application_validated",
                    "previous_application_validated",
                    "params:cleaning",
                ],
                ["application_clean", "previous_application_clean"],
                name="clean_tables",
            ),
            Node(
                build_features_by_applicant,
                [
                    "application_clean",
                    "previous_application_clean",
                    "params:features",
                    "params:spark",
                ],
                "applicant_features",
                name="build_applicant_features",
            ),
            Node(
                split_by_applicant,
                ["applicant_features", "params:split"],
                "split_labels",
                name="split_applicants",
            ),
            Node(
                fit_transformer_on_driver,
                [
                    "applicant_features",
                    "split_labels",
                    "params:transformer",
                    "params:spark",
                ],
                "feature_transformer",
                name="fit_feature_transformer",
            ),
            Node(
                encode_parts,
                ["applicant_features", "split_labels", "feature_transformer"],
                ["model_input_train", "model_input_validation", "model_input_test"],
                name="encode_parts",
            ),
            Node(
                holdout_applications,
                ["application_validated", "split_labels", "params:spark"],
                ["application_validation", "application_test"],
                name="select_holdout_applications",
            ),
        ],
        tags=["data_engineering", READS_SPARK],
    )


def create_scoring_pipeline() -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_spark_batch,
                [
                    "new_application_batch",
                    "params:scoring.invalid_rows",
                    "params:validation",
                ],
                ["batch_applications", "quarantine", "batch_source"],
                name="validate_batch",
            ),
            Node(
                score_spark_batch,
                [
                    "production_model",
                    "batch_applications",
                    "previous_application_validated",
                    "params:scoring.reason_codes",
                    "params:spark",
                ],
                ["batch_features", "scores"],
                name="score_batch",
            ),
            Node(
                count_spark_scoring,
                [
                    "batch_source",
                    "quarantine",
                    "scores",
                    "previous_application_validated",
                    "production_model",
                ],
                "scoring_chunks",
                name="count_scoring",
            ),
            Node(
                summarise_scoring,
                ["batch_source", "scoring_chunks", "params:scoring.invalid_rows"],
                "scoring_summary",
                name="summarise_scoring",
            ),
        ],
        tags=["scoring", READS_SPARK],
    )


def _bridge_node(name: str) -> Node:
    if name in COLLECTED:
        return Node(
            collect_model_input,
            [name, "params:spark"],
            on_driver(name),
            name=f"collect_{name}",
        )
    if name == "previous_application_validated":
        return Node(
            history_of_holdout,
            [name, "application_validation", "application_test", "params:spark"],
            HOLDOUT_HISTORY,
            name="collect_holdout_history",
        )
    return Node(
        clean_applications_of,
        ["application_clean", "application_test"],
        TEST_CLEAN,
        name="collect_test_clean_applications",
    )


BRIDGED = {
    **{name: on_driver(name) for name in COLLECTED},
    "previous_application_validated": HOLDOUT_HISTORY,
    "application_clean": TEST_CLEAN,
}
"""Each Spark dataset a default pipeline reads, and the driver copy it reads instead."""


def on_the_driver(pipeline: Pipeline) -> Pipeline:
    """``pipeline`` reading the driver copies of the Spark datasets it reads, with
    the nodes that collect them (tagged like the pipeline's own nodes). Its nodes
    tagged ``READS_SPARK`` keep reading the Spark datasets; a dataset only they
    read is not collected."""
    on_spark = pipeline.only_nodes_with_tags(READS_SPARK)
    on_driver = pipeline - on_spark
    bridged = sorted(set(on_driver.inputs()) & set(BRIDGED))
    if not bridged:
        return pipeline
    tags = set().union(*(node.tags for node in on_driver.nodes)) - {READS_SPARK}
    collect = Pipeline(
        [_bridge_node(name) for name in bridged], tags=[*tags, READS_SPARK]
    )
    return (
        collect
        + Pipeline(on_driver, inputs={name: BRIDGED[name] for name in bridged})
        + on_spark
    )
