"""Project commands: ``kedro run`` as Kedro's, with the project's errors printed as
one paragraph instead of a traceback through Kedro's internals.

Kedro uses this module's ``cli`` group before its own commands, and ``run`` for
``python -m loan_default``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from loan_default.errors import ProjectError
from loan_default.model.registry import (
    ALIASES,
    CHAMPION,
    list_versions,
    move_alias,
    registry_location,
)
from loan_default.model.registry import rollback as roll_back

TRACEBACK_VARIABLE = "LOAN_DEFAULT_TRACEBACK"


def _chain(error: BaseException) -> Iterator[BaseException]:
    # Kedro wraps a dataset's error in DatasetError: the cause is the one to show.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def readable_error(error: BaseException) -> BaseException | None:
    """The project's own error in ``error``'s chain, if there is one."""
    return next(
        (cause for cause in _chain(error) if isinstance(cause, ProjectError)), None
    )


def traceback_requested(flag: bool) -> bool:
    return flag or os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0")


class ReadableError(click.ClickException):
    """Printed by click as ``Error: <message>`` on stderr; exit code 1."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(
            f"{type(error).__name__}: {error}\n"
            f"(The full traceback: set {TRACEBACK_VARIABLE}=1 or pass --traceback.)"
        )


def _run(traceback: bool, **kwargs: Any) -> Any:
    try:
        return kedro_run.callback(**kwargs)
    except Exception as error:
        found = readable_error(error)
        if found is None or traceback_requested(traceback):
            raise
        raise ReadableError(found) from None


run = click.Command(
    name="run",
    callback=_run,
    params=[
        *kedro_run.params,
        click.Option(
            ["--traceback"],
            is_flag=True,
            default=False,
            help=f"Show the full traceback of the project's errors (or {TRACEBACK_VARIABLE}=1).",
        ),
    ],
    help=kedro_run.help,
    context_settings=kedro_run.context_settings,
)


@click.group(name="loan-default")
def cli() -> None:
    """Commands of the loan-default project."""


cli.add_command(run)


@cli.group(name="model")
@click.option("--env", "-e", default=None, help="Kedro environment (default: local).")
@click.pass_context
def model(ctx: click.Context, env: str | None) -> None:
    """The model registry: list versions, promote one, roll the champion back.

    Moving an alias is one registry update: the API (at its next start or
    /admin/reload) and the next batch scoring read the new champion.
    """
    ctx.obj = env


def registered_model_name(env: str | None) -> str:
    """The run's registered model name. The session's context also points MLflow
    at the tracking and registry URI of mlflow.yml (kedro-mlflow's hook)."""
    metadata = bootstrap_project(Path.cwd())
    session = KedroSession.create(project_path=metadata.project_path, env=env)
    # The raw parameters: context.params would build the pipelines to type them.
    return session.load_context().config_loader["parameters"]["registry"]["model_name"]


@model.command(name="list")
@click.pass_obj
def list_models(env: str | None) -> None:
    """Every registered version, newest first, with its aliases."""
    try:
        name = registered_model_name(env)
        versions = list_versions(name)
    except ProjectError as error:
        raise ReadableError(error) from None
    click.echo(f"{name} in {registry_location()}: {len(versions)} version(s)")
    for version in versions:
        aliases = ",".join(version.aliases) or "-"
        click.echo(
            f"  version {version.version:>3}  {aliases:<20} "
            f"{version.tags.get('algorithm', '?'):<18} "
            f"validation AUC {version.tags.get('validation_AUC', '?')[:6]}  "
            f"{version.tags.get('model_version', '')}"
        )


@model.command(name="promote")
@click.argument("version", type=int)
@click.option(
    "--alias",
    type=click.Choice(ALIASES),
    default=CHAMPION,
    show_default=True,
)
@click.pass_obj
def promote(env: str | None, version: int, alias: str) -> None:
    """Give ALIAS (champion by default) to VERSION."""
    try:
        name = registered_model_name(env)
        previous = move_alias(name, alias, version)
    except ProjectError as error:
        raise ReadableError(error) from None
    before = "none" if previous is None else f"version {previous.version}"
    click.echo(f"{name}@{alias}: {before} -> version {version}")


@model.command(name="rollback")
@click.pass_obj
def rollback(env: str | None) -> None:
    """Move champion back to the version the current champion replaced."""
    try:
        name = registered_model_name(env)
        current, previous = roll_back(name)
    except ProjectError as error:
        raise ReadableError(error) from None
    click.echo(f"{name}@champion: version {current} -> version {previous}")
