"""The project's Kedro context: it gives the pipeline registry the algorithm blocks of
the run's own configuration before Kedro builds the pipelines.

A context class, not an ``after_context_created`` hook: Kedro-Viz loads projects with
their hooks disabled, and the pipelines must have the same shape there.
"""

from __future__ import annotations

from typing import Any

from attrs import define
from kedro.framework.context import KedroContext

from loan_default.pipeline_registry import use_run_parameters


@define(slots=False)
class ProjectContext(KedroContext):
    """A ``KedroContext`` that records the run's algorithm block names."""

    def __attrs_post_init__(self) -> None:
        # KedroSession.run creates the context before it reads the pipelines, so
        # the registry is built from this run's env, conf source and --params.
        use_run_parameters(self._raw_parameters())

    def _raw_parameters(self) -> dict[str, Any]:
        # Not self.params: it validates typed parameters against the pipelines,
        # which would build them before their names are known.
        return self.config_loader["parameters"]
