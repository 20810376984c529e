"""One ``kedro run`` at a time per project: an OS lock on ``data/.run.lock``.

``fcntl.flock`` belongs to the open file, so the kernel releases it when its holder
exits in any way, SIGKILL included: a lock file left behind never blocks a run.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from loan_default.errors import ProjectError

LOCK_FILE_NAME = ".run.lock"
TIMEOUT_VARIABLE = "LOAN_DEFAULT_RUN_LOCK_TIMEOUT"
"""Seconds a run waits for the lock before it refuses; 0 (the default) refuses at once."""

_POLL_SECONDS = 0.2


class RunLockHeldError(ProjectError, RuntimeError):
    """Another run of the same project holds the run lock."""


def timeout_from_environment(default: float = 0.0) -> float:
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    return float(value) if value else default


class RunLock:
    """An exclusive lock on ``path``, taken within ``timeout`` seconds or refused."""

    def __init__(self, path: Path, timeout: float = 0.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a+": never truncates a holder's pid before we own the lock.
        handle = self.path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + self.timeout
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.close()
                raise self._held_error()
            time.sleep(_POLL_SECONDS)
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is None:
            return
        self._file.truncate(0)
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
        self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def _held_error(self) -> RunLockHeldError:
        holder = self.path.read_text(encoding="utf-8").strip() or "unknown"
        waited = f" after waiting {self.timeout:g} s" if self.timeout else ""
        return RunLockHeldError(
            f"Another kedro run of this project is running (pid {holder}, holding "
            f"{self.path}); this run stopped{waited} before reading or writing "
            f"anything. Wait for it to finish, or set {TIMEOUT_VARIABLE}=<seconds> "
            "to wait for it."
        )


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
