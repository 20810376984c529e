"""The committed Airflow DAGs: regenerated identically by kedro-airflow, covering
their pipelines' nodes once each, ordered by data, and passing no in-memory dataset
from one task to another (each task is its own Kedro session)."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline

from loan_default.pipeline_registry import register_pipelines
from tests.project import PROJECT_ROOT, project_parameters

DAGS_FOLDER = PROJECT_ROOT / "airflow" / "dags"
GENERATOR = PROJECT_ROOT / "airflow" / "generate_dags.sh"
# DAG file -> the registered pipelines its tasks must cover together.
DAG_PIPELINES = {
    "loan_default_modelling_dag.py": ("__default__",),
    "loan_default_monitoring_dag.py": ("scoring", "monitoring"),
}


class DagLayoutError(AssertionError):
    """A DAG's tasks do not run their pipelines correctly as separate sessions."""


@dataclass(frozen=True)
class DagLayout:
    """What a generated DAG file declares: task id -> session.run arguments, and
    task id -> the task ids it waits for."""

    tasks: dict[str, dict]
    upstream_tasks: dict[str, list[str]]


def read_dag_layout(path: Path) -> DagLayout:
    """Read TASKS and UPSTREAM_TASKS from a DAG file without importing Airflow."""
    values = {}
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id in (
                "TASKS",
                "UPSTREAM_TASKS",
            ):
                values[target.id] = ast.literal_eval(statement.value)
    missing = {"TASKS", "UPSTREAM_TASKS"} - values.keys()
    if missing:
        raise DagLayoutError(f"{path.name}: no literal {sorted(missing)} found")
    return DagLayout(values["TASKS"], values["UPSTREAM_TASKS"])


def task_nodes(pipelines: dict[str, Pipeline], run_arguments: dict) -> set[str]:
    """The node names one task runs, filtered the way KedroSession.run filters."""
    combined = sum(
        (pipelines[name] for name in run_arguments["pipeline_names"]), Pipeline([])
    )
    sliced = combined.filter(
        node_names=run_arguments.get("node_names"),
        node_namespaces=run_arguments.get("namespaces"),
    )
    return {node.name for node in sliced.nodes}


def is_in_memory(catalog: DataCatalog, dataset: str) -> bool:
    return dataset not in catalog or isinstance(catalog.get(dataset), MemoryDataset)


def task_order(name: str, layout: DagLayout) -> dict[str, set[str]]:
    """Each task's ancestors; fails on unknown task ids and on cycles."""
    unknown = {
        task_id
        for task, upstreams in layout.upstream_tasks.items()
        for task_id in [task, *upstreams]
        if task_id not in layout.tasks
    }
    if unknown:
        raise DagLayoutError(f"{name}: dependencies name unknown tasks {unknown}")
    try:
        graph = {task: layout.upstream_tasks.get(task, []) for task in layout.tasks}
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise DagLayoutError(
            f"{name}: tasks wait for each other: {error.args[1]}"
        ) from error
    ancestors: dict[str, set[str]] = {}
    for task in order:
        direct = set(layout.upstream_tasks.get(task, ()))
        ancestors[task] = direct.union(*(ancestors[up] for up in direct))
    return ancestors


def node_owners(
    name: str, layout: DagLayout, covered: Pipeline, pipelines: dict[str, Pipeline]
) -> dict[str, str]:
    """Node name -> the one task that runs it; fails on nodes run twice or never."""
    owner: dict[str, str] = {}
    for task, run_arguments in layout.tasks.items():
        nodes = task_nodes(pipelines, run_arguments)
        if not nodes:
            raise DagLayoutError(f"{name}: task {task} runs no node")
        twice = {node: owner[node] for node in nodes if node in owner}
        if twice:
            raise DagLayoutError(f"{name}: task {task} reruns nodes {twice}")
        owner.update(dict.fromkeys(nodes, task))
    expected = {node.name for node in covered.nodes}
    if set(owner) != expected:
        raise DagLayoutError(
            f"{name}: nodes not run: {sorted(expected - set(owner))}; "
            f"nodes outside its pipelines: {sorted(set(owner) - expected)}"
        )
    return owner


def check_dag_layout(
    name: str,
    layout: DagLayout,
    covered: Pipeline,
    pipelines: dict[str, Pipeline],
    catalog: DataCatalog,
) -> None:
    """Raise ``DagLayoutError`` naming the DAG, task and dataset of each fault."""
    ancestors = task_order(name, layout)
    owner = node_owners(name, layout, covered, pipelines)
    producer = {output: node.name for node in covered.nodes for output in node.outputs}
    for node in covered.nodes:
        for dataset in set(node.inputs) & producer.keys():
            source, sink = owner[producer[dataset]], owner[node.name]
            if source == sink:
                continue
            if is_in_memory(catalog, dataset):
                raise DagLayoutError(
                    f"{name}: in-memory dataset {dataset!r} passes from task "
                    f"{source} to task {sink}: persist it in the catalog or run "
                    "both nodes in one task"
                )
            if source not in ancestors[sink]:
                raise DagLayoutError(
                    f"{name}: task {sink} reads {dataset!r} but does not wait "
                    f"for task {source}, which writes it"
                )


@pytest.fixture(scope="module")
def pipelines() -> dict[str, Pipeline]:
    configure_project("loan_default")
    # The namespaces of the configuration the DAGs are generated from.
    return register_pipelines(algorithms=list(project_parameters()["algorithms"]))


@pytest.fixture(scope="module")
def catalog() -> DataCatalog:
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base"
    )
    return DataCatalog.from_config(loader["catalog"])


def covered_pipeline(pipelines, names) -> Pipeline:
    return sum((pipelines[name] for name in names), Pipeline([]))


@pytest.mark.parametrize("dag_file", sorted(DAG_PIPELINES))
def test_committed_dag_runs_its_pipelines_as_separate_sessions(
    dag_file, pipelines, catalog
):
    layout = read_dag_layout(DAGS_FOLDER / dag_file)
    covered = covered_pipeline(pipelines, DAG_PIPELINES[dag_file])
    check_dag_layout(dag_file, layout, covered, pipelines, catalog)


def test_training_dag_trains_each_algorithm_in_its_own_task(pipelines):
    layout = read_dag_layout(DAGS_FOLDER / "loan_default_modelling_dag.py")
    algorithms = {
        node.namespace.split(".")[0]
        for node in pipelines["modelling"].nodes
        if node.namespace and node.namespace != "promotion"
    }
    parallel = {
        task
        for task, upstream in layout.upstream_tasks.items()
        if upstream == ["data-engineering"]
    }
    assert {a.replace("_", "-") for a in algorithms} == parallel
    # Reporting comes last, after every algorithm (through the champion's tasks).
    assert parallel <= task_order("training", layout)["reporting"]
    assert not any("reporting" in ups for ups in layout.upstream_tasks.values())
    # The promotion gate and the registration are one task, after the champion.
    assert "build-champion-model" in layout.upstream_tasks["promotion"]
    assert "promotion" in task_order("training", layout)["reporting"]


def test_layout_check_rejects_an_in_memory_dataset_between_tasks(pipelines):
    covered = covered_pipeline(pipelines, ("scoring", "monitoring"))
    layout = read_dag_layout(DAGS_FOLDER / "loan_default_monitoring_dag.py")
    nothing_persisted = DataCatalog()  # every dataset between tasks is in memory
    with pytest.raises(DagLayoutError, match=r"in-memory dataset '\w+' passes from"):
        check_dag_layout("in-memory", layout, covered, pipelines, nothing_persisted)


def test_layout_check_rejects_a_task_not_waiting_for_its_input(pipelines, catalog):
    covered = covered_pipeline(pipelines, ("scoring", "monitoring"))
    layout = read_dag_layout(DAGS_FOLDER / "loan_default_monitoring_dag.py")
    unordered = DagLayout(layout.tasks, {})
    with pytest.raises(DagLayoutError, match=r"reads '\w+' but does not wait for task"):
        check_dag_layout("unordered", unordered, covered, pipelines, catalog)


def test_layout_check_rejects_a_missing_node_and_a_cycle(pipelines, catalog):
    covered = covered_pipeline(pipelines, ("scoring", "monitoring"))
    layout = read_dag_layout(DAGS_FOLDER / "loan_default_monitoring_dag.py")
    without_alerts = DagLayout(
        {k: v for k, v in layout.tasks.items() if k != "check-act-alerts"},
        {k: v for k, v in layout.upstream_tasks.items() if k != "check-act-alerts"},
    )
    with pytest.raises(DagLayoutError, match=r"nodes not run: \['check_act_alerts'\]"):
        check_dag_layout("partial", without_alerts, covered, pipelines, catalog)
    cyclic = DagLayout(
        layout.tasks, {**layout.upstream_tasks, "scoring": ["check-act-alerts"]}
    )
    with pytest.raises(DagLayoutError, match="tasks wait for each other"):
        check_dag_layout("cyclic", cyclic, covered, pipelines, catalog)


def test_read_dag_layout_names_the_file_without_tasks(tmp_path):
    not_a_dag = tmp_path / "not_a_dag.py"
    not_a_dag.write_text("TASKS = {}\n")
    with pytest.raises(DagLayoutError, match=r"not_a_dag.py: .*UPSTREAM_TASKS"):
        read_dag_layout(not_a_dag)


@pytest.mark.skipif(
    importlib.util.find_spec("kedro_airflow") is None,
    reason="kedro-airflow is not installed (pip install -e '.[dev]')",
)
def test_committed_dags_are_what_kedro_airflow_generates(tmp_path):
    bin_folder = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["bash", str(GENERATOR), str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": bin_folder + os.pathsep + os.environ.get("PATH", ""),
            "KEDRO_DISABLE_TELEMETRY": "1",
        },
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    generated = {path.name: path.read_text() for path in tmp_path.glob("*.py")}
    committed = {path.name: path.read_text() for path in DAGS_FOLDER.glob("*.py")}
    assert sorted(generated) == sorted(committed) == sorted(DAG_PIPELINES)
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, f"regenerate with airflow/generate_dags.sh: {stale} differ"


def test_every_environment_variable_of_the_dags_is_documented():
    variables = {
        variable
        for path in DAGS_FOLDER.glob("*.py")
        for variable in re.findall(
            r"\b(?:LOAN_DEFAULT_\w+|KEDRO_ENV)\b", path.read_text()
        )
    }
    assert "LOAN_DEFAULT_PROJECT_PATH" in variables
    for guide in (
        PROJECT_ROOT / "docs" / "deployment.md",
        DAGS_FOLDER.parent / "README.md",
    ):
        undocumented = {v for v in variables if f"`{v}`" not in guide.read_text()}
        assert not undocumented, f"{guide.name} does not mention {undocumented}"
