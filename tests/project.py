"""A throw-away copy of the project (configuration only) for real ``kedro run``s."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kedro.config import OmegaConfigLoader

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_LAYERS = (
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)


def make_project_copy(destination: Path) -> Path:
    """Copy pyproject.toml and conf/base into ``destination`` with empty data layers."""
    shutil.copy(PROJECT_ROOT / "pyproject.toml", destination / "pyproject.toml")
    shutil.copytree(PROJECT_ROOT / "conf" / "base", destination / "conf" / "base")
    (destination / "conf" / "local").mkdir(parents=True)
    # Kedro wants the source folder to exist; the installed package is what runs.
    (destination / "src").mkdir()
    for layer in DATA_LAYERS:
        (destination / "data" / layer).mkdir(parents=True)
    return destination


def kedro_command(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run ``kedro <arguments>`` in ``project`` as a user would; capture its output."""
    kedro = Path(sys.executable).with_name("kedro")
    return subprocess.run(
        [str(kedro), *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "COLUMNS": "200"},
        check=False,
        timeout=600,
    )


def kedro_run(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """``kedro run <arguments>`` in ``project``."""
    return kedro_command(project, "run", *arguments)


def project_parameters() -> dict:
    """The project's parameters as ``kedro run`` sees them in the base environment."""
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )
    return loader["parameters"]
