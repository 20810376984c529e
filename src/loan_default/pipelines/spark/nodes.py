"""Nodes of the Spark environment: the default environment's own functions, called on
Spark partitions (``loan_default.spark``).

Validation, cleaning, history aggregates, applicant features, the split, the
transformer's fit, encoding and scoring are the functions of ``validation``,
``features``, the data_engineering and scoring nodes and the champion
``ScoringModel``; these nodes only choose what runs per partition, per group of
applicants, or once on the driver.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from loan_default.features import (
    FeatureTransformer,
    aggregate_previous_applications,
    build_applicant_features,
    clean_application,
    clean_previous_application,
    to_model_input,
)
from loan_default.model.scoring_model import DECISION, ScoringModel
from loan_default.model.xgboost_adapter import classifier_of_booster
from loan_default.pipelines.data_engineering.nodes import split_applicants
from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    build_estimator,
    resolve_monotone_constraints,
)
from loan_default.pipelines.modelling.nodes import (
    check_same_features,
    fitted_model,
    negatives_per_positive,
)
from loan_default.pipelines.scoring.nodes import (
    CHUNK_COLUMNS,
    QUARANTINE_REASON_COLUMNS,
    UniqueKeys,
    _check_policy,
    lookup_history,
    score_batch,
    validate_chunk,
)
from loan_default.schema import (
    APPLICATION,
    APPLICATION_ID,
    PREVIOUS_APPLICATION,
    TARGET,
    TableSchema,
)
from loan_default.spark.frames import (
    bucket_count,
    cogroup_by_applicant,
    collect_frame,
    map_frames,
    positive_setting,
    spark_schema,
    table_spark_schema,
    typed_like_schema,
)
from loan_default.spark.training import (
    booster_of,
    class_counts,
    feature_columns,
    fit_on_spark,
    xgboost_settings,
)
from loan_default.validation import (
    RawDataValidationError,
    validate_table,
    violation_error,
)

logger = logging.getLogger(__name__)

SPLIT = "__split"
PARTS = ("train", "validation", "test")


def _empty_table(table: TableSchema, columns: list[str]) -> pd.DataFrame:
    """A validated table with no rows, in the dtypes validation gives."""
    dtypes = {"int64": "int64", "float64": "float64", "string": "string"}
    return pd.DataFrame(
        {
            spec.name: pd.Series(dtype=dtypes[spec.dtype])
            for spec in table.columns
            if spec.name in columns
        }
    )


# --- validation ---------------------------------------------------------------------


def _check_table_rules(
    frame: DataFrame,
    table: TableSchema,
    source: str,
    require_target: bool,
    max_examples: int,
) -> None:
    """The rules about the whole table (columns, no rows, a unique key, both
    classes), by ``validate_table`` itself on a digest of the table: the rows whose
    key repeats, and one row per TARGET value (one row without TARGET)."""
    sample = frame.dropDuplicates([TARGET]) if TARGET in frame.columns else frame
    sample = sample.limit(2 if require_target else 1)
    parts = [sample]
    if table.key in frame.columns:
        repeated = (
            frame.groupBy(table.key).count().where(F.col("count") > 1).select(table.key)
        )
        parts = [
            frame.join(repeated, table.key, "left_semi"),
            sample.join(repeated, table.key, "left_anti"),
        ]
    digest = functools.reduce(DataFrame.unionByName, parts)
    rows = digest.limit(1000).toPandas()
    validate_table(
        rows, table, source, require_target=require_target, max_examples=max_examples
    )


def validate_spark_table(
    frame: DataFrame,
    table: TableSchema,
    source: str,
    *,
    require_target: bool,
    max_examples: int,
) -> DataFrame:
    """``frame`` typed by ``validate_table``, batch by batch, after the table rules.

    Row rules break with ``validate_table``'s own message; its row numbers count
    from the start of the Arrow batch that holds them (Spark has no global row order).
    """
    _check_table_rules(frame, table, source, require_target, max_examples)
    schema = table_spark_schema(table, frame.columns)
    validate = functools.partial(
        validate_table,
        table=table,
        source=source,
        require_target=False,  # each batch alone need not hold both classes
        max_examples=max_examples,
    )
    return map_frames(frame, validate, schema)


def validate_raw_tables(
    application_raw: DataFrame,
    previous_application_raw: DataFrame,
    true_default_probability_raw: DataFrame,
    validation: dict[str, Any],
) -> tuple[DataFrame, DataFrame, dict[str, Any], pd.DataFrame]:
    """Both raw tables validated by the schema's rules, where they came from, and
    the generator's true default probabilities (empty for real data)."""
    max_examples = int(validation.get("max_examples", 5))
    application = validate_spark_table(
        application_raw,
        APPLICATION,
        APPLICATION.filename,
        require_target=True,
        max_examples=max_examples,
    )
    previous = validate_spark_table(
        previous_application_raw,
        PREVIOUS_APPLICATION,
        PREVIOUS_APPLICATION.filename,
        require_target=False,
        max_examples=max_examples,
    )
    counts = application.agg(
        F.count(F.lit(1)).alias("n"), F.avg(TARGET).alias("rate")
    ).first()
    n_previous = previous.count()
    truth = true_default_probability_raw.toPandas().astype(
        {APPLICATION_ID: "int64", "TRUE_PD": "float64"}
    )
    source = {
        "kind": "synthetic" if len(truth) else "files",
        "engine": "spark",
        "n_applications": int(counts["n"]),
        "n_previous_applications": int(n_previous),
        "default_rate": float(counts["rate"]),
    }
    logger.info(
        "Validated %d applications (default rate %.2f%%) and %d previous applications",
        source["n_applications"],
        100 * source["default_rate"],
        source["n_previous_applications"],
    )
    return application, previous, source, truth


# --- cleaning and features ------------------------------------------------------------


def _mapped(frame: DataFrame, function: Any, sample: pd.DataFrame) -> DataFrame:
    """``function`` per batch; its output layout read from ``sample``'s output."""
    return map_frames(frame, function, spark_schema(function(sample)))


def clean_tables(
    application_validated: DataFrame,
    previous_application_validated: DataFrame,
    cleaning: dict[str, Any],
) -> tuple[DataFrame, DataFrame]:
    """``clean_application`` and ``clean_previous_application`` per batch."""
    application = _mapped(
        application_validated,
        functools.partial(clean_application, cleaning=cleaning),
        _empty_table(APPLICATION, application_validated.columns),
    )
    previous = _mapped(
        previous_application_validated,
        functools.partial(clean_previous_application, cleaning=cleaning),
        _empty_table(PREVIOUS_APPLICATION, previous_application_validated.columns),
    )
    return application, previous


def _applicant_features(
    application_clean: pd.DataFrame,
    previous_application_clean: pd.DataFrame,
    features: dict[str, Any],
) -> pd.DataFrame:
    """The default path's two steps on one group of applicants."""
    aggregates = aggregate_previous_applications(previous_application_clean, features)
    return build_applicant_features(application_clean, aggregates, features)


def _empty_like(frame: DataFrame) -> pd.DataFrame:
    return frame.limit(0).toPandas()


def build_features_by_applicant(
    application_clean: DataFrame,
    previous_application_clean: DataFrame,
    features: dict[str, Any],
    spark: dict[str, Any],
) -> DataFrame:
    """Applicant features: both cleaned tables cogrouped by applicant, each group
    through ``aggregate_previous_applications`` and ``build_applicant_features``."""
    function = functools.partial(_applicant_features, features=features)
    empty = function(
        _empty_like(application_clean), _empty_like(previous_application_clean)
    )
    buckets = bucket_count(
        application_clean.count(), positive_setting(spark, "applications_per_group")
    )
    return cogroup_by_applicant(
        application_clean,
        previous_application_clean,
        function,
        spark_schema(empty),
        buckets,
    )


# --- the split, the transformer, the model inputs ---------------------------------------


def split_by_applicant(
    applicant_features: DataFrame, split: dict[str, Any]
) -> DataFrame:
    """``SK_ID_CURR`` and its part (train, validation, test): ``split_applicants``
    on the keys and labels alone, in ``SK_ID_CURR`` order, on the driver."""
    keys = applicant_features.select(APPLICATION_ID, TARGET).toPandas()
    keys = keys.sort_values(APPLICATION_ID, kind="stable").reset_index(drop=True)
    parts = split_applicants(keys, split)
    labels = pd.concat(
        [
            pd.DataFrame({APPLICATION_ID: part[APPLICATION_ID], SPLIT: name})
            for name, part in zip(PARTS, parts, strict=True)
        ],
        ignore_index=True,
    )
    session = SparkSession.getActiveSession()
    return session.createDataFrame(labels)


def _part(frame: DataFrame, split_labels: DataFrame, part: str) -> DataFrame:
    ids = split_labels.where(F.col(SPLIT) == part).select(APPLICATION_ID)
    return frame.join(F.broadcast(ids), APPLICATION_ID, "left_semi")


def fit_transformer_on_driver(
    applicant_features: DataFrame,
    split_labels: DataFrame,
    transformer: dict[str, Any],
    spark: dict[str, Any],
) -> FeatureTransformer:
    """The one global step: the feature transformer fitted on the training split,
    brought to the driver ``spark.transformer_fit_columns`` columns at a time (all
    its rows, a few columns: what the fit learns is per column)."""
    per_batch = positive_setting(spark, "transformer_fit_columns")
    train = _part(applicant_features, split_labels, "train")
    columns = train.columns
    batches = (
        train.select(*columns[start : start + per_batch]).toPandas()
        for start in range(0, len(columns), per_batch)
    )
    return FeatureTransformer(**transformer).fit_in_column_batches(
        columns, batches, train.count()
    )


def _model_input_schema(
    transformer: FeatureTransformer, features: DataFrame
) -> pd.DataFrame:
    return to_model_input(transformer, _empty_like(features))


def encode_parts(
    applicant_features: DataFrame,
    split_labels: DataFrame,
    feature_transformer: FeatureTransformer,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """``to_model_input`` per batch of each part, the transformer broadcast."""
    session = SparkSession.getActiveSession()
    shared = session.sparkContext.broadcast(feature_transformer)

    def encode(features: pd.DataFrame) -> pd.DataFrame:
        return to_model_input(shared.value, features)

    schema = spark_schema(_model_input_schema(feature_transformer, applicant_features))
    return tuple(
        map_frames(_part(applicant_features, split_labels, part), encode, schema)
        for part in PARTS
    )


def holdout_applications(
    application_validated: DataFrame, split_labels: DataFrame, spark: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The validated raw applications of validation and test, on the driver in
    ``SK_ID_CURR`` order (the split's order): evaluation scores them end to end."""
    collected = []
    for part in ("validation", "test"):
        frame = collect_frame(
            _part(application_validated, split_labels, part),
            spark,
            f"the {part} split's applications",
        )
        frame = typed_like_schema(frame, APPLICATION)
        collected.append(
            frame.sort_values(APPLICATION_ID, kind="stable").reset_index(drop=True)
        )
    return collected[0], collected[1]


# --- to the driver, for modelling and reporting ------------------------------------------


def collect_model_input(model_input: DataFrame, spark: dict[str, Any]) -> pd.DataFrame:
    """A model input on the driver in ``SK_ID_CURR`` order, as the default
    environment writes it (at most ``spark.driver_max_rows`` rows)."""
    frame = collect_frame(model_input, spark, "a model input")
    return frame.sort_values(APPLICATION_ID, kind="stable").reset_index(drop=True)


def history_of_holdout(
    previous_application_validated: DataFrame,
    application_validation: pd.DataFrame,
    application_test: pd.DataFrame,
    spark: dict[str, Any],
) -> pd.DataFrame:
    """The earlier applications of the validation and test applicants, on the
    driver: all the history evaluation reads."""
    session = SparkSession.getActiveSession()
    ids = pd.concat(
        [application_validation[APPLICATION_ID], application_test[APPLICATION_ID]]
    ).to_frame(APPLICATION_ID)
    wanted = session.createDataFrame(ids)
    history = collect_frame(
        previous_application_validated.join(wanted, APPLICATION_ID, "left_semi"),
        spark,
        "the history of the validation and test applicants",
    )
    history = history.sort_values(
        [APPLICATION_ID, PREVIOUS_APPLICATION.key], kind="stable"
    ).reset_index(drop=True)
    return typed_like_schema(history, PREVIOUS_APPLICATION)


def clean_applications_of(
    application_clean: DataFrame, application_test: pd.DataFrame
) -> pd.DataFrame:
    """The cleaned rows of the test applicants, on the driver (reporting's segments)."""
    session = SparkSession.getActiveSession()
    wanted = session.createDataFrame(application_test[[APPLICATION_ID]])
    return application_clean.join(wanted, APPLICATION_ID, "left_semi").toPandas()


# --- batch scoring ---------------------------------------------------------------------

BATCH_LABEL = "new_application_batch"


ROW_ID = "__row_id"
_PARTITION_SHIFT = 33
"""``monotonically_increasing_id``: the partition in the upper bits, the row within
it in the lower 33."""


def _partition_offsets(frame: DataFrame) -> tuple[dict[int, int], int]:
    """The batch row each partition of ``frame`` starts at, in partition order,
    and the number of rows."""
    counts = (
        frame.select(F.spark_partition_id().alias("partition"))
        .groupBy("partition")
        .count()
        .collect()
    )
    offsets, start = {}, 0
    for row in sorted(counts, key=lambda row: row["partition"]):
        offsets[row["partition"]] = start
        start += row["count"]
    return offsets, start


def _validated_chunks(
    batches: Iterator[pd.DataFrame],
    offsets: dict[int, int],
    max_examples: int,
) -> Iterator[Any]:
    """``validate_chunk`` on each Arrow batch of a partition, with the batch rows
    of the whole batch."""
    keys = UniqueKeys()
    for rows in batches:
        if len(rows):
            row_id = int(rows[ROW_ID].iloc[0])
            partition = row_id >> _PARTITION_SHIFT
            first_row = offsets[partition] + (row_id - (partition << _PARTITION_SHIFT))
            chunk = rows.drop(columns=ROW_ID).reset_index(drop=True)
            yield validate_chunk(chunk, first_row, BATCH_LABEL, keys, max_examples)


def validate_spark_batch(
    batch: DataFrame, invalid_rows: str, validation: dict[str, Any]
) -> tuple[DataFrame, pd.DataFrame, dict[str, Any]]:
    """``validate_chunk`` per Arrow batch: the valid rows, the quarantined ones (on
    the driver: few) and the batch's description.

    Row rules and their messages are ``validate_chunk``'s, with the batch's row
    numbers in Spark's reading order; a repeated ``SK_ID_CURR`` across partitions
    is found by the table rules first. ``reject`` fails on the first Arrow batch
    with a broken row rule, listing that batch's broken rules.
    """
    max_examples = int(validation.get("max_examples", 5))
    _check_table_rules(batch, APPLICATION, BATCH_LABEL, False, max_examples)
    offsets, n_rows = _partition_offsets(batch)
    raw_columns = list(batch.columns)
    numbered = batch.withColumn(ROW_ID, F.monotonically_increasing_id())

    def valid_rows(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for chunk in _validated_chunks(batches, offsets, max_examples):
            if chunk.violations and invalid_rows == "reject":
                raise violation_error(
                    chunk.violations, APPLICATION, BATCH_LABEL, max_examples
                )
            if len(chunk.valid):
                yield chunk.valid

    def quarantined(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for chunk in _validated_chunks(batches, offsets, max_examples):
            reasons = chunk.quarantine
            if len(reasons):
                yield reasons.astype(
                    {
                        "batch_row": "int64",
                        **dict.fromkeys(reasons.columns[1:], "string"),
                    }
                )

    reason_layout = pd.DataFrame(
        {"batch_row": pd.Series(dtype="int64")}
        | {
            name: pd.Series(dtype="string")
            for name in [*QUARANTINE_REASON_COLUMNS[1:], *raw_columns]
        }
    )
    _check_policy(invalid_rows)
    valid = numbered.mapInPandas(
        valid_rows, table_spark_schema(APPLICATION, raw_columns)
    )
    quarantine = numbered.mapInPandas(
        quarantined, spark_schema(reason_layout)
    ).toPandas()
    quarantine = quarantine.sort_values("batch_row", kind="stable").reset_index(
        drop=True
    )
    source = {"kind": "file", "path": BATCH_LABEL, "rows": n_rows}
    return valid, quarantine, source


def _score_group(
    applications: pd.DataFrame,
    history_rows: pd.DataFrame,
    champion: Any,
    reason_codes: int,
) -> pd.DataFrame:
    """``lookup_history`` and ``score_batch`` on one group of applicants:
    features, then scores, side by side."""
    history = lookup_history(applications, history_rows, _NO_GENERATED_HISTORY)
    features, scores = score_batch(champion.value, applications, history, reason_codes)
    return pd.concat([features, scores.drop(columns=APPLICATION_ID)], axis=1)


_NO_GENERATED_HISTORY = pd.DataFrame(columns=[APPLICATION_ID])


def score_spark_batch(
    production_model: ScoringModel,
    batch_applications: DataFrame,
    previous_application_validated: DataFrame,
    reason_codes: int,
    spark: dict[str, Any],
) -> tuple[DataFrame, DataFrame]:
    """The batch's applicant features and scores: the batch and the in-house
    history cogrouped by applicant, each group through ``lookup_history`` and
    ``score_batch`` with the champion broadcast to the workers."""
    session = SparkSession.getActiveSession()
    shared = session.sparkContext.broadcast(production_model)
    history = previous_application_validated.join(
        batch_applications.select(APPLICATION_ID), APPLICATION_ID, "left_semi"
    )
    sample = batch_applications.limit(1).toPandas()
    sample_history = history.join(
        session.createDataFrame(sample[[APPLICATION_ID]]), APPLICATION_ID, "left_semi"
    ).toPandas()
    features, scores = score_batch(
        production_model,
        sample,
        lookup_history(sample, sample_history, _NO_GENERATED_HISTORY),
        reason_codes,
    )
    layout = pd.concat([features, scores.drop(columns=APPLICATION_ID)], axis=1)
    buckets = bucket_count(
        batch_applications.count(), positive_setting(spark, "applications_per_group")
    )
    scored = cogroup_by_applicant(
        batch_applications,
        history,
        functools.partial(_score_group, champion=shared, reason_codes=reason_codes),
        spark_schema(layout),
        buckets,
    ).persist()
    return scored.select(*features.columns), scored.select(*scores.columns)


def count_spark_scoring(
    batch_source: dict[str, Any],
    quarantine: pd.DataFrame,
    scores: DataFrame,
    history: DataFrame,
    model: ScoringModel,
) -> pd.DataFrame:
    """The run's counts in ``scoring_chunks``' layout: one row for the whole batch
    (Spark's own tasks are the chunks)."""
    totals = scores.agg(
        F.count(F.lit(1)).alias("rows"), F.sum(DECISION).alias("flagged")
    ).first()
    earlier = history.join(scores.select(APPLICATION_ID), APPLICATION_ID, "left_semi")
    with_history = earlier.select(APPLICATION_ID).distinct().count()
    quarantined = int(quarantine["batch_row"].nunique()) if len(quarantine) else 0
    counts = {
        "chunk": 0,
        "first_row": 0,
        "rows_received": int(batch_source["rows"]),
        "rows_quarantined": quarantined,
        "rows_scored": int(totals["rows"]),
        "rows_flagged": int(totals["flagged"] or 0),
        "earlier_applications": earlier.count(),
        "applicants_with_history": with_history,
        "model_version": model.model_version,
    }
    if counts["rows_scored"] == 0 and quarantined:
        raise RawDataValidationError(
            f"{BATCH_LABEL}: no row of the batch is valid: every row breaks a schema "
            "rule (see quarantine.csv's reasons)"
        )
    return pd.DataFrame([counts], columns=CHUNK_COLUMNS)


def fit_model_on_spark(
    train: DataFrame,
    validation: DataFrame,
    model_options: dict[str, Any],
    modelling_options: dict[str, Any],
    algorithm: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Fit a block that trains on Spark (``trains_on: spark``) on the Spark model
    input, on the executors: the training split is never collected. Return the
    estimator every XGBoost block gives (an ``XGBClassifier`` holding the trained
    booster, calibrated as the block asks) and the fit summary of ``fit_model``.

    Early stopping, when the block asks for it, watches the validation split's
    rows, passed to Spark with the training rows. ``algorithm``: the block's name,
    for error messages.
    """
    features = feature_columns(train, "train")
    rows, positives = class_counts(train, features, "train")
    class_ratio = negatives_per_positive(rows, positives)
    defaults = {"random_state": modelling_options["random_state"]}
    estimator = build_estimator(model_options, defaults, class_ratio, algorithm)
    monotone = resolve_monotone_constraints(model_options, features, algorithm)
    if monotone:
        estimator.setParams(monotone_constraints=monotone)
    if estimator.hasParam("verbose"):
        estimator.setParams(verbose=False)  # no line per round in the run's log
    watched = None
    if model_options.get("early_stopping_rounds") is not None:
        check_same_features(
            feature_columns(validation, "validation"), features, "validation"
        )
        class_counts(validation, features, "validation")
        watched = validation
    started = time.perf_counter()
    spark_model = fit_on_spark(estimator, train, watched, features)
    fit_seconds = time.perf_counter() - started
    where = f"params:{ALGORITHMS_KEY}.{algorithm}" if algorithm else "algorithm block"
    classifier = classifier_of_booster(
        booster_of(spark_model, where), xgboost_settings(estimator)
    )
    model, summary = fitted_model(
        classifier,
        model_options,
        defaults=defaults,
        best={},
        search_summary={"method": "none"},
        n_train_rows=rows,
        n_features=len(features),
        positives=positives,
        fit_seconds=fit_seconds,
    )
    return model, {**summary, "trains_on": "spark"}
