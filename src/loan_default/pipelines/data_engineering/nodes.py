"""Nodes of the data_engineering pipeline.

Cleaning and feature building live in ``loan_default.features`` (shared with batch
scoring and the API); these nodes only adapt them to the catalog.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from loan_default.features import FeatureTransformer
from loan_default.schema import (
    APPLICATION,
    APPLICATION_ID,
    PREVIOUS_APPLICATION,
    TARGET,
)
from loan_default.validation import validate_table

logger = logging.getLogger(__name__)


def _source_label(source: dict[str, Any], filename: str) -> str:
    if source.get("kind") == "files":
        for file in source["files"]:
            if file["path"].endswith(filename):
                return file["path"]
    return f"synthetic {filename} (seed {source.get('seed')})"


def validate_raw_data(
    raw_loan_data: dict[str, Any], validation: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Type and validate both raw tables; pass on where they came from."""
    source = raw_loan_data["source"]
    max_examples = validation.get("max_examples", 5)
    application = validate_table(
        raw_loan_data["application"],
        APPLICATION,
        _source_label(source, APPLICATION.filename),
        max_examples=max_examples,
    )
    previous_application = validate_table(
        raw_loan_data["previous_application"],
        PREVIOUS_APPLICATION,
        _source_label(source, PREVIOUS_APPLICATION.filename),
        require_target=False,
        max_examples=max_examples,
    )
    default_rate = float(application[TARGET].mean())
    logger.info(
        "Validated %d applications (default rate %.2f%%) and %d previous applications",
        len(application),
        100 * default_rate,
        len(previous_application),
    )
    described_source = {
        **source,
        "n_applications": len(application),
        "n_previous_applications": len(previous_application),
        "default_rate": default_rate,
    }
    return (
        application,
        previous_application,
        described_source,
        raw_loan_data["true_default_probability"],
    )


MIN_PER_CLASS_IN_PART = 2
"""Defaults and non-defaults each of validation and test should expect at least: the
second stratified split needs two of each class in the holdout, and a part without
both classes has no AUC."""


def minimum_per_class(split: dict[str, Any]) -> int:
    """The fewest applicants of each class the stratified split can share out."""
    smallest_part = min(split["validation_size"], split["test_size"])
    return math.ceil(MIN_PER_CLASS_IN_PART / smallest_part)


def check_class_counts(target: pd.Series, split: dict[str, Any]) -> None:
    """Refuse a TARGET too thin to split, before scikit-learn fails cryptically."""
    counts = target.value_counts()
    minimum = minimum_per_class(split)
    found = {label: int(counts.get(label, 0)) for label in (0, 1)}
    if min(found.values()) < minimum:
        raise ValueError(
            f"column {TARGET}: {found[1]} default(s) (1) and {found[0]} non-default(s) "
            f"(0) among {len(target)} applicants; a stratified train / validation / "
            f"test split with validation_size {split['validation_size']} and "
            f"test_size {split['test_size']} needs at least {minimum} of each class"
        )


def split_applicants(
    applicant_features: pd.DataFrame, split: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stratified train / validation / test split of applicants by TARGET."""
    check_class_counts(applicant_features[TARGET], split)
    holdout_size = split["validation_size"] + split["test_size"]
    train, holdout = train_test_split(
        applicant_features,
        test_size=holdout_size,
        stratify=applicant_features[TARGET],
        random_state=split["seed"],
    )
    validation, test = train_test_split(
        holdout,
        test_size=split["test_size"] / holdout_size,
        stratify=holdout[TARGET],
        random_state=split["seed"],
    )
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        logger.info(
            "%s: %d applicants, default rate %.2f%%",
            name,
            len(part),
            100 * part[TARGET].mean(),
        )
    return (
        train.sort_values(APPLICATION_ID).reset_index(drop=True),
        validation.sort_values(APPLICATION_ID).reset_index(drop=True),
        test.sort_values(APPLICATION_ID).reset_index(drop=True),
    )


def applications_of_split(
    application_validated: pd.DataFrame, split_features: pd.DataFrame
) -> pd.DataFrame:
    """The validated raw applications of one split, in the split's order: what
    evaluation scores end to end through the inference object."""
    rows = pd.Index(application_validated[APPLICATION_ID]).get_indexer(
        split_features[APPLICATION_ID]
    )
    if (rows < 0).any():
        raise ValueError(
            "application_validated lacks applicants of the split: the two come from "
            "different runs; run `kedro run` again"
        )
    return application_validated.iloc[rows].reset_index(drop=True)


def fit_feature_transformer(
    train: pd.DataFrame, transformer: dict[str, Any]
) -> FeatureTransformer:
    """Learn encodings and imputation values on the training split only."""
    return FeatureTransformer(**transformer).fit(train)
