"""``loan-default-api serve``: start the prediction API with uvicorn.

By default it serves the registry's champion (``models:/loan_default@champion`` in
the project's ``data/mlflow.db``): run it from the project root after ``kedro run``
has registered one, give another ``--model-uri``, or point ``--model-path`` at a
saved champion folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from loan_default.api.settings import (
    ApiSettings,
    ChampionNotFoundError,
    resolve_champion_file,
)
from loan_default.model.registry import (
    RegistryError,
    registry_at,
    resolve_model_uri,
)

EXIT_NO_CHAMPION = 2
EXIT_BAD_SETTINGS = 3
# Class defaults only: reading the environment here would fail at import on a bad
# variable instead of at `serve`, with a clear message.
_DEFAULTS = {name: field.default for name, field in ApiSettings.model_fields.items()}
# Flags that set an ApiSettings field of the same name.
_SETTING_FLAGS = (
    "model_uri",
    "registry_uri",
    "model_path",
    "max_applications",
    "max_body_bytes",
    "reason_codes",
)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loan-default-api", description="The loan default prediction API."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the champion model over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    serve.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    serve.add_argument(
        "--model-path",
        type=Path,
        default=None,
        help="serve this saved champion folder (a version folder, or the versioned "
        "dataset folder for its newest version) instead of the registry's model",
    )
    serve.add_argument(
        "--model-uri",
        default=None,
        help="the registered model to serve, models:/<name>@<alias> or "
        f"models:/<name>/<version>; default: {_DEFAULTS['model_uri']}",
    )
    serve.add_argument(
        "--registry-uri",
        default=None,
        help=f"the MLflow registry; default: {_DEFAULTS['registry_uri']}",
    )
    serve.add_argument(
        "--workers", type=_positive, default=1, help="processes; default: 1"
    )
    serve.add_argument(
        "--max-applications",
        type=_positive,
        default=None,
        help=f"applications per request; default: {_DEFAULTS['max_applications']}",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=_positive,
        default=None,
        help=f"request body size; default: {_DEFAULTS['max_body_bytes']}",
    )
    serve.add_argument(
        "--reason-codes",
        type=_positive,
        default=None,
        help=f"reason codes per application; default: {_DEFAULTS['reason_codes']}",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
    )
    return parser


def _pinned(settings: ApiSettings) -> ApiSettings:
    """The settings with the model every worker must load: the folder's absolute
    path, or the registry checked to hold the model (workers resolve the alias
    themselves, so a reload or restart reads the alias as it is then)."""
    if settings.model_path is not None:
        folder = resolve_champion_file(settings.model_path).resolve()
        return settings.model_copy(update={"model_path": folder})
    with registry_at(settings.registry_uri):
        resolve_model_uri(settings.model_uri)
    return settings


def serve(arguments: argparse.Namespace) -> int:
    # A flag given wins over its LOAN_DEFAULT_API_* variable, which wins over the
    # default; settings without a flag come from the environment alone.
    flags = {
        name: getattr(arguments, name)
        for name in _SETTING_FLAGS
        if getattr(arguments, name) is not None
    }
    try:
        settings = ApiSettings(**flags)
    except ValueError as error:
        print(f"loan-default-api: cannot start: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_BAD_SETTINGS
    try:
        settings = _pinned(settings)
    except (ChampionNotFoundError, RegistryError) as error:
        print(f"loan-default-api: cannot start: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_NO_CHAMPION
    # Worker processes build their app from the environment.
    os.environ.update(settings.to_environment())
    import uvicorn  # noqa: PLC0415 - only the serve command needs it

    uvicorn.run(
        "loan_default.api.app:create_app_from_environment",
        factory=True,
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        log_level=arguments.log_level,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return serve(arguments)
