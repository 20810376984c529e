import itertools
import math

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from loan_default.model.explanations import model_contributions, sample_rows


@pytest.fixture(scope="module")
def training() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(600, 4)), columns=list("abcd"))
    labels = features["a"] + 0.3 * features["b"] + rng.normal(0, 0.5, 600) > 0
    return features, labels.astype(int).to_numpy()


def test_xgboost_contributions_add_up_to_the_margin(training):
    features, labels = training
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3).fit(features, labels)
    contributions = model_contributions(model, features)
    assert list(contributions.columns) == list("abcd")
    margin = model.predict(features, output_margin=True)
    bias = margin - contributions.sum(axis=1).to_numpy()
    assert np.allclose(bias, bias[0], atol=1e-4)  # one bias for every row
    assert contributions.abs().mean().idxmax() == "a"


def test_xgboost_contributions_use_the_trees_early_stopping_kept(training):
    features, labels = training
    model = xgboost.XGBClassifier(
        n_estimators=200, learning_rate=0.5, max_depth=3, early_stopping_rounds=3
    ).fit(
        features, labels, eval_set=[(features.iloc[:100], labels[:100])], verbose=False
    )
    assert model.best_iteration < 199  # stopped early: later trees exist but are unused
    contributions = model_contributions(model, features)
    margin = model.predict(features, output_margin=True)
    bias = margin - contributions.sum(axis=1).to_numpy()
    assert np.allclose(bias, bias[0], atol=1e-4)


@pytest.mark.parametrize(
    "model",
    [
        DecisionTreeClassifier(max_depth=4, random_state=0),
        RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0),
    ],
)
def test_tree_path_contributions_add_up_to_the_probability(training, model):
    features, labels = training
    model.fit(features.to_numpy(), labels)
    contributions = model_contributions(model, features)
    trees = getattr(model, "estimators_", [model])
    root_share = np.mean(
        [tree.tree_.value[0, 0, 1] / tree.tree_.value[0, 0].sum() for tree in trees]
    )
    probability = model.predict_proba(features.to_numpy())[:, 1]
    assert np.allclose(contributions.sum(axis=1) + root_share, probability)
    assert contributions.abs().mean().idxmax() == "a"


def test_unsupported_model_is_named(training):
    features, labels = training
    with pytest.raises(TypeError, match="LogisticRegression"):
        model_contributions(LogisticRegression().fit(features, labels), features)


def test_sample_rows():
    frame = pd.DataFrame({"x": range(10)})
    assert len(sample_rows(frame, 3, seed=0)) == 3
    assert sample_rows(frame, 30, seed=0) is frame
    with pytest.raises(ValueError, match="must be positive"):
        sample_rows(frame, 0, seed=0)


def _conditional_expectation(tree, row: np.ndarray, known: set[int], node: int = 0):
    """E[positive share | the features in ``known``] by the tree's own covers: the
    path-dependent value function that TreeSHAP's Shapley values are of."""
    structure = tree.tree_
    left, right = structure.children_left[node], structure.children_right[node]
    if left == -1:
        counts = structure.value[node, 0]
        return counts[1] / counts.sum()
    feature = structure.feature[node]
    if feature in known:
        child = left if row[feature] <= structure.threshold[node] else right
        return _conditional_expectation(tree, row, known, child)
    cover = structure.weighted_n_node_samples
    return (
        cover[left] * _conditional_expectation(tree, row, known, left)
        + cover[right] * _conditional_expectation(tree, row, known, right)
    ) / cover[node]


def _brute_force_shapley(trees, row: np.ndarray) -> np.ndarray:
    """Shapley values by enumerating every coalition, averaged over the trees."""
    n = len(row)
    values = np.zeros(n)
    for tree in trees:
        for feature in range(n):
            others = [j for j in range(n) if j != feature]
            for size in range(n):
                weight = math.factorial(size) * math.factorial(n - size - 1)
                weight /= math.factorial(n)
                for subset in itertools.combinations(others, size):
                    known = set(subset)
                    gain = _conditional_expectation(
                        tree, row, known | {feature}
                    ) - _conditional_expectation(tree, row, known)
                    values[feature] += weight * gain
    return values / len(trees)


@pytest.mark.parametrize(
    "model",
    [
        DecisionTreeClassifier(max_depth=4, random_state=0),
        DecisionTreeClassifier(max_depth=6, class_weight="balanced", random_state=0),
        RandomForestClassifier(n_estimators=5, min_samples_leaf=20, random_state=0),
        RandomForestClassifier(
            n_estimators=4,
            max_samples=0.5,
            class_weight="balanced_subsample",
            random_state=0,
        ),
    ],
)
def test_exact_contributions_of_scikit_learn_trees_are_shapley_values(training, model):
    # Reason codes of trees and forests: exact TreeSHAP, held against Shapley values
    # enumerated over every coalition of features.
    features, labels = training
    model.fit(features.to_numpy(), labels)
    rows = features.iloc[:6]
    exact = model_contributions(model, rows, exact=True).to_numpy()
    trees = getattr(model, "estimators_", [model])
    expected = np.array(
        [_brute_force_shapley(trees, row) for row in rows.to_numpy(dtype="float32")]
    )
    np.testing.assert_allclose(exact, expected, atol=1e-9)
    # They add up to the probability from the expected value.
    base = np.mean(
        [_conditional_expectation(t, rows.iloc[0].to_numpy(), set()) for t in trees]
    )
    np.testing.assert_allclose(
        exact.sum(axis=1) + base, model.predict_proba(rows.to_numpy())[:, 1], atol=1e-9
    )


@pytest.mark.parametrize("which", ["champion", "tree_champion", "scorecard_champion"])
def test_every_scored_model_explains_itself_exactly(which, request):
    # The reason codes' method of each kind of block: exact, never an approximation.
    method = request.getfixturevalue(which).explainer.method
    assert method.startswith(("exact", "scorecard points"))
    assert "approximation" not in method and "Saabas" not in method
