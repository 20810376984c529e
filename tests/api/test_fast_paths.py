"""The shortcuts taken for the API's latency give exactly what the general code does.

Each test runs one input through the fast path and through the general one (forced
by a dtype or a route the shortcut does not take) and compares bit for bit.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import xgboost

from loan_default import features as feature_module
from loan_default.api.schemas import Application, request_records
from loan_default.api.service import PredictionService, application_frame
from loan_default.features import _ratio, clean_application
from loan_default.model.calibration import PriorCorrectedClassifier
from loan_default.model.explanations import model_contributions


@pytest.fixture(scope="module")
def built(champion, new_applications) -> pd.DataFrame:
    return champion.build_features(new_applications.iloc[:60])


def _as_extension_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """The same values with nullable dtypes, which the shortcuts do not take."""
    return frame.astype(
        {
            name: "Float64"
            for name, dtype in frame.dtypes.items()
            if isinstance(dtype, np.dtype) and dtype == np.float64
        }
    )


def test_conformed_table_skips_conversion_with_the_same_result(
    champion, new_applications, monkeypatch
):
    cleaning = champion.feature_parameters["cleaning"]
    general = clean_application(new_applications, cleaning)  # int64 and object
    conformed = feature_module._conform(new_applications, feature_module.APPLICATION)

    def no_conversion(*arguments):
        raise AssertionError("a conformed table was converted again")

    monkeypatch.setattr(feature_module, "_numbers", no_conversion)
    pd.testing.assert_frame_equal(clean_application(conformed, cleaning), general)


def test_text_of_another_storage_is_converted(new_applications):
    name = "NAME_INCOME_TYPE"
    python_text = new_applications.astype({name: pd.StringDtype("python")})
    conformed = feature_module._conform(python_text, feature_module.APPLICATION)
    assert conformed[name].dtype.storage == pd.StringDtype().storage


@pytest.mark.parametrize("block_elements", [1 << 22, 7])
def test_transform_by_blocks_equals_column_by_column(
    champion, built, monkeypatch, block_elements
):
    monkeypatch.setattr(feature_module, "_BLOCK_ELEMENTS", block_elements)
    values = built.copy()
    values.loc[values.index[:3], "AMT_CREDIT"] = np.inf  # infinite: imputed
    values.loc[values.index[3:6], "AMT_CREDIT"] = np.nan
    block = champion.transformer.transform(values)
    column_by_column = champion.transformer.transform(_as_extension_dtypes(values))
    pd.testing.assert_frame_equal(block, column_by_column, check_exact=True)
    assert (
        block["AMT_CREDIT"].iloc[:6] == champion.transformer.medians_["AMT_CREDIT"]
    ).all()


def test_xgboost_gets_the_same_probabilities_from_a_matrix(champion, built):
    encoded = champion.encode(built)
    from_frame = champion.estimator.predict_proba(encoded)[:, 1].astype("float64")
    np.testing.assert_array_equal(champion.predict_proba(built), from_frame)
    np.testing.assert_array_equal(
        champion.score(built, encoded)["PROBABILITY"],
        champion.score(built)["PROBABILITY"],
    )


@pytest.mark.parametrize("missing", [np.nan, -999.0])
def test_booster_probabilities_equal_the_wrapped_classifiers(champion, built, missing):
    """Early stopping (fewer trees than fitted), prior correction, another missing
    value: the booster route answers what predict_proba does, bit for bit."""
    encoded = champion.encode(built)
    encoded.iloc[::5, :3] = -999.0  # missing for one of the models
    labels = np.random.default_rng(0).random(len(encoded)) < 0.3
    model = xgboost.XGBClassifier(
        n_estimators=60,
        max_depth=3,
        early_stopping_rounds=3,
        missing=missing,
        n_jobs=1,
        random_state=0,
    ).fit(
        encoded.iloc[:40],
        labels[:40],
        eval_set=[(encoded.iloc[40:], labels[40:])],  # random labels: stops early
        verbose=False,
    )
    assert model.best_iteration < 59
    for estimator in (model, PriorCorrectedClassifier(model, positive_weight=4.0)):
        wrapped = dataclasses.replace(champion, estimator=estimator)
        expected = estimator.predict_proba(encoded.to_numpy())[:, 1].astype("float64")
        np.testing.assert_array_equal(wrapped.predict_proba_encoded(encoded), expected)


def test_score_refuses_encoded_rows_of_other_features(champion, built):
    with pytest.raises(ValueError, match="3 encoded rows for 60 rows of features"):
        champion.score(built, champion.encode(built.iloc[:3]))


def test_xgboost_contributions_from_a_matrix_equal_the_frames(champion, built):
    encoded = champion.encode(built)
    booster = champion.estimator.get_booster()
    from_frame = booster.predict(
        xgboost.DMatrix(encoded, enable_categorical=True),
        pred_contribs=True,
        approx_contribs=True,
    )[:, :-1]
    np.testing.assert_array_equal(
        model_contributions(champion.estimator, encoded).to_numpy(), from_frame
    )


@pytest.mark.parametrize("route", ["matrix", "frame"])
def test_contributions_check_the_feature_names(champion, built, route):
    encoded = champion.encode(built).rename(columns=lambda name: f"x_{name}")
    if route == "frame":  # a column that is not float64 takes xgboost's own route
        encoded = encoded.astype({encoded.columns[0]: "float32"})
    with pytest.raises(ValueError, match="feature_names mismatch"):
        model_contributions(champion.estimator, encoded)


def test_ratio_on_arrays_equals_the_series_formula():
    numerator = pd.Series([1.0, 2.0, np.nan, np.inf, 3.0, -7.5, 0.1])
    denominator = pd.Series([3.0, 0.0, 1.0, 2.0, np.nan, 1e-300, 0.3])
    valid = np.isfinite(numerator) & np.isfinite(denominator) & (denominator != 0)
    expected = (numerator / denominator.where(valid)).where(valid)
    pd.testing.assert_series_equal(
        _ratio(numerator, denominator), expected, check_exact=True
    )


def validated(records: list[dict]) -> list[dict]:
    return [Application.model_validate(record).__dict__ for record in records]


def _edge_records(champion) -> list[dict]:
    """Partial, sentinel, "XNA", zero-denominator and unseen-level applications."""
    levels = champion.transformer.levels_["NAME_INCOME_TYPE"]
    unseen = next(
        level
        for level in feature_module.APPLICATION["NAME_INCOME_TYPE"].categories
        if level not in levels
    )
    return [
        {"SK_ID_CURR": 900001},
        {"SK_ID_CURR": 900002, "DAYS_EMPLOYED": 365243, "CODE_GENDER": "XNA"},
        {"SK_ID_CURR": 900003, "AMT_INCOME_TOTAL": 0.0, "AMT_ANNUITY": 0.0},
        {"SK_ID_CURR": 900004, "NAME_INCOME_TYPE": unseen, "EXT_SOURCE_2": 0.5},
        {"SK_ID_CURR": 900005, "EXT_SOURCE_1": 0.0, "EXT_SOURCE_3": 1.0},
    ]


@pytest.mark.parametrize("which", ["champion", "tree_champion", "logistic_champion"])
def test_predict_on_arrays_equals_predict_with_frames(which, request, new_applications):
    model = request.getfixturevalue(which)
    service = PredictionService(model, reason_codes=5)
    records = validated([*request_records(new_applications), *_edge_records(model)])
    assert service.predict(records) == service.predict_with_frames(records)


def test_large_batches_use_more_xgboost_threads_for_the_same_answers(
    champion, new_applications
):
    records = validated(request_records(new_applications.iloc[:40]))
    one_thread = PredictionService(champion, reason_codes=5).predict(records)
    service = PredictionService(
        champion, reason_codes=5, large_batch_rows=10, large_batch_threads=2
    )
    booster = champion.estimator.get_booster()

    def threads() -> str:
        return json.loads(booster.save_config())["learner"]["generic_param"]["nthread"]

    assert service.predict(records) == one_thread
    assert threads() == "2"
    assert service.predict(records[:10]) == one_thread[:10]
    assert threads() == "1"


def test_feature_arrays_equal_the_feature_table(champion, new_applications):
    service = PredictionService(champion, reason_codes=5)
    records = validated([*request_records(new_applications), *_edge_records(champion)])
    arrays = service.feature_arrays(records)
    table = service.build_features(application_frame(records))
    assert set(arrays) == set(table.columns)
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_numeric_dtype(column):
            np.testing.assert_array_equal(arrays[name], column.to_numpy(), name)
        else:
            expected = [None if pd.isna(v) else v for v in column]
            assert arrays[name].tolist() == expected, name
    encoded = champion.transformer.transform_arrays(arrays, len(records))
    np.testing.assert_array_equal(
        encoded, champion.transformer.transform(table).to_numpy()
    )


def test_engineered_statistics_equal_pandas_reductions():
    rng = np.random.default_rng(5)
    rows = 20_000
    scores = rng.random((rows, 3))
    scores[rng.random((rows, 3)) < 0.3] = np.nan
    scores[:4] = np.nan
    flags = (rng.random((rows, 4)) < 0.2).astype("float64")
    flags[rng.random((rows, 4)) < 0.3] = np.nan
    flags[:2] = np.nan
    values = {
        name: rng.normal(size=rows) for name in feature_module.ENGINEERING_INPUTS[:6]
    }
    values.update(
        zip(feature_module.ENGINEERING_INPUTS[6:], scores.T, strict=True),
        **{f"FLAG_DOCUMENT_{n}": flags[:, n] for n in range(4)},
    )
    engineered = feature_module.engineered_features(values)
    frame = pd.DataFrame(scores)
    present = frame.notna().sum(axis=1)
    expected = {
        "EXT_SOURCE_MEAN": frame.mean(axis=1),
        "EXT_SOURCE_MIN": frame.min(axis=1),
        "EXT_SOURCE_MAX": frame.max(axis=1),
        "EXT_SOURCE_PRODUCT": frame.prod(axis=1).where(present == 3),
        "EXT_SOURCE_STD": frame.std(axis=1, ddof=0).where(present >= 2),
        "DOCUMENT_COUNT": pd.DataFrame(flags).sum(axis=1, min_count=1),
    }
    for name, series in expected.items():
        np.testing.assert_array_equal(engineered[name], series.to_numpy(), name)


def test_engineered_features_name_a_missing_input():
    values = {name: np.zeros(2) for name in feature_module.ENGINEERING_INPUTS[1:]}
    with pytest.raises(ValueError, match=r"applicant features.*\['AMT_CREDIT'\]"):
        feature_module.engineered_features(values)
