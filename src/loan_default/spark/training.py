"""Training a Spark ML estimator on a Spark model input, where its rows are.

The model input's contract (``SK_ID_CURR``, ``TARGET`` 0/1 and numeric features
without missing values) is checked by one Spark aggregate, and the estimator reads
the feature columns from the executors: nothing but counts and the trained booster
comes back to the driver.
"""

from __future__ import annotations

from typing import Any

import xgboost
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, NumericType

from loan_default.errors import ProjectError
from loan_default.schema import APPLICATION_ID, TARGET

FEATURES_VECTOR = "__features"
"""The vector column of the features the estimator reads."""
VALIDATION_INDICATOR = "__validation"
"""The column marking the validation rows that early stopping watches."""
_MAX_EXAMPLES = 5


class SparkModelInputError(ProjectError, ValueError):
    """A Spark model input that breaks the model input's contract."""


def feature_columns(model_input: DataFrame, split: str) -> list[str]:
    """The feature columns of a Spark model input, in order, checked numeric."""
    missing = [
        name for name in (APPLICATION_ID, TARGET) if name not in model_input.columns
    ]
    if missing:
        raise SparkModelInputError(f"model_input_{split}: missing column(s) {missing}")
    fields = [
        field
        for field in model_input.schema.fields
        if field.name not in (APPLICATION_ID, TARGET)
    ]
    if not fields:
        raise SparkModelInputError(f"model_input_{split}: no feature columns")
    not_numeric = [
        field.name
        for field in fields
        if not isinstance(field.dataType, NumericType)
        or isinstance(field.dataType, BooleanType)
    ]
    if not_numeric:
        raise SparkModelInputError(
            f"model_input_{split}: feature columns must be numeric; not numeric: "
            f"{not_numeric[:_MAX_EXAMPLES]}"
        )
    return [field.name for field in fields]


def class_counts(model_input: DataFrame, features: list[str], split: str) -> tuple:
    """``(rows, positives)`` of a Spark model input, after checking in the same
    pass that ``TARGET`` is 0 or 1 and that no feature is missing."""
    target = F.col(TARGET)
    aggregates = [
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(target == 1, 1).otherwise(0)).alias("positives"),
        F.sum(F.when(target.isin(0, 1), 0).otherwise(1)).alias("bad_target"),
        *(
            F.sum(
                F.when(F.col(name).isNull() | F.isnan(F.col(name)), 1).otherwise(0)
            ).alias(f"missing_{position}")
            for position, name in enumerate(features)
        ),
    ]
    counts = model_input.agg(*aggregates).first().asDict()
    if counts["bad_target"]:
        raise SparkModelInputError(
            f"model_input_{split}: column {TARGET} must be 0 or 1; "
            f"{counts['bad_target']} rows are not"
        )
    with_nan = [
        name for position, name in enumerate(features) if counts[f"missing_{position}"]
    ]
    if with_nan:
        raise SparkModelInputError(
            f"model_input_{split}: feature columns must have no missing values "
            f"(imputation happens in data engineering); with NaN: "
            f"{with_nan[:_MAX_EXAMPLES]}"
        )
    return int(counts["rows"]), int(counts["positives"] or 0)


def fit_on_spark(
    estimator: Any,
    train: DataFrame,
    validation: DataFrame | None,
    features: list[str],
) -> Any:
    """``estimator`` (an ``xgboost.spark`` estimator) fitted on the training rows'
    ``features``; when ``validation`` is given, its rows are passed with them,
    marked as the validation set that early stopping watches.

    The features reach XGBoost as one vector column, named for the booster
    (``feature_names``): with a list of columns instead, ``xgboost.spark`` fails
    on an Arrow batch that holds only training or only validation rows.
    """
    rows = train.select(*features, TARGET)
    settings: dict[str, Any] = {
        "features_col": FEATURES_VECTOR,
        "label_col": TARGET,
        "feature_names": list(features),
    }
    if validation is not None:
        rows = rows.withColumn(VALIDATION_INDICATOR, F.lit(False)).unionByName(
            validation.select(*features, TARGET).withColumn(
                VALIDATION_INDICATOR, F.lit(True)
            )
        )
        settings["validation_indicator_col"] = VALIDATION_INDICATOR
        # A union cannot feed Spark's barrier stage directly: the rows are
        # shuffled into one partition per worker first.
        settings["force_repartition"] = True
    estimator.setParams(**settings)
    return estimator.fit(with_features_vector(rows, features))


def with_features_vector(frame: DataFrame, features: list[str]) -> DataFrame:
    """``frame`` with its ``features`` as the vector column a model fitted by
    ``fit_on_spark`` reads."""
    assembler = VectorAssembler(inputCols=list(features), outputCol=FEATURES_VECTOR)
    return assembler.transform(frame)


def booster_of(spark_model: Any, what: str) -> xgboost.Booster:
    """The XGBoost booster a fitted Spark model holds (``get_booster()``)."""
    get_booster = getattr(spark_model, "get_booster", None)
    booster = get_booster() if callable(get_booster) else None
    if not isinstance(booster, xgboost.Booster):
        raise ProjectError(
            f"{what}: the fitted {type(spark_model).__name__} gives no XGBoost "
            "booster (get_booster()); a block that trains on Spark must name an "
            "xgboost.spark estimator, e.g. xgboost.spark.SparkXGBClassifier"
        )
    return booster


def xgboost_settings(estimator: Any) -> dict[str, Any]:
    """The settings of a Spark XGBoost estimator that ``xgboost.XGBClassifier``
    also has (its own defaults included), to hold its trained booster with."""
    names = set(xgboost.XGBClassifier().get_params())
    return {
        param.name: estimator.getOrDefault(param)
        for param in estimator.params
        if param.name in names and estimator.isDefined(param)
    }
