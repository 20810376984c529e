"""One run at a time per project: a second run refuses, naming the lock file and
the holder's pid, or waits for it when told to."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loan_default.run_lock import TIMEOUT_VARIABLE, RunLock, RunLockHeldError
from tests.project import make_project_copy
from tests.trained import SMALL, run_with, start_kedro_run

HOLD = """
import sys, time
from pathlib import Path
from loan_default.run_lock import RunLock
lock = RunLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the lock on ``path`` for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def wait_for_holder(lock_file: Path, timeout: float = 120) -> str:
    """The pid a run writes into the lock file once it holds the lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_file.is_file() and (pid := lock_file.read_text().strip()):
            return pid
        time.sleep(0.05)
    raise AssertionError(f"no run took {lock_file}")


def test_a_held_lock_is_refused_with_the_file_and_the_holders_pid(tmp_path):
    lock_file = tmp_path / ".run.lock"
    holder = hold_lock(lock_file, 60)
    try:
        with pytest.raises(RunLockHeldError) as error:
            RunLock(lock_file).acquire()
        assert str(lock_file) in str(error.value)
        assert f"pid {holder.pid}" in str(error.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_releases_the_lock(tmp_path):
    lock_file = tmp_path / ".run.lock"
    holder = hold_lock(lock_file, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock = RunLock(lock_file)
    lock.acquire()
    assert lock_file.read_text().strip().isdigit()
    lock.release()


def test_a_run_told_to_wait_gets_the_lock_when_the_holder_ends(tmp_path):
    lock_file = tmp_path / ".run.lock"
    holder = hold_lock(lock_file, 1)
    lock = RunLock(lock_file, timeout=60)
    lock.acquire()
    assert lock.held
    lock.release()
    holder.wait()


@pytest.mark.slow
def test_a_second_kedro_run_refuses_while_the_first_runs(tmp_path):
    project = make_project_copy(tmp_path)
    first = start_kedro_run(project, *SMALL)
    holder_pid = wait_for_holder(project / "data" / ".run.lock")

    second = run_with(project, {}, *SMALL)
    first_result = first.result()

    assert second.returncode != 0
    assert holder_pid == str(first.pid)
    assert f"pid {first.pid}" in second.stderr
    assert str(project / "data" / ".run.lock") in second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert first_result.returncode == 0, first_result.stderr[-2000:]


@pytest.mark.slow
def test_a_second_kedro_run_told_to_wait_runs_after_the_first(tmp_path):
    project = make_project_copy(tmp_path)
    first = start_kedro_run(project, *SMALL)
    wait_for_holder(project / "data" / ".run.lock")

    second = run_with(project, {TIMEOUT_VARIABLE: "600"}, *SMALL)
    first_result = first.result()

    assert first_result.returncode == 0, first_result.stderr[-2000:]
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    champion = project / "data" / "06_models" / "champion"
    assert (champion / "champion_name.json").is_file()
