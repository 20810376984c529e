import numpy as np
import pandas as pd
import pytest

from loan_default.monitoring.drift import psi_from_shares
from loan_default.monitoring.stability import (
    client_profile,
    importance_stability,
    population_stability,
    score_histogram,
    score_statistics,
)


def test_score_statistics_by_hand():
    reference = pd.Series([0.1, 0.2, 0.3])
    current = pd.Series([0.2, 0.4, np.nan, 0.6])
    table = score_statistics(reference, current, [0.5]).set_index("statistic")
    assert table.loc["mean", "reference"] == pytest.approx(0.2)
    assert table.loc["mean", "current"] == pytest.approx(0.4)
    assert table.loc["q50", "change"] == pytest.approx(0.2)


def test_score_statistics_refuse_bad_quantiles_and_empty_scores():
    scores = pd.Series([0.1, 0.2])
    with pytest.raises(ValueError, match="quantiles must lie in"):
        score_statistics(scores, scores, [1.5])
    with pytest.raises(ValueError, match="holds no values"):
        score_statistics(scores, pd.Series([np.nan]), [0.5])


def test_population_stability_by_risk_grade_by_hand():
    table = population_stability(
        pd.Series([1, 1, 2, 3]),
        pd.Series([3, 3]),
        pd.Series([0.1, 0.3, 0.5, 0.9]),
        pd.Series([0.7, 0.8]),
        epsilon=1e-4,
    )
    assert table["risk_decile"].tolist() == [1, 2, 3]
    assert table["reference"].tolist() == [0.5, 0.25, 0.25]
    assert table["current"].tolist() == [0.0, 0.0, 1.0]
    assert table["change"].sum() == pytest.approx(0.0)
    # Each grade's PSI term, an empty share raised to epsilon.
    assert table["psi_contribution"].tolist() == pytest.approx(
        [
            (1e-4 - 0.5) * np.log(1e-4 / 0.5),
            (1e-4 - 0.25) * np.log(1e-4 / 0.25),
            0.75 * np.log(1 / 0.25),
        ]
    )
    assert table["mean_score_reference"].tolist() == pytest.approx([0.2, 0.5, 0.9])
    assert table["mean_score_current"].iloc[:2].isna().all()
    assert table["mean_score_current"].iloc[2] == pytest.approx(0.75)


def test_population_stability_terms_sum_to_the_psi_over_grades():
    rng = np.random.default_rng(3)
    before, after = rng.integers(1, 11, 5000), rng.integers(3, 11, 2000)
    table = population_stability(
        pd.Series(before), pd.Series(after), pd.Series(rng.random(5000)),
        pd.Series(rng.random(2000)), epsilon=1e-4,
    )  # fmt: skip
    expected = psi_from_shares(
        np.bincount(before, minlength=11)[1:] / 5000,
        np.bincount(after, minlength=11)[1:] / 2000,
        1e-4,
    )
    assert table["psi_contribution"].sum() == pytest.approx(expected)


def test_importance_stability_ranks_and_changes():
    reference = pd.DataFrame({"a": [1.0, -1.0], "b": [0.1, -0.3], "c": [0.0, 0.5]})
    current = pd.DataFrame({"a": [0.1, 0.1], "b": [1.0, 1.0], "c": [0.0, 0.5]})
    table = importance_stability(reference, current).set_index("feature")
    assert table.index.tolist() == ["a", "c", "b"]  # by reference importance
    assert table.loc["a", "reference"] == 1.0
    assert table.loc["a", "change"] == pytest.approx(-0.9)
    assert table.loc["b", "rank_current"] == 1
    assert table.loc["b", "rank_change"] == -2


def test_importance_stability_refuses_different_features():
    with pytest.raises(ValueError, match="same feature columns"):
        importance_stability(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}))


def test_client_profile_means_per_decile_skip_text_features():
    reference = pd.DataFrame(
        {"x": [1.0, 3.0, 10.0], "t": ["u", "v", "w"], "RISK_DECILE": [1, 1, 2]}
    )
    current = pd.DataFrame(
        {"x": [5.0, 20.0, 30.0], "t": ["u", "v", "w"], "RISK_DECILE": [1, 2, 2]}
    )
    profile = client_profile(reference, current, ["x", "t"], "RISK_DECILE")
    assert profile["feature"].unique().tolist() == ["x"]
    by_decile = profile.set_index("risk_decile")
    assert by_decile.loc[1, "reference"] == 2.0
    assert by_decile.loc[1, "change"] == 3.0
    assert by_decile.loc[2, "current"] == 25.0


def test_client_profile_needs_the_decile_column():
    frame = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ValueError, match="RISK_DECILE"):
        client_profile(frame, frame, ["x"], "RISK_DECILE")


def test_score_histogram_shares_sum_to_one():
    histogram = score_histogram(pd.Series([0.0, 0.5, 1.0]), pd.Series([0.99]), bins=4)
    assert histogram["reference"].sum() == pytest.approx(1.0)
    assert histogram["current"].tolist() == [0.0, 0.0, 0.0, 1.0]
