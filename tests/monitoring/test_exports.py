import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from loan_default.monitoring.exports import html_report, prometheus_exposition
from tests.monitoring.conftest import library_outputs


@pytest.fixture(scope="module")
def outputs(drifted_outputs) -> dict:
    return drifted_outputs


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_prometheus_text_parses_with_the_expected_gauges(outputs):
    text = prometheus_exposition(outputs["metrics"], outputs["alerts"], 5_000)
    families = _families(text)
    psi = {
        sample.labels["feature"]: sample.value
        for sample in families["loan_default_feature_psi"].samples
    }
    assert psi["num_00"] >= 0.25
    assert len(psi) == len(outputs["drift"])
    alerts = {
        sample.labels["severity"]: sample.value
        for sample in families["loan_default_alerts"].samples
    }
    assert alerts["act"] == (outputs["alerts"]["severity"] == "act").sum() > 0
    assert families["loan_default_score_psi"].samples[0].value > 0
    assert 0.5 < families["loan_default_auc"].samples[0].value <= 1
    assert families["loan_default_batch_rows"].samples[0].value == 5_000


def test_prometheus_text_has_the_estimates_and_the_thresholds(outputs):
    thresholds = {"psi": {"watch": 0.1, "act": 0.25}, "auc_margin": {"act": 0.03}}
    families = _families(
        prometheus_exposition(outputs["metrics"], outputs["alerts"], 5_000, thresholds)
    )
    estimated = {
        (sample.labels["metric"], sample.labels["figure"]): sample.value
        for sample in families["loan_default_estimated_performance"].samples
    }
    table = outputs["estimates"].set_index("metric")
    for metric in table.index:
        for figure, column in (("reference", "reference"), ("estimate", "estimate"),
                               ("lower", "lower"), ("upper", "upper"),
                               ("realised", "realised")):  # fmt: skip
            assert estimated[(metric, figure)] == pytest.approx(
                table.loc[metric, column]
            )
    threshold = {
        (sample.labels["check"], sample.labels["severity"]): sample.value
        for sample in families["loan_default_threshold"].samples
    }
    assert threshold == {("psi", "watch"): 0.1, ("psi", "act"): 0.25,
                         ("auc_margin", "act"): 0.03}  # fmt: skip
    change = {
        sample.labels["feature"]: sample.value
        for sample in families["loan_default_feature_null_share_change"].samples
    }
    quality = outputs["quality"].set_index("feature")
    assert change["num_00"] == pytest.approx(quality.loc["num_00", "null_share_change"])


def test_prometheus_text_without_labels_has_no_auc(
    reference, stable_batch, monitoring_params
):
    outputs = library_outputs(
        reference, stable_batch, monitoring_params, labelled=False
    )
    families = _families(prometheus_exposition(outputs["metrics"], outputs["alerts"]))
    assert "loan_default_auc" not in families
    assert "loan_default_feature_psi" in families
    figures = {
        sample.labels["figure"]
        for sample in families["loan_default_estimated_performance"].samples
    }
    assert figures == {"reference", "estimate", "lower", "upper"}


def test_html_report_is_self_contained_small_and_holds_no_rows(
    outputs, drifted_batch, monitoring_params
):
    page = html_report(outputs, monitoring_params)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|<iframe|src=\"http|url\(", page)
    assert "https://" not in page and "http://" not in page
    assert len(page.encode()) < 5_000_000
    assert page.count("data:image/png;base64,") >= 4
    for applicant in drifted_batch["SK_ID_CURR"].head(20):
        assert str(applicant) not in page
    for section in (
        "Alerts",
        "Performance",
        "Score stability",
        "Feature drift",
        "importance",
        "Client profile",
        "Data quality",
        "Estimated performance",
        "Characteristic analysis",
        "Population stability by risk grade",
    ):
        assert section in page


def test_html_report_escapes_names_and_context(outputs, monitoring_params):
    """Autoescaping: text from a batch file or a feature name stays text."""
    hostile = "<script>alert(1)</script>"
    renamed = outputs | {
        "drift": outputs["drift"].assign(
            feature=outputs["drift"]["feature"].where(
                outputs["drift"].index != 0, hostile
            )
        )
    }
    page = html_report(renamed, monitoring_params, context={"batch": hostile})
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
