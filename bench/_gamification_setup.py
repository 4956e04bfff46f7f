"""A benchmark tenant: members in the auth database and the member directory, an API key,
and the tenant's programs (the catalog, a custom achievement, leaderboards)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bench._harness import progress
from bizosaas.auth.models import Tenant, User
from bizosaas.core.api_keys import ApiKeyInfo, display_prefix, hash_api_key, new_api_key
from bizosaas.core.database import Database, RowScope
from bizosaas.core.members import MemberDirectory, MemberInfo
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.gamification.apikeys.models import ApiKey


@dataclass(frozen=True)
class BenchTenant:
    tenant_id: uuid.UUID
    members: list[uuid.UUID]
    api_key: str


async def create_bench_tenant(settings: Settings, members: int) -> BenchTenant:
    progress(f"creating a tenant with {members} members and an API key")
    tenant_id = uuid.uuid4()
    user_ids = [uuid.uuid4() for _ in range(members)]
    auth_db = Database(settings.owner_database_url, pool_size=1)
    try:
        async with auth_db.transaction(RowScope.platform_wide()) as db:
            db.add(Tenant(id=tenant_id, slug=f"bench-{tenant_id.hex[:8]}", name="Bench"))
            await db.flush()
            db.add_all(
                User(
                    id=user_id,
                    email=f"bench-{i:06d}@example.com",
                    full_name=f"Member {i}",
                    tenant_id=tenant_id,
                    role="user",
                    permissions=["access_gamification"],
                    allowed_platforms=["bizoholic"],
                    hashed_password="!",  # never signs in
                    is_active=True,
                    is_verified=True,
                    is_superuser=False,
                )
                for i, user_id in enumerate(user_ids)
            )
    finally:
        await auth_db.dispose()
    runtime = Runtime.create(settings, database_url=settings.gamification_database_url)
    key = new_api_key(tenant_id)
    try:
        await MemberDirectory(runtime.redis, runtime.keys).publish(
            *(MemberInfo(u, tenant_id, f"Member {i}") for i, u in enumerate(user_ids))
        )
        async with runtime.database.transaction(RowScope.tenant(tenant_id)) as db:
            row = ApiKey(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                name="bench",
                prefix=display_prefix(key),
                key_hash=hash_api_key(key),
                scopes=["events:write"],
            )
            db.add(row)
        from bizosaas.core.api_keys import ApiKeyDirectory

        await ApiKeyDirectory(runtime.redis, runtime.keys).publish(
            row.key_hash, ApiKeyInfo(row.id, tenant_id, ("events:write",))
        )
    finally:
        await runtime.close()
    return BenchTenant(tenant_id, user_ids, key)


async def define_programs(settings: Settings, tenant: BenchTenant) -> None:
    """The tenant's programs: the achievement catalog (installed by the first batch), three
    event boards (all-time revenue, today's biggest order, orders this week) and a weekly
    points board fed by the catalog's unlocks."""
    from bench._leaderboard_bench import (
        define_boards,
        define_points_board,
    )

    progress("defining four leaderboards (the catalog's 24 achievements come by themselves)")
    await define_boards(settings, tenant.tenant_id)
    await define_points_board(settings, tenant.tenant_id)
