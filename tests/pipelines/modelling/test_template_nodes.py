"""The template's nodes for the scorecard, monotone constraints and reason
statements: the points table, constraints resolved at fit time, statements
resolved at assembly."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from loan_default.model.reason_statements import ReasonStatementError
from loan_default.model.scorecard import POINTS_TABLE_COLUMNS, WoEScorecard
from loan_default.pipelines.modelling.algorithms import (
    AlgorithmConfigError,
    core_estimator,
)
from loan_default.pipelines.modelling.nodes import (
    _single_threaded,
    assemble_model,
    fit_model,
    tabulate_points,
)
from loan_default.schema import TARGET
from tests.pipelines.modelling.conftest import MODELLING_OPTIONS
from tests.project import project_parameters


def test_the_scorecard_fits_through_the_template(model_inputs, algorithms):
    model, summary = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        algorithms["scorecard"],
        MODELLING_OPTIONS,
        "scorecard",
    )
    assert isinstance(model, WoEScorecard)
    assert summary["hyperparameters"]["max_n_characteristics"] == 10
    assert summary["calibration"]["method"] == "none"
    table = tabulate_points(model)
    pd.testing.assert_frame_equal(table, model.points_table())
    assert list(table.columns) == POINTS_TABLE_COLUMNS
    assert table["characteristic"].nunique() == len(model.characteristics_) <= 10


def test_estimators_without_points_give_an_empty_points_table(model_inputs, algorithms):
    model, _ = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        algorithms["decision_tree"],
        MODELLING_OPTIONS,
    )
    table = tabulate_points(model)
    assert table.empty
    assert list(table.columns) == POINTS_TABLE_COLUMNS


def test_monotone_constraints_hold_in_the_fitted_booster(model_inputs, algorithms):
    block = {**algorithms["xgboost"], "monotone_constraints": {"FEATURE_[01]": -1}}
    model, summary = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        block,
        MODELLING_OPTIONS,
        "xgboost_monotone",
    )
    constraints = {"FEATURE_0": -1, "FEATURE_1": -1}
    assert core_estimator(model).get_params()["monotone_constraints"] == constraints
    assert summary["hyperparameters"]["monotone_constraints"] == constraints
    # Raising a constrained feature never raises the probability, for any row.
    rows = model_inputs["test"].drop(columns=["SK_ID_CURR", TARGET]).iloc[:200]
    for feature in constraints:
        grid = np.linspace(rows[feature].min(), rows[feature].max(), 15)
        curves = np.column_stack(
            [
                model.predict_proba(rows.assign(**{feature: value}))[:, 1]
                for value in grid
            ]
        )
        assert (np.diff(curves, axis=1) <= 1e-12).all()


def test_a_monotone_booster_on_two_threads_is_assembled_as_fitted(
    model_inputs, algorithms
):
    # Resetting a fitted booster's threads rewrote its constraints in a form the
    # booster could no longer serialise (copy, save).
    block = {**algorithms["xgboost"], "monotone_constraints": {"FEATURE_0": -1}}
    block["hyperparameters"] = {**block["hyperparameters"], "n_jobs": 2}
    model, _ = fit_model(
        model_inputs["train"],
        model_inputs["validation"],
        block,
        MODELLING_OPTIONS,
        "xgboost_monotone",
    )
    assembled = _single_threaded(model)
    rows = model_inputs["test"].drop(columns=["SK_ID_CURR", TARGET])
    copied = copy.deepcopy(assembled)
    np.testing.assert_array_equal(copied.predict_proba(rows), model.predict_proba(rows))
    assert core_estimator(copied).get_booster().save_raw("ubj")


def test_a_constraint_on_no_training_column_names_the_block(model_inputs, algorithms):
    block = {**algorithms["xgboost"], "monotone_constraints": {"EXT_SOURCE_*": -1}}
    with pytest.raises(
        AlgorithmConfigError,
        match=r"params:algorithms\.xgboost_monotone \(xgboost\.XGBClassifier\)"
        r"\.monotone_constraints: unknown feature\(s\) 'EXT_SOURCE_\*'",
    ):
        fit_model(
            model_inputs["train"],
            model_inputs["validation"],
            block,
            MODELLING_OPTIONS,
            "xgboost_monotone",
        )


def _assemble(champion, statements):
    parameters = project_parameters()
    return assemble_model(
        champion.estimator,
        champion.transformer,
        {"estimator": "xgboost.XGBClassifier", "calibration": {"method": "none"}},
        parameters["cleaning"],
        parameters["features"],
        statements,
    )


def test_assembly_saves_every_features_statement(champion):
    model = _assemble(champion, project_parameters()["reason_statements"])
    assert set(model.reason_statements) == set(model.explainer.sources)
    assert model.reason_statements["EXT_SOURCE_3"] == "External credit scores are low"


def test_assembly_refuses_a_feature_without_a_statement(champion):
    statements = dict(project_parameters()["reason_statements"])
    del statements["AMT_CREDIT"]
    with pytest.raises(ReasonStatementError, match=r"feature\(s\) AMT_CREDIT:"):
        _assemble(champion, statements)
