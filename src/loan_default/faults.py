"""Fault injection for the crash tests: a run kills itself at a named point.

Read from the environment so that a real ``kedro run`` subprocess can be killed at an
exact moment; unset, nothing happens.
"""

from __future__ import annotations

import os
import signal

KILL_AFTER_SAVE = "LOAN_DEFAULT_FAULT_KILL_AFTER_SAVE"
"""A dataset name: the run is killed (SIGKILL) just after that dataset is saved."""

RAISE_AFTER_SAVE = "LOAN_DEFAULT_FAULT_RAISE_AFTER_SAVE"
"""A dataset name: the run fails with ``InjectedFault`` just after it is saved."""

KILL_IN_COMMIT = "LOAN_DEFAULT_FAULT_KILL_IN_COMMIT"
"""A number n: the run is killed once the commit has moved n outputs into place."""


class InjectedFault(RuntimeError):
    """The failure asked for by ``LOAN_DEFAULT_FAULT_RAISE_AFTER_SAVE``."""


def kill_self() -> None:
    # SIGKILL, not an exception: no cleanup code of ours or Kedro's may run.
    os.kill(os.getpid(), signal.SIGKILL)


def after_save(dataset_name: str) -> None:
    """Kill or fail the run if the environment names ``dataset_name``."""
    if os.environ.get(KILL_AFTER_SAVE) == dataset_name:
        kill_self()
    if os.environ.get(RAISE_AFTER_SAVE) == dataset_name:
        raise InjectedFault(f"injected failure after saving {dataset_name}")


def in_commit(moved: int) -> None:
    """Kill the run if the environment asks for it after ``moved`` moves."""
    if os.environ.get(KILL_IN_COMMIT) == str(moved):
        kill_self()
