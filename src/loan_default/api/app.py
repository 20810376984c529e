"""The FastAPI app serving the champion model.

``create_app`` builds it; the champion is loaded in the background at start-up, so
``/health`` answers at once and ``/ready`` turns 200 when the model can score. All
errors share one body, ``{"detail": [{"type", "loc", "msg", ...}]}``, with ``loc``
the path of the offending field, as FastAPI's own validation errors.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import ValidationError
from pydantic_core import to_json
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect

from loan_default import __version__
from loan_default.api.batching import MicroBatcher, Records
from loan_default.api.metrics import ApiMetrics
from loan_default.api.schemas import (
    ErrorResponse,
    PredictResponse,
    build_request_model,
)
from loan_default.api.service import PredictionService, load_champion
from loan_default.api.settings import ApiSettings
from loan_default.model.scoring_model import ScoringModel
from loan_default.schema import APPLICATION_ID

logger = logging.getLogger(__name__)

ENDPOINTS = ("/predict", "/health", "/ready", "/model", "/metrics")
PUBLIC_PATHS = frozenset({"/health"})
"""Answered without the API key: liveness probes carry no secret."""
EXCERPT_CHARACTERS = 100
"""Longest excerpt of a client's value echoed in an error."""
JSON = "application/json"
CLIENT_CLOSED_REQUEST = 499
"""nginx's status for a request its client abandoned; never sent, only counted."""

_ERROR_DESCRIPTIONS = {
    401: "The API key is missing or wrong",
    408: "The body did not arrive within the body timeout",
    413: "Too many applications or too large a body",
    415: "The body is not sent as application/json",
    422: "Malformed JSON or an invalid field",
    403: "Reloading needs the API to be started with an API key",
    500: "An unexpected error, confined to this request",
    503: "The model is not loaded yet",
}


def _error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorResponse, "description": _ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


class ApiError(Exception):
    """An error answered to the client with its status and one error item."""

    def __init__(
        self, status: int, kind: str, loc: list, msg: str, close: bool = False
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.items = [{"type": kind, "loc": loc, "msg": msg}]
        # Close the connection: the rest of an unread body must not be taken for
        # the next request.
        self.close = close

    @classmethod
    def of_items(cls, status: int, items: list[dict]) -> ApiError:
        """One answer listing several errors (e.g. every invalid field)."""
        error = cls(status, items[0]["type"], items[0]["loc"], items[0]["msg"])
        error.items = items
        return error


def _json_safe(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(content, allow_nan=False),
        status_code=status,
        media_type=JSON,
        headers=headers,
    )


def _error_response(status: int, items: list[dict], close: bool = False) -> Response:
    headers = {"connection": "close"} if close else None
    if status == 401:
        headers = {**(headers or {}), "www-authenticate": "Bearer"}
    return _json_response({"detail": items}, status, headers)


def _excerpt(value: Any) -> Any:
    """A value to echo: long text cut to a short excerpt with its full length, so
    that an error never sends a large body back."""
    if isinstance(value, str) and len(value) > EXCERPT_CHARACTERS:
        return f"{value[:EXCERPT_CHARACTERS]}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool):
        digits = len(str(abs(value)))  # bounded: pydantic refuses huge literals
        if digits > EXCERPT_CHARACTERS:
            return _excerpt(str(value))
    return value


def _validation_items(error: ValidationError) -> list[dict]:
    items = []
    for item in error.errors(include_url=False, include_context=False):
        entry = {
            "type": item["type"],
            # An unknown field's name is the client's text too.
            "loc": ["body", *(_excerpt(part) for part in item["loc"])],
            "msg": _excerpt(item["msg"]),
        }
        value = item.get("input")
        # Echo scalar offenders only; a whole object would repeat the request.
        if value is None or isinstance(value, bool | int | str):
            entry["input"] = _excerpt(value)
        elif isinstance(value, float):
            entry["input"] = value if math.isfinite(value) else repr(value)
        items.append(entry)
    return items


class ClientGoneError(Exception):
    """The client closed its connection before its request was read."""


def _check_json_content_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != JSON:
        raise ApiError(
            415,
            "unsupported_media_type",
            ["header", "content-type"],
            f"the body must be sent as {JSON}, not "
            f"{_excerpt(media_type) or 'without a Content-Type'}",
            close=True,
        )


async def _read_chunks(request: Request, max_bytes: int) -> bytes:
    too_large = ApiError(
        413,
        "body_too_large",
        ["body"],
        f"the request body exceeds the limit of {max_bytes} bytes",
        close=True,
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_body(request: Request, max_bytes: int, timeout: float) -> bytes:
    """The whole body, within ``timeout`` seconds: a client that stalls would hold
    its connection, and its slot in the server, for ever."""
    try:
        async with asyncio.timeout(timeout):
            return await _read_chunks(request, max_bytes)
    except TimeoutError:
        # One line per slow client: a flood of them must not flood the log.
        client = request.client
        logger.warning(
            "Request body from %s to %s did not arrive within %g s: answered 408",
            f"{client.host}:{client.port}" if client else "unknown",
            request.url.path,
            timeout,
        )
        raise ApiError(
            408,
            "body_timeout",
            ["body"],
            f"the request body did not arrive within {timeout:g} s",
            close=True,
        ) from None
    except ClientDisconnect:
        raise ClientGoneError from None


def _too_deep() -> ApiError:
    return ApiError(422, "json_invalid", ["body"], "malformed JSON: nested too deeply")


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as error:
        raise ApiError(
            422,
            "json_invalid",
            ["body", error.pos],
            f"malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})",
        ) from None
    except ValueError as error:  # not UTF-8, UTF-16 or UTF-32 text
        raise ApiError(
            422, "json_invalid", ["body"], f"the body is not JSON text: {error}"
        ) from None


def _check_unique_keys(records: list[dict]) -> None:
    first_position: dict[int, int] = {}
    for position, record in enumerate(records):
        key = record[APPLICATION_ID]
        if key in first_position:
            raise ApiError(
                422,
                "duplicate_key",
                ["body", "applications", position, APPLICATION_ID],
                f"{APPLICATION_ID} {key} is also the key of applications"
                f"[{first_position[key]}]: keys must be unique in a request",
            )
        first_position[key] = position


class _ServingState:
    """The service once the champion is loaded, or why it is not."""

    def __init__(self) -> None:
        self.service: PredictionService | None = None
        self.batcher: MicroBatcher | None = None
        self.failure: str | None = None

    def require_service(self) -> tuple[PredictionService, MicroBatcher]:
        if self.service is None or self.batcher is None:
            reason = self.failure or "the champion model is still loading"
            raise ApiError(503, "not_ready", ["model"], reason)
        return self.service, self.batcher

    def predict(self, records: Records) -> list[dict]:
        service = self.service
        if service is None:
            raise RuntimeError("no champion is loaded")
        return service.predict(records)

    def serve(self, service: PredictionService, metrics: ApiMetrics) -> None:
        self.service, self.failure = service, None
        champion = service.champion
        metrics.set_model(champion.model_version, champion.algorithm)
        logger.info(
            "Serving champion %s (%s, registered version %s)",
            champion.model_version,
            champion.algorithm,
            champion.metadata.get("registered_version"),
        )


class _MetricsMiddleware:
    """Counts and times every HTTP request, whatever answers it."""

    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            self.metrics.observe_request(
                scope["path"], scope["method"], status, started
            )


async def _send_error(send: Any, status: int, items: list[dict]) -> None:
    response = _error_response(status, items)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})


class _ContainErrorsMiddleware:
    """Answers an unexpected error 500 for its own request and nothing more.

    Starlette's last-resort handler re-raises after answering, which makes uvicorn
    print a second traceback and drop the connection; here the error ends with one
    logged traceback and a normal response.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note_start(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_start)
        except ClientGoneError:
            # One line: a client going away is routine, not a server fault.
            logger.warning(
                "Client %s disconnected before sending its whole body to %s",
                _client_of(scope),
                scope["path"],
            )
            # Never delivered; it lets the metrics count the request as 499.
            gone = {"type": "client_closed_request", "loc": [], "msg": "gone"}
            await _send_error(send, CLIENT_CLOSED_REQUEST, [gone])
        except Exception as error:
            logger.exception("Unexpected error answering %s", scope["path"])
            if not started:
                await _send_error(send, 500, [_internal_error_item(error)])


def _client_of(scope: dict) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown"


def _internal_error_item(error: BaseException) -> dict:
    return {
        "type": "internal_error",
        "loc": [],
        "msg": f"unexpected server error: {type(error).__name__}",
    }


def _presented_keys(headers: Headers) -> list[str]:
    """Every credential sent: an Authorization header (which must be a Bearer
    token) and an X-API-Key header each count."""
    keys = []
    if "authorization" in headers:
        scheme, _, token = headers["authorization"].partition(" ")
        keys.append(token.strip() if scheme.lower() == "bearer" else "")
    if "x-api-key" in headers:
        keys.append(headers["x-api-key"])
    return keys


class _ApiKeyMiddleware:
    """Every path but /health requires the key, as a Bearer token or X-API-Key."""

    def __init__(self, app: Any, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        presented = _presented_keys(Headers(scope=scope))
        # Constant time: the comparison must not tell how much of a guess matched.
        # Every credential sent must be right: a wrong one is never outvoted.
        if presented and all(
            hmac.compare_digest(key.encode(), self._key) for key in presented
        ):
            await self.app(scope, receive, send)
            return
        reason = "wrong" if presented else "missing"
        await _send_error(
            send,
            401,
            [
                {
                    "type": "unauthorized",
                    "loc": ["header", "authorization"],
                    "msg": f"the API key is {reason}: send it as "
                    "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                }
            ],
        )


def _public_data_source(source: Any) -> Any:
    """The training data's description without its file paths, which would tell
    callers about the training machine: file names, rows and hashes stay."""
    if not isinstance(source, dict):
        return source
    public = dict(source)
    if isinstance(source.get("files"), list):
        public["files"] = [
            {
                **{key: value for key, value in file.items() if key != "path"},
                "file": PurePath(str(file["path"])).name,
            }
            if isinstance(file, dict) and "path" in file
            else file
            for file in source["files"]
        ]
    return public


_SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def _require_key_in_schema(schema: dict) -> None:
    """Either header carries the key (two alternatives), on every path but /health."""
    schema["components"]["securitySchemes"] = _SECURITY_SCHEMES
    for path, operations in schema["paths"].items():
        if path not in PUBLIC_PATHS:
            for operation in operations.values():
                operation["security"] = [{name: []} for name in _SECURITY_SCHEMES]


def _openapi_schema(app: FastAPI, request_model: type, key_required: bool) -> dict:
    """FastAPI's schema plus the /predict body, which is validated by hand (to answer
    413 before validating thousands of records) and so unknown to FastAPI."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        body = request_model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components["PredictRequest"] = body
        schema["paths"]["/predict"]["post"]["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/PredictRequest"}
                }
            },
        }
        # Prometheus' text format, whatever FastAPI's default response class says.
        metrics_answer = schema["paths"]["/metrics"]["get"]["responses"]["200"]
        metrics_answer["content"] = {"text/plain": {"schema": {"type": "string"}}}
        if key_required:
            _require_key_in_schema(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def _too_many_applications(count: int, max_applications: int) -> ApiError:
    return ApiError(
        413,
        "too_many_applications",
        ["body", "applications"],
        f"{count} applications in one request; the limit is {max_applications}",
    )


def _records_of(parsed: Any) -> list[dict]:
    records = [application.__dict__ for application in parsed.applications]
    _check_unique_keys(records)
    return records


def _validated_payload(
    payload: Any, request_model: type, max_applications: int
) -> list[dict]:
    """The applications of a parsed body, validated; ApiError if they are not."""
    applications = payload.get("applications") if isinstance(payload, dict) else None
    if isinstance(applications, list) and len(applications) > max_applications:
        raise _too_many_applications(len(applications), max_applications)
    try:
        parsed = request_model.model_validate(payload)
    except ValidationError as error:
        raise ApiError.of_items(422, _validation_items(error)) from None
    except RecursionError:
        raise _too_deep() from None
    return _records_of(parsed)


def _validated_records(
    body: bytes, request_model: type, max_applications: int
) -> list[dict]:
    """The applications of a request body, validated; ApiError if they are not.

    pydantic reads the JSON straight into the request model, in one pass, without
    first building the parsed document in Python. The standard parser is used only when
    pydantic finds the body is not JSON: to explain where it is malformed, or to
    read JSON that is not UTF-8, which pydantic does not.
    """
    try:
        return _records_of(request_model.model_validate_json(body))
    except ValidationError as error:
        failure = error
    items = failure.errors(include_url=False)
    if any("recursion limit" in item["msg"] for item in items):
        raise _too_deep()
    if any(item["type"] == "json_invalid" for item in items):
        return _validated_payload(_parse_json(body), request_model, max_applications)
    for item in items:  # the list's length is checked before its items
        if item["type"] == "too_long" and tuple(item["loc"]) == ("applications",):
            count = item["ctx"]["actual_length"]
            raise _too_many_applications(count, max_applications)
    raise ApiError.of_items(422, _validation_items(failure))


def _add_middleware(
    app: FastAPI, settings: ApiSettings, api_key: str | None, metrics: ApiMetrics
) -> None:
    # The first added runs innermost: errors are contained before the key is
    # checked, metrics count every answer, and CORS headers go on all of them.
    app.add_middleware(_ContainErrorsMiddleware)
    if api_key is not None:
        app.add_middleware(_ApiKeyMiddleware, api_key=api_key)
    app.add_middleware(_MetricsMiddleware, metrics=metrics)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )


def _served_model(model: ScoringModel) -> dict[str, Any]:
    return {
        "model_version": model.model_version,
        "algorithm": model.algorithm,
        "registered_version": model.metadata.get("registered_version"),
        "registered_aliases": model.metadata.get("registered_aliases", []),
    }


async def _reload(
    state: _ServingState,
    prepare: Any,
    metrics: ApiMetrics,
    api_key: str | None,
    lock: asyncio.Lock,
) -> Response:
    """Load the champion again and swap it in between batches; on failure the model
    served so far keeps serving."""
    if api_key is None:
        raise ApiError(
            403,
            "reload_disabled",
            ["api_key"],
            "reloading the model needs an API key: start the API with "
            "LOAN_DEFAULT_API_API_KEY or LOAN_DEFAULT_API_API_KEY_FILE",
        )
    state.require_service()
    async with lock:
        try:
            service = await asyncio.to_thread(prepare, None)
        except Exception as error:
            logger.exception("Reload failed; the current champion keeps serving")
            raise ApiError(
                503,
                "reload_failed",
                ["model"],
                f"the champion was not reloaded: {error}",
            ) from None
        previous = state.service.champion
        state.serve(service, metrics)
    return _json_response(
        {
            "status": "reloaded",
            "previous": _served_model(previous),
            "serving": _served_model(service.champion),
        }
    )


def create_app(
    settings: ApiSettings | None = None, champion: ScoringModel | None = None
) -> FastAPI:
    """The API. ``champion`` given: served as is; otherwise loaded at start-up, in
    the background, from ``settings.model_path`` or the registry's
    ``settings.model_uri``, and again on ``POST /admin/reload``."""
    settings = settings or ApiSettings()
    # Read once at start-up: a missing or empty key file stops the app here.
    api_key = settings.resolved_api_key()
    metrics = ApiMetrics(ENDPOINTS)
    request_model = build_request_model(settings.max_applications)
    state = _ServingState()

    def prepare(model: ScoringModel | None) -> PredictionService:
        model = model if model is not None else load_champion(settings)
        return PredictionService(
            model,
            settings.reason_codes,
            large_batch_rows=settings.inline_batch_applications,
            large_batch_threads=settings.large_batch_threads,
        )

    async def serve_when_loaded() -> None:
        try:
            service = await asyncio.to_thread(prepare, champion)
        except Exception as error:
            state.failure = f"the champion model could not be loaded: {error}"
            logger.exception("The champion model could not be loaded")
            return
        # The batcher scores with whichever service is current when a batch starts,
        # so a reload swaps the model between batches and drops no request.
        batcher = MicroBatcher(
            state.predict,
            settings.max_batch_applications,
            settings.inline_batch_applications,
        )
        batcher.start()
        state.batcher = batcher
        state.serve(service, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(serve_when_loaded())
        yield
        loading.cancel()
        await asyncio.gather(loading, return_exceptions=True)
        if state.batcher is not None:
            await state.batcher.stop()

    app = FastAPI(
        title="Loan default prediction API",
        version=__version__,
        description="Probability of default, decision, risk decile and reason codes "
        "of loan applications, from the champion model.",
        lifespan=lifespan,
    )
    _add_middleware(app, settings, api_key, metrics)

    @app.exception_handler(ApiError)
    async def answer_api_error(request: Request, error: ApiError) -> Response:
        return _error_response(error.status, error.items, close=error.close)

    @app.get("/health", summary="The process is alive")
    async def health() -> dict:
        return {"status": "alive"}

    guarded = (401,) if api_key is not None else ()

    @app.get(
        "/ready",
        summary="The model is loaded and predictions can be served",
        responses={
            **_error_responses(*guarded),
            503: {"description": "Still loading, or loading failed"},
        },
    )
    async def ready() -> Response:
        if state.service is not None:
            return _json_response(
                {
                    "status": "ready",
                    "model_version": state.service.champion.model_version,
                }
            )
        status = "failed" if state.failure else "loading"
        return _json_response({"status": status, "detail": state.failure}, 503)

    @app.get(
        "/model",
        summary="The served champion",
        responses=_error_responses(*guarded, 503),
    )
    async def model() -> Response:
        service, _ = state.require_service()
        card = service.model_card()
        if api_key is None:  # every caller is anonymous: no training paths
            card["data_source"] = _public_data_source(card["data_source"])
        return _json_response(_json_safe(card))

    reload_lock = asyncio.Lock()

    @app.post(
        "/admin/reload",
        summary="Load the champion again (after `kedro model promote` or rollback)",
        responses=_error_responses(401, 403, 503),
    )
    async def reload() -> Response:
        return await _reload(state, prepare, metrics, api_key, reload_lock)

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        responses=_error_responses(*guarded),
    )
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post(
        "/predict",
        summary="Score applications",
        response_model=PredictResponse,
        responses=_error_responses(*guarded, 408, 413, 415, 422, 500, 503),
    )
    async def predict(request: Request) -> Response:
        _, batcher = state.require_service()
        _check_json_content_type(request)
        body = await _read_body(
            request, settings.max_body_bytes, settings.body_timeout_seconds
        )
        records = _validated_records(body, request_model, settings.max_applications)
        predictions = await batcher.score(records)
        metrics.observe_predictions(predictions)
        # Rust serialisation: the standard encoder took 10 ms for 1,000 answers.
        return Response(to_json({"predictions": predictions}), media_type=JSON)

    app.openapi = lambda: _openapi_schema(app, request_model, api_key is not None)
    return app


def create_app_from_environment() -> FastAPI:
    """The app with ``LOAN_DEFAULT_API_*`` settings, for uvicorn's ``--factory``."""
    return create_app(ApiSettings.from_environment())
