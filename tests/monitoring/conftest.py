"""Small scored feature frames for the monitoring tests, built with numpy alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from loan_default.monitoring.alerts import (
    alerts_frame,
    drift_alerts,
    null_share_alerts,
    performance_alerts,
    score_drift_alerts,
)
from loan_default.monitoring.columns import (
    as_float,
    non_feature_columns,
    split_features,
)
from loan_default.monitoring.drift import drift_and_characteristics, numeric_psi
from loan_default.monitoring.estimates import estimated_performance
from loan_default.monitoring.performance import labelled_performance
from loan_default.monitoring.quality import data_quality
from loan_default.monitoring.stability import (
    client_profile,
    importance_stability,
    population_stability,
    score_histogram,
    score_statistics,
)
from loan_default.monitoring.table import metrics_table

PARAMETERS = Path(__file__).parents[2] / "conf" / "base" / "parameters_monitoring.yml"


def scored_frame(
    rows: int,
    seed: int,
    numeric: int = 40,
    categorical: int = 10,
    shift: float = 0.0,
) -> pd.DataFrame:
    """Applicants with numeric features (some missing, one flag, one count), text
    features with a missing level, a label and score columns. ``shift`` moves the
    mean of ``num_00`` and the levels of ``cat_00``."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {"SK_ID_CURR": np.arange(rows) + 100_000 * (seed + 1)}
    for index in range(numeric):
        values = rng.normal(shift if index == 0 else 0.0, 1.0, rows)
        values[rng.random(rows) < 0.1] = np.nan
        columns[f"num_{index:02d}"] = values
    columns["EXT_SOURCE_3"] = rng.random(rows)  # the parameters' example rule reads it
    columns["flag"] = (rng.random(rows) < 0.05).astype("int64")
    columns["count"] = rng.poisson(1.0, rows).astype("float64")
    for index in range(categorical):
        weights = [0.5, 0.3, 0.15, 0.05]
        if index == 0 and shift:
            weights = [0.2, 0.3, 0.45, 0.05]
        columns[f"cat_{index:02d}"] = pd.array(
            rng.choice(["a", "b", "c", None], rows, p=weights), dtype="string"
        )
    frame = pd.DataFrame(columns)
    logit = -2.5 + 0.8 * frame["num_00"].fillna(0).to_numpy()
    probability = 1 / (1 + np.exp(-logit))
    frame["TARGET"] = (rng.random(rows) < probability).astype("int64")
    frame["PROBABILITY"] = probability
    frame["DECISION"] = (probability >= 0.2).astype("int64")
    frame["RISK_DECILE"] = np.clip(np.ceil(probability * 10), 1, 10).astype("int64")
    return frame


@pytest.fixture(scope="session")
def monitoring_params() -> dict:
    with PARAMETERS.open() as stream:
        return yaml.safe_load(stream)["monitoring"]


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    return scored_frame(20_000, seed=0)


@pytest.fixture(scope="session")
def stable_batch() -> pd.DataFrame:
    return scored_frame(5_000, seed=1)


@pytest.fixture(scope="session")
def drifted_batch() -> pd.DataFrame:
    return scored_frame(5_000, seed=2, shift=1.0)


def fake_contributions(frame: pd.DataFrame) -> pd.DataFrame:
    """Contributions shaped like a model's: num_00 drives the score most."""
    contributions = frame.filter(like="num_").fillna(0.0)
    contributions["num_00"] *= 3
    return contributions


def library_outputs(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    params: dict,
    *,
    contributions: bool = True,
    labelled: bool = True,
) -> dict:
    """Every part of a monitoring run, from the library's functions, by the names
    ``html_report`` reads (the pipeline's nodes make the same calls)."""
    psi = params["psi"]
    numeric, categorical = split_features(
        reference, current, non_feature_columns(params["score_columns"])
    )
    outputs = {
        "reference_rows": len(reference),
        "batch_rows": len(current),
        "quality": data_quality(reference, current, numeric, categorical),
        **dict(
            zip(
                ("drift", "characteristic"),
                drift_and_characteristics(
                    reference,
                    current,
                    numeric,
                    categorical,
                    psi,
                    score_column="PROBABILITY",
                ),
                strict=True,
            )
        ),
        "score_statistics": score_statistics(
            reference["PROBABILITY"], current["PROBABILITY"], params["score_quantiles"]
        ),
        "score_psi": numeric_psi(
            as_float(reference["PROBABILITY"]),
            as_float(current["PROBABILITY"]),
            psi["bins"],
            psi["epsilon"],
        ),
        "score_histogram": score_histogram(
            reference["PROBABILITY"], current["PROBABILITY"]
        ),
        "decile_shares": population_stability(
            reference["RISK_DECILE"],
            current["RISK_DECILE"],
            reference["PROBABILITY"],
            current["PROBABILITY"],
            psi["epsilon"],
        ),
        "estimates": estimated_performance(
            reference["PROBABILITY"],
            current["PROBABILITY"],
            0.2,
            params["estimated_performance"],
            current["TARGET"] if labelled else None,
        ),
    }
    if contributions:
        outputs["importance"] = importance_stability(
            fake_contributions(reference), fake_contributions(current)
        ).assign(method="tree-path (Saabas) approximation")
        top = outputs["importance"]["feature"].head(params["profile_features"])
        outputs["client_profile"] = client_profile(
            reference, current, list(top), "RISK_DECILE"
        )
    if labelled:
        outputs["performance"] = labelled_performance(
            current["TARGET"], current["PROBABILITY"], 0.2, {"roc_auc": 0.75}
        )
    outputs["metrics"] = metrics_table(
        outputs["quality"],
        outputs["drift"],
        score_statistics=outputs["score_statistics"],
        score_psi=outputs["score_psi"],
        decile_shares=outputs["decile_shares"],
        importance=outputs.get("importance"),
        performance=outputs.get("performance"),
        estimates=outputs["estimates"],
    )
    outputs["alerts"] = alerts_frame(
        drift_alerts(outputs["drift"], psi["watch"], psi["act"])
        + null_share_alerts(outputs["quality"], params["null_share_jump"])
        + score_drift_alerts(outputs["score_psi"], psi["watch"], psi["act"])
        + performance_alerts(
            outputs["estimates"], params["estimated_performance"]["auc_margin"]
        )
    )
    return outputs


@pytest.fixture(scope="session")
def drifted_outputs(reference, drifted_batch, monitoring_params) -> dict:
    """The drifted, labelled batch against the reference: every part of a run."""
    return library_outputs(reference, drifted_batch, monitoring_params)
