"""The shortcuts taken for the API's latency give exactly what the general code does.

Each test runs one input through the fast path and through the general one (forced
by a dtype or a route the shortcut does not take) and compares bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost

from loan_default import features as feature_module
from loan_default.features import _ratio, clean_application
from loan_default.monitoring.contributions import model_contributions


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


def test_contributions_check_the_feature_names(champion, built):
    encoded = champion.encode(built).rename(columns=lambda name: f"x_{name}")
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
