"""One error hierarchy and one handler: ``{"error": "<Name>", "detail": "..."}``.

Services raise these; nothing else reaches a client. Unexpected exceptions are
logged with their stack trace and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

logger = logging.getLogger("bizosaas.errors")


class AppError(Exception):
    status_code = 400

    def __init__(
        self,
        detail: str,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = dict(headers or {})

    @property
    def name(self) -> str:
        return type(self).__name__


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401

    def __init__(self, detail: str = "Authentication required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="bizosaas"'})


class InvalidCredentials(Unauthorized):
    pass


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503


def error_body(name: str, detail: object) -> dict[str, object]:
    return {"error": name, "detail": detail}


async def send_json(
    send: Send, status: int, body: object, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A JSON answer straight from ASGI middleware (where no framework handler runs)."""
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def send_app_error(
    scope: Scope, send: Send, exc: AppError, headers: Sequence[tuple[bytes, bytes]] | None = None
) -> None:
    """The one error format from ASGI middleware; a WebSocket is closed instead."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008 if exc.status_code < 500 else 1011})
        return
    if headers is None:
        headers = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    await send_json(send, exc.status_code, error_body(exc.name, exc.detail), headers)


RETRY_AFTER_SECONDS = 5
# SQLSTATE classes: connection, resources, operator intervention (shutdown, starting up).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")


class DependencyUnavailable(ServiceUnavailable):
    """PostgreSQL, Redis or Vault cannot be reached: resend later (event ids make it safe)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is unavailable right now; please retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")


def translate(exc: BaseException) -> AppError | None:
    """The client's answer for an exception that is not a bug of ours, or ``None``.

    An outage of a store answers 503 with ``Retry-After``; a value the database
    cannot keep answers 400, a constraint it breaks 409, and a row that changed
    under a concurrent request 409 too. Everything else stays a 500, logged.
    """
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return DependencyUnavailable("Redis")
    if isinstance(exc, redis_errors.BusyLoadingError):
        return DependencyUnavailable("Redis")
    if isinstance(exc, StaleDataError):
        return Conflict("This was changed or removed by another request; try again.")
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return DependencyUnavailable("The database")
    if isinstance(exc, sa_exc.DBAPIError):
        state = _sqlstate(exc)
        if isinstance(exc, sa_exc.DataError) or state.startswith("22"):
            return BadRequest("A value in the request cannot be stored (out of range or invalid).")
        if isinstance(exc, sa_exc.IntegrityError) or state.startswith("23"):
            return Conflict("The request conflicts with the current data.")
        if state.startswith("40"):  # deadlock or serialization failure: a concurrent change
            return Conflict("This was changed by another request at the same time; try again.")
        if (
            exc.connection_invalidated
            or isinstance(exc, sa_exc.InterfaceError | sa_exc.OperationalError)
            or state.startswith(_UNAVAILABLE_SQLSTATES)
        ):
            return DependencyUnavailable("The database")
        return None
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return DependencyUnavailable("A service this one needs")
    # The driver's own errors, raised while a connection is being made (not yet wrapped).
    if str(getattr(exc, "sqlstate", "") or "").startswith(_UNAVAILABLE_SQLSTATES):
        return DependencyUnavailable("The database")
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
        return DependencyUnavailable("The database")
    return None


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means a store is unreachable (so the work should wait and retry),
    rather than something wrong with the work itself."""
    return isinstance(translate(exc), DependencyUnavailable)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.name, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Echo where and why, never the submitted values (they may be passwords).
        problems = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        return JSONResponse(error_body("ValidationError", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return JSONResponse(
            error_body(name, exc.detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def _translated(request: Request, exc: Exception) -> JSONResponse:
        answer = translate(exc)
        if answer is None:
            return await _unexpected(request, exc)
        logger.warning("answered %s for %s", answer.status_code, type(exc).__name__, exc_info=exc)
        return await _app_error(request, answer)

    for kind in (
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,
        StaleDataError,
        redis_errors.RedisError,
        asyncpg.PostgresError,  # raised unwrapped while a pooled connection is being made
        asyncpg.InterfaceError,
        ConnectionError,
        TimeoutError,
        OSError,
    ):
        app.add_exception_handler(kind, _translated)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        answer = translate(exc)  # raised where only the last-resort handler sees it
        if answer is not None:
            return await _app_error(request, answer)
        logger.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(
            error_body("InternalError", "Something went wrong on our side."), status_code=500
        )
