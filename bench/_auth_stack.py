"""The servers of an auth benchmark run: PostgreSQL, Valkey and OpenBao, a database, users.

Each server comes from the environment (the same ``BIZOSAAS_TEST_*`` variables as
the tests) or is started here from ``bizosaas.stack`` on free loopback ports.
Every run gets its own database, Redis prefix and Vault path, removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizosaas.auth.bootstrap import ensure_user
from bizosaas.auth.models import Tenant, User
from bizosaas.core.database import Database, RowScope
from bizosaas.core.gateway_proof import load_proof_secret
from bizosaas.core.runtime import Runtime
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import Role
from bizosaas.migrations.runner import database_names, provision_and_migrate
from bizosaas.stack import EmbeddedOpenBao, EmbeddedPostgres, EmbeddedValkey, StackPorts
from bizosaas.stack.provision import drop_database

LOOPBACK = "127.0.0.1"
PASSWORD = "Quiet-Meadow-Lantern-93"


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Servers:
    admin_url: str
    redis_url: str
    vault_addr: str
    vault_token: str
    pids: dict[str, int]  # the servers started here, for CPU accounting
    description: str


@contextlib.contextmanager
def running_servers(root: Path) -> Iterator[Servers]:
    """PostgreSQL, Valkey and OpenBao: named in the environment, or started here."""
    ports = StackPorts.ephemeral()
    started: list[EmbeddedPostgres | EmbeddedValkey | EmbeddedOpenBao] = []
    pids: dict[str, int] = {}
    try:
        admin_url = os.environ.get("BIZOSAAS_TEST_DATABASE_ADMIN_URL")
        if not admin_url:
            progress("starting PostgreSQL")
            postgres = EmbeddedPostgres(root / "postgres", ports.postgres)
            started.append(postgres)
            postgres.start()
            admin_url = postgres.admin_url
            pids["postgres"] = postgres.pid or 0
        redis_url = os.environ.get("BIZOSAAS_TEST_REDIS_URL")
        if not redis_url:
            progress("starting Valkey")
            valkey = EmbeddedValkey(root / "valkey", ports.redis)
            started.append(valkey)
            valkey.start()
            redis_url = valkey.url
            pids["valkey"] = valkey.pid or 0
        vault_addr = os.environ.get("BIZOSAAS_TEST_VAULT_ADDR")
        vault_token = os.environ.get("BIZOSAAS_TEST_VAULT_TOKEN", "")
        if not vault_addr:
            progress("starting OpenBao")
            bao = EmbeddedOpenBao(root / "openbao", ports.vault, dev=True)
            started.append(bao)
            bao.start()
            vault_addr, vault_token = bao.addr, bao.token
        names = [type(s).__name__.removeprefix("Embedded") for s in started]
        description = f"started here: {', '.join(names) or 'none'}"
        if len(names) < 3:
            description += "; the others named by BIZOSAAS_TEST_* variables"
        yield Servers(admin_url, redis_url, vault_addr, vault_token, pids, description)
    finally:
        for server in reversed(started):
            with contextlib.suppress(Exception):  # stop the others even if one is stuck
                server.stop()


@contextlib.asynccontextmanager
async def bench_settings(
    servers: Servers, *, pool_size: int | None, require_gateway: bool
) -> AsyncIterator[Settings]:
    """A database of its own (provisioned and migrated), Redis prefix and Vault path."""
    run = uuid.uuid4().hex[:8]
    progress(f"provisioning and migrating the databases of run {run}")
    try:
        urls = await provision_and_migrate(
            servers.admin_url,
            f"bench_{run}",
            owner=("bizosaas_bench_owner", f"owner-{run}"),
            app=("bizosaas_bench_app", f"app-{run}"),
        )
        extra: dict[str, Any] = {} if pool_size is None else {"database_pool_size": pool_size}
        settings = Settings(
            environment="test",
            **urls,
            redis_url=servers.redis_url,
            redis_prefix=f"bizosaas-bench-{run}",
            vault_addr=servers.vault_addr,
            vault_token=servers.vault_token,
            vault_path=f"bizosaas-bench-{run}",
            log_level="WARNING",
            log_json=True,
            require_gateway=require_gateway,
            **extra,
        )
        try:
            yield settings
        finally:
            await _forget_redis_keys(settings)
    finally:
        for database in database_names(f"bench_{run}"):
            await drop_database(servers.admin_url, database)


async def gateway_secret(settings: Settings) -> bytes | None:
    """The gateway's proof secret, when the services insist on it (the default)."""
    if not settings.require_gateway:
        return None
    store = SecretStore(
        settings.vault_addr, settings.vault_token, settings.vault_mount, settings.vault_path
    )
    secret: bytes = await load_proof_secret(store)
    return secret


async def _forget_redis_keys(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        batch: list[str] = []
        async for key in runtime.redis.scan_iter(match=f"{settings.redis_prefix}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await runtime.redis.delete(*batch)
                batch.clear()
        if batch:
            await runtime.redis.delete(*batch)
    finally:
        await runtime.close()


async def create_users(settings: Settings, count: int) -> list[str]:
    """A tenant and `count` users; one argon2 hash (the slow part) serves them all."""
    progress(f"creating a tenant and {count} users")
    database = Database(settings.database_url, pool_size=1)
    emails = [f"bench-{i:04d}@example.com" for i in range(count)]
    try:
        async with database.transaction(RowScope.platform_wide()) as db:
            tenant = Tenant(id=uuid.uuid4(), slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
            db.add(tenant)
            await db.flush()
            first, _ = await ensure_user(db, emails[0], PASSWORD, Role.USER, tenant, "Bench User")
            db.add_all(
                User(
                    id=uuid.uuid4(),
                    email=email,
                    full_name="Bench User",
                    tenant_id=tenant.id,
                    role=first.role,
                    permissions=list(first.permissions),
                    allowed_platforms=list(first.allowed_platforms),
                    hashed_password=first.hashed_password,
                    is_active=True,
                    is_verified=True,
                    is_superuser=False,
                )
                for email in emails[1:]
            )
    finally:
        await database.dispose()
    return emails
