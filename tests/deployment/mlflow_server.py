"""A real ``mlflow server`` on a project's own database, on 127.0.0.1.

Shared by the server test and ``scripts/make_docs_images.py`` (the README's
screenshot of the MLflow UI).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mlflow_server(project: Path, log: Path) -> Iterator[str]:
    """``mlflow server`` on ``project``'s data/mlflow.db; yield its base URL."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    database = f"sqlite:///{project / 'data' / 'mlflow.db'}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(mlflow),
                "server",
                "--backend-store-uri",
                database,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=project,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers stop with it
            env={**os.environ, "MLFLOW_TRACKING_URI": database},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"mlflow server not up in time:\n{log.read_text()[-3000:]}")
