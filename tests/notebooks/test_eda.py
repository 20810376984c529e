"""The EDA notebook: committed without outputs, reads data only through the catalog,
and runs top to bottom on a small generated data set in a copy of the project."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.project import PROJECT_ROOT, kedro_run, make_project_copy

NOTEBOOK = PROJECT_ROOT / "notebooks" / "eda.ipynb"
SMALL_DATA = "synthetic_n_applications=3000"
SECTIONS = 8
CONCLUSION = "**For the pipeline:**"
CELL_TIMEOUT_SECONDS = 300
KERNEL_NAME = "loan-default-tests"
# Reading a file by path would bypass the catalog, and with it the real/synthetic switch.
PATH_READS = re.compile(r"read_(csv|parquet|json|pickle)|data/0\d_|open\(")


def committed_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """Code cells that carry outputs or an execution count."""
    return [
        f"cell {index}: {len(cell.outputs)} output(s), "
        f"execution_count {cell.execution_count}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]


def path_reads(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {index}: {match.group(0)!r}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for match in PATH_READS.finditer(cell.source)
    ]


def project_kernel(directory: Path) -> KernelManager:
    """A kernel running this interpreter, whatever kernels the user has installed."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f"]
                + ["{connection_file}"],
                "display_name": "loan-default tests",
                "language": "python",
            }
        )
    )
    specs = KernelSpecManager(kernel_dirs=[str(directory / "kernels")])
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def execute(notebook_path: Path) -> nbformat.NotebookNode:
    """Run every cell in the notebook's folder."""
    notebook = nbformat.read(notebook_path, as_version=4)
    NotebookClient(
        notebook,
        km=project_kernel(notebook_path.parent / ".kernel"),
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    ).execute(env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"})
    return notebook


def conclusions(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        output["data"]["text/markdown"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if CONCLUSION in output.get("data", {}).get("text/markdown", "")
    ]


def copy_notebook_into(project: Path) -> Path:
    (project / "notebooks").mkdir()
    return Path(shutil.copy(NOTEBOOK, project / "notebooks" / NOTEBOOK.name))


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert committed_outputs(notebook) == [], (
        f"{NOTEBOOK.name} is committed with outputs; clear them before committing "
        "(e.g. jupyter nbconvert --clear-output --inplace notebooks/eda.ipynb)"
    )


def test_output_check_catches_an_executed_cell():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("1 + 1"),
            nbformat.v4.new_code_cell(
                "2 + 2",
                execution_count=3,
                outputs=[
                    nbformat.v4.new_output(
                        "execute_result", {"text/plain": "4"}, execution_count=3
                    )
                ],
            ),
        ]
    )
    assert committed_outputs(notebook) == ["cell 1: 1 output(s), execution_count 3"]


def test_notebook_reads_data_only_through_the_catalog():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert path_reads(notebook) == []
    sources = "\n".join(cell.source for cell in notebook.cells)
    assert "%load_ext kedro.ipython" in sources
    assert 'catalog.load("params:cleaning")' in sources


def test_path_check_catches_a_direct_file_read():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                'pd.read_parquet("data/02_intermediate/application.parquet")'
            )
        ]
    )
    assert path_reads(notebook) == [
        "cell 0: 'read_parquet'",
        "cell 0: 'data/02_'",
    ]


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_after_data_engineering(tmp_path):
    project = make_project_copy(tmp_path)
    run = kedro_run(project, "--pipelines", "data_engineering", "--params", SMALL_DATA)
    assert run.returncode == 0, run.stderr[-3000:]

    notebook = execute(copy_notebook_into(project))

    sentences = conclusions(notebook)
    assert len(sentences) == SECTIONS, sentences
    assert all(re.search(r"\d", sentence) for sentence in sentences), sentences
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures >= SECTIONS


@pytest.mark.slow
def test_notebook_says_what_to_run_when_data_engineering_has_not_run(tmp_path):
    project = make_project_copy(tmp_path)
    notebook_path = copy_notebook_into(project)

    with pytest.raises(CellExecutionError) as error:
        execute(notebook_path)

    message = str(error.value)
    assert "kedro run --pipelines data_engineering" in message
    assert "application_validated" in message
