"""The project's tracking database read by a real ``mlflow server``: its runs and
registered versions through MLflow's REST API, and its UI in headless Chromium."""

from __future__ import annotations

import httpx
import pytest

from tests.deployment.mlflow_server import mlflow_server
from tests.trained import copy_project
from tests.viz.browser import find_browser, headless_chromium, missing_browser_reason

API = "api/2.0/mlflow"


@pytest.fixture(scope="module")
def server(trained_small_project, tmp_path_factory):
    # A copy: a server may write to the database it serves.
    project = copy_project(
        trained_small_project, tmp_path_factory.mktemp("tracked") / "project"
    )
    log = tmp_path_factory.mktemp("logs") / "mlflow-server.log"
    with mlflow_server(project, log) as url:
        yield url


def test_the_runs_and_registered_versions_are_read_over_rest(server):
    experiment = httpx.get(
        f"{server}/{API}/experiments/get-by-name",
        params={"experiment_name": "loan_default"},
        timeout=30,
    ).json()["experiment"]
    runs = httpx.post(
        f"{server}/{API}/runs/search",
        json={"experiment_ids": [experiment["experiment_id"]]},
        timeout=30,
    ).json()["runs"]
    assert len(runs) == 1 and runs[0]["info"]["status"] == "FINISHED"
    metrics = {metric["key"] for metric in runs[0]["data"]["metrics"]}
    assert {"xgboost.AUC", "random_forest.AUC", "decision_tree.AUC"} <= metrics
    model = httpx.get(
        f"{server}/{API}/registered-models/get",
        params={"name": "loan_default"},
        timeout=30,
    ).json()["registered_model"]
    assert {alias["alias"]: alias["version"] for alias in model["aliases"]} == {
        "champion": "1"
    }
    versions = httpx.get(
        f"{server}/{API}/model-versions/search",
        params={"filter": "name='loan_default'"},
        timeout=30,
    ).json()["model_versions"]
    assert [version["run_id"] for version in versions] == [runs[0]["info"]["run_id"]]


@pytest.mark.skipif(find_browser() is None, reason=missing_browser_reason())
def test_the_ui_lists_the_runs(server):
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    with headless_chromium(find_browser(), 1400, 900) as driver:
        driver.get(f"{server}/#/models/loan_default")
        WebDriverWait(driver, 60).until(
            lambda page: "champion" in page.find_element(By.TAG_NAME, "body").text
        )
        assert "Version 1" in driver.find_element(By.TAG_NAME, "body").text
