"""The shipped Grafana dashboard: provisioning-ready JSON whose every panel query
names metrics the project exports (the monitoring gauges and the API's metrics);
the shipped alerting rules read exported metrics too."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from loan_default.api.metrics import ApiMetrics
from loan_default.pipelines.monitoring.nodes import export_prometheus
from tests.monitoring.conftest import library_outputs, scored_frame
from tests.project import PROJECT_ROOT, project_parameters

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "loan_default.json"
RULES = PROJECT_ROOT / "deploy" / "prometheus" / "alerts.yml"
NODE_EXPORTER = {"node_textfile_mtime_seconds"}
"""The textfile collector's own metric: when the monitoring file was last written."""
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
    "or", "unless", "offset", "inf", "nan",
}  # fmt: skip


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are neither
    functions or aggregations (followed by a parenthesis), keywords, label names
    (inside braces or a ``by (...)`` list) nor strings or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text
    )
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)\b(?!\s*\()", text):
        if match.group(1).lower() not in PROMQL_WORDS:
            names.add(match.group(1))
    return names


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name the project exports: a monitoring run's gauges (labelled
    batch, so the realised figures too) and the API's counters and histograms."""
    params = project_parameters()["monitoring"]
    reference, batch = scored_frame(4_000, seed=0), scored_frame(1_000, seed=2)
    outputs = library_outputs(reference, batch, params, contributions=False)
    monitoring = export_prometheus(
        metrics=outputs["metrics"],
        alerts=outputs["alerts"],
        context={"batch_rows": len(batch)},
        psi=params["psi"],
        null_share_jump=params["null_share_jump"],
        estimated=params["estimated_performance"],
    )
    api = ApiMetrics(["/predict"])
    api.observe_request("/predict", "POST", 200, 0.0)
    api.observe_predictions([{"probability": 0.3, "decision": 1}])
    api.set_model("v1", "xgboost")
    names = set()
    for text in (monitoring, generate_latest(api.registry).decode()):
        for family in text_string_to_metric_families(text):
            names |= {sample.name for sample in family.samples}
    return names


def _queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def test_metric_names_are_read_from_promql():
    expression = (
        "histogram_quantile(0.95, sum by (le, endpoint) (rate("
        'loan_default_api_request_duration_seconds_bucket{endpoint="/predict"}[5m])))'
        " / on() group_left() loan_default_threshold"
    )
    assert metric_names(expression) == {
        "loan_default_api_request_duration_seconds_bucket",
        "loan_default_threshold",
    }
    assert metric_names("topk(10, loan_default_feature_psi) > bool 0.1") == {
        "loan_default_feature_psi"
    }


def test_every_panel_query_names_an_exported_metric(exported):
    queries = _queries()
    assert queries
    unknown = {
        (title, name)
        for title, expression in queries
        for name in metric_names(expression)
        if name not in exported | NODE_EXPORTER
    }
    assert not unknown, f"panels query metrics nobody exports: {sorted(unknown)}"
    assert all(metric_names(expression) for _, expression in queries)


def test_a_misspelt_metric_would_be_caught(exported):
    assert "loan_default_api_requests_total" in exported
    assert not metric_names("rate(loan_default_api_request_total[5m])") <= exported


def test_the_dashboard_has_the_panels_a_monitoring_lead_needs():
    read = set().union(*(metric_names(expression) for _, expression in _queries()))
    assert {
        "loan_default_score_psi",
        "loan_default_feature_psi",
        "loan_default_estimated_performance",
        "loan_default_api_request_duration_seconds_bucket",
        "loan_default_api_requests_total",
    } <= read
    dashboard = json.loads(DASHBOARD.read_text())
    # Ready for file provisioning: a fixed uid, and the data source as a variable.
    assert dashboard["uid"] == "loan-default"
    assert [v["type"] for v in dashboard["templating"]["list"]] == ["datasource"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_every_alerting_rule_reads_exported_metrics(exported):
    rules = yaml.safe_load(RULES.read_text())["groups"]
    unknown = {
        (rule["alert"], name)
        for group in rules
        for rule in group["rules"]
        for name in metric_names(rule["expr"])
        if name not in exported | NODE_EXPORTER
    }
    assert not unknown, f"rules read metrics nobody exports: {sorted(unknown)}"
