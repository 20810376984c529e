"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from loan_default.context import ProjectContext
from loan_default.hooks import ProjectHooks

RUN_LOCK_TIMEOUT_SECONDS = 0.0
"""How long a ``kedro run`` waits for another run of the project to finish before it
refuses; ``LOAN_DEFAULT_RUN_LOCK_TIMEOUT`` overrides it per run."""

HOOKS = (ProjectHooks(run_lock_timeout=RUN_LOCK_TIMEOUT_SECONDS),)

# Records the run's algorithm blocks for the pipeline registry (see context.py).
CONTEXT_CLASS = ProjectContext

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
