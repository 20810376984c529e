"""The table-lookup TreeSHAP against XGBoost's own exact ``pred_contribs``."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost

from loan_default.model.treeshap import TreeShapTables


def _data(n_rows: int, n_features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_rows, n_features))
    logit = (
        features[:, 0] - 0.8 * features[:, 1] * features[:, 2] + 0.5 * features[:, 3]
    )
    labels = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    features[rng.random(features.shape) < 0.1] = np.nan  # default directions
    return features, labels


def _xgboost_contributions(booster, matrix, rounds: int = 0) -> np.ndarray:
    values = booster.predict(
        xgboost.DMatrix(matrix),
        pred_contribs=True,
        iteration_range=(0, rounds),
    )
    return values[:, :-1]


@pytest.mark.parametrize(
    ("max_depth", "n_features"),
    [(1, 6), (3, 6), (4, 30), (6, 4)],  # 4 features at depth 6: repeated splits
)
def test_equals_xgboost_exact_treeshap(max_depth, n_features):
    features, labels = _data(600, n_features, seed=max_depth)
    model = xgboost.XGBClassifier(
        n_estimators=40, max_depth=max_depth, learning_rate=0.3, n_jobs=1
    ).fit(features, labels)
    booster = model.get_booster()
    ours = TreeShapTables(booster).contributions(features)
    expected = _xgboost_contributions(booster, features)
    np.testing.assert_allclose(ours, expected, atol=2e-6)
    if max_depth == 1:
        return  # on stumps the tree-path approximation is exact too
    approximate = booster.predict(
        xgboost.DMatrix(features), pred_contribs=True, approx_contribs=True
    )[:, :-1]
    assert not np.allclose(ours, approximate, atol=1e-3)


def test_contributions_and_bias_add_up_to_the_margin():
    features, labels = _data(300, 8, seed=1)
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=4, n_jobs=1)
    booster = model.fit(features, labels).get_booster()
    bias = booster.predict(xgboost.DMatrix(features), pred_contribs=True)[:, -1]
    margin = booster.predict(xgboost.DMatrix(features), output_margin=True)
    total = TreeShapTables(booster).contributions(features).sum(axis=1) + bias
    np.testing.assert_allclose(total, margin, atol=1e-5)


def test_only_the_trees_early_stopping_kept():
    features, labels = _data(500, 6, seed=2)
    model = xgboost.XGBClassifier(n_estimators=50, max_depth=3, n_jobs=1)
    booster = model.fit(features, labels).get_booster()
    ours = TreeShapTables(booster, n_rounds=12).contributions(features)
    np.testing.assert_allclose(
        ours, _xgboost_contributions(booster, features, rounds=12), atol=2e-6
    )


def test_a_boosted_forest_counts_its_trees_per_round():
    features, labels = _data(400, 6, seed=3)
    model = xgboost.XGBRFClassifier(n_estimators=8, max_depth=3, n_jobs=1)
    booster = model.fit(features, labels).get_booster()
    np.testing.assert_allclose(
        TreeShapTables(booster, n_rounds=1).contributions(features),
        _xgboost_contributions(booster, features, rounds=1),
        atol=2e-6,
    )


def test_a_matrix_of_other_width_is_refused():
    features, labels = _data(100, 5, seed=4)
    booster = xgboost.XGBClassifier(n_estimators=3).fit(features, labels).get_booster()
    with pytest.raises(ValueError, match="expected a matrix of 5 features"):
        TreeShapTables(booster).contributions(features[:, :4])


def test_a_linear_booster_is_refused():
    features, labels = _data(100, 5, seed=5)
    booster = xgboost.XGBClassifier(booster="gblinear", n_estimators=3).fit(
        np.nan_to_num(features), labels
    )
    with pytest.raises(TypeError, match="need a gbtree booster"):
        TreeShapTables(booster.get_booster())
