"""The project as it is deployed: `kedro package` builds a wheel and a configuration
tarball; installed (not editable) in a fresh virtualenv, the package runs from a
folder that holds nothing but data/, and so do the Airflow DAG's tasks. The modelling
namespaces come from that configuration, not from a conf/ beside the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from kedro.utils import find_kedro_project

from tests.project import DATA_LAYERS, PROJECT_ROOT, kedro_command, project_parameters

SMALL_RUN = ("--params", "synthetic_n_applications=3000")
TRAINING_DAG = PROJECT_ROOT / "airflow" / "dags" / "loan_default_modelling_dag.py"

# Runs two tasks of a DAG file the way an Airflow worker would, with airflow.sdk
# replaced by stand-ins that only record the DAG's wiring.
RUN_DAG_TASKS = """
import importlib.util, json, sys, types

class Task:
    def __init__(self, function):
        self.function = function
    def override(self, **_):
        return lambda **_: self
    def __rshift__(self, other):
        return other

sdk = types.ModuleType("airflow.sdk")
sdk.task = Task
sdk.dag = lambda **_: lambda function: function
sys.modules["airflow"] = types.ModuleType("airflow")
sys.modules["airflow.sdk"] = sdk

dag_file, runtime_params, *task_ids = sys.argv[1:]
spec = importlib.util.spec_from_file_location("dag", dag_file)
dag = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag)
dag.RUNTIME_PARAMS.update(json.loads(runtime_params))
for task_id in task_ids:
    dag.run_kedro.function(**dag.TASKS[task_id])
"""


def data_folder(path: Path) -> Path:
    for layer in DATA_LAYERS:
        (path / "data" / layer).mkdir(parents=True)
    return path


def without_the_source(environment: dict) -> dict:
    # Nothing may reach the source tree: the installed wheel is what runs.
    return {
        **{k: v for k, v in environment.items() if k != "PYTHONPATH"},
        "KEDRO_DISABLE_TELEMETRY": "1",
        "COLUMNS": "200",
    }


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=without_the_source({**os.environ, **env}),
        check=False,
        timeout=300,
    )


def output_of(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr)[-4000:]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict[str, Path]:
    """The wheel and conf tarball of `kedro package`, and a virtualenv with the
    wheel installed."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    shutil.copytree(
        PROJECT_ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    shutil.copytree(PROJECT_ROOT / "conf" / "base", source / "conf" / "base")
    (source / "conf" / "local").mkdir()
    result = kedro_command(source, "package")
    assert result.returncode == 0, output_of(result)
    wheel = next((source / "dist").glob("loan_default-*.whl"))
    conf = source / "dist" / "conf-loan_default.tar.gz"
    assert conf.is_file()

    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this interpreter's site-packages, added by a path
    # line (which, unlike `--system-site-packages`, also works from inside a venv
    # and does not process that folder's .pth files: no editable install leaks in).
    site_packages = Path(
        run(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            venv,
        ).stdout.strip()
    )
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site_packages / "project_dependencies.pth").write_text(
        "\n".join(sorted(dependencies)) + "\n"
    )
    install = run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
        venv,
    )
    assert install.returncode == 0, output_of(install)
    return {"python": python, "conf": conf, "site_packages": site_packages}


@pytest.mark.slow
def test_packaged_run_with_the_conf_tarball_completes_the_default_pipeline(
    packaged, tmp_path
):
    folder = data_folder(tmp_path / "deployment")
    assert find_kedro_project(folder) is None  # no project to fall back on
    where = run(
        [
            str(packaged["python"]),
            "-c",
            "import loan_default; print(loan_default.__file__)",
        ],
        folder,
    )
    assert where.stdout.startswith(str(packaged["site_packages"]))

    result = run(
        [
            str(packaged["python"]),
            "-m",
            "loan_default",
            f"--conf-source={packaged['conf']}",
            *SMALL_RUN,
        ],
        folder,
    )

    assert result.returncode == 0, output_of(result)
    assert (folder / "data" / "08_reporting" / "evaluation_report.md").is_file()
    for name in project_parameters()["algorithms"]:
        assert any((folder / "data" / "06_models" / name).iterdir())


@pytest.mark.slow
def test_airflow_dag_tasks_run_on_the_installed_package(packaged, tmp_path):
    project = data_folder(tmp_path / "project")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(PROJECT_ROOT / "conf" / "base", project / "conf" / "base")
    (project / "conf" / "local").mkdir()
    worker = tmp_path / "worker"  # the task's working folder is not the project
    worker.mkdir()
    script = tmp_path / "run_dag_tasks.py"
    script.write_text(RUN_DAG_TASKS)

    result = run(
        [
            str(packaged["python"]),
            str(script),
            str(TRAINING_DAG),
            '{"synthetic_n_applications": 3000}',
            "data-engineering",
            "decision-tree",
        ],
        worker,
        LOAN_DEFAULT_PROJECT_PATH=str(project),
    )

    assert result.returncode == 0, output_of(result)
    models = project / "data" / "06_models"
    assert any((models / "decision_tree").iterdir())
    assert not (models / "xgboost").exists()  # that is another task's namespace
