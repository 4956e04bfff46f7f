"""What any request may carry, checked once for every service before a schema sees it.

PostgreSQL cannot store a NUL character, asyncpg cannot send an integer beyond 64
bits, a lone UTF-16 surrogate cannot be encoded at all, and JSON nested thousands
deep exhausts the parser's stack. Each of these used to surface as a 500 from
whichever field happened to carry it; here they get one clear 400 for every field,
every free-form property, the query string and form bodies alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizosaas.core.errors import AppError, BadRequest, send_app_error

MAX_DEPTH = 64
INT64 = 2**63


class BadInput(ValueError):
    pass


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise BadInput(f"{where} contains a NUL character, which cannot be stored.")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput(f"{where} contains a lone surrogate (not valid Unicode).") from None


def check_value(value: Any, where: str = "the body", depth: int = 0) -> None:
    """Raise :class:`BadInput` for anything in a decoded JSON document no service can keep."""
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if not -INT64 <= value < INT64:
            raise BadInput(f"{where} holds a number beyond 64 bits ({value:.3g}).")
    elif depth >= MAX_DEPTH:
        raise BadInput(f"The body is nested more than {MAX_DEPTH} levels deep.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"a key in {where}")
            check_value(item, f"{where}.{key}" if len(where) < 200 else where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_value(item, where, depth + 1)


def check_json(body: bytes) -> None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"The body is not valid JSON ({exc}).") from None
    check_value(document)


def check_form(body: bytes, where: str = "the body") -> None:
    try:
        pairs = parse_qsl(body.decode("utf-8", errors="strict"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise BadInput(f"{where} is not valid UTF-8.") from None
    for key, value in pairs:
        _check_text(key, f"a field name in {where}")
        _check_text(value, f"{key!r} in {where}"[:200])


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            return str(value.decode("latin-1")).split(";", 1)[0].strip().lower()
    return ""


class InputGuard:
    """Buffers a JSON or form body (its size is already capped), checks it and the query
    string, then hands the same bytes on; anything bad is answered 400 here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_form(scope.get("query_string", b""), "the query string")
        except BadInput as exc:
            await send_app_error(scope, send, BadRequest(str(exc)))
            return
        kind = _content_type(scope)
        is_json = kind == "application/json" or kind.endswith("+json")
        if not is_json and kind != "application/x-www-form-urlencoded":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        try:
            while True:
                message = await receive()  # capped: too large a body raises PayloadTooLarge
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        except AppError as exc:
            await send_app_error(scope, send, exc)
            return
        try:
            if body:
                (check_json if is_json else check_form)(bytes(body))
        except BadInput as exc:
            await send_app_error(scope, send, BadRequest(str(exc)))
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
