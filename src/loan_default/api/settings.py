"""Settings of the prediction API and where its champion model is found.

Every setting has a default here, a command-line flag (``serve --help``) and an
environment variable, so that each worker process started by uvicorn sees the same
values as the command that started it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

CHAMPION_DATASET_PATH = Path("data/06_models/champion/champion_model.pkl")
"""Where ``kedro run`` saves the champion, one folder per version (catalog entry
``champion_model``), relative to the project root."""

CHAMPION_FILE_NAME = CHAMPION_DATASET_PATH.name

ENVIRONMENT_PREFIX = "LOAN_DEFAULT_API_"


class ChampionNotFoundError(FileNotFoundError):
    """No trained champion where the API looked for one."""


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where known)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class ApiSettings:
    """What the API serves and the limits it enforces."""

    model_path: Path = CHAMPION_DATASET_PATH
    # Applications in one POST /predict; more is answered 413.
    max_applications: int = 10_000
    # Request body size; a full 122-column record is about 4 KB of JSON.
    max_body_bytes: int = 64 * 1024 * 1024
    # Reason codes per application: the features that raise its risk the most.
    reason_codes: int = 5
    # Concurrent requests are scored together, up to this many applications.
    max_batch_applications: int = 2_000
    # Batches up to this size are scored on the event loop: a few milliseconds, and
    # no hand-off to a thread, which cost a fifth of the CPU of a single-application
    # request. Larger ones go to a thread, so /health and /ready answer meanwhile.
    inline_batch_applications: int = 64
    # XGBoost threads for those larger batches (small ones use one: starting
    # threads costs more than a few rows): the cores this process may use.
    large_batch_threads: int = dataclasses.field(default_factory=usable_cores)

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.type == "int" and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(
                    f"API setting {field.name} ({ENVIRONMENT_PREFIX}"
                    f"{field.name.upper()}): expected a whole number >= 1, "
                    f"got {value!r}"
                )
        object.__setattr__(self, "model_path", Path(self.model_path))

    def to_environment(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes."""
        return {
            ENVIRONMENT_PREFIX + field.name.upper(): str(getattr(self, field.name))
            for field in dataclasses.fields(self)
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from ``LOAN_DEFAULT_API_*`` variables; defaults for the rest."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            name = ENVIRONMENT_PREFIX + field.name.upper()
            if name not in environ:
                continue
            text = environ[name]
            if field.type == "int":
                try:
                    values[field.name] = int(text)
                except ValueError:
                    raise ValueError(
                        f"environment variable {name}: expected a whole number, "
                        f"got {text!r}"
                    ) from None
            else:
                values[field.name] = Path(text)
        return cls(**values)


def resolve_champion_file(model_path: Path) -> Path:
    """The champion file ``model_path`` designates.

    ``model_path`` is the file itself, one version folder holding it, or the
    versioned dataset folder (``data/06_models/champion/champion_model.pkl``), in
    which case the newest version is taken: Kedro's version names are timestamps
    that sort in time order.
    """
    path = Path(model_path)
    if path.is_file():
        return path
    if (path / CHAMPION_FILE_NAME).is_file():
        return path / CHAMPION_FILE_NAME
    versions = (
        sorted(
            folder / CHAMPION_FILE_NAME
            for folder in path.iterdir()
            if (folder / CHAMPION_FILE_NAME).is_file()
        )
        if path.is_dir()
        else []
    )
    if not versions:
        raise ChampionNotFoundError(
            f"no trained champion model at {path} (expected a {CHAMPION_FILE_NAME} "
            "file, or version folders holding one): run `kedro run` first to train "
            "and save the champion, or pass --model-path"
        )
    return versions[-1]
