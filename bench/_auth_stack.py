"""The servers of an auth benchmark run: PostgreSQL, Valkey and OpenBao, a database, users.

Each server comes from the environment (the same ``BIZOSAAS_TEST_*`` variables as
the tests) or is started here from ``bizosaas.stack`` on free loopback ports.
Every run gets its own database, Redis prefix and Vault path, removed at the end.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from bench._harness import progress
from bizosaas.auth.bootstrap import ensure_user
from bizosaas.auth.models import Tenant, User
from bizosaas.core.database import Database, RowScope
from bizosaas.core.gateway_proof import load_proof_secret
from bizosaas.core.runtime import Runtime
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import Role
from bizosaas.stack.isolated import (
    Servers,
    isolated_databases,
    isolated_servers,
    isolated_settings,
    new_run,
)

PASSWORD = "Quiet-Meadow-Lantern-93"


@contextlib.contextmanager
def running_servers(root: Path) -> Iterator[Servers]:
    """PostgreSQL, Valkey and OpenBao: named in the environment, or started here."""
    with isolated_servers(root, announce=progress) as servers:
        yield servers


@contextlib.asynccontextmanager
async def bench_settings(
    servers: Servers, *, pool_size: int | None, require_gateway: bool
) -> AsyncIterator[Settings]:
    """A database of its own (provisioned and migrated), Redis prefix and Vault path."""
    run = new_run()
    progress(f"provisioning and migrating the databases of run {run}")
    extra: dict[str, Any] = {} if pool_size is None else {"database_pool_size": pool_size}
    async with isolated_databases(servers, "bench", run) as urls:
        settings = isolated_settings(
            servers,
            "bench",
            run,
            **urls,
            log_level="WARNING",
            log_json=True,
            require_gateway=require_gateway,
            **extra,
        )
        try:
            yield settings
        finally:
            await _forget_redis_keys(settings)


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
