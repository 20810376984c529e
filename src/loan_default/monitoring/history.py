"""The history of monitoring: one row per batch per tracked metric, and its trends.

Each run adds its batch's rows (``history_rows``) as a new version of a Parquet
dataset; ``trends`` reads the versions back, keeps the last run of each batch (a batch
monitored again once its outcomes arrived gains its realised figures) and the last N
batches, oldest first.

A batch is known by ``batch_id``, a digest of its applicants' ids: the same batch
scored again with its outcomes is the same batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

HISTORY_COLUMNS = [
    "batch_id",
    "section",
    "feature",
    "statistic",
    "reference",
    "value",
]
TRACKED = {
    "drift": ("psi",),
    "score": ("psi", "mean"),
    "estimate": None,  # every figure: estimates, bounds, realised
    "performance": ("roc_auc",),
}
"""Sections of the metrics table kept in the history, and their statistics (None:
all of them)."""


def batch_id(application_ids: pd.Series) -> str:
    """A digest of the batch's applicant ids, whatever their order."""
    ids = np.sort(application_ids.to_numpy(dtype="int64"))
    return hashlib.sha256(ids.tobytes()).hexdigest()[:16]


def history_rows(metrics: pd.DataFrame, batch: str) -> pd.DataFrame:
    """The tracked figures of one run's metrics table, labelled with its batch."""
    keep = np.zeros(len(metrics), dtype=bool)
    for section, statistics in TRACKED.items():
        in_section = (metrics["section"] == section).to_numpy()
        if statistics is not None:
            in_section &= metrics["statistic"].isin(statistics).to_numpy()
        keep |= in_section
    rows = metrics.loc[keep].rename(columns={"current": "value"})
    return rows.assign(batch_id=batch)[HISTORY_COLUMNS].reset_index(drop=True)


def trends(runs: Mapping[str, pd.DataFrame], last_batches: int) -> pd.DataFrame:
    """The history of the last ``last_batches`` batches, oldest first.

    ``runs`` maps each run's name (its save version: names sort by time) to the
    rows it wrote. The result has ``HISTORY_COLUMNS`` plus ``run`` (the run the rows
    come from: the batch's last) and ``first_run`` (when the batch was first seen,
    the x-axis of the trends).
    """
    if last_batches < 1:
        raise ValueError(
            f"report.history_batches must be at least 1; got {last_batches}"
        )
    if not runs:
        return pd.DataFrame(columns=[*HISTORY_COLUMNS, "run", "first_run"])
    frames = [
        frame[HISTORY_COLUMNS].assign(run=name) for name, frame in sorted(runs.items())
    ]
    history = pd.concat(frames, ignore_index=True)
    first_run = history.groupby("batch_id")["run"].min()
    last_run = history.groupby("batch_id")["run"].max()
    is_last = history["run"].to_numpy() == last_run[history["batch_id"]].to_numpy()
    history = history.loc[is_last]
    kept = first_run.sort_values().index[-last_batches:]
    history = history.loc[history["batch_id"].isin(kept)].copy()
    history["first_run"] = first_run[history["batch_id"]].to_numpy()
    return history.sort_values(
        ["first_run", "section", "feature", "statistic"]
    ).reset_index(drop=True)
