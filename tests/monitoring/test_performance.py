import numpy as np
import pandas as pd
import pytest

from loan_default.metrics import discrimination_metrics, threshold_metrics
from loan_default.monitoring.performance import labelled_performance


def test_performance_uses_the_project_metrics_and_skips_unlabelled_rows():
    rng = np.random.default_rng(0)
    labels = pd.Series((rng.random(500) < 0.2).astype(float))
    probability = pd.Series(np.clip(0.2 + 0.3 * labels + rng.normal(0, 0.2, 500), 0, 1))
    labels.iloc[:50] = np.nan
    table = labelled_performance(labels, probability, 0.4, {"roc_auc": 0.8})
    by_metric = table.set_index("metric")
    known = labels.notna()
    expected = discrimination_metrics(labels[known].astype(int), probability[known])
    at_threshold = threshold_metrics(labels[known].astype(int), probability[known], 0.4)
    assert by_metric.loc["roc_auc", "current"] == pytest.approx(expected["roc_auc"])
    assert by_metric.loc["recall", "current"] == pytest.approx(at_threshold["recall"])
    assert by_metric.loc["roc_auc", "change"] == pytest.approx(
        expected["roc_auc"] - 0.8
    )
    assert np.isnan(by_metric.loc["gini", "reference"])
    assert table.attrs["labelled_rows"] == 450


def test_performance_needs_outcomes():
    with pytest.raises(ValueError, match="no labelled rows"):
        labelled_performance(pd.Series([np.nan]), pd.Series([0.3]), 0.5, {})
