"""The modelling and reporting namespaces come from the run's own configuration: the
env, conf source and --params of the session, read by the project context."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kedro.framework.project import configure_project
from kedro.framework.project import pipelines as project_pipelines
from kedro.framework.session import KedroSession

from loan_default import pipeline_registry
from loan_default.context import ProjectContext
from loan_default.pipeline_registry import (
    DEFAULT_PIPELINES,
    PIPELINES,
    RunConfigurationMissingError,
    register_pipelines,
    run_algorithms,
)
from loan_default.pipelines.modelling.algorithms import (
    PROMOTION_NAMESPACE,
    AlgorithmConfigError,
)
from tests.project import PROJECT_ROOT, kedro_run, make_project_copy

BASE = ["xgboost", "xgboost_monotone", "random_forest", "decision_tree", "scorecard"]
TREE = {
    "estimator": "sklearn.tree.DecisionTreeClassifier",
    "hyperparameters": {"max_depth": 3},
    "class_imbalance": "balanced",
}


def namespaces(pipeline) -> set[str]:
    """The algorithm namespaces (the promotion gate's aside)."""
    found = {node.namespace.split(".")[0] for node in pipeline.nodes if node.namespace}
    return found - {PROMOTION_NAMESPACE}


def write_env(conf: Path, env: str, algorithms: dict) -> None:
    folder = conf / env
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"algorithms": algorithms}, sort_keys=False)
    (folder / "parameters_modelling.yml").write_text(text)


def with_fourth_block() -> dict:
    """The base blocks and a small tree: an environment replaces `algorithms` whole."""
    base = yaml.safe_load(
        (PROJECT_ROOT / "conf" / "base" / "parameters_modelling.yml").read_text()
    )
    return {**base["algorithms"], "shallow_tree": TREE}


@pytest.fixture
def fresh_registry(monkeypatch):
    """No run's configuration recorded yet, and Kedro's registry not loaded."""
    monkeypatch.setattr(pipeline_registry, "_run_algorithms", None)
    configure_project("loan_default")
    yield
    configure_project("loan_default")


@pytest.fixture
def project(tmp_path):
    return make_project_copy(tmp_path)


def load_context(project, **session_arguments) -> ProjectContext:
    session = KedroSession.create(project_path=project, **session_arguments)
    with session:
        return session.load_context()


def test_given_names_make_the_namespaces():
    pipelines = register_pipelines(algorithms=["b_tree", "a_tree"])

    assert set(pipelines) == {*PIPELINES, "__default__"}
    assert namespaces(pipelines["modelling"]) == {"a_tree", "b_tree"}
    assert namespaces(pipelines["reporting"]) == {"a_tree", "b_tree"}
    assert "params:algorithms.b_tree" in pipelines["__default__"].inputs()
    default_nodes = set(pipelines["__default__"].nodes)
    assert default_nodes == {
        node for name in DEFAULT_PIPELINES for node in pipelines[name].nodes
    }


def test_without_a_context_the_registry_says_what_to_do(fresh_registry):
    with pytest.raises(RunConfigurationMissingError, match=r"KedroSession"):
        register_pipelines()


def test_the_context_records_the_blocks_of_its_env(fresh_registry, project):
    write_env(project / "conf", "exp", with_fourth_block())

    context = load_context(project, env="exp")

    assert isinstance(context, ProjectContext)
    assert run_algorithms() == (*BASE, "shallow_tree")
    assert namespaces(project_pipelines["modelling"]) == {*BASE, "shallow_tree"}
    assert namespaces(project_pipelines["reporting"]) == {*BASE, "shallow_tree"}


def test_a_conf_source_outside_the_project_is_read(fresh_registry, project, tmp_path):
    conf = tmp_path / "deployed_conf"
    write_env(conf, "base", {"only_tree": TREE})
    (conf / "local").mkdir()

    load_context(project, conf_source=str(conf))

    assert namespaces(project_pipelines["modelling"]) == {"only_tree"}


def test_runtime_params_reach_the_registry(fresh_registry, project):
    load_context(project, runtime_params={"algorithms": {"param_tree": TREE}})

    assert run_algorithms() == (*BASE, "param_tree")


def test_another_env_in_the_same_process_rebuilds_the_registry(fresh_registry, project):
    write_env(project / "conf", "exp", with_fourth_block())
    load_context(project)
    project_pipelines.set_requested(["modelling"])
    assert namespaces(project_pipelines["modelling"]) == set(BASE)

    load_context(project, env="exp")

    assert namespaces(project_pipelines["modelling"]) == {*BASE, "shallow_tree"}
    # What the run asked for (`--pipelines`) is kept.
    assert project_pipelines._requested_pipelines == ["modelling"]


@pytest.mark.parametrize(
    ("algorithms", "message"),
    [
        ({}, r"no 'algorithms:' mapping"),
        ({"bad-name": TREE}, r"'bad-name' must be a Python identifier"),
        ({"promotion": TREE}, r"'promotion' is the promotion gate's namespace"),
    ],
)
def test_a_bad_algorithms_mapping_fails_when_the_context_is_made(
    fresh_registry, project, algorithms, message
):
    write_env(project / "conf", "exp", algorithms)
    with pytest.raises(AlgorithmConfigError, match=message):
        load_context(project, env="exp")


@pytest.mark.slow
def test_kedro_run_env_trains_the_algorithm_its_env_adds(project):
    write_env(project / "conf", "exp", with_fourth_block())

    result = kedro_run(
        project,
        "--env",
        "exp",
        "--pipelines",
        "data_engineering,modelling",
        "--params",
        "synthetic_n_applications=3000",
    )

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for name in (*BASE, "shallow_tree"):
        for layer in ("06_models", "07_model_output"):
            written = project / "data" / layer / name
            assert written.is_dir() and any(written.iterdir()), f"{written} is empty"
