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
