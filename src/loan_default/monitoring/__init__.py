"""Monitoring of scored batches against the training reference.

Pure functions, each tested on its own, that the ``monitoring`` pipeline wires into
one node per check:

- ``quality``: null shares, ranges, centres and unseen levels per feature;
- ``drift``: PSI over reference deciles with a missing bin, KS, Jensen-Shannon;
- ``stability``: score distribution and PSI, risk-decile shares, importance
  stability, client profile per decile (the model layer's
  ``model_contributions`` computes the contributions);
- ``drift`` also gives the characteristic analysis (shares and CSI terms per bin);
- ``stability`` also gives the population stability report by risk grade;
- ``estimates``: performance expected from calibrated probabilities, before labels;
- ``performance``: discrimination and threshold metrics once outcomes arrive;
- ``history``: one row per batch per tracked metric, and the trends;
- ``table``, ``alerts``, ``exports``: the tidy metrics table, the alerts with their
  evidence, Prometheus text and a self-contained HTML report (a Jinja2 template).
"""

from loan_default.model.explanations import model_contributions, sample_rows
from loan_default.monitoring.alerts import (
    Alert,
    MonitoringActAlertError,
    performance_alerts,
    raise_on_act_alerts,
)
from loan_default.monitoring.drift import (
    categorical_psi,
    drift_and_characteristics,
    feature_drift,
    js_distance,
    ks_test,
    numeric_psi,
)
from loan_default.monitoring.estimates import estimated_performance
from loan_default.monitoring.exports import html_report, prometheus_exposition
from loan_default.monitoring.quality import data_quality
from loan_default.monitoring.table import metrics_table

__all__ = [
    "Alert",
    "MonitoringActAlertError",
    "categorical_psi",
    "estimated_performance",
    "data_quality",
    "drift_and_characteristics",
    "feature_drift",
    "html_report",
    "js_distance",
    "ks_test",
    "metrics_table",
    "model_contributions",
    "numeric_psi",
    "performance_alerts",
    "prometheus_exposition",
    "raise_on_act_alerts",
    "sample_rows",
]
