"""Performance estimated from calibrated probabilities, against scikit-learn and
against outcomes drawn from the probabilities themselves."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from loan_default.monitoring.estimates import (
    ESTIMATE_COLUMNS,
    ESTIMATED_METRICS,
    estimated_performance,
    expected_performance,
    performance_intervals,
    realised_performance,
)

PARAMS = {"replicates": 200, "confidence": 0.95, "bootstrap_rows": True, "seed": 0}


@pytest.fixture(scope="module")
def probability() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.round(rng.beta(1.2, 12, 4_000), 3)  # rounded: ties, as scores have


def test_expected_auc_is_the_weighted_auc_of_the_duplicated_batch(probability):
    # Each applicant once as a default with weight p, once as a good payer with 1-p.
    expected = roc_auc_score(
        np.r_[np.ones_like(probability), np.zeros_like(probability)],
        np.r_[probability, probability],
        sample_weight=np.r_[probability, 1 - probability],
    )
    figures = expected_performance(probability, 0.2)
    assert figures["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_expected_threshold_figures_by_hand():
    probability = np.array([0.1, 0.2, 0.4, 0.8])
    figures = expected_performance(probability, threshold=0.4)
    assert figures["default_rate"] == pytest.approx(0.375)
    assert figures["flagged_share"] == pytest.approx(0.5)
    assert figures["recall"] == pytest.approx(1.2 / 1.5)
    assert figures["precision"] == pytest.approx(0.6)


def test_realised_figures_match_scikit_learn(probability):
    labels = (np.random.default_rng(1).random(probability.size) < probability).astype(
        int
    )
    figures = realised_performance(labels, probability, 0.2)
    decision = probability >= 0.2
    assert figures["roc_auc"] == pytest.approx(roc_auc_score(labels, probability))
    assert figures["recall"] == pytest.approx(recall_score(labels, decision))
    assert figures["precision"] == pytest.approx(precision_score(labels, decision))
    assert figures["default_rate"] == pytest.approx(labels.mean())


def test_the_interval_holds_the_realised_figures_of_a_calibrated_model(probability):
    # Outcomes drawn from the probabilities: the realised AUC lands inside the 95%
    # interval of most of 40 batches (Poisson-binomial variation).
    rng = np.random.default_rng(2)
    inside = 0
    for seed in range(40):
        labels = (rng.random(probability.size) < probability).astype(int)
        table = estimated_performance(
            probability, probability, 0.2, PARAMS | {"seed": seed}, pd.Series(labels)
        ).set_index("metric")
        inside += int(table.loc["roc_auc", "within_interval"])
    assert inside >= 34


def test_concept_drift_is_invisible_to_the_estimate(probability):
    # Outcomes no longer follow the scores (P(y|x) changed): the estimate stays put,
    # the realised AUC falls outside its interval.
    rng = np.random.default_rng(3)
    labels = (rng.random(probability.size) < probability.mean()).astype(int)
    table = estimated_performance(
        probability, probability, 0.2, PARAMS, pd.Series(labels)
    ).set_index("metric")
    assert table.loc["roc_auc", "estimate"] > 0.7
    assert table.loc["roc_auc", "within_interval"] == 0.0


def test_intervals_are_seeded_and_bracket_the_estimate(probability):
    first = performance_intervals(
        probability, 0.2, replicates=100, confidence=0.9, bootstrap_rows=True, seed=5
    )
    again = performance_intervals(
        probability, 0.2, replicates=100, confidence=0.9, bootstrap_rows=True, seed=5
    )
    pd.testing.assert_frame_equal(first, again)
    estimate = expected_performance(probability, 0.2)
    for row in first.itertuples(index=False):
        assert row.lower <= estimate[row.metric] <= row.upper


def test_without_row_resampling_the_flagged_share_is_known_exactly(probability):
    table = performance_intervals(
        probability, 0.2, replicates=50, confidence=0.95, bootstrap_rows=False, seed=0
    ).set_index("metric")
    share = (probability >= 0.2).mean()
    assert table.loc["flagged_share", "lower"] == table.loc["flagged_share", "upper"]
    assert table.loc["flagged_share", "lower"] == pytest.approx(share)


def test_table_without_labels_has_no_realised_figures(probability):
    table = estimated_performance(probability[:2000], probability, 0.2, PARAMS)
    assert table.columns.tolist() == ESTIMATE_COLUMNS
    assert table["metric"].tolist() == list(ESTIMATED_METRICS)
    assert table["realised"].isna().all()
    assert table["within_interval"].isna().all()


def test_missing_labels_are_left_out_of_the_realised_figures(probability):
    labels = pd.Series(
        (np.random.default_rng(4).random(probability.size) < probability).astype(float)
    )
    labels.iloc[:1000] = np.nan
    table = estimated_performance(probability, probability, 0.2, PARAMS, labels)
    realised = table.set_index("metric").loc["roc_auc", "realised"]
    assert realised == pytest.approx(
        roc_auc_score(labels.iloc[1000:], probability[1000:])
    )


def test_bad_probabilities_and_parameters_are_refused(probability):
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*1 values"):
        expected_performance(np.array([0.2, np.nan]), 0.5)
    with pytest.raises(ValueError, match="no scores"):
        expected_performance(np.array([]), 0.5)
    with pytest.raises(ValueError, match="replicates must be at least 20"):
        estimated_performance(probability, probability, 0.2, PARAMS | {"replicates": 5})
    with pytest.raises(ValueError, match="confidence must lie in"):
        estimated_performance(
            probability, probability, 0.2, PARAMS | {"confidence": 95}
        )
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        realised_performance(np.full(probability.size, 2), probability, 0.2)
