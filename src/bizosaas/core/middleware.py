"""Per-request plumbing as plain ASGI middleware (cheap on the hot path).

Assigns a request id, enforces the body-size limit while the body streams in,
records metrics and writes one JSON access-log line per request.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizosaas.core.errors import PayloadTooLarge, send_app_error
from bizosaas.core.logging import get_logger, request_id_var
from bizosaas.core.metrics import HTTP_LATENCY, HTTP_REQUESTS

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
access_log = get_logger("bizosaas.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent_id = _header(scope, b"x-request-id")
        request_id = sent_id if sent_id and _REQUEST_ID.match(sent_id) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            too_large = PayloadTooLarge(f"The request body exceeds {self.max_body_bytes} bytes.")
            await send_app_error(scope, send, too_large, [(b"x-request-id", request_id.encode())])
            request_id_var.reset(token)
            return

        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the app, so the one error handler renders the 413.
                    raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(key == b"x-request-id" for key, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            state = scope.get("state", {})
            route = scope.get("route")
            template = state.get("route") or getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(self.service, template, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(self.service, template).observe(elapsed)
            access_log.info(
                "request",
                service=self.service,
                method=scope["method"],
                path=scope["path"],
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                tenant_id=state.get("tenant_id"),
                user_id=state.get("user_id"),
                upstream=state.get("upstream"),
            )
            request_id_var.reset(token)
