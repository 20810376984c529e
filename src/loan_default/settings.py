"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from loan_default.context import ProjectContext
from loan_default.hooks import ProjectHooks

HOOKS = (ProjectHooks(),)

# Records the run's algorithm blocks for the pipeline registry (see context.py).
CONTEXT_CLASS = ProjectContext

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
