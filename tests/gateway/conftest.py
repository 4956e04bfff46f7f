"""A gateway under test: in front of the (guarded) auth service and a real echo upstream
served over HTTP, with a route table of its own and small limits to hit."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from bizosaas.core.gateway_proof import GatewayGuard, load_proof_secret
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.gateway.app import create_app as create_gateway
from bizosaas.gateway.config import load_config

ROUTES = """
[defaults]
rate_limit_per_hour = 1000
connect_timeout = 1.0
read_timeout = 5.0
retries = 1
circuit_failures = 3
circuit_cooldown = 0.5

[upstreams]
auth-service = ["http://127.0.0.1:1"]
echo = ["{echo}"]
flaky = ["{dead}", "{echo}"]
dead = ["{dead}"]
crm = []

[[routes]]
prefix = "/api/v1/auth"
upstream = "auth-service"
middleware = ["rateLimit"]

[[routes]]
prefix = "/api/v1/gamification"
upstream = "echo"
middleware = ["authenticate", "tenantContext", "rateLimit"]
api_keys = true

[[routes]]
prefix = "/api/v1/crm"
upstream = "crm"
middleware = ["authenticate", "tenantContext"]

[[routes]]
prefix = "/public"
upstream = "echo"
middleware = ["rateLimit"]
rate_limit = {{ per = "ip", limit = 3, period_seconds = 60 }}

[[routes]]
prefix = "/open"
upstream = "echo"
middleware = []

[[routes]]
prefix = "/flaky"
upstream = "flaky"
middleware = []

[[routes]]
prefix = "/dead"
upstream = "dead"
middleware = []
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def echo_app() -> Starlette:
    """A stand-in service: shows what reached it, streams big bodies, echoes WebSockets."""

    async def echo(request: Request) -> Response:
        request.app.state.hits += 1
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return JSONResponse(
            {
                "path": request.url.path,
                "method": request.method,
                "headers": {k: v for k, v in request.headers.items()},
                "body_bytes": size,
            }
        )

    async def big(request: Request) -> Response:
        request.app.state.hits += 1
        size = int(request.query_params["size"])

        async def chunks() -> AsyncIterator[bytes]:
            sent = 0
            while sent < size:
                piece = min(65536, size - sent)
                yield b"x" * piece
                sent += piece

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def socket_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(f"echo:{text}")

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/{prefix}/big", big),
            WebSocketRoute("/{prefix:path}/ws", socket_echo),
            Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]
    )
    app.state.hits = 0
    return app


class GuardedEcho:
    """The echo service with the same gateway guard every real service has."""

    def __init__(self, app: Starlette, secret: bytes) -> None:
        self.inner = app
        self.app: ASGIApp = GatewayGuard(app, lambda: secret)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int, lifespan: str = "on") -> AsyncIterator[None]:
    """Serve `app` on a real loopback port (lifespan "off" for an app already started)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan=lifespan,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def gateway_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"require_gateway": True, "max_body_bytes": 8_000_000})


@pytest.fixture(scope="session")
async def echo(gateway_settings: Settings) -> AsyncIterator[tuple[Starlette, str]]:
    secret = await load_proof_secret(
        SecretStore(
            gateway_settings.vault_addr,
            gateway_settings.vault_token,
            gateway_settings.vault_mount,
            gateway_settings.vault_path,
        )
    )
    app = echo_app()
    port = free_port()
    async with serving(GuardedEcho(app, secret), port):
        yield app, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
async def guarded_auth_app(gateway_settings: Settings) -> AsyncIterator[FastAPI]:
    from bizosaas.auth.app import create_app

    app = create_app(gateway_settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
def routes_file(tmp_path_factory: pytest.TempPathFactory, echo: tuple[Starlette, str]) -> Path:
    path = tmp_path_factory.mktemp("gateway") / "routes.toml"
    path.write_text(ROUTES.format(echo=echo[1], dead=f"http://127.0.0.1:{free_port()}"))
    return path


async def start_gateway(
    settings: Settings, routes: Path, auth_app: ASGIApp
) -> AsyncIterator[ASGIApp]:
    gateway = create_gateway(settings, apps={"auth-service": auth_app}, config=load_config(routes))
    async with LifespanManager(gateway):  # type: ignore[arg-type]
        yield gateway


@pytest.fixture(scope="session")
async def gateway(
    gateway_settings: Settings, routes_file: Path, guarded_auth_app: FastAPI
) -> AsyncIterator[ASGIApp]:
    async for app in start_gateway(gateway_settings, routes_file, guarded_auth_app):
        yield app


@pytest.fixture(scope="session")
async def second_gateway(
    gateway_settings: Settings, routes_file: Path, guarded_auth_app: FastAPI
) -> AsyncIterator[ASGIApp]:
    """Another copy of the gateway, sharing nothing with the first but Redis."""
    async for app in start_gateway(gateway_settings, routes_file, guarded_auth_app):
        yield app
