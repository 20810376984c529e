"""Settings of the prediction API and where its champion model is found.

Every setting has a default here, a command-line flag (``serve --help``) and an
environment variable, so that each worker process started by uvicorn sees the same
values as the command that started it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from loan_default.model.artifact import newest_complete_version

CHAMPION_DATASET_PATH = Path("data/06_models/champion/champion_model")
"""Where ``kedro run`` saves the champion, one folder per version (catalog entry
``champion_model``), relative to the project root."""
REGISTERED_CHAMPION = "models:/loan_default@champion"
"""What production serves by default: the registry's champion."""
PROJECT_REGISTRY = "sqlite:///data/mlflow.db"
"""The project's own registry database, as conf/base/mlflow.yml names it, relative
to the project root."""

ENVIRONMENT_PREFIX = "LOAN_DEFAULT_API_"


class ChampionNotFoundError(FileNotFoundError):
    """No trained champion where the API looked for one."""


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where known)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ApiSettings(BaseSettings):
    """What the API serves and the limits it enforces.

    Keyword arguments win over ``LOAN_DEFAULT_API_*`` variables, which win over the
    defaults below.
    """

    model_config = SettingsConfigDict(env_prefix=ENVIRONMENT_PREFIX, frozen=True)

    # The registered model served: models:/<name>@<alias> or models:/<name>/<n>,
    # read from the MLflow registry at registry_uri.
    model_uri: str = REGISTERED_CHAMPION
    registry_uri: str = PROJECT_REGISTRY
    # A saved champion folder (a version folder, or the versioned dataset folder
    # for its newest version) to serve instead of the registry's model.
    model_path: Path | None = None
    # Applications in one POST /predict; more is answered 413.
    max_applications: PositiveInt = 10_000
    # Request body size; a full 122-column record is about 4 KB of JSON.
    max_body_bytes: PositiveInt = 64 * 1024 * 1024
    # Reason codes per application: at most this many features, those that raised
    # its risk the most, each with its statement.
    reason_codes: PositiveInt = 4
    # Concurrent requests are scored together, up to this many applications.
    max_batch_applications: PositiveInt = 2_000
    # Batches up to this size are scored on the event loop: a few milliseconds, and
    # no hand-off to a thread, which cost a fifth of the CPU of a single-application
    # request. Larger ones go to a thread, so /health and /ready answer meanwhile.
    inline_batch_applications: PositiveInt = 64
    # XGBoost threads for those larger batches (small ones use one: starting
    # threads costs more than a few rows): the cores this process may use.
    large_batch_threads: PositiveInt = Field(default_factory=usable_cores)
    # A request body must arrive whole within this time, or the request is answered
    # 408 and its connection closed: slow clients must not hold connections open.
    body_timeout_seconds: PositiveFloat = 10.0
    # When set, every endpoint but /health requires this key. A file (a mounted
    # secret) keeps it out of the process environment; set one or the other.
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    # Origins allowed to call the API from a browser; none: no CORS headers at all.
    cors_allow_origins: list[str] = []

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise ValueError(_describe(error)) from None

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        # Lax integer parsing would take True as 1; a flag is no count.
        if isinstance(value, bool):
            raise ValueError("a boolean is not a whole number")
        return value

    @field_validator("api_key", mode="after")
    @classmethod
    def _no_blank_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("an API key must not be blank")
        return value

    @model_validator(mode="after")
    def _one_source_of_key(self) -> ApiSettings:
        if self.api_key is not None and self.api_key_file is not None:
            raise ValueError("set api_key or api_key_file, not both")
        return self

    def resolved_api_key(self) -> str | None:
        """The key clients must send, from the setting or its file; None: no key."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if self.api_key_file is None:
            return None
        key = self.api_key_file.read_text(encoding="utf-8").strip()
        if not key:
            raise ValueError(f"the API key file {self.api_key_file} is empty")
        return key

    def to_environment(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes; unset
        optional settings are left out."""
        environment = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, list):
                value = json.dumps(value)
            environment[ENVIRONMENT_PREFIX + name.upper()] = str(value)
        return environment

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from ``LOAN_DEFAULT_API_*`` variables; defaults for the rest.

        Without ``environ`` pydantic-settings reads the process environment. A
        given mapping is read alone: every field is passed, from it or its default,
        so that the process environment cannot fill a gap.
        """
        if environ is None:
            return cls()
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            variable = ENVIRONMENT_PREFIX + name.upper()
            if variable not in environ:
                values[name] = field.get_default(call_default_factory=True)
            elif name == "cors_allow_origins":
                # A list travels as JSON, as pydantic-settings reads it.
                values[name] = json.loads(environ[variable])
            else:
                values[name] = environ[variable]
        return cls(**values)


def _describe(error: ValidationError) -> str:
    """One line per bad setting, naming its field and its environment variable."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        field = ApiSettings.model_fields.get(name)
        if field is not None and field.annotation is int:
            expected = "expected a whole number >= 1"
        else:
            expected = problem["msg"]
        given = problem.get("input")
        if name.startswith("api_key") and not name.endswith("file"):
            given = "(hidden)"  # never print a secret, even a malformed one
        # A variable's "0" is shown as the 0 it means; other text as quoted text.
        if isinstance(given, str) and given.strip().lstrip("+-").isdigit():
            given = int(given)
        lines.append(
            f"API setting {name}, {ENVIRONMENT_PREFIX}{name.upper()}: {expected}, "
            f"got {given!r}"
        )
    return "; ".join(lines)


def resolve_champion_file(model_path: Path) -> Path:
    """The saved champion folder ``model_path`` designates: the folder itself, one
    version folder holding it, or the versioned dataset folder
    (``data/06_models/champion/champion_model``), whose newest *complete* version is
    taken (a model folder appears only once its manifest is written)."""
    try:
        return newest_complete_version(Path(model_path))
    except FileNotFoundError as error:
        raise ChampionNotFoundError(str(error)) from None
