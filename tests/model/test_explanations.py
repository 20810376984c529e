"""Reason codes: grouping of encoded columns and each supported kind of model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loan_default.model.explanations import (
    ReasonCodeExplainer,
    model_contributions,
    source_feature_names,
)


def test_encoded_columns_are_credited_to_their_source_feature(champion):
    transformer = champion.transformer
    numeric = transformer.numeric_columns_[0]
    categorical = transformer.categorical_columns_[0]
    names = [
        numeric,
        f"{numeric}__missing",
        f"{categorical}={transformer.levels_[categorical][0]}",
        f"{categorical}=__other__",
        "UNKNOWN=thing",
    ]
    assert source_feature_names(transformer, names) == [
        numeric,
        numeric,
        categorical,
        categorical,
        "UNKNOWN=thing",
    ]


@pytest.mark.parametrize("which", ["champion", "tree_champion"])
def test_grouped_contributions_keep_each_rows_total(which, request, new_applications):
    model = request.getfixturevalue(which)
    explainer = ReasonCodeExplainer(
        model.estimator, model.transformer, model.feature_names
    )
    features = model.features(new_applications.iloc[:25])
    encoded = model.transformer.transform(features)
    grouped = explainer.grouped_contributions(encoded)
    ungrouped = model_contributions(model.estimator, encoded[model.feature_names])
    assert grouped.shape == (25, len(explainer.sources))
    np.testing.assert_allclose(grouped.sum(axis=1), ungrouped.sum(axis=1), atol=1e-5)


@pytest.mark.parametrize("which", ["champion", "tree_champion"])
def test_reason_codes_are_the_largest_positive_contributions(
    which, request, new_applications
):
    model = request.getfixturevalue(which)
    explainer = model.explainer
    features = model.features(new_applications.iloc[:25])
    encoded = model.encode(features)
    grouped = explainer.grouped_contributions(encoded)
    codes = explainer.reason_codes(features, encoded, top=3)
    assert explainer.method is not None
    for row, row_codes in enumerate(codes):
        # The largest positive contribution of each statement, largest first.
        by_statement: dict[str, float] = {}
        for source, value in zip(explainer.sources, grouped[row], strict=True):
            key = model.reason_statements[source]
            by_statement[key] = max(by_statement.get(key, -np.inf), value)
        positive = sorted((v for v in by_statement.values() if v > 0), reverse=True)
        np.testing.assert_allclose([c["contribution"] for c in row_codes], positive[:3])
        statements = [c["statement"] for c in row_codes]
        assert len(set(statements)) == len(statements)
        for code in row_codes:
            value = features[code["feature"]].iloc[row]
            if code["value"] is None:
                assert pd.isna(value)
            elif isinstance(code["value"], str):
                assert code["value"] == value
            else:
                assert code["value"] == pytest.approx(float(value))


def test_models_without_a_contribution_method_get_no_reason_codes(
    logistic_champion, new_applications
):
    assert logistic_champion.explainer.method is None
    scored = logistic_champion.score(
        [{"SK_ID_CURR": 1}, {"SK_ID_CURR": 2, "EXT_SOURCE_2": 0.3}], reason_codes=5
    )
    assert scored.reason_codes == [[], []]
