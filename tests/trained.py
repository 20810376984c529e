"""A small trained project copy, and what the crash tests compare before and after."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kedro.config import OmegaConfigLoader

from tests.project import DATA_LAYERS, kedro_run, make_project_copy

SMALL = ("--params", "synthetic_n_applications=3000")


def train_project(destination: Path) -> Path:
    """A project copy after one successful, small ``kedro run``."""
    project = make_project_copy(destination)
    result = kedro_run(project, *SMALL)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


def copy_project(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    return destination


def data_snapshot(project: Path) -> dict[str, str]:
    """Every file of the data layers with its SHA-256 (the lock and staging aside)."""
    snapshot = {}
    for layer in DATA_LAYERS:
        for path in sorted((project / "data" / layer).rglob("*")):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                snapshot[str(path.relative_to(project))] = digest
    return snapshot


def catalog_filepath(project: Path, dataset: str) -> Path:
    loader = OmegaConfigLoader(
        str(project / "conf"), base_env="base", default_run_env="local"
    )
    return project / loader["catalog"][dataset]["filepath"]


def versions(folder: Path) -> list[str]:
    """A versioned dataset's version folder names, oldest first."""
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


@dataclass
class BackgroundRun:
    """A ``kedro run`` started in the background; its output goes to two files.

    Files, not pipes: a run whose pipe nobody reads would block on its own logging.
    """

    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess:
        self.process.wait(timeout=timeout)
        return subprocess.CompletedProcess(
            self.process.args,
            self.process.returncode,
            self.stdout_path.read_text(),
            self.stderr_path.read_text(),
        )


def start_kedro_run(
    project: Path, *arguments: str, env: dict[str, str] | None = None
) -> BackgroundRun:
    """``kedro run <arguments>`` in ``project``, started, not waited for."""
    kedro = Path(sys.executable).with_name("kedro")
    logs = Path(tempfile.mkdtemp(prefix="kedro-run-", dir=project.parent))
    stdout_path, stderr_path = logs / "stdout", logs / "stderr"
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(kedro), "run", *arguments],
            cwd=project,
            stdout=stdout,
            stderr=stderr,
            env={
                **os.environ,
                "KEDRO_DISABLE_TELEMETRY": "1",
                "COLUMNS": "200",
                **(env or {}),
            },
        )
    return BackgroundRun(process, stdout_path, stderr_path)


def run_with(
    project: Path, env: dict[str, str], *arguments: str
) -> subprocess.CompletedProcess:
    """``kedro run`` with extra environment variables, waited for."""
    return start_kedro_run(project, *arguments, env=env).result()
