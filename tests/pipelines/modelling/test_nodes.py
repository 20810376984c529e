import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

from loan_default.metrics import EVALUATION_COLUMNS, INTERVAL_COLUMNS
from loan_default.pipelines.modelling.algorithms import (
    AlgorithmConfigError,
    build_estimator,
    core_estimator,
    validate_algorithm_block,
)
from loan_default.pipelines.modelling.nodes import (
    PROBABILITY,
    evaluate_model,
    fit_model,
    select_champion,
    split_features_target,
    tabulate_test_metrics,
    tabulate_validation_metrics,
)
from loan_default.schema import APPLICATION_ID, TARGET
from tests.pipelines.modelling.conftest import MODELLING_OPTIONS
from tests.project import project_parameters


def test_scale_pos_weight_is_negatives_over_positives_of_train(
    model_inputs, algorithms
):
    train = model_inputs["train"]
    model, summary = fit_model(
        train, model_inputs["validation"], algorithms["xgboost"], MODELLING_OPTIONS
    )
    positives = int(train[TARGET].sum())
    expected = (len(train) - positives) / positives
    assert core_estimator(model).get_params()["scale_pos_weight"] == pytest.approx(
        expected
    )
    assert summary["negatives_per_positive"] == pytest.approx(expected)
    assert summary["hyperparameters"]["scale_pos_weight"] == pytest.approx(expected)
    assert summary["hyperparameters"]["early_stopping_rounds"] == 10
    assert 8 < expected < 15


@pytest.mark.parametrize(
    ("choice", "parameter", "value"),
    [
        ("balanced", "class_weight", "balanced"),
        ("balanced_subsample", "class_weight", "balanced_subsample"),
        ("none", "class_weight", None),
    ],
)
def test_class_weight_comes_from_parameters(algorithms, choice, parameter, value):
    block = {**algorithms["random_forest"], "class_imbalance": choice}
    estimator = build_estimator(block, {}, class_ratio=11.0)
    assert estimator.get_params()[parameter] == value


def test_early_stopping_watches_the_validation_split(model_inputs, algorithms):
    model, summary = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        algorithms["xgboost"],
        MODELLING_OPTIONS,
    )
    history = core_estimator(model).evals_result()["validation_0"]["auc"]
    best = summary["early_stopping"]["best_iteration"]
    assert summary["early_stopping"]["rounds"] == 10
    assert best < 200 - 1  # it did stop early
    assert len(history) == best + 10 + 1
    # The watched score is the validation AUC of the model as it predicts.
    validation = model_inputs["validation"]
    probability = predict_probability(model, validation)[PROBABILITY]
    assert history[best] == pytest.approx(
        roc_auc_score(validation[TARGET], probability), abs=1e-6
    )
    assert history[best] == max(history)


def test_test_split_never_reaches_the_fit(algorithms):
    fit_inputs = fit_model.__code__.co_varnames[: fit_model.__code__.co_argcount]
    # The block's name words errors only: no data input beyond train and validation.
    assert fit_inputs == (
        "train",
        "validation",
        "model_options",
        "modelling_options",
        "algorithm",
    )


def test_shared_random_state_yields_to_the_block(algorithms):
    assert (
        build_estimator(
            algorithms["random_forest"], {"random_state": 42}, 1.0
        ).get_params()["random_state"]
        == 42
    )
    block = copy.deepcopy(algorithms["random_forest"])
    block["hyperparameters"]["random_state"] = 7
    estimator = build_estimator(block, {"random_state": 42}, 1.0)
    assert estimator.get_params()["random_state"] == 7
    # Defaults an estimator does not have are simply not applied.
    tree = build_estimator(algorithms["decision_tree"], {"n_jobs": 2}, 1.0)
    assert "n_jobs" not in tree.get_params()


def test_scale_features_wraps_the_estimator(model_inputs):
    block = {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "hyperparameters": {"C": 0.5},
        "scale_features": True,
    }
    model, summary = fit_model(
        model_inputs["train"], model_inputs["validation"], block, MODELLING_OPTIONS
    )
    assert [name for name, _ in model.steps] == ["scale", "model"]
    assert summary["hyperparameters"]["C"] == 0.5
    assert (
        predict_probability(model, model_inputs["test"])[PROBABILITY]
        .between(0, 1)
        .all()
    )


def _with_search(block, **search):
    return {**block, "search": search}


def test_random_search_is_bounded_and_cross_validates_on_train_only(
    model_inputs, algorithms
):
    block = _with_search(
        algorithms["decision_tree"],
        method="random",
        space={"max_depth": [2, 3, 4, 5, 6], "min_samples_leaf": [5, 20, 50]},
        cv_folds=3,
        n_iter=4,
    )
    train, validation = model_inputs["train"], model_inputs["validation"]
    model, summary = fit_model(train, validation, block, MODELLING_OPTIONS)

    search = summary["search"]
    assert search["method"] == "random"
    assert search["n_candidates"] == 4
    assert search["scoring"] == "roc_auc"
    assert (
        core_estimator(model).get_params()["max_depth"]
        == summary["best_hyperparameters"]["max_depth"]
    )

    # The best CV score is reproduced from the training data alone.
    features, target = split_features_target(train, "train")
    refit = build_estimator(block, {"random_state": 42}, 1.0)
    refit.set_params(**summary["best_hyperparameters"])
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=42)
    scores = cross_val_score(refit, features, target, scoring="roc_auc", cv=folds)
    assert search["best_cv_roc_auc"] == pytest.approx(scores.mean())

    # Scrambling the validation labels changes nothing in the search.
    scrambled = validation.assign(**{TARGET: validation[TARGET].to_numpy()[::-1]})
    _, again = fit_model(train, scrambled, block, MODELLING_OPTIONS)
    assert again["search"] == search


def test_grid_search_with_early_stopping_searches_without_it(model_inputs, algorithms):
    block = _with_search(
        algorithms["xgboost"],
        method="grid",
        space={"max_depth": [2, 3], "learning_rate": [0.1, 0.3]},
        cv_folds=2,
    )
    model, summary = fit_model(
        model_inputs["train"], model_inputs["validation"], block, MODELLING_OPTIONS
    )
    assert summary["search"]["n_candidates"] == 4
    ranks = sorted(candidate["rank"] for candidate in summary["search"]["candidates"])
    assert ranks[0] == 1
    assert set(summary["best_hyperparameters"]) == {"max_depth", "learning_rate"}
    assert core_estimator(model).get_params()["early_stopping_rounds"] == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"estimator": "sklearn.tree.NoSuchTree"},
            r"params:algorithms\.decision_tree\.estimator: module 'sklearn\.tree' has "
            r"no class 'NoSuchTree'",
        ),
        (
            {"estimator": "no_such_library.Classifier"},
            r"params:algorithms\.decision_tree\.estimator: cannot import module "
            r"'no_such_library'",
        ),
        ({"estimator": "DecisionTree"}, r"estimator must be an import path"),
        (
            {"estimator": "sklearn.linear_model.LinearRegression"},
            r"has no predict_proba",
        ),
        (
            {"hyperparameters": {"max_dept": 3}},
            r"params:algorithms\.decision_tree \(sklearn\.tree\.DecisionTreeClassifier\)"
            r"\.hyperparameters: unknown hyperparameter 'max_dept' "
            r"\(did you mean 'max_depth'\?\)",
        ),
        ({"hyperparameter": {}}, r"params:algorithms\.decision_tree: unknown key"),
        ({"class_imbalance": "smote"}, r"class_imbalance must be one of"),
        ({"class_imbalance": "scale_pos_weight"}, r"sets 'scale_pos_weight', which"),
        ({"early_stopping_rounds": 10}, r"does not support early stopping"),
        ({"scale_features": "yes"}, r"scale_features must be true or false"),
        ({"search": {"method": "bayes"}}, r"search\.method must be one of"),
        (
            {"search": {"method": "grid", "space": {"depth": [1]}, "cv_folds": 3}},
            r"search\.space: unknown hyperparameter 'depth'",
        ),
        (
            {"search": {"method": "grid", "space": {"max_depth": 3}, "cv_folds": 3}},
            r"search\.space\.max_depth must be a non-empty list",
        ),
        (
            {"search": {"method": "grid", "space": {"max_depth": [3]}}},
            r"search\.cv_folds must be an integer >= 2; got None",
        ),
        (
            {
                "search": {
                    "method": "random",
                    "space": {"max_depth": [3]},
                    "cv_folds": 3,
                }
            },
            r"search\.n_iter must be a positive integer",
        ),
    ],
)
def test_bad_algorithm_block_names_block_and_key(algorithms, change, message):
    block = {**algorithms["decision_tree"], **change}
    with pytest.raises(AlgorithmConfigError, match=message):
        validate_algorithm_block(block, "decision_tree")


def test_bad_block_inside_the_node_names_the_key(model_inputs, algorithms):
    block = copy.deepcopy(algorithms["xgboost"])
    block["hyperparameters"]["learning_rat"] = 0.1
    with pytest.raises(AlgorithmConfigError, match=r"'learning_rat' \(did you mean"):
        fit_model(
            model_inputs["train"], model_inputs["validation"], block, MODELLING_OPTIONS
        )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=[TARGET]), r"model_input_train: missing column"),
        (lambda f: f.assign(TARGET=2), r"TARGET must be 0 or 1; found \[2\]"),
        (lambda f: f.assign(FEATURE_3=np.nan), r"with NaN: \['FEATURE_3'\]"),
        (lambda f: f.assign(FEATURE_0="a"), r"not numeric: \['FEATURE_0'\]"),
        (lambda f: f.assign(TARGET=0), r"must hold both classes; 0 of"),
        (lambda f: f[[APPLICATION_ID, TARGET]], r"no feature columns"),
    ],
)
def test_bad_training_data_is_rejected(model_inputs, algorithms, mutate, message):
    train = mutate(model_inputs["train"].copy())
    with pytest.raises(ValueError, match=message):
        fit_model(
            train,
            model_inputs["validation"],
            algorithms["decision_tree"],
            MODELLING_OPTIONS,
        )


def test_evaluate_model_reports_both_splits_and_the_fit(model_inputs, algorithms):
    model, summary = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        algorithms["decision_tree"],
        MODELLING_OPTIONS,
    )
    validation = predict_probability(model, model_inputs["validation"])
    test = predict_probability(model, model_inputs["test"])
    options = project_parameters()["decision_rule"]
    uncertainty = project_parameters()["uncertainty"]
    metrics = evaluate_model(
        validation, test, summary, 0.2, options, uncertainty_options=uncertainty
    )

    assert metrics["test"]["roc_auc"] == pytest.approx(
        roc_auc_score(test[TARGET], test[PROBABILITY])
    )
    assert metrics["validation"]["operating_threshold"] == 0.2
    assert metrics["test"]["operating_flagged_share"] == pytest.approx(
        (test[PROBABILITY] >= 0.2).mean()
    )
    assert metrics["fit_seconds"] > 0
    assert metrics["estimator"] == "sklearn.tree.DecisionTreeClassifier"
    for key in ("roc_auc", "gini", "ks", "pr_auc", "brier"):
        test_metrics = metrics["test"]
        assert test_metrics[f"{key}_low"] <= test_metrics[key]
        assert test_metrics[key] <= test_metrics[f"{key}_high"]


def test_champion_table_and_choice_on_validation():
    options = project_parameters()["decision_rule"]
    rng = np.random.default_rng(0)
    labels = rng.random(400) < 0.2

    def metrics(noise: float) -> dict:
        scores = np.clip(labels * 0.3 + rng.random(400) * noise, 0, 1)
        frame = pd.DataFrame(
            {
                APPLICATION_ID: np.arange(400),
                TARGET: labels.astype("int64"),
                PROBABILITY: scores,
            }
        )
        # Validation says a is better; test says b is: validation decides.
        return frame

    summary = {"fit_seconds": 1.0}
    good, bad = metrics(0.5), metrics(2.0)
    uncertainty = project_parameters()["uncertainty"]
    by_algorithm = {
        "a": evaluate_model(
            good, bad, summary, 0.3, options, uncertainty_options=uncertainty
        ),
        "b": evaluate_model(
            bad, good, summary, 0.3, options, uncertainty_options=uncertainty
        ),
    }
    validation = tabulate_validation_metrics(**by_algorithm)
    test = tabulate_test_metrics(**by_algorithm)
    assert list(validation.columns) == list(test.columns)
    # The origin's columns keep their names and order; the intervals follow them.
    assert list(test.columns) == [
        "model",
        *EVALUATION_COLUMNS.values(),
        *INTERVAL_COLUMNS.values(),
    ]
    assert (
        validation.set_index("model")["AUC"]["a"] > test.set_index("model")["AUC"]["a"]
    )
    assert select_champion(validation, project_parameters()["champion"]) == "a"
    assert select_champion(test, project_parameters()["champion"]) == "b"


def predict_probability(model, model_input: pd.DataFrame) -> pd.DataFrame:
    """SK_ID_CURR, TARGET and the model's probability of each model-input row."""
    features, target = split_features_target(model_input, "test")
    return pd.DataFrame(
        {
            APPLICATION_ID: model_input[APPLICATION_ID],
            TARGET: target,
            PROBABILITY: model.predict_proba(features)[:, 1],
        }
    )
