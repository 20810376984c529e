"""Wiring of the data_engineering pipeline: 01_raw to 05_model_input."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from loan_default.features import (
    aggregate_previous_applications,
    build_applicant_features,
    clean_application,
    clean_previous_application,
    to_model_input,
)

from .nodes import (
    applications_of_split,
    fit_feature_transformer,
    split_applicants,
    validate_raw_data,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                validate_raw_data,
                ["raw_loan_data", "params:validation"],
                [
                    "application_validated",
                    "previous_application_validated",
                    "data_source",
                    "true_default_probability",
                ],
                name="validate_raw_data",
            ),
            Node(
                clean_application,
                ["application_validated", "params:cleaning"],
                "application_clean",
                name="clean_application",
            ),
            Node(
                clean_previous_application,
                ["previous_application_validated", "params:cleaning"],
                "previous_application_clean",
                name="clean_previous_application",
            ),
            Node(
                aggregate_previous_applications,
                ["previous_application_clean", "params:features"],
                "previous_application_aggregates",
                name="aggregate_previous_applications",
            ),
            Node(
                build_applicant_features,
                [
                    "application_clean",
                    "previous_application_aggregates",
                    "params:features",
                ],
                "applicant_features",
                name="build_applicant_features",
            ),
            Node(
                split_applicants,
                ["applicant_features", "params:split"],
                ["features_train", "features_validation", "features_test"],
                name="split_applicants",
            ),
            Node(
                fit_feature_transformer,
                ["features_train", "params:transformer"],
                "feature_transformer",
                name="fit_feature_transformer",
            ),
            *[
                Node(
                    applications_of_split,
                    ["application_validated", f"features_{part}"],
                    f"application_{part}",
                    name=f"select_{part}_applications",
                )
                for part in ("validation", "test")
            ],
            *[
                Node(
                    to_model_input,
                    ["feature_transformer", f"features_{part}"],
                    f"model_input_{part}",
                    name=f"encode_{part}",
                )
                for part in ("train", "validation", "test")
            ],
        ]
    )
