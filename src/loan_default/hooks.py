"""Project hooks: checks made before a pipeline runs, so that a run fails at once
with what to do instead of in the middle with a file-not-found traceback; the run
lock; and the staging of every file the run writes (see ``loan_default.staging``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline
from kedro_mlflow.framework.hooks import MlflowHook
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

from loan_default import faults
from loan_default.errors import ProjectError
from loan_default.model.registry import (
    MlflowModelRegistrationDataset,
    apply_pending_aliases,
)
from loan_default.pipeline_registry import register_pipelines
from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    as_algorithm_block,
)
from loan_default.run_lock import LOCK_FILE_NAME, RunLock, timeout_from_environment
from loan_default.staging import RunStaging, StagedOutput, recover
from loan_default.tracking import (
    TRACKING_VARIABLE,
    git_commit,
    log_reporting_artifacts,
    tracking_enabled,
)

logger = logging.getLogger(__name__)

PRODUCER_ORDER = ("data_engineering", "modelling", "reporting", "scoring", "monitoring")
"""Pipelines in the order they feed each other: the first that writes an input is
the one to run."""


class MissingInputsError(ProjectError, RuntimeError):
    """A dataset a run reads does not exist yet and nothing in the run writes it."""


def producer_of(dataset: str, pipelines: Mapping[str, Pipeline]) -> str | None:
    """The registered pipeline that writes ``dataset``, if any."""
    for name in PRODUCER_ORDER:
        pipeline = pipelines.get(name)
        if pipeline is not None and dataset in pipeline.all_outputs():
            return name
    return None


def _all_pipelines() -> dict[str, Pipeline]:
    # Every pipeline, whatever `kedro run --pipelines` asked for, with the namespaces
    # of the run's own algorithm blocks (recorded by the project context).
    return register_pipelines()


def check_inputs_exist(
    pipeline: Pipeline,
    catalog: Any,
    pipelines: Mapping[str, Pipeline] | Callable[[], Mapping[str, Pipeline]],
) -> None:
    """Raise ``MissingInputsError`` naming each absent input and the pipeline to run.

    ``pipelines`` (or a function returning them, called only when something is
    missing) are the registered pipelines, searched for the producer of each input.
    """
    missing = [
        name
        for name in sorted(pipeline.inputs())
        if not name.startswith("params:") and name != "parameters"
        if not catalog.exists(name)
    ]
    if not missing:
        return
    if callable(pipelines):
        pipelines = pipelines()
    by_producer: dict[str | None, list[str]] = {}
    for name in missing:
        by_producer.setdefault(producer_of(name, pipelines), []).append(name)
    advice = []
    for producer, names in by_producer.items():
        listed = ", ".join(names)
        if producer is None:
            advice.append(f"{listed}: not written by any pipeline of this project")
        else:
            advice.append(
                f"{listed}: written by the {producer} pipeline; run "
                f"`kedro run --pipelines {producer}` first (a bare `kedro run` runs "
                "data_engineering, modelling and reporting)"
            )
    raise MissingInputsError(
        "This run reads data that does not exist yet:\n  - " + "\n  - ".join(advice)
    )


def check_algorithm_blocks(pipeline: Pipeline, catalog: Any) -> None:
    """Validate every algorithm block the run uses against ``AlgorithmBlock``.

    Here rather than by typing fit_model's parameter as ``AlgorithmBlock``: Kedro
    would report pydantic's own error layout, and hand the node a model where it
    reads a mapping.
    """
    prefix = f"params:{ALGORITHMS_KEY}."
    for name in sorted(pipeline.inputs()):
        if name.startswith(prefix):
            as_algorithm_block(catalog.load(name), name.removeprefix(prefix))


class ProjectHooks:
    """Checks, run lock and staging around every ``kedro run``.

    ``run_lock_timeout`` is how long a run waits for another one to finish before it
    refuses (seconds; ``LOAN_DEFAULT_RUN_LOCK_TIMEOUT`` overrides it).
    """

    def __init__(self, run_lock_timeout: float = 0.0) -> None:
        self.run_lock_timeout = run_lock_timeout
        self._lock: RunLock | None = None
        self._staging: RunStaging | None = None
        self.committed: list[StagedOutput] = []
        """The outputs the last run committed, in their final place."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        data_root = Path(run_params["project_path"]) / "data"
        self._lock = RunLock(
            data_root / LOCK_FILE_NAME,
            timeout_from_environment(self.run_lock_timeout),
        )
        self._lock.acquire()
        try:
            # Kedro calls no error hook for a failure here: release the lock ourselves.
            check_algorithm_blocks(pipeline, catalog)
            check_inputs_exist(pipeline, catalog, _all_pipelines)
            recover(data_root)
            self._staging = RunStaging(data_root, run_params["run_id"])
            self._staging.stage(
                catalog,
                pipeline.all_outputs(),
                run_params["run_id"],
                run_params.get("load_versions"),
            )
        except BaseException:
            self._finish(commit=False)
            raise

    @hook_impl
    def after_dataset_saved(self, dataset_name: str) -> None:
        faults.after_save(dataset_name)

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._finish(commit=True)

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._finish(commit=False)

    def _finish(self, commit: bool) -> None:
        try:
            self.committed = []
            if self._staging is not None:
                if commit:
                    self._staging.commit()
                    self.committed = [
                        output
                        for output in self._staging.outputs
                        if output.final.exists()
                    ]
                else:
                    self._staging.discard()
        finally:
            self._staging = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None


class TrackingHooks:
    """Around kedro-mlflow's own hook: the on/off switch, and what is logged once
    the run's files are committed.

    Registered after kedro-mlflow's hook and before ``ProjectHooks`` (see
    ``settings.HOOKS``), so that it runs after ``ProjectHooks`` has committed the
    run and before kedro-mlflow closes the MLflow run.
    """

    def __init__(
        self, mlflow_hook: Any, project_hooks: ProjectHooks, default_env: str
    ) -> None:
        self.mlflow_hook = mlflow_hook
        self.project_hooks = project_hooks
        self.default_env = default_env

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        if not tracking_enabled():
            # kedro-mlflow's own switch: no MLflow run, and every Mlflow* dataset of
            # the catalog is switched off.
            names = run_params.get("pipeline_names") or ["__default__"]
            self.mlflow_hook.mlflow_config.tracking.disable_tracking.pipelines = list(
                names
            )
            logger.info("Tracking is off (%s=off)", TRACKING_VARIABLE)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], catalog: Any) -> None:
        run = mlflow.active_run()
        if run is None:
            return
        project_path = Path(run_params["project_path"])
        mlflow.set_tag("kedro_env", run_params.get("env") or self.default_env)
        commit = git_commit(project_path)
        if commit is not None:
            mlflow.set_tag("git_commit", commit)
        log_reporting_artifacts(
            self.project_hooks.committed, project_path / "data" / "08_reporting"
        )
        for _, dataset in catalog.items():
            if isinstance(dataset, MlflowModelRegistrationDataset):
                apply_pending_aliases(dataset.model_name, run.info.run_id)


def _parameter_inputs(inputs: Mapping[str, Any]) -> set[str]:
    return {
        name for name in inputs if name.startswith("params:") or name == "parameters"
    }


class OnceMlflowHook(MlflowHook):
    """kedro-mlflow's hook, logging each parameter once per run, in one batch per
    node.

    Its ``before_node_run`` reopens the MLflow run and logs every parameter the
    node reads, for each node: the same blocks again for every namespace, and a
    database round trip per parameter. Here a node with no parameter new to the
    run leaves the run as it is, so each parameter is logged once, and a node's
    new parameters go to MLflow in one request (long ones still follow the
    configured ``long_params_strategy``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._logged: set[str] = set()
        self._batch: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _log_param(self, name: str, value: Any) -> None:
        if self._batch is not None and len(str(value)) <= MAX_PARAM_VAL_LENGTH:
            self._batch[name] = value
            return None
        return super()._log_param(name, value)

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        self._logged = set()
        super().before_pipeline_run(run_params, pipeline, catalog)

    @hook_impl
    def before_node_run(
        self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool
    ) -> None:
        # ThreadRunner starts nodes at once, and the batch being filled is the
        # hook's own: two nodes sharing it log each other's parameters, twice.
        with self._lock:
            self._log_new_parameters(node, catalog, inputs, is_async)

    def _log_new_parameters(
        self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool
    ) -> None:
        active = mlflow.active_run()
        in_run = active is not None and active.info.run_id == self.run_id
        new = _parameter_inputs(inputs) - self._logged
        if in_run and not new:
            return
        self._logged |= new
        fresh = {name: value for name, value in inputs.items() if name in new}
        self._batch = {}
        run_id = self.run_id
        if in_run:
            # The run is open in this thread: kedro-mlflow would reopen it, which
            # reads it back from the database twice.
            self.run_id = None
        try:
            super().before_node_run(node, catalog, fresh, is_async)
            if self._batch:
                mlflow.log_params(self._batch)
        finally:
            self._batch = None
            self.run_id = run_id
