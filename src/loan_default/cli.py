"""Project commands: ``kedro run`` as Kedro's, with the project's errors printed as
one paragraph instead of a traceback through Kedro's internals.

Kedro uses this module's ``cli`` group before its own commands, and ``run`` for
``python -m loan_default``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from loan_default.errors import ProjectError

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
