"""The model registry: each trained champion as a version of one registered MLflow
model, and the aliases production reads.

A version holds the champion's verified folder (see ``artifact``) with an
``MLmodel`` file: its signature, an input example, and a pyfunc flavor that loads
the folder through ``load_scoring_model`` (``mlflow_flavor``). Nothing is pickled,
and loading a version checks every file against its manifest.

Two aliases: ``champion`` (what batch scoring and the API load) and ``challenger``
(the newest candidate the promotion gate refused). Moving an alias is one registry
update, so a reader sees the old champion or the new one, never neither. A version
promoted over another records it in its ``previous_champion`` tag: that is where a
rollback moves the alias back to.

A run registers its candidate at once, but the alias move waits until the run's
files are committed (``apply_pending_aliases``, called by the project's hooks): the
registration tags the version with the alias it is due, so a run that fails or is
killed before its commit leaves a version without an alias, and production as it was.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from mlflow.exceptions import MlflowException
from mlflow.models import Model, infer_signature
from mlflow.tracking import MlflowClient

from loan_default.errors import ProjectError
from loan_default.model.artifact import (
    load_scoring_model,
    newest_complete_version,
    save_scoring_model,
)
from loan_default.model.scoring_model import ScoringModel

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
ALIASES = (CHAMPION, CHALLENGER)
MODEL_ARTIFACT_NAME = "champion_model"
"""The name the champion is logged under in its MLflow run."""
PENDING_ALIAS_TAG = "pending_alias"
PREVIOUS_CHAMPION_TAG = "previous_champion"
FLAVOR_MODULE = "loan_default.model.mlflow_flavor"
_MODEL_URI = re.compile(
    r"models:/(?P<name>[\w.-]+)(?:@(?P<alias>[\w-]+)|/(?P<version>[0-9]+))"
)


class RegistryError(ProjectError, RuntimeError):
    """The registry lacks what was asked for, or refused an operation."""


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a registered model, as the registry describes it."""

    name: str
    version: int
    aliases: tuple[str, ...] = ()
    run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def _described(version: Any) -> RegisteredVersion:
    return RegisteredVersion(
        name=version.name,
        version=int(version.version),
        aliases=tuple(version.aliases or ()),
        run_id=version.run_id,
        tags=dict(version.tags or {}),
    )


def registry_location() -> str:
    return mlflow.get_registry_uri()


@contextmanager
def registry_at(uri: str) -> Iterator[None]:
    """Point MLflow's tracking and registry at ``uri`` for the block, then back to
    exactly what was set before (nothing, if nothing was): MLflow keeps them
    process-wide, mirrored in environment variables that child processes (a
    ``kedro run``) inherit."""
    setters = {
        "MLFLOW_TRACKING_URI": mlflow.set_tracking_uri,
        "MLFLOW_REGISTRY_URI": mlflow.set_registry_uri,
    }
    # What was set explicitly is in the variables; reading the URIs instead
    # would pin MLflow's default, resolved against the current folder.
    previous = {name: os.environ.get(name) for name in setters}
    for setter in setters.values():
        setter(uri)
    try:
        yield
    finally:
        for name, setter in setters.items():
            setter(previous[name])
            if previous[name] is None:
                os.environ.pop(name, None)


def version_with_alias(
    name: str, alias: str, client: MlflowClient | None = None
) -> RegisteredVersion | None:
    """The version of ``name`` that holds ``alias``, or ``None``."""
    client = client or MlflowClient()
    try:
        return _described(client.get_model_version_by_alias(name, alias))
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def get_version(
    name: str, version: int, client: MlflowClient | None = None
) -> RegisteredVersion:
    client = client or MlflowClient()
    try:
        return _described(client.get_model_version(name, str(version)))
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise RegistryError(
            f"the registry at {registry_location()} has no version {version} of the "
            f"model {name!r}: `kedro model list` shows the versions there are"
        ) from error


def list_versions(
    name: str, client: MlflowClient | None = None
) -> list[RegisteredVersion]:
    """Every version of ``name``, newest first (none when it was never registered)."""
    client = client or MlflowClient()
    found = client.search_model_versions(f"name = '{name}'")
    if not found:
        return []
    # A search leaves the aliases out; the registered model has them.
    aliases: dict[int, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        aliases.setdefault(int(version), []).append(alias)
    described = (
        dataclasses.replace(
            _described(v), aliases=tuple(sorted(aliases.get(int(v.version), [])))
        )
        for v in found
    )
    return sorted(described, key=lambda v: -v.version)


def load_version(
    version: RegisteredVersion, client: MlflowClient | None = None
) -> ScoringModel:
    """The ``ScoringModel`` of a registered version, its files verified, with the
    registered name, version and aliases in its metadata."""
    try:
        local = Path(mlflow.artifacts.download_artifacts(version.uri))
    except MlflowException as error:
        raise RegistryError(
            f"{version.uri} cannot be read from the registry at "
            f"{registry_location()} ({error.message}): its files are missing or "
            "unreachable; give the alias to a version that loads with `kedro model "
            "promote <version>`"
        ) from error
    flavor = Model.load(local / "MLmodel").flavors.get("python_function", {})
    if flavor.get("loader_module") != FLAVOR_MODULE or "data" not in flavor:
        raise RegistryError(
            f"{version.uri} was not registered by this project (its MLmodel has no "
            f"pyfunc flavor loaded by {FLAVOR_MODULE}); it is not loaded"
        )
    model = load_scoring_model(local / flavor["data"])
    return model.with_metadata(
        registered_model=version.name,
        registered_version=version.version,
        registered_aliases=list(version.aliases),
    )


def load_alias(name: str, alias: str) -> ScoringModel:
    """The model that holds ``alias``; a ``RegistryError`` says what to do when none."""
    return load_version(resolve_model_uri(f"models:/{name}@{alias}"))


def parse_model_uri(uri: str) -> tuple[str, str | None, int | None]:
    """(name, alias, version) of ``models:/<name>@<alias>`` or ``models:/<name>/<n>``."""
    match = _MODEL_URI.fullmatch(uri.strip())
    if match is None:
        raise RegistryError(
            f"model URI {uri!r}: expected models:/<name>@<alias> (e.g. "
            "models:/loan_default@champion) or models:/<name>/<version>"
        )
    version = match["version"]
    return match["name"], match["alias"], None if version is None else int(version)


def check_registry_reachable() -> None:
    """Refuse a local SQLite registry whose file does not exist, rather than let
    MLflow create an empty one (and then find no model in it)."""
    uri = registry_location()
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.is_file():
            raise RegistryError(
                f"no registry database at {path.resolve()} ({uri}): train and "
                "register a champion with `kedro run` from the project root, or "
                "give a saved champion folder with --model-path"
            )


def resolve_model_uri(uri: str) -> RegisteredVersion:
    """The registered version ``uri`` designates, or a ``RegistryError``."""
    name, alias, version = parse_model_uri(uri)
    check_registry_reachable()
    if version is not None:
        return get_version(name, version)
    found = version_with_alias(name, alias)
    if found is None:
        raise RegistryError(
            f"no version of the model {name!r} holds the alias {alias!r} in the "
            f"registry at {registry_location()}: train and register one with "
            "`kedro run` (tracking on), move the alias with `kedro model promote "
            "<version>`, or give a saved champion folder with --model-path"
        )
    return found


def log_scoring_model(model: ScoringModel, input_example: pd.DataFrame) -> str:
    """Log ``model`` to the active MLflow run; return the logged model's URI."""
    if mlflow.active_run() is None:
        raise RegistryError("the champion is logged into an MLflow run; none is active")
    signature = infer_signature(input_example, model.score(input_example).scores)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / MODEL_ARTIFACT_NAME
        save_scoring_model(model, folder)
        info = mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT_NAME,
            loader_module=FLAVOR_MODULE,
            data_path=str(folder),
            signature=signature,
            input_example=input_example,
            # The package itself, not a guess from the importing environment.
            pip_requirements=["loan_default"],
        )
    return info.model_uri


def register_pending(
    name: str, model_uri: str, alias: str, tags: dict[str, Any]
) -> RegisteredVersion:
    """Register ``model_uri`` as a new version of ``name``, due to take ``alias``."""
    if alias not in ALIASES:
        raise RegistryError(f"alias must be one of {ALIASES}; got {alias!r}")
    registered = mlflow.register_model(
        model_uri, name, tags={**_as_tags(tags), PENDING_ALIAS_TAG: alias}
    )
    return _described(registered)


def _as_tags(values: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}


def move_alias(
    name: str, alias: str, version: int, client: MlflowClient | None = None
) -> RegisteredVersion | None:
    """Give ``alias`` to ``version`` in one registry update; return the version
    that held it before. A new champion records the one it replaces."""
    client = client or MlflowClient()
    target = get_version(name, version, client)
    previous = version_with_alias(name, alias, client)
    if alias == CHAMPION and previous is not None and previous.version != version:
        client.set_model_version_tag(
            name, str(version), PREVIOUS_CHAMPION_TAG, str(previous.version)
        )
    client.set_registered_model_alias(name, alias, str(target.version))
    return previous


def rollback(name: str, client: MlflowClient | None = None) -> tuple[int, int]:
    """Move ``champion`` back to the version the current champion replaced;
    return (from, to)."""
    client = client or MlflowClient()
    current = version_with_alias(name, CHAMPION, client)
    if current is None:
        raise RegistryError(f"the model {name!r} has no champion to roll back")
    previous = current.tags.get(PREVIOUS_CHAMPION_TAG)
    if previous is None:
        raise RegistryError(
            f"champion version {current.version} of {name!r} replaced no earlier "
            "champion: there is nothing to roll back to (`kedro model promote "
            "<version>` moves the alias to any version)"
        )
    client.set_registered_model_alias(name, CHAMPION, previous)
    return current.version, int(previous)


def apply_pending_aliases(name: str, run_id: str) -> list[tuple[str, int]]:
    """Move the aliases due to the versions ``run_id`` registered."""
    client = MlflowClient()
    moved = []
    for version in client.search_model_versions(
        f"name = '{name}' and run_id = '{run_id}'"
    ):
        alias = (version.tags or {}).get(PENDING_ALIAS_TAG)
        if alias is None:
            continue
        move_alias(name, alias, int(version.version), client)
        client.delete_model_version_tag(name, version.version, PENDING_ALIAS_TAG)
        moved.append((alias, int(version.version)))
        logger.info("Model %s version %s is now %r", name, version.version, alias)
    return moved


class RegisteredModelDataset(AbstractDataset[None, ScoringModel]):
    """Loads the ``ScoringModel`` that holds ``alias`` in the registry, or the
    saved champion folder at ``model_path`` when one is given.

    ``missing_ok``: load ``None`` when no version holds the alias (the promotion
    gate's view of the first model ever).
    """

    def __init__(
        self,
        model_name: str,
        alias: str = CHAMPION,
        model_path: str | None = None,
        missing_ok: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.model_name = model_name
        self.alias = alias
        self.model_path = model_path or None
        self.missing_ok = missing_ok
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "alias": self.alias,
            "model_path": self.model_path,
        }

    def load(self) -> ScoringModel | None:
        if self.model_path is not None:
            return load_scoring_model(newest_complete_version(Path(self.model_path)))
        if self.missing_ok and version_with_alias(self.model_name, self.alias) is None:
            return None
        return load_alias(self.model_name, self.alias)

    def save(self, data: None) -> None:
        raise DatasetError(
            f"models:/{self.model_name}@{self.alias} is read-only here: the promotion "
            "gate registers models, and `kedro model promote` moves aliases"
        )

    def _exists(self) -> bool:
        if self.model_path is not None:
            return Path(self.model_path).exists()
        return (
            self.missing_ok
            or version_with_alias(self.model_name, self.alias) is not None
        )


@dataclass(frozen=True)
class Registration:
    """What the promotion gate asks the registry to record."""

    model: ScoringModel
    alias: str
    input_example: pd.DataFrame
    tags: dict[str, Any]


class MlflowModelRegistrationDataset(AbstractDataset[Registration, None]):
    """Saves a ``Registration``: logs the model to the run's MLflow run and
    registers it as a version of ``model_name``, due to take its alias once the run
    commits. Switched off with the rest of tracking (kedro-mlflow switches every
    ``Mlflow*`` dataset's ``_logging_activated``)."""

    def __init__(self, model_name: str, metadata: dict[str, Any] | None = None) -> None:
        self.model_name = model_name
        self.metadata = metadata
        self._logging_activated = True

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def load(self) -> None:
        raise DatasetError(
            f"the registration of {self.model_name!r} is write-only: read the "
            "registry with `kedro model list`"
        )

    def save(self, data: Registration) -> None:
        if not self._logging_activated:
            logger.warning(
                "Tracking is off: the champion is not registered; batch scoring and "
                "the API need --model-path to use it"
            )
            return
        uri = log_scoring_model(data.model, data.input_example)
        version = register_pending(self.model_name, uri, data.alias, data.tags)
        logger.info(
            "Registered %s version %s, due to become %r when the run commits",
            self.model_name,
            version.version,
            data.alias,
        )
