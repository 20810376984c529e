"""The CLI hook that ends a finished ``kedro run`` without Python's teardown: it
keeps the status, the exit handlers and buffered output, and steps aside whenever
leaving at once could lose something."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from loan_default.cli_hooks import exit_code_of

SCRIPT = """
import atexit, sys, threading, time
from loan_default.cli_hooks import exit_without_teardown as hook

atexit.register(lambda: print("exit handler ran", flush=True))
print("buffered output", end="")
{setup}
try:
    {leave}
except {caught}:
    hook.after_command_run(None, {args!r}, {code})
print(" | continued", end="")
"""


def run_script(
    setup: str = "",
    leave: str = "sys.exit(3)",
    caught: str = "SystemExit",
    args: tuple[str, ...] = ("run",),
    code: int = 3,
) -> subprocess.CompletedProcess:
    source = SCRIPT.format(
        setup=setup, leave=leave, caught=caught, args=list(args), code=code
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_finished_run_leaves_with_its_status_after_the_exit_handlers() -> None:
    result = run_script()
    assert result.returncode == 3
    assert result.stdout.endswith("buffered outputexit handler ran\n")


def test_an_exception_kedro_is_about_to_print_is_left_to_kedro() -> None:
    result = run_script(leave="raise ValueError('bad')", caught="ValueError", code=1)
    assert result.returncode == 0
    assert " | continued" in result.stdout


def test_other_commands_end_as_usual() -> None:
    result = run_script(args=("viz",), code=0)
    assert " | continued" in result.stdout


def test_a_live_thread_keeps_the_usual_ending() -> None:
    setup = "threading.Thread(target=time.sleep, args=(1,)).start()"
    result = run_script(setup=setup)
    assert result.returncode == 0
    assert " | continued" in result.stdout


@pytest.mark.parametrize(
    ("code", "status"), [(None, 0), (0, 0), (2, 2), ("an error message", 1)]
)
def test_the_status_is_the_one_sys_exit_would_give(code: object, status: int) -> None:
    assert exit_code_of(code) == status
