import copy
import math
import pickle

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from loan_default.model.calibration import (
    PriorCorrectedClassifier,
    prior_correction,
)
from loan_default.model.explanations import model_contributions
from loan_default.pipelines.modelling.algorithms import (
    AlgorithmConfigError,
    core_estimator,
    positive_class_weight,
    validate_algorithm_block,
)
from loan_default.pipelines.modelling.nodes import (
    PROBABILITY,
    fit_model,
    split_features_target,
)
from loan_default.schema import TARGET
from tests.pipelines.modelling.conftest import MODELLING_OPTIONS, make_model_inputs

NAMES = ["xgboost", "random_forest", "decision_tree"]


@pytest.mark.parametrize(
    ("weighted", "weight", "expected"),
    [
        (0.5, 4.0, 0.2),  # 0.5 / (0.5 + 4 * 0.5)
        (0.8, 4.0, 0.5),  # 0.8 / (0.8 + 4 * 0.2)
        (0.9, 9.0, 0.5),
        (0.25, 1 / 3, 0.5),  # a down-weighted positive class moves the other way
        (0.3, 1.0, 0.3),  # no weighting, no change
        (0.0, 11.0, 0.0),
        (1.0, 11.0, 1.0),
    ],
)
def test_prior_correction_against_hand_computed_values(weighted, weight, expected):
    assert prior_correction([weighted], weight)[0] == pytest.approx(expected, abs=1e-15)


def test_prior_correction_shifts_the_log_odds_by_log_weight():
    weighted = np.linspace(0.01, 0.99, 99)
    corrected = prior_correction(weighted, 11.0)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    np.testing.assert_allclose(logit(corrected), logit(weighted) - math.log(11.0))


@pytest.mark.parametrize("weight", [0, -2.0, math.nan, math.inf, "eleven", None])
def test_bad_positive_weight_is_rejected(weight):
    with pytest.raises(ValueError, match=r"positive-class weight must be a finite"):
        prior_correction([0.5], weight)


@pytest.fixture(scope="module")
def larger_inputs() -> dict[str, pd.DataFrame]:
    """Enough test rows (4,000, ~8% defaults) for a mean probability to mean much."""
    return make_model_inputs(n_rows=20_000, seed=3)


@pytest.fixture(scope="module")
def fitted(larger_inputs) -> dict[str, dict[str, tuple]]:
    """Every small algorithm fitted with and without the correction."""
    from tests.pipelines.algorithms import SMALL_ALGORITHMS  # noqa: PLC0415

    models = {}
    for name in NAMES:
        models[name] = {}
        for calibration in ("prior_correction", "none"):
            block = {
                **copy.deepcopy(SMALL_ALGORITHMS[name]),
                "calibration": calibration,
            }
            models[name][calibration] = fit_model(
                larger_inputs["train"],
                larger_inputs["validation"],
                block,
                MODELLING_OPTIONS,
            )
    return models


def predict_probability(model, model_input: pd.DataFrame) -> pd.DataFrame:
    """TARGET and the model's probability of each model-input row."""
    features, target = split_features_target(model_input, "test")
    return pd.DataFrame(
        {TARGET: target, PROBABILITY: model.predict_proba(features)[:, 1]}
    )


@pytest.mark.parametrize("name", NAMES)
def test_corrected_probabilities_are_calibrated_and_rank_the_same(
    larger_inputs, fitted, name
):
    test = larger_inputs["test"]
    default_rate = test[TARGET].mean()
    corrected = predict_probability(fitted[name]["prior_correction"][0], test)
    weighted = predict_probability(fitted[name]["none"][0], test)

    # The weighted models' scores are no probabilities: their mean is a multiple of
    # the default rate. The corrected mean is close to it.
    assert weighted[PROBABILITY].mean() > 2 * default_rate
    assert corrected[PROBABILITY].mean() == pytest.approx(default_rate, abs=0.015)
    brier = {
        "corrected": brier_score_loss(test[TARGET], corrected[PROBABILITY]),
        "weighted": brier_score_loss(test[TARGET], weighted[PROBABILITY]),
    }
    assert brier["corrected"] < 0.8 * brier["weighted"]
    auc = {
        "corrected": roc_auc_score(test[TARGET], corrected[PROBABILITY]),
        "weighted": roc_auc_score(test[TARGET], weighted[PROBABILITY]),
    }
    if name == "random_forest":
        # Corrected tree by tree, then averaged: nearly the same ranking.
        assert auc["corrected"] == pytest.approx(auc["weighted"], abs=0.003)
    else:
        # A monotone transform: the ranking, so the AUC, is exactly the same.
        assert auc["corrected"] == auc["weighted"]


def test_forest_is_corrected_tree_by_tree(fitted, larger_inputs):
    model = fitted["random_forest"]["prior_correction"][0]
    features, _ = split_features_target(larger_inputs["test"], "test")
    trees = core_estimator(model).estimators_
    expected = np.mean(
        [
            prior_correction(
                tree.predict_proba(features.to_numpy("float32"))[:, 1],
                model.positive_weight,
            )
            for tree in trees
        ],
        axis=0,
    )
    np.testing.assert_allclose(model.predict_proba(features)[:, 1], expected)
    # Correcting the forest's average instead would halve the mean probability.
    averaged = prior_correction(
        core_estimator(model).predict_proba(features)[:, 1], model.positive_weight
    )
    assert averaged.mean() < 0.7 * expected.mean()


def test_single_tree_correction_gives_the_unweighted_leaf_shares(fitted, larger_inputs):
    model, summary = fitted["decision_tree"]["prior_correction"]
    features, target = split_features_target(larger_inputs["train"], "train")
    leaves = core_estimator(model).apply(features)
    leaf_share = target.groupby(leaves).mean()
    np.testing.assert_allclose(
        model.predict_proba(features)[:, 1], leaf_share.loc[leaves].to_numpy()
    )
    assert summary["calibration"]["method"] == "prior_correction"


def test_weight_is_the_training_class_ratio(fitted, larger_inputs):
    target = larger_inputs["train"][TARGET]
    ratio = (target == 0).sum() / (target == 1).sum()
    for name in NAMES:
        model, summary = fitted[name]["prior_correction"]
        assert isinstance(model, PriorCorrectedClassifier)
        assert model.positive_weight == pytest.approx(ratio)
        assert summary["calibration"] == {
            "method": "prior_correction",
            "positive_weight": pytest.approx(ratio),
        }


@pytest.mark.parametrize("name", NAMES)
def test_calibration_none_keeps_the_raw_model(fitted, name):
    model, summary = fitted[name]["none"]
    assert not isinstance(model, PriorCorrectedClassifier)
    assert model is core_estimator(model)
    assert summary["calibration"]["method"] == "none"


def test_unweighted_model_is_left_as_it_is(larger_inputs):
    block = {
        "estimator": "sklearn.tree.DecisionTreeClassifier",
        "hyperparameters": {"max_depth": 3},
        "class_imbalance": "none",
    }
    model, summary = fit_model(
        larger_inputs["train"], larger_inputs["validation"], block, MODELLING_OPTIONS
    )
    assert isinstance(model, DecisionTreeClassifier)
    assert summary["calibration"] == {"method": "none", "positive_weight": 1.0}


def test_weights_set_as_hyperparameters_are_corrected_too():
    origin_style = xgboost.XGBClassifier(scale_pos_weight=90)
    assert positive_class_weight(origin_style, class_ratio=11.0) == 90.0
    by_class = DecisionTreeClassifier(class_weight={0: 1.0, 1: 5.0})
    assert positive_class_weight(by_class, class_ratio=11.0) == 5.0
    balanced = DecisionTreeClassifier(class_weight="balanced")
    assert positive_class_weight(balanced, class_ratio=11.0) == 11.0
    assert positive_class_weight(DecisionTreeClassifier(), class_ratio=11.0) == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip_keeps_the_calibrated_probabilities(
    fitted, larger_inputs, name
):
    model = fitted[name]["prior_correction"][0]
    loaded = pickle.loads(pickle.dumps(model))
    assert isinstance(loaded, PriorCorrectedClassifier)
    assert loaded.positive_weight == model.positive_weight
    test = larger_inputs["test"]
    pd.testing.assert_frame_equal(
        predict_probability(loaded, test), predict_probability(model, test)
    )
    features, _ = split_features_target(test, "test")
    np.testing.assert_array_equal(loaded.classes_, [0, 1])
    np.testing.assert_array_equal(
        loaded.feature_importances_, core_estimator(model).feature_importances_
    )
    assert list(loaded.feature_names_in_) == list(features.columns)


def test_predict_is_the_corrected_probability_at_one_half(fitted, larger_inputs):
    model = fitted["xgboost"]["prior_correction"][0]
    features, _ = split_features_target(larger_inputs["test"], "test")
    np.testing.assert_array_equal(
        model.predict(features), (model.predict_proba(features)[:, 1] >= 0.5)
    )


def test_contributions_see_through_the_correction(fitted, larger_inputs):
    """Per-feature log-odds contributions are the weighted booster's: the correction
    moves every applicant's log-odds by the same -log(weight), the bias alone."""
    model = fitted["xgboost"]["prior_correction"][0]
    features, _ = split_features_target(larger_inputs["test"].head(200), "test")
    pd.testing.assert_frame_equal(
        model_contributions(model, features),
        model_contributions(core_estimator(model), features),
    )
    corrected = model.predict_proba(features)[:, 1]
    weighted = core_estimator(model).predict_proba(features)[:, 1]
    np.testing.assert_allclose(
        np.log(corrected / (1 - corrected)),
        np.log(weighted / (1 - weighted)) - math.log(model.positive_weight),
        rtol=1e-6,
    )


def test_tree_contributions_see_through_the_correction(fitted, larger_inputs):
    model = fitted["random_forest"]["prior_correction"][0]
    features, _ = split_features_target(larger_inputs["test"].head(100), "test")
    pd.testing.assert_frame_equal(
        model_contributions(model, features),
        model_contributions(core_estimator(model), features),
    )


def test_more_than_two_classes_are_rejected():
    features = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    tree = DecisionTreeClassifier().fit(features, [0, 1, 2, 0, 1, 2])
    with pytest.raises(
        ValueError, match=r"two classes; the wrapped DecisionTreeClassifier has 3"
    ):
        PriorCorrectedClassifier(tree, positive_weight=2.0).predict_proba(features)


def test_bad_calibration_choice_names_the_block_and_key():
    block = {
        "estimator": "sklearn.tree.DecisionTreeClassifier",
        "class_imbalance": "balanced",
        "calibration": "isotonic",
    }
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.decision_tree .*\.calibration must be one of "
        r"\['prior_correction', 'none'\]; got 'isotonic'",
    ):
        validate_algorithm_block(block, "decision_tree")
