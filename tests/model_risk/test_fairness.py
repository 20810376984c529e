import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from loan_default.model_risk.fairness import FAIRNESS_COLUMNS, fairness_by_group

THRESHOLD = 0.3
OPTIONS = {
    "air_screen": 0.8,
    "min_group_size": 20,
    "n_resamples": 40,
    "seed": 9,
    "level": 0.9,
}


@pytest.fixture
def applicants() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Group "b" scores higher (approved less often); "c" has 5 applicants."""
    rng = np.random.default_rng(4)
    n = 400
    group = np.array(["a"] * 250 + ["b"] * 145 + ["c"] * 5)
    labels = (rng.random(n) < 0.2).astype(int)
    scores = np.clip(
        0.15 + 0.25 * labels + 0.2 * (group == "b") + rng.normal(0, 0.1, n), 0, 1
    )
    other = rng.choice(["x", "y"], n)
    return labels, scores, pd.DataFrame({"group": group, "other": other})


def fairness(applicants, screened=("group",), **overrides):
    labels, scores, features = applicants
    return fairness_by_group(
        labels,
        scores,
        THRESHOLD,
        features,
        screened=list(screened),
        **{**OPTIONS, **overrides},
    )


def test_rates_ratio_gap_and_auc_by_hand(applicants):
    labels, scores, features = applicants
    table = fairness(applicants).set_index(["segment", "level"])
    assert list(table.reset_index().columns) == FAIRNESS_COLUMNS
    approved = scores < THRESHOLD
    frame = pd.DataFrame({"g": features["group"], "approved": approved, "y": labels})
    rate = frame.groupby("g")["approved"].mean()
    repaid = frame[frame["y"] == 0].groupby("g")["approved"].mean()
    assert rate["a"] > rate["b"]
    groups = table.loc["group"]
    np.testing.assert_allclose(groups["approval_rate"], rate[groups.index])
    np.testing.assert_allclose(groups["repaid_approval_rate"], repaid[groups.index])
    # "c" has the highest rate but too few applicants to be the reference.
    assert (groups["reference_level"] == "a").all()
    np.testing.assert_allclose(
        groups["adverse_impact_ratio"], rate[groups.index] / rate["a"]
    )
    np.testing.assert_allclose(
        groups["equal_opportunity_gap"], repaid[groups.index] - repaid["a"]
    )
    in_b = features["group"] == "b"
    assert groups.loc["b", "AUC"] == pytest.approx(
        roc_auc_score(labels[in_b], scores[in_b])
    )
    assert groups.loc["b", "count"] == 145
    assert groups.loc["b", "defaults"] == labels[in_b].sum()


def test_the_four_fifths_screen_flags_only_screened_large_groups(applicants):
    table = fairness(applicants).set_index(["segment", "level"])
    groups = table.loc["group"]
    assert groups.loc["b", "adverse_impact_ratio"] < 0.8
    assert groups.loc["b", "flagged"]
    assert not groups.loc["a", "flagged"]
    assert not groups.loc["c", "screened"] and not groups.loc["c", "flagged"]
    # "other" is reported but not screened.
    assert not table.loc["other", "screened"].any()
    lenient = fairness(applicants, air_screen=0.1).set_index(["segment", "level"])
    assert not lenient["flagged"].any()


def test_intervals_are_percentiles_of_the_hand_resamples(applicants):
    labels, scores, features = applicants
    table = fairness(applicants).set_index(["segment", "level"]).loc["group"]
    rng = np.random.default_rng(OPTIONS["seed"])
    approved = scores < THRESHOLD
    group = features["group"].to_numpy()
    rates_b, ratios_b = [], []
    for _ in range(OPTIONS["n_resamples"]):
        rows = rng.integers(0, len(labels), len(labels))
        rate_a = approved[rows][group[rows] == "a"].mean()
        rate_b = approved[rows][group[rows] == "b"].mean()
        rates_b.append(rate_b)
        ratios_b.append(rate_b / rate_a)
    quantiles = [0.05, 0.95]
    assert (
        table.loc["b", "approval_rate_low"],
        table.loc["b", "approval_rate_high"],
    ) == (pytest.approx(tuple(np.quantile(rates_b, quantiles))))
    assert (
        table.loc["b", "adverse_impact_ratio_low"],
        table.loc["b", "adverse_impact_ratio_high"],
    ) == pytest.approx(tuple(np.quantile(ratios_b, quantiles)))
    assert table.loc["a", "adverse_impact_ratio_low"] == 1.0


def test_a_one_class_group_has_no_auc(applicants):
    labels, scores, features = applicants
    labels = labels.copy()
    labels[features["group"] == "c"] = 0
    table = fairness((labels, scores, features)).set_index(["segment", "level"])
    assert np.isnan(table.loc[("group", "c"), "AUC"])
    assert np.isnan(table.loc[("group", "c"), "AUC_low"])


def test_an_unknown_screened_attribute_is_refused(applicants):
    with pytest.raises(ValueError, match=r"attribute\(s\) \['sex'\] are not among"):
        fairness(applicants, screened=("sex",))


def test_a_screen_outside_zero_and_one_is_refused(applicants):
    with pytest.raises(ValueError, match="air_screen must lie in"):
        fairness(applicants, air_screen=80)


def test_one_row_of_attributes_per_applicant_is_required(applicants):
    labels, scores, features = applicants
    with pytest.raises(ValueError, match="sensitive_features has 399 rows"):
        fairness((labels, scores, features.iloc[1:]))


def test_no_group_large_enough_has_no_reference_and_no_flag(applicants):
    table = fairness(applicants, min_group_size=1_000)
    assert table["reference_level"].isna().all()
    assert table["adverse_impact_ratio"].isna().all()
    assert not table["screened"].any() and not table["flagged"].any()
    # The rates themselves are still reported.
    assert table["approval_rate"].notna().all()
