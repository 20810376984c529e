"""The GitHub Actions workflow: valid YAML of the expected shape, running the
project's own commands and scripts."""

from __future__ import annotations

import shlex

import pytest
import yaml

from tests.project import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
JOBS = {"lint", "test", "benchmark", "docker", "airflow"}


class WorkflowError(AssertionError):
    """The workflow file lacks something CI needs."""


def load_workflow(text: str) -> dict:
    workflow = yaml.safe_load(text)
    if not isinstance(workflow, dict):
        raise WorkflowError("ci.yml: not a mapping of workflow keys")
    # YAML 1.1 reads a bare `on` key as the boolean true.
    triggers = workflow.get("on", workflow.get(True))
    if not triggers or not {"push", "pull_request"} <= set(triggers):
        raise WorkflowError(f"ci.yml: `on` must list push and pull_request: {triggers}")
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise WorkflowError("ci.yml: no `jobs` mapping")
    for name, job in jobs.items():
        if "runs-on" not in job:
            raise WorkflowError(f"ci.yml: job {name} has no `runs-on`")
        steps = job.get("steps")
        if not steps:
            raise WorkflowError(f"ci.yml: job {name} has no steps")
        for index, step in enumerate(steps):
            if ("uses" in step) == ("run" in step):
                raise WorkflowError(
                    f"ci.yml: job {name}, step {index} needs exactly one of "
                    f"`uses` and `run`: {step}"
                )
    return workflow


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load_workflow(WORKFLOW.read_text())


def run_lines(job: dict) -> list[str]:
    return [
        line.strip()
        for step in job["steps"]
        if "run" in step
        for line in step["run"].splitlines()
        if line.strip()
    ]


def test_workflow_has_every_job(workflow):
    assert set(workflow["jobs"]) == JOBS


def test_python_jobs_use_python_3_11_with_a_pip_cache(workflow):
    for name, job in workflow["jobs"].items():
        setups = [
            s
            for s in job["steps"]
            if s.get("uses", "").startswith("actions/setup-python@")
        ]
        if name == "docker":
            assert not setups
            continue
        assert len(setups) == 1, name
        assert setups[0]["with"]["python-version"] == "3.11"
        assert setups[0]["with"]["cache"] == "pip"


def test_jobs_run_the_project_commands(workflow):
    jobs = workflow["jobs"]
    assert run_lines(jobs["lint"])[-2:] == ["ruff check .", "ruff format --check ."]
    assert 'pip install -e ".[dev]"' in run_lines(jobs["test"])
    assert run_lines(jobs["test"])[-1] == "pytest"
    assert "docker build -t loan-default ." in run_lines(jobs["docker"])
    assert "docker run --rm loan-default" in run_lines(jobs["docker"])


def test_ruff_version_matches_pyproject(workflow):
    pin = next(
        line.strip().strip('",')
        for line in (PROJECT_ROOT / "pyproject.toml").read_text().splitlines()
        if line.strip().startswith('"ruff==')
    )
    assert any(pin in line for line in run_lines(workflow["jobs"]["lint"]))


def test_scripts_the_workflow_calls_exist_and_are_executable(workflow):
    called = [
        word
        for job in workflow["jobs"].values()
        for line in run_lines(job)
        for word in shlex.split(line)
        if word.startswith(("scripts/", "benchmarks/"))
    ]
    assert called
    for path in map(PROJECT_ROOT.joinpath, called):
        assert path.is_file(), path
        if path.suffix == ".sh":
            assert path.stat().st_mode & 0o111, f"{path} is not executable"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list", "not a mapping"),
        ("on: [push]\njobs: {a: {runs-on: x, steps: [{run: ls}]}}", "pull_request"),
        ("on: [push, pull_request]\njobs: {}", "no `jobs`"),
        (
            "on: [push, pull_request]\njobs: {a: {steps: [{run: ls}]}}",
            "job a has no `runs-on`",
        ),
        (
            "on: [push, pull_request]\njobs: {a: {runs-on: x, steps: [{name: s}]}}",
            "job a, step 0 needs exactly one",
        ),
    ],
)
def test_load_workflow_names_what_is_missing(text, message):
    with pytest.raises(WorkflowError, match=message):
        load_workflow(text)
