"""Servers and settings for one isolated run: the test suite and the benchmarks.

Each server is named in the environment or started here, from the PyPI packages,
on free loopback ports:

* ``BIZOSAAS_TEST_DATABASE_ADMIN_URL`` — a superuser URL of an existing PostgreSQL
  (for example the machine's own: ``postgresql://postgres@127.0.0.1:5432/postgres``);
* ``BIZOSAAS_TEST_REDIS_URL`` — an existing Redis or Valkey;
* ``BIZOSAAS_TEST_VAULT_ADDR`` and ``BIZOSAAS_TEST_VAULT_TOKEN`` — an existing Vault/OpenBao;
* ``BIZOSAAS_TEST_TEMPORAL_ADDRESS`` — an existing Temporal (host:port); the one started
  here lets a test fast-forward one workflow's clock (``frontend.WorkflowTimeSkippingEnabled``),
  which the suite's hold tests need of a named one too.

A run then gets databases, a Redis key prefix, a Vault path and a Temporal task queue of
its own
(:func:`isolated_databases`, :func:`isolated_settings`), so runs never see each
other's data.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizosaas.core.settings import Settings
from bizosaas.migrations.runner import database_names, provision_and_migrate
from bizosaas.stack._process import free_tcp_port
from bizosaas.stack.openbao import EmbeddedOpenBao
from bizosaas.stack.postgres import EmbeddedPostgres
from bizosaas.stack.provision import drop_database
from bizosaas.stack.server import EmbeddedServer
from bizosaas.stack.temporal import EmbeddedTemporal
from bizosaas.stack.valkey import EmbeddedValkey


@dataclass(frozen=True)
class Servers:
    admin_url: str  # "" when PostgreSQL was not asked for
    redis_url: str
    vault_addr: str
    vault_token: str
    temporal_address: str
    pids: dict[str, int] = field(default_factory=dict)  # started here, for CPU meters
    description: str = ""


@contextlib.contextmanager
def isolated_servers(
    root: Path, *, postgres: bool = True, announce: Callable[[str], None] | None = None
) -> Iterator[Servers]:
    """PostgreSQL (unless not needed), Redis, Vault and Temporal: named in the environment,
    or started under ``root`` and stopped at the end (each one even if another is stuck)."""
    started: list[EmbeddedServer] = []

    def start(server: EmbeddedServer, key: str) -> None:
        if announce:
            announce(f"starting {server.label}")
        started.append(server)
        server.start()
        pids[key] = server.pid or 0

    pids: dict[str, int] = {}
    try:
        admin_url = os.environ.get("BIZOSAAS_TEST_DATABASE_ADMIN_URL", "")
        if postgres and not admin_url:
            cluster = EmbeddedPostgres(root / "postgres", free_tcp_port())
            start(cluster, "postgres")
            admin_url = cluster.admin_url
        redis_url = os.environ.get("BIZOSAAS_TEST_REDIS_URL", "")
        if not redis_url:
            valkey = EmbeddedValkey(root / "valkey", free_tcp_port())
            start(valkey, "valkey")
            redis_url = valkey.url
        vault_addr = os.environ.get("BIZOSAAS_TEST_VAULT_ADDR", "")
        vault_token = os.environ.get("BIZOSAAS_TEST_VAULT_TOKEN", "")
        if not vault_addr:
            bao = EmbeddedOpenBao(root / "openbao", free_tcp_port(), dev=True)
            start(bao, "openbao")
            vault_addr, vault_token = bao.addr, bao.token
        temporal_address = os.environ.get("BIZOSAAS_TEST_TEMPORAL_ADDRESS", "")
        if not temporal_address:
            temporal = EmbeddedTemporal(
                root / "temporal", free_tcp_port(), free_tcp_port(), time_skipping=True
            )
            start(temporal, "temporal")
            temporal_address = temporal.address
        names = [server.label for server in started]
        description = f"started here: {', '.join(names) or 'none'}"
        if len(names) < 3 + postgres:
            description += "; the others named by BIZOSAAS_TEST_* variables"
        yield Servers(
            admin_url, redis_url, vault_addr, vault_token, temporal_address, pids, description
        )
    finally:
        for server in reversed(started):
            with contextlib.suppress(Exception):
                server.stop()


def new_run() -> str:
    return uuid.uuid4().hex[:8]


@contextlib.asynccontextmanager
async def isolated_databases(
    servers: Servers, label: str, run: str
) -> AsyncIterator[dict[str, str]]:
    """This run's databases, provisioned and migrated, dropped at the end; yields their URLs
    as ``Settings`` fields."""
    name = f"{label}_{run}"
    urls = await provision_and_migrate(
        servers.admin_url,
        name,
        owner=(f"bizosaas_{label}_owner", f"owner-{run}"),
        app=(f"bizosaas_{label}_app", f"app-{run}"),
    )
    try:
        yield urls
    finally:
        for database in database_names(name):
            await drop_database(servers.admin_url, database)


def isolated_settings(servers: Servers, label: str, run: str, **overrides: Any) -> Settings:
    """Settings whose Redis prefix, Vault path and Temporal task queue belong to this run
    alone."""
    fields: dict[str, Any] = {
        "environment": "test",
        "redis_url": servers.redis_url,
        "redis_prefix": f"bizosaas-{label}-{run}",
        "vault_addr": servers.vault_addr,
        "vault_token": servers.vault_token,
        "vault_path": f"bizosaas-{label}-{run}",
        "temporal_address": servers.temporal_address,
        "temporal_task_queue": f"bizosaas-{label}-{run}",
        **overrides,
    }
    return Settings(**fields)
