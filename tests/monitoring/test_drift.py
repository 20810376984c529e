import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from loan_default.monitoring.columns import split_features
from loan_default.monitoring.drift import (
    binned_shares,
    categorical_psi,
    drift_and_characteristics,
    feature_drift,
    js_distance,
    ks_test,
    numeric_psi,
    psi_from_shares,
    reference_edges,
    verdict,
)

EXCLUDED = {"SK_ID_CURR", "TARGET", "PROBABILITY", "DECISION", "RISK_DECILE"}


def test_psi_of_shares_matches_the_formula_by_hand():
    psi = psi_from_shares(np.array([0.5, 0.5]), np.array([0.25, 0.75]), 1e-4)
    assert psi == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5))


def test_numeric_psi_by_hand_with_empty_bins_raised_to_epsilon():
    reference = np.arange(100, dtype="float64")  # ten values per decile
    current = np.r_[np.arange(5, dtype="float64").repeat(10), np.full(50, np.nan)]
    epsilon = 1e-4
    expected = (
        (0.5 - 0.1) * math.log(0.5 / 0.1)  # first decile
        + 9 * (epsilon - 0.1) * math.log(epsilon / 0.1)  # nine emptied deciles
        + (0.5 - epsilon) * math.log(0.5 / epsilon)  # the missing bin
    )
    assert numeric_psi(reference, current, bins=10, epsilon=epsilon) == pytest.approx(
        expected
    )


def test_identical_samples_have_zero_psi():
    values = np.random.default_rng(0).normal(size=1_000)
    assert numeric_psi(values, values.copy()) == pytest.approx(0.0)


def test_edges_are_learnt_on_the_reference_and_outer_bins_are_open():
    reference = np.arange(1, 101, dtype="float64")
    edges = reference_edges(reference, 10)
    assert len(edges) == 9
    shares = binned_shares(np.array([-1e9, 1e9, np.nan, 50.0]), edges)
    assert shares[0] == shares[-2] == shares[-1] == 0.25  # far values still binned


def test_ties_give_each_heavy_value_its_own_bin():
    reference = np.r_[np.zeros(700), np.linspace(1, 2, 300)]
    edges = reference_edges(reference, 10)
    assert np.all(np.diff(edges) > 0)
    assert binned_shares(reference, edges)[1] >= 0.7  # all zeros share one bin


def test_a_rare_flag_shifting_is_found_despite_ties():
    rng = np.random.default_rng(0)
    reference = (rng.random(20_000) < 0.05).astype("float64")
    current = (rng.random(5_000) < 0.30).astype("float64")
    assert verdict(numeric_psi(reference, current), 0.1, 0.25) == "act"


def test_more_missing_values_alone_show_drift():
    """Same distribution of present values; only the missing share grows. A test on
    present values alone (KS here, or Evidently's) sees nothing."""
    rng = np.random.default_rng(1)
    reference = rng.normal(size=20_000)
    reference[rng.random(20_000) < 0.05] = np.nan
    current = rng.normal(size=5_000)
    current[rng.random(5_000) < 0.30] = np.nan
    assert numeric_psi(reference, current) > 0.25
    ks = ks_test(reference, current)
    assert ks["ks_pvalue"] > 0.01
    assert ks["missing_share_change"] == pytest.approx(0.25, abs=0.02)


def test_ks_matches_scipy_on_present_values():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=3_000)
    current = rng.normal(0.2, 1, size=1_000)
    current[:100] = np.nan
    expected = ks_2samp(reference, current[100:])
    result = ks_test(reference, current)
    assert result["ks_statistic"] == pytest.approx(expected.statistic)
    assert result["ks_pvalue"] == pytest.approx(expected.pvalue)
    assert result["missing_share_change"] == pytest.approx(0.1)


def test_ks_of_an_all_missing_batch_is_undefined_not_an_error():
    result = ks_test(np.arange(10.0), np.full(5, np.nan))
    assert np.isnan(result["ks_statistic"])
    assert result["missing_share_change"] == 1.0


def test_categorical_psi_and_js_count_missing_as_a_level():
    reference = pd.Series(["a", "a", "b", None], dtype="string")
    current = pd.Series(["a", None, None, None], dtype="string")
    # levels a, b, missing: reference .5 .25 .25, current .25 0 .75
    expected_js = jensenshannon([0.5, 0.25, 0.25], [0.25, 0.0, 0.75], base=2)
    assert js_distance(reference, current) == pytest.approx(expected_js)
    epsilon = 1e-4
    expected_psi = (
        (0.25 - 0.5) * math.log(0.25 / 0.5)
        + (epsilon - 0.25) * math.log(epsilon / 0.25)
        + (0.75 - 0.25) * math.log(0.75 / 0.25)
    )
    assert categorical_psi(reference, current, epsilon) == pytest.approx(expected_psi)


def test_js_distance_of_disjoint_levels_is_one():
    reference = pd.Series(["a"] * 5, dtype="string")
    assert js_distance(reference, pd.Series(["b"] * 5, dtype="string")) == 1.0


def test_verdict_thresholds():
    assert [verdict(value, 0.1, 0.25) for value in (0.05, 0.1, 0.2, 0.25)] == [
        "ok",
        "watch",
        "watch",
        "act",
    ]
    with pytest.raises(ValueError, match="watch <= act"):
        verdict(0.1, 0.3, 0.2)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="bins must be at least 2"):
        reference_edges(np.arange(10.0), 1)
    with pytest.raises(ValueError, match="epsilon"):
        psi_from_shares(np.ones(2) / 2, np.ones(2) / 2, 0.0)
    with pytest.raises(ValueError, match="same bins"):
        psi_from_shares(np.ones(2) / 2, np.ones(3) / 3, 1e-4)


def _drift(reference, batch, params, workers=1):
    numeric, categorical = split_features(reference, batch, EXCLUDED)
    return feature_drift(
        reference, batch, numeric, categorical, params["psi"], workers=workers
    )


def test_same_distribution_gives_no_act_and_rare_watch(
    reference, stable_batch, monitoring_params
):
    drift = _drift(reference, stable_batch, monitoring_params)
    assert len(drift) >= 50
    assert (drift["verdict"] == "act").sum() == 0
    assert (drift["verdict"] == "watch").mean() < 0.05


def test_planted_drift_is_found(reference, drifted_batch, monitoring_params):
    drift = _drift(reference, drifted_batch, monitoring_params, workers=2)
    verdicts = drift.set_index("feature")["verdict"]
    assert verdicts["num_00"] == "act"
    assert verdicts["cat_00"] == "act"
    assert (verdicts.drop(["num_00", "cat_00"]) == "act").sum() == 0
    assert drift["feature"].iloc[0] in {"num_00", "cat_00"}  # largest PSI first


def test_threads_do_not_change_the_result(reference, drifted_batch, monitoring_params):
    pd.testing.assert_frame_equal(
        _drift(reference, drifted_batch, monitoring_params, workers=1),
        _drift(reference, drifted_batch, monitoring_params, workers=2),
    )


def test_empty_batch_is_refused(reference, monitoring_params):
    with pytest.raises(ValueError, match="current batch is empty"):
        _drift(reference, reference.iloc[:0], monitoring_params)


def test_batch_missing_a_feature_is_refused(reference, stable_batch):
    with pytest.raises(ValueError, match=r"missing from the batch: \['num_03'\]"):
        split_features(reference, stable_batch.drop(columns="num_03"), EXCLUDED)


def test_batch_with_text_in_a_numeric_feature_is_refused(reference, stable_batch):
    batch = stable_batch.assign(num_05=stable_batch["num_05"].astype("string"))
    with pytest.raises(ValueError, match=r"numeric in the reference.*num_05"):
        split_features(reference, batch, EXCLUDED)


# --- characteristic analysis -----------------------------------------------------


def test_characteristic_analysis_by_hand():
    reference = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, np.nan],
            "c": pd.array(["a", "a", "b", "b", None], dtype="string"),
            "PROBABILITY": [0.1, 0.2, 0.3, 0.4, 0.5],
        }
    )
    current = pd.DataFrame(
        {
            "x": [1.0, 1.0, 4.0, np.nan],
            "c": pd.array(["a", "a", "a", "b"], dtype="string"),
            "PROBABILITY": [0.2, 0.4, 0.6, 0.8],
        }
    )
    psi = {"bins": 2, "epsilon": 1e-4, "watch": 0.1, "act": 0.25}
    drift, table = drift_and_characteristics(
        reference, current, ["x"], ["c"], psi, score_column="PROBABILITY"
    )
    assert drift.set_index("feature").loc["x", "psi"] == pytest.approx(
        numeric_psi(reference["x"].to_numpy(), current["x"].to_numpy(), 2, 1e-4)
    )
    x = table.loc[table["feature"] == "x"]
    # Median edge of the reference's present values: 2.5; then the missing bin.
    assert x["bin"].tolist() == ["< 2.5", ">= 2.5", "missing"]
    assert x["reference_share"].tolist() == pytest.approx([0.4, 0.4, 0.2])
    assert x["current_share"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert x["mean_score_reference"].tolist() == pytest.approx([0.15, 0.35, 0.5])
    assert x["mean_score_current"].tolist() == pytest.approx([0.3, 0.6, 0.8])
    c = table.loc[table["feature"] == "c"].set_index("bin")
    assert c.loc["a", "current_share"] == pytest.approx(0.75)
    assert c.loc["(missing)", "current_share"] == 0
    assert np.isnan(c.loc["(missing)", "mean_score_current"])
    assert c.loc["b", "mean_score_current"] == pytest.approx(0.8)


def test_characteristic_contributions_sum_to_each_features_psi(
    reference, drifted_batch, monitoring_params
):
    numeric, categorical = split_features(reference, drifted_batch, EXCLUDED)
    psi = monitoring_params["psi"]
    drift, table = drift_and_characteristics(
        reference, drifted_batch, numeric, categorical, psi, score_column="PROBABILITY"
    )
    csi = table.groupby("feature")["csi_contribution"].sum()
    # The drift table without scores is the same.
    pd.testing.assert_frame_equal(
        drift, feature_drift(reference, drifted_batch, numeric, categorical, psi)
    )
    assert drift.loc[drift["feature"] == "num_00", "psi"].iloc[0] == pytest.approx(
        numeric_psi(
            reference["num_00"].to_numpy(), drifted_batch["num_00"].to_numpy(),
            psi["bins"], psi["epsilon"],
        )
    )  # fmt: skip
    assert csi[drift["feature"]].to_numpy() == pytest.approx(drift["psi"].to_numpy())
    shares = table.groupby("feature")[["reference_share", "current_share"]].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


def test_characteristic_analysis_refuses_an_empty_batch(reference, monitoring_params):
    with pytest.raises(ValueError, match="batch is empty"):
        drift_and_characteristics(
            reference, reference.iloc[:0], ["num_00"], [], monitoring_params["psi"],
            score_column="PROBABILITY",
        )  # fmt: skip
