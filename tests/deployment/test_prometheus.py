"""The shipped Prometheus alerting rules: `promtool check rules`, then a real
Prometheus on 127.0.0.1 scraping the API's /metrics and the monitoring gauges
through the node exporter's textfile collector, its alerts read from its HTTP API.

Debian's packages `prometheus` (with promtool) and `prometheus-node-exporter`; the
tests are skipped with a message where they are missing (`.ci/run` installs them
when it runs as root).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from loan_default.pipelines.monitoring.nodes import export_prometheus
from tests.api.test_cli import free_port
from tests.api.test_hostile_clients import running_server
from tests.monitoring.conftest import library_outputs, scored_frame
from tests.project import PROJECT_ROOT, project_parameters

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "alerts.yml"
DRIFT_ALERTS = {
    "LoanDefaultFeatureDriftAct",
    "LoanDefaultScoreDriftAct",
    "LoanDefaultEstimatedAucDrop",
}
TEXTFILE = "loan_default.prom"


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"{name} is not installed (Debian: apt-get install prometheus "
            "prometheus-node-exporter); the Prometheus tests need the real binaries"
        )
    return path


def test_shipped_rules_pass_promtool():
    result = subprocess.run(
        [_binary("promtool"), "check", "rules", str(RULES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    groups = yaml.safe_load(RULES.read_text())["groups"]
    names = {rule["alert"] for group in groups for rule in group["rules"]}
    assert DRIFT_ALERTS | {"LoanDefaultCalibrationDrift"} <= names


def test_rule_unit_tests_pass():
    """Given gauges, which alerts fire with which labels: the watch band, the
    estimated AUC drop and a realised figure outside its interval."""
    result = subprocess.run(
        [_binary("promtool"), "test", "rules", "alerts_test.yml"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=RULES.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_refuses_a_broken_rule(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n"
        "      - alert: Broken\n        expr: loan_default_score_psi >=\n"
    )
    result = subprocess.run(
        [_binary("promtool"), "check", "rules", str(broken)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0


def _gauges(batch_shift: float) -> str:
    """The monitoring job's export for a batch against the reference, through the
    pipeline's own node and the project's parameters."""
    params = project_parameters()["monitoring"]
    reference = scored_frame(20_000, seed=0)
    batch = scored_frame(5_000, seed=1 if not batch_shift else 2, shift=batch_shift)
    outputs = library_outputs(reference, batch, params, contributions=False)
    return export_prometheus(
        metrics=outputs["metrics"],
        alerts=outputs["alerts"],
        context={"batch_rows": len(batch)},
        psi=params["psi"],
        null_share_jump=params["null_share_jump"],
        estimated=params["estimated_performance"],
    )


def _publish(folder: Path, text: str) -> None:
    """As the daily job does: write a temporary name, then rename."""
    temporary = folder / f"{TEXTFILE}.tmp"
    temporary.write_text(text)
    temporary.replace(folder / TEXTFILE)


@contextmanager
def _process(command: list[str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


class Prometheus:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: str):
        try:
            response = httpx.get(f"{self.url}{path}", params=params, timeout=5)
        except httpx.TransportError:
            return None
        return response.json()["data"] if response.status_code == 200 else None

    def query(self, expression: str) -> list[dict]:
        data = self.get("/api/v1/query", query=expression)
        return data["result"] if data else []

    def firing(self) -> list[dict]:
        data = self.get("/api/v1/alerts")
        return [a for a in (data or {"alerts": []})["alerts"] if a["state"] == "firing"]


@pytest.fixture(scope="module")
def stack(saved_champion, tmp_path_factory) -> Iterator[tuple[Prometheus, Path, str]]:
    """The API, a node exporter with a textfile folder and Prometheus scraping both
    every second and evaluating the shipped rules every second."""
    prometheus, node_exporter = (
        _binary("prometheus"),
        _binary("prometheus-node-exporter"),
    )
    folder = tmp_path_factory.mktemp("prometheus")
    textfiles = folder / "textfile"
    textfiles.mkdir()
    node_port, prometheus_port = free_port(), free_port()
    with running_server(saved_champion, folder / "api.log") as api:
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {
                    "job_name": "loan_default_api",
                    "static_configs": [{"targets": [api.url.removeprefix("http://")]}],
                },
                {
                    "job_name": "node",
                    "static_configs": [{"targets": [f"127.0.0.1:{node_port}"]}],
                },
            ],
        }
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        exporter = [
            node_exporter,
            f"--web.listen-address=127.0.0.1:{node_port}",
            "--collector.disable-defaults",
            "--collector.textfile",
            f"--collector.textfile.directory={textfiles}",
        ]
        server = [
            prometheus,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ]
        with (
            _process(exporter, folder / "node_exporter.log"),
            _process(server, folder / "prometheus.log"),
        ):
            client = Prometheus(prometheus_port)
            # Both targets up: the API's /metrics and the textfile collector.
            _wait_for(lambda: len(client.query("up == 1")) == 2, "both targets up", 60)
            yield client, textfiles, api.url


def _drift_alerts(client: Prometheus) -> list[dict]:
    return [a for a in client.firing() if a["labels"]["alertname"] in DRIFT_ALERTS]


def test_drift_alerts_stay_quiet_on_an_undrifted_batch_then_fire_on_a_drifted_one(
    stack,
):
    client, textfiles, _ = stack
    assert client.query('loan_default_api_model_info{job="loan_default_api"}')
    _publish(textfiles, _gauges(batch_shift=0.0))
    _wait_for(lambda: client.query("loan_default_batch_rows"), "the first batch")
    # The rules have been evaluated on the undrifted gauges a few times.
    _wait_for(
        lambda: client.query("count_over_time(loan_default_score_psi[1m]) >= 4"),
        "several evaluations",
    )
    assert client.query(
        'loan_default_threshold{check="psi", severity="act"} == 0.25'
    ), "the parameters' thresholds are exported beside the gauges"
    assert _drift_alerts(client) == []

    _publish(textfiles, _gauges(batch_shift=1.0))
    firing = _wait_for(
        lambda: (
            {
                (a["labels"]["alertname"], a["labels"].get("feature", ""))
                for a in _drift_alerts(client)
            }
            >= {
                ("LoanDefaultFeatureDriftAct", "num_00"),
                ("LoanDefaultScoreDriftAct", ""),
            }
            and _drift_alerts(client)
        ),
        "the drift alerts",
    )
    drifted = {
        a["labels"].get("feature")
        for a in firing
        if a["labels"]["alertname"] == "LoanDefaultFeatureDriftAct"
    }
    assert "num_00" in drifted
    assert all(a["labels"]["severity"] == "act" for a in firing)


def test_the_api_metrics_the_dashboard_reads_are_scraped(stack):
    client, _, api = stack
    assert httpx.get(f"{api}/ready", timeout=5).status_code == 200
    _wait_for(
        lambda: client.query("loan_default_api_request_duration_seconds_bucket"),
        "the API's latency histogram",
    )
    assert client.query("loan_default_api_requests_total")
