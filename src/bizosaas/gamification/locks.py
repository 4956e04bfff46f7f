"""The gamification service's advisory locks, each taken for one transaction.

* the tenant lock: one processor batch, replay or rank rebuild per tenant at a time;
* the member lock: one change to a member's gamification record at a time.

Whoever takes both takes the tenant's first, so no two transactions can wait on
each other in a circle (an erasure racing a privacy change once deadlocked).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def tenant_lock_key(tenant_id: uuid.UUID) -> int:
    """A stable 63-bit advisory-lock key per tenant."""
    return int.from_bytes(tenant_id.bytes[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


async def try_lock_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> bool:
    result = await db.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": tenant_lock_key(tenant_id)}
    )
    return bool(result.scalar_one())


async def lock_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Wait for the tenant's processing lock (a replay holds it while it rebuilds)."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": tenant_lock_key(tenant_id)}
    )


async def lock_member(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"member:{tenant_id}:{user_id}"},
    )
