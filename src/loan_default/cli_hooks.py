"""The project's Kedro CLI hooks, registered through the ``kedro.cli_hooks`` entry
point in ``pyproject.toml``."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any

from kedro.framework.cli.hooks import cli_hook_impl


def exit_code_of(code: Any) -> int:
    """The process status ``sys.exit(code)`` would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


class ExitWithoutTeardown:
    """Ends a finished ``kedro run`` process as soon as Kedro is done with it.

    Once the run has committed its outputs, Python's own teardown (freeing every
    module of scikit-learn, MLflow, XGBoost and the rest, one object at a time) only
    delays the prompt by seconds. After every other CLI hook (``trylast``), this one
    runs the exit handlers (logging, MLflow's, temporary files), flushes the standard
    streams and leaves with the command's status. With other threads still alive it
    does nothing, so that nothing they do is cut short; and an exception Kedro is
    about to print is left to it.
    """

    @cli_hook_impl(trylast=True)
    def after_command_run(
        self, project_metadata: Any, command_args: list[str], exit_code: Any
    ) -> None:
        # Kedro calls this hook while handling the command's SystemExit, or while
        # handling an exception it is about to raise and print: only the first ends.
        leaving = isinstance(sys.exc_info()[1], SystemExit)
        if not leaving or command_args[:1] != ["run"] or threading.active_count() > 1:
            return
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code_of(exit_code))


exit_without_teardown = ExitWithoutTeardown()
