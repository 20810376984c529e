import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    roc_auc_score,
    roc_curve,
)

from loan_default.model_risk.intervals import (
    BOOTSTRAP_CHUNK,
    bootstrap_counts,
    bootstrap_intervals,
    delong_auc_interval,
    delong_covariance,
    delong_paired_test,
    headline_intervals,
    weighted_headline_metrics,
)

# Hanley and McNeil (1982), Radiology 143:29-36, table 1: 109 CT images rated 1
# (definitely normal) to 5 (definitely abnormal); 58 normal, 51 abnormal. The paper
# gives the area under the empirical ROC curve as 0.893.
HANLEY_MCNEIL_NORMAL = [33, 6, 6, 11, 2]
HANLEY_MCNEIL_ABNORMAL = [3, 2, 2, 11, 33]


def hanley_mcneil() -> tuple[np.ndarray, np.ndarray]:
    ratings = np.arange(1, 6)
    labels = np.r_[np.zeros(58, dtype=int), np.ones(51, dtype=int)]
    scores = np.r_[
        np.repeat(ratings, HANLEY_MCNEIL_NORMAL),
        np.repeat(ratings, HANLEY_MCNEIL_ABNORMAL),
    ]
    return labels, scores / 5


def delong_by_hand(labels, *scores_list):
    """DeLong et al. (1988) as written: the kernel psi over every (default,
    non-default) pair, the placements V10 and V01, and their sample covariances."""
    v10s, v01s, aucs = [], [], []
    for scores in scores_list:
        x, y = scores[labels == 1], scores[labels == 0]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        aucs.append(psi.mean())
        v10s.append(psi.mean(axis=1))
        v01s.append(psi.mean(axis=0))
    m, n = len(v10s[0]), len(v01s[0])
    k = len(scores_list)
    s10 = np.array(
        [[np.cov(v10s[a], v10s[b])[0, 1] for b in range(k)] for a in range(k)]
    )
    s01 = np.array(
        [[np.cov(v01s[a], v01s[b])[0, 1] for b in range(k)] for a in range(k)]
    )
    return np.array(aucs), s10 / m + s01 / n


@pytest.fixture
def two_models() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two correlated scores of 600 applicants, with ties, ~10% defaults."""
    rng = np.random.default_rng(3)
    labels = (rng.random(600) < 0.1).astype(int)
    shared = rng.normal(0, 1, 600)
    a = np.round(1 / (1 + np.exp(-(-2 + 1.2 * labels + shared))), 2)
    b = np.round(
        1 / (1 + np.exp(-(-2 + 0.6 * labels + shared + rng.normal(0, 1, 600)))), 2
    )
    return labels, a, b


def test_delong_reproduces_the_hanley_mcneil_area_and_the_hand_variance():
    labels, scores = hanley_mcneil()
    result = delong_auc_interval(labels, scores)
    assert result["auc"] == pytest.approx(0.893, abs=5e-4)
    aucs, covariance = delong_by_hand(labels, scores)
    assert result["auc"] == pytest.approx(aucs[0])
    assert result["standard_error"] == pytest.approx(np.sqrt(covariance[0, 0]))
    half = norm.ppf(0.975) * result["standard_error"]
    assert result["low"] == pytest.approx(result["auc"] - half)
    assert result["high"] == pytest.approx(result["auc"] + half)


def test_delong_auc_is_sklearns_and_its_interval_is_clipped_to_one():
    labels = np.array([0, 0, 0, 1, 1, 1])
    perfect = delong_auc_interval(labels, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    assert perfect == {"auc": 1.0, "standard_error": 0.0, "low": 1.0, "high": 1.0}
    labels, scores = hanley_mcneil()
    assert delong_auc_interval(labels, scores)["auc"] == pytest.approx(
        roc_auc_score(labels, scores)
    )


def test_delong_covariance_of_two_models_matches_the_hand_computation(two_models):
    labels, a, b = two_models
    aucs, covariance = delong_covariance(labels, a, b)
    hand_aucs, hand_covariance = delong_by_hand(labels, a, b)
    np.testing.assert_allclose(aucs, hand_aucs)
    np.testing.assert_allclose(covariance, hand_covariance)


def test_paired_test_by_hand(two_models):
    labels, a, b = two_models
    result = delong_paired_test(labels, a, b)
    aucs, covariance = delong_by_hand(labels, a, b)
    se = np.sqrt(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1])
    z = (aucs[0] - aucs[1]) / se
    assert result["auc_a"] == pytest.approx(roc_auc_score(labels, a))
    assert result["auc_b"] == pytest.approx(roc_auc_score(labels, b))
    assert result["difference"] == pytest.approx(aucs[0] - aucs[1])
    assert result["standard_error"] == pytest.approx(se)
    assert result["z"] == pytest.approx(z)
    assert result["p_value"] == pytest.approx(2 * norm.sf(abs(z)))
    assert result["p_value"] < 0.05  # a is built to rank better
    swapped = delong_paired_test(labels, b, a)
    assert swapped["z"] == pytest.approx(-result["z"])
    assert swapped["p_value"] == pytest.approx(result["p_value"])


def test_paired_test_of_one_ranking_with_itself_finds_no_difference(two_models):
    labels, a, _ = two_models
    # A monotone transform ranks the applicants identically.
    result = delong_paired_test(labels, a, a**2)
    assert result["difference"] == pytest.approx(0.0, abs=1e-12)
    assert result["p_value"] == 1.0


def test_bootstrap_counts_are_the_seeded_draws_in_turn():
    n_rows, n_resamples = 37, BOOTSTRAP_CHUNK + 3
    counts = bootstrap_counts(n_rows, n_resamples, seed=5)
    rng = np.random.default_rng(5)
    drawn = rng.integers(0, n_rows, size=(n_resamples, n_rows))
    expected = np.stack([np.bincount(row, minlength=n_rows) for row in drawn])
    np.testing.assert_array_equal(counts, expected)
    assert (counts.sum(axis=1) == n_rows).all()


def test_weighted_metrics_equal_sklearn_on_the_resampled_rows(two_models):
    labels, scores, _ = two_models
    n_resamples = 7
    values = weighted_headline_metrics(
        labels, scores, bootstrap_counts(len(labels), n_resamples, seed=11)
    )
    rng = np.random.default_rng(11)
    for resample in range(n_resamples):
        rows = rng.integers(0, len(labels), len(labels))
        y, p = labels[rows], scores[rows]
        fpr, tpr, _ = roc_curve(y, p)
        assert values["roc_auc"][resample] == pytest.approx(roc_auc_score(y, p))
        assert values["gini"][resample] == pytest.approx(2 * roc_auc_score(y, p) - 1)
        assert values["ks"][resample] == pytest.approx(np.max(tpr - fpr))
        assert values["pr_auc"][resample] == pytest.approx(
            average_precision_score(y, p)
        )
        assert values["brier"][resample] == pytest.approx(brier_score_loss(y, p))


def test_bootstrap_interval_is_the_percentile_of_the_hand_resamples(two_models):
    labels, scores, _ = two_models
    intervals = bootstrap_intervals(labels, scores, n_resamples=60, seed=2, level=0.9)
    rng = np.random.default_rng(2)
    briers, pr_aucs = [], []
    for _ in range(60):
        rows = rng.integers(0, len(labels), len(labels))
        briers.append(brier_score_loss(labels[rows], scores[rows]))
        pr_aucs.append(average_precision_score(labels[rows], scores[rows]))
    assert intervals["brier"] == pytest.approx(tuple(np.quantile(briers, [0.05, 0.95])))
    assert intervals["pr_auc"] == pytest.approx(
        tuple(np.quantile(pr_aucs, [0.05, 0.95]))
    )


def test_a_resample_without_defaults_is_left_out():
    labels = np.array([0] * 9 + [1])
    scores = np.linspace(0.05, 0.95, 10)
    values = weighted_headline_metrics(labels, scores, np.r_[np.ones(9), 0.0])
    assert np.isnan(values["roc_auc"][0]) and np.isnan(values["pr_auc"][0])
    assert np.isnan(values["ks"][0])


def test_headline_intervals_bracket_the_estimates(two_models):
    labels, scores, _ = two_models
    intervals = headline_intervals(labels, scores, n_resamples=100, seed=1, level=0.95)
    assert intervals["roc_auc_low"] == delong_auc_interval(labels, scores)["low"]
    assert intervals["roc_auc_low"] < roc_auc_score(labels, scores)
    assert intervals["brier_low"] < brier_score_loss(labels, scores)
    assert brier_score_loss(labels, scores) < intervals["brier_high"]
    assert set(intervals) == {
        f"{key}_{end}"
        for key in ("roc_auc", "gini", "ks", "pr_auc", "brier")
        for end in ("low", "high")
    }


@pytest.mark.parametrize("level", [0.0, 1.0, 95])
def test_a_level_outside_zero_and_one_is_refused(level):
    labels, scores = hanley_mcneil()
    with pytest.raises(ValueError, match="confidence level must lie in"):
        delong_auc_interval(labels, scores, level)


def test_no_resamples_is_refused():
    with pytest.raises(ValueError, match="n_resamples must be at least 1"):
        bootstrap_counts(10, 0, seed=1)


def test_bad_scores_are_refused_with_the_metrics_message():
    with pytest.raises(ValueError, match="y_true must hold both classes"):
        delong_auc_interval([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="has 3 values but probability has 2"):
        delong_paired_test([0, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2])
