"""One monitoring run of a scored batch against the reference: every part in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from loan_default.monitoring.alerts import (
    alerts_frame,
    drift_alerts,
    null_share_alerts,
    rule_alerts,
    score_drift_alerts,
)
from loan_default.monitoring.columns import (
    as_float,
    non_feature_columns,
    split_features,
)
from loan_default.monitoring.drift import feature_drift, numeric_psi
from loan_default.monitoring.performance import labelled_performance
from loan_default.monitoring.quality import data_quality
from loan_default.monitoring.stability import (
    client_profile,
    importance_stability,
    risk_decile_shares,
    score_histogram,
    score_statistics,
)
from loan_default.monitoring.table import metrics_table
from loan_default.schema import TARGET


def monitor_batch(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    params: Mapping[str, Any],
    *,
    reference_contributions: pd.DataFrame | None = None,
    current_contributions: pd.DataFrame | None = None,
    reference_performance: Mapping[str, float] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Quality, drift, stability, performance, metrics table and alerts of a batch.

    ``reference`` and ``current`` are scored feature frames (scores optional: without
    the probability column the score parts are skipped). Performance is measured when
    the batch has a label column with at least one outcome and ``threshold`` is given.
    Contributions (see ``contributions.model_contributions``) enable importance
    stability and client profiling. ``params`` is ``parameters_monitoring.yml``'s
    ``monitoring`` block.
    """
    columns = params["score_columns"]
    psi_params = params["psi"]
    watch, act = float(psi_params["watch"]), float(psi_params["act"])
    numeric, categorical = split_features(
        reference, current, non_feature_columns(columns)
    )
    workers = int(params["workers"])
    outputs: dict[str, Any] = {
        "reference_rows": len(reference),
        "batch_rows": len(current),
        "quality": data_quality(
            reference, current, numeric, categorical, workers=workers
        ),
        "drift": feature_drift(
            reference, current, numeric, categorical, psi_params, workers=workers
        ),
    }
    alerts = drift_alerts(outputs["drift"], watch, act) + null_share_alerts(
        outputs["quality"], params["null_share_jump"]
    )
    probability, decile = columns["probability"], columns["risk_decile"]
    scored = probability in reference.columns and probability in current.columns
    if scored:
        outputs["score_statistics"] = score_statistics(
            reference[probability], current[probability], params["score_quantiles"]
        )
        outputs["score_psi"] = numeric_psi(
            as_float(reference[probability]),
            as_float(current[probability]),
            int(psi_params["bins"]),
            float(psi_params["epsilon"]),
        )
        outputs["score_histogram"] = score_histogram(
            reference[probability], current[probability]
        )
        alerts += score_drift_alerts(outputs["score_psi"], watch, act)
    if decile in reference.columns and decile in current.columns:
        outputs["decile_shares"] = risk_decile_shares(
            reference[decile], current[decile]
        )
    if reference_contributions is not None and current_contributions is not None:
        outputs["importance"] = importance_stability(
            reference_contributions, current_contributions
        )
        top = outputs["importance"]["feature"].head(int(params["profile_features"]))
        if decile in reference.columns and decile in current.columns:
            known = [name for name in top if name in set(numeric)]
            outputs["client_profile"] = client_profile(
                reference, current, known, decile
            )
    if (
        scored
        and threshold is not None
        and TARGET in current.columns
        and current[TARGET].notna().any()
    ):
        outputs["performance"] = labelled_performance(
            current[TARGET],
            current[probability],
            threshold,
            reference_performance or {},
        )
    outputs["metrics"] = metrics_table(
        outputs["quality"],
        outputs["drift"],
        score_statistics=outputs.get("score_statistics"),
        score_psi=outputs.get("score_psi"),
        decile_shares=outputs.get("decile_shares"),
        importance=outputs.get("importance"),
        performance=outputs.get("performance"),
    )
    alerts += rule_alerts(outputs["metrics"], params["rules"])
    outputs["alerts"] = alerts_frame(alerts)
    return outputs
