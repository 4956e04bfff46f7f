"""One-process mode: the gateway's own added latency, and what each of its steps costs.

The trivial upstream is mounted in the gateway (``create_app(settings, apps=...)``)
and both are called as ASGI apps from this process, one request at a time,
alternately: the same app directly, then through the gateway (route table,
authenticate + tenantContext + rateLimit against the real Redis, identity headers
and their HMAC, metrics, access log). No sockets, so the difference is the
gateway's own work and its Redis round trips.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from bench._gateway_apps import trivial_upstream
from bench._gateway_stack import UPSTREAM
from bench._gateway_steps import (
    PATH,
    Timing,
    access_log_written,
    step_costs,
)
from bizosaas.core.settings import Settings
from bizosaas.gateway.app import Gateway, create_app
from bizosaas.gateway.config import load_config

PEER = ("127.0.0.1", 50123)


@dataclass
class InProcess:
    direct: Timing
    gateway: Timing
    gateway_info_log: Timing  # the same, with the access log written (level INFO)
    errors: int
    components: list[Timing]

    @property
    def added_p50_ms(self) -> float:
        return (self.gateway.p50 - self.direct.p50) / 1000


def request_headers(token: str) -> list[tuple[bytes, bytes]]:
    """What a browser's fetch() sends, more or less: the same for both ways of calling."""
    return [
        (b"host", b"127.0.0.1:8002"),
        (b"user-agent", b"bench/gateway"),
        (b"accept", b"application/json"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"authorization", f"Bearer {token}".encode()),
    ]


async def call(app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> int:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": PEER,
        "server": ("127.0.0.1", 8002),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def compare(
    app: ASGIApp, headers: list[tuple[bytes, bytes]], iterations: int, seconds: float
) -> tuple[Timing, Timing, int]:
    """Alternate direct and gateway calls, so that drift of the machine hits both alike."""
    direct: list[float] = []
    gateway: list[float] = []
    errors = 0
    clock = time.perf_counter_ns
    for _ in range(max(200, iterations // 10)):  # warm-up: connections, caches, JIT-free paths
        await call(trivial_upstream, headers)
        await call(app, headers)
    deadline = time.monotonic() + seconds
    for _ in range(iterations):
        began = clock()
        await call(trivial_upstream, headers)
        middle = clock()
        status = await call(app, headers)
        ended = clock()
        direct.append((middle - began) / 1000)
        if status == 200:
            gateway.append((ended - middle) / 1000)
        else:
            errors += 1
        if time.monotonic() > deadline:
            break
    return Timing("direct", sorted(direct)), Timing("gateway", sorted(gateway)), errors


async def measure_in_process(
    settings: Settings, routes: Path, token: str, iterations: int, seconds: float
) -> InProcess:
    app = create_app(settings, apps={UPSTREAM: trivial_upstream}, config=load_config(routes))
    gateway: Gateway = app.gateway  # type: ignore[attr-defined]
    await gateway.startup()
    try:
        headers = request_headers(token)
        direct, through, errors = await compare(app, headers, iterations, seconds)
        with access_log_written(settings):
            _, logged, logged_errors = await compare(app, headers, iterations // 2, seconds / 2)
        parts = await step_costs(gateway, token, max(1000, iterations // 4))
    finally:
        await gateway.shutdown()
    logged.name = "gateway, access log at INFO"
    return InProcess(direct, through, logged, errors + logged_errors, parts)
