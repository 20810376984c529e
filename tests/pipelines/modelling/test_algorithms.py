"""The typed algorithm block: each rule of ``AlgorithmBlock`` fails with the block's
name and the key, and a good block gives what the modelling nodes use."""

from __future__ import annotations

from typing import get_args

import pytest
from kedro.config import OmegaConfigLoader

from loan_default.model.calibration import CALIBRATION_METHODS
from loan_default.pipelines.modelling.algorithms import (
    CLASS_IMBALANCE,
    AlgorithmBlock,
    AlgorithmConfigError,
    Calibration,
    ClassImbalance,
    algorithm_block_names,
    as_algorithm_block,
    build_estimator,
    resolve_monotone_constraints,
    search_space,
)
from tests.project import PROJECT_ROOT

TREE = "sklearn.tree.DecisionTreeClassifier"
XGB = "xgboost.XGBClassifier"
BLOCK = r"params:algorithms\.tree"
WITH_TREE = rf"{BLOCK} \(sklearn\.tree\.DecisionTreeClassifier\)"
GRID = {"method": "grid", "space": {"max_depth": [2, 3]}, "cv_folds": 3}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        # The block itself and its keys.
        ("tree", rf"{BLOCK} must be a mapping; got 'tree'"),
        ({}, rf"{BLOCK}\.estimator must be set"),
        (
            {"estimator": TREE, "hyperparameter": {}},
            rf"{BLOCK}: unknown key 'hyperparameter' \(did you mean "
            r"'hyperparameters'\?\); known: \['calibration', ",
        ),
        # estimator: an importable classifier with predict_proba.
        ({"estimator": 5}, rf"{BLOCK}\.estimator must be a string; got 5"),
        (
            {"estimator": "DecisionTree"},
            rf"{BLOCK}\.estimator must be an import path such as",
        ),
        (
            {"estimator": "no_such_library.Classifier"},
            rf"{BLOCK}\.estimator: cannot import module 'no_such_library'",
        ),
        (
            {"estimator": "sklearn.tree.NoSuchTree"},
            rf"{BLOCK}\.estimator: module 'sklearn\.tree' has no class 'NoSuchTree'",
        ),
        (
            {"estimator": "sklearn.linear_model.LinearRegression"},
            rf"{BLOCK}\.estimator: sklearn\.linear_model\.LinearRegression has no "
            "predict_proba",
        ),
        # hyperparameters: a mapping of the estimator's get_params names.
        (
            {"estimator": TREE, "hyperparameters": [3]},
            rf"{WITH_TREE}\.hyperparameters must be a mapping; got \[3\]",
        ),
        (
            {"estimator": TREE, "hyperparameters": {"max_dept": 3}},
            rf"{WITH_TREE}\.hyperparameters: unknown hyperparameter 'max_dept' "
            r"\(did you mean 'max_depth'\?\); known: \[",
        ),
        # class_imbalance: a choice, and one the estimator can apply.
        (
            {"estimator": TREE, "class_imbalance": "smote"},
            rf"{WITH_TREE}\.class_imbalance must be one of \['none', "
            r"'scale_pos_weight', 'balanced', 'balanced_subsample'\]; got 'smote'",
        ),
        (
            {"estimator": TREE, "class_imbalance": "scale_pos_weight"},
            rf"{WITH_TREE}\.class_imbalance: 'scale_pos_weight' sets "
            rf"'scale_pos_weight', which {TREE} does not have",
        ),
        # calibration and scale_features.
        (
            {"estimator": TREE, "calibration": "isotonic"},
            rf"{WITH_TREE}\.calibration must be one of \['prior_correction', "
            r"'none'\]; got 'isotonic'",
        ),
        (
            {"estimator": TREE, "scale_features": "yes"},
            rf"{WITH_TREE}\.scale_features must be true or false; got 'yes'",
        ),
        # early_stopping_rounds: a positive integer, for estimators with eval_set,
        # on unscaled features.
        (
            {"estimator": XGB, "early_stopping_rounds": 0},
            r"params:algorithms\.tree \(xgboost\.XGBClassifier\)"
            r"\.early_stopping_rounds must be a positive integer or null; got 0",
        ),
        (
            {"estimator": XGB, "early_stopping_rounds": "10"},
            r"\.early_stopping_rounds must be an integer; got '10'",
        ),
        (
            {"estimator": TREE, "early_stopping_rounds": 10},
            rf"{WITH_TREE}\.early_stopping_rounds: {TREE} does not support early "
            "stopping",
        ),
        (
            {"estimator": XGB, "early_stopping_rounds": 10, "scale_features": True},
            r"\.early_stopping_rounds: cannot be combined with scale_features",
        ),
        # search: a nested block.
        (
            {"estimator": TREE, "search": "grid"},
            rf"{WITH_TREE}\.search must be a mapping; got 'grid'",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "folds": 3}},
            rf"{WITH_TREE}\.search: unknown key 'folds'",
        ),
        (
            {"estimator": TREE, "search": {"method": "bayes"}},
            rf"{WITH_TREE}\.search\.method must be one of \['none', 'grid', "
            r"'random'\]; got 'bayes'",
        ),
        (
            {"estimator": TREE, "search": {"method": "grid", "cv_folds": 3}},
            rf"{WITH_TREE}\.search\.space must map hyperparameters to lists of "
            r"values; got \{\}",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "space": {"depth": [1]}}},
            rf"{WITH_TREE}\.search\.space: unknown hyperparameter 'depth'",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "space": {"max_depth": 3}}},
            rf"{WITH_TREE}\.search\.space\.max_depth must be a non-empty list; "
            "got 3",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "space": {"max_depth": []}}},
            r"\.search\.space\.max_depth must be a non-empty list; got \[\]",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "cv_folds": None}},
            rf"{WITH_TREE}\.search\.cv_folds must be an integer >= 2; got None",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "cv_folds": 1}},
            r"\.search\.cv_folds must be an integer >= 2; got 1",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "method": "random"}},
            rf"{WITH_TREE}\.search\.n_iter must be a positive integer for a random "
            "search",
        ),
        (
            {"estimator": TREE, "search": {**GRID, "n_iter": 0}},
            r"\.search\.n_iter must be a positive integer or null; got 0",
        ),
    ],
)
def test_each_rule_names_the_block_and_the_key(block, message):
    with pytest.raises(AlgorithmConfigError, match=message):
        as_algorithm_block(block, "tree")


def test_every_problem_of_a_block_is_reported_at_once():
    block = {
        "estimator": TREE,
        "class_imbalance": "smote",
        "calibration": "isotonic",
        "n_estimators": 10,
    }
    with pytest.raises(AlgorithmConfigError) as error:
        as_algorithm_block(block, "tree")
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith("params:algorithms.tree") for line in lines)


def test_a_block_without_a_name_says_so():
    with pytest.raises(AlgorithmConfigError, match=r"^algorithm block\.estimator"):
        as_algorithm_block({"estimator": "DecisionTree"})


def test_a_good_block_is_typed_with_its_defaults():
    block = as_algorithm_block({"estimator": TREE, "hyperparameters": None})

    assert block.estimator_class.__name__ == "DecisionTreeClassifier"
    assert "max_depth" in block.parameter_names
    assert block.hyperparameters == {}
    assert (block.class_imbalance, block.calibration) == ("none", "prior_correction")
    assert block.search.method == "none"
    assert block.early_stopping_rounds is None
    # Validating again (the nodes take a model or a mapping) changes nothing.
    assert as_algorithm_block(block) is block
    assert as_algorithm_block(block.model_dump()) == block


def test_the_estimator_and_search_come_from_the_typed_block():
    block = AlgorithmBlock(
        estimator="sklearn.linear_model.LogisticRegression",
        hyperparameters={"C": 0.5},
        class_imbalance="balanced",
        scale_features=True,
        search={"method": "grid", "space": {"C": [0.1, 1.0]}, "cv_folds": 3},
    )
    estimator = build_estimator(block, {"random_state": 7}, class_ratio=11.0)

    model = estimator.named_steps["model"]
    assert (model.C, model.class_weight, model.random_state) == (0.5, "balanced", 7)
    assert search_space(block) == {"model__C": [0.1, 1.0]}


def test_the_choices_agree_with_what_applies_them():
    assert get_args(Calibration) == CALIBRATION_METHODS
    assert get_args(ClassImbalance) == tuple(CLASS_IMBALANCE)


@pytest.mark.parametrize("env", ["base", "origin_grid"])
def test_the_project_blocks_are_valid(env):
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=env
    )
    parameters = loader["parameters"]
    for name in algorithm_block_names(parameters):
        as_algorithm_block(parameters["algorithms"][name], name)


def test_block_names_keep_the_written_order():
    parameters = {"algorithms": {"b_model": {}, "a_model": {}}}
    assert algorithm_block_names(parameters) == ["b_model", "a_model"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"other": 1}, r"no 'algorithms:' mapping of algorithm blocks"),
        ({"algorithms": {}}, r"no 'algorithms:' mapping"),
        ({"algorithms": {"bad-name": {}}}, r"'bad-name' must be a Python identifier"),
    ],
)
def test_bad_algorithms_mapping_is_rejected(parameters, message):
    with pytest.raises(AlgorithmConfigError, match=message):
        algorithm_block_names(parameters)


# --- monotone constraints ---------------------------------------------------------

MONOTONE_COLUMNS = ["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_MEAN", "AMT_CREDIT"]


def test_monotone_constraints_resolve_names_and_patterns():
    block = {
        "estimator": XGB,
        "monotone_constraints": {"EXT_SOURCE_?": -1, "AMT_CREDIT": 1, "EXT_*": 0},
    }
    assert resolve_monotone_constraints(block, MONOTONE_COLUMNS, "xgb") == {
        "EXT_SOURCE_1": -1,
        "EXT_SOURCE_2": -1,
        "AMT_CREDIT": 1,
    }


def test_an_exact_name_wins_over_a_pattern():
    block = {
        "estimator": XGB,
        "monotone_constraints": {"EXT_SOURCE_*": -1, "EXT_SOURCE_MEAN": 0},
    }
    resolved = resolve_monotone_constraints(block, MONOTONE_COLUMNS, "xgb")
    assert "EXT_SOURCE_MEAN" not in resolved
    assert resolved["EXT_SOURCE_1"] == -1


def test_an_unknown_feature_names_the_block_and_the_key():
    block = {
        "estimator": XGB,
        "monotone_constraints": {"EXT_SOURCE_9": -1, "NOPE_*": 1},
    }
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.xgb \(xgboost\.XGBClassifier\)\.monotone_constraints:"
        r" unknown feature\(s\) 'EXT_SOURCE_9' \(did you mean 'EXT_SOURCE_\d'\?\), "
        r"'NOPE_\*'",
    ):
        resolve_monotone_constraints(block, MONOTONE_COLUMNS, "xgb")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"estimator": TREE, "monotone_constraints": {"A": -1}},
            rf"{WITH_TREE}\.monotone_constraints: {TREE} has no 'monotone_constraints'",
        ),
        (
            {"estimator": XGB, "monotone_constraints": {"A": 2}},
            r"params:algorithms\.tree \(xgboost\.XGBClassifier\)\.monotone_constraints"
            r"\.A must be one of",
        ),
        (
            {
                "estimator": XGB,
                "hyperparameters": {"monotone_constraints": "(1)"},
                "monotone_constraints": {"A": 1},
            },
            r"\.monotone_constraints: cannot be combined with "
            r"hyperparameters\.monotone_constraints",
        ),
    ],
)
def test_bad_monotone_constraints_name_the_block_and_the_key(block, message):
    with pytest.raises(AlgorithmConfigError, match=message):
        as_algorithm_block(block, "tree")
