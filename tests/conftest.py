"""The test harness: real PostgreSQL, Redis and Vault, started here or named in the environment.

The servers, databases and settings of a run come from :mod:`bizosaas.stack.isolated`
(the benchmarks use the same): each is named by a ``BIZOSAAS_TEST_*`` variable or
started from the PyPI packages in a temporary directory, and every run uses its own
databases, Redis key prefix and Vault path; every test makes its own tenant.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from bizosaas.core.settings import Settings
from bizosaas.core.temporal import exit_cleanly, temporal_used
from bizosaas.launch import IN_ONE_PROCESS, Platform, assemble_platform, listener_ports
from bizosaas.runner import Listener, ServerGroup, bind
from bizosaas.stack.isolated import (
    Servers,
    isolated_databases,
    isolated_servers,
    isolated_settings,
    new_run,
)
from tests.factories import FrontDoor
from tests.language_model import MODEL, FakeLanguageModel
from tests.payment_providers import providers_app

_exit_status: list[int] = []


def pytest_configure(config: pytest.Config) -> None:
    """Registered first, so it runs last of the exit handlers: a run that used Temporal's
    client ends with pytest's own exit status, never an abort in the interpreter's
    finalisation (:mod:`bizosaas.core.temporal`)."""
    atexit.register(_exit_with_pytest_status)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def _exit_with_pytest_status() -> None:
    if temporal_used() and _exit_status:
        exit_cleanly(_exit_status[-1])


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with isolated_servers(tmp_path_factory.mktemp("stack")) as running:
        yield running


def bind_platform_ports() -> list[socket.socket]:
    return bind(listener_ports(0, dict.fromkeys(IN_ONE_PROCESS, 0)), "127.0.0.1")


@pytest.fixture(scope="session")
def platform_sockets() -> Iterator[list[socket.socket]]:
    """The platform's ports, bound first (as `bizosaas up` does), on free loopback ports."""
    sockets = bind_platform_ports()
    yield sockets
    for sock in sockets:
        sock.close()


def platform_settings(
    urls: dict[str, str],
    servers: Servers,
    redis_url: str,
    run: str,
    sockets: list[socket.socket],
) -> Settings:
    """Settings of a platform under test: its own Redis prefix and Vault path, and the
    gateway in front of everything on one origin, as `bizosaas up` sets them."""
    public_port = sockets[-1].getsockname()[1]
    return isolated_settings(
        servers,
        "test",
        run,
        **urls,
        redis_url=redis_url,
        log_json=False,
        public_url=f"http://localhost:{public_port}",
        gateway_url=f"http://127.0.0.1:{public_port}",
    )


@pytest.fixture(scope="session")
async def language_model() -> AsyncIterator[tuple[FakeLanguageModel, str]]:
    """The suite's OpenAI-compatible server on 127.0.0.1, and its base URL."""
    model = FakeLanguageModel()
    (sock,) = bind([("language model", 0)], "127.0.0.1")
    group = ServerGroup([Listener("language model", model.app(), 0)], [sock])
    await group.start()
    try:
        yield model, f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        await group.stop()
        sock.close()


@pytest.fixture(scope="session")
async def payment_providers() -> AsyncIterator[dict[str, str]]:
    """The suite's stand-in for Stripe's and PayPal's APIs on 127.0.0.1; Razorpay is a port
    nothing listens on (a provider that cannot be reached)."""
    socks = bind([("payment providers", 0), ("closed", 0)], "127.0.0.1")
    group = ServerGroup([Listener("payment providers", providers_app(), 0)], socks[:1])
    await group.start()
    closed = socks[1].getsockname()[1]
    socks[1].close()
    url = f"http://127.0.0.1:{socks[0].getsockname()[1]}"
    try:
        yield {
            "stripe": url,
            "paypal-test": url,
            "paypal-live": url,
            "razorpay": f"http://127.0.0.1:{closed}",
        }
    finally:
        await group.stop()
        socks[0].close()


@pytest.fixture(scope="session")
async def settings(
    servers: Servers,
    platform_sockets: list[socket.socket],
    language_model: tuple[FakeLanguageModel, str],
    payment_providers: dict[str, str],
) -> AsyncIterator[Settings]:
    """The platform under test writes showcases with the suite's language model, and checks
    payment credentials with the suite's providers."""
    run = new_run()
    async with isolated_databases(servers, "test", run) as urls:
        yield platform_settings(urls, servers, servers.redis_url, run, platform_sockets).model_copy(
            update={
                "language_model_url": language_model[1],
                "language_model": MODEL,
                "language_model_timeout_seconds": 2.0,
                "payment_api_urls": payment_providers,
            }
        )


@dataclass(frozen=True)
class RunningPlatform:
    platform: Platform
    url: str  # the gateway, over real HTTP

    @property
    def apps(self) -> dict[str, Any]:
        return self.platform.apps


@contextlib.asynccontextmanager
async def serve_platform(
    settings: Settings, sockets: list[socket.socket]
) -> AsyncIterator[RunningPlatform]:
    """The platform as `bizosaas up` assembles it, on ``sockets`` (bound in listener order):
    every service on its own port and mounted in the gateway with the shipped route
    table, every guard on."""
    platform = assemble_platform(settings)
    ports = {
        name: sock.getsockname()[1] for name, sock in zip(IN_ONE_PROCESS, sockets[:-1], strict=True)
    }
    public_port = sockets[-1].getsockname()[1]
    group = ServerGroup(platform.listeners(public_port, ports), sockets)
    await group.start()
    try:
        yield RunningPlatform(platform, f"http://127.0.0.1:{public_port}")
    finally:
        await group.stop()


@pytest.fixture(scope="session")
async def platform(
    settings: Settings, platform_sockets: list[socket.socket]
) -> AsyncIterator[RunningPlatform]:
    async with serve_platform(settings, platform_sockets) as running:
        FrontDoor.app = running.platform.gateway
        try:
            yield running
        finally:
            FrontDoor.app = None


@pytest.fixture(scope="session")
def gateway(platform: RunningPlatform) -> ASGIApp:
    return platform.platform.gateway


@pytest.fixture(scope="session")
def auth_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["auth-service"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def gamification_app(platform: RunningPlatform) -> FastAPI:
    """The gamification service with its event processor running, as in `bizosaas up`."""
    return platform.apps["gamification-service"]  # type: ignore[no-any-return]
