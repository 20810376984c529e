"""Performance of the model on a batch whose outcomes have arrived."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from loan_default.metrics import discrimination_metrics, threshold_metrics

PERFORMANCE_COLUMNS = ["metric", "reference", "current", "change"]


def labelled_performance(
    labels: pd.Series,
    probability: pd.Series,
    threshold: float,
    reference_metrics: Mapping[str, float],
) -> pd.DataFrame:
    """Discrimination and operating-threshold metrics against the reference figures.

    Rows whose label has not arrived yet (missing) are left out. ``reference_metrics``
    holds the same names from the test set (missing names give NaN).
    """
    known = labels.notna().to_numpy()
    if not known.any():
        raise ValueError("no labelled rows in the batch: performance needs outcomes")
    y_true = labels.to_numpy()[known].astype("int64")
    scores = probability.to_numpy(dtype="float64")[known]
    current = {
        **discrimination_metrics(y_true, scores),
        **threshold_metrics(y_true, scores, threshold),
    }
    current.pop("threshold")
    table = pd.DataFrame(
        {
            "metric": list(current),
            "reference": [
                float(reference_metrics.get(name, np.nan)) for name in current
            ],
            "current": list(current.values()),
        }
    )
    table["change"] = table["current"] - table["reference"]
    table.attrs["labelled_rows"] = int(known.sum())
    return table
