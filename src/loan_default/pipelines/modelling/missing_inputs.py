"""A hook that checks the modelling pipeline's inputs before anything runs.

Register it in ``settings.py``::

    from loan_default.pipelines.modelling.missing_inputs import ModellingInputsHook

    HOOKS = (ModellingInputsHook(),)

When a run needs model input that is not there (``kedro run --pipeline modelling``
before data engineering), the run stops at once with the command to run first,
rather than in the middle with a file-not-found traceback. Algorithm blocks are
checked at the same time, so a typo in one fails fast with the block's name.
"""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from loan_default.pipelines.modelling.algorithms import (
    ALGORITHMS_KEY,
    validate_algorithm_block,
)
from loan_default.pipelines.modelling.pipeline import MODEL_INPUTS

PRODUCER_COMMAND = "kedro run --pipeline data_engineering"


class MissingModelInputsError(RuntimeError):
    """Model input that a run needs does not exist yet."""


def check_modelling_inputs(pipeline: Pipeline, catalog: Any) -> None:
    """Raise if the pipeline reads model input that is missing or a bad algorithm block."""
    free_inputs = pipeline.inputs()
    missing = [
        name
        for name in MODEL_INPUTS
        if name in free_inputs and not catalog.exists(name)
    ]
    if missing:
        raise MissingModelInputsError(
            f"Model input {', '.join(missing)} does not exist yet; it is written by "
            f"the data_engineering pipeline. Run `{PRODUCER_COMMAND}` first (or a "
            "bare `kedro run`, which runs it too)."
        )
    prefix = f"params:{ALGORITHMS_KEY}."
    for name in sorted(free_inputs):
        if name.startswith(prefix):
            validate_algorithm_block(catalog.load(name), name.removeprefix(prefix))


class ModellingInputsHook:
    """Runs :func:`check_modelling_inputs` before every pipeline run."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: Any
    ) -> None:
        check_modelling_inputs(pipeline, catalog)
