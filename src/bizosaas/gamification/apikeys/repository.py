"""All SQL about tenant API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.apikeys.models import ApiKey


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def active_count(self) -> int:
        query = select(func.count()).where(
            ApiKey.tenant_id == self.tenant_id, ApiKey.revoked_at.is_(None)
        )
        return int((await self.session.execute(query)).scalar_one())

    async def newest_first(self) -> Sequence[ApiKey]:
        return await self.all(self.statement().order_by(ApiKey.created_at.desc()))

    async def by_id(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.get(ApiKey.id == key_id)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        return await self.get(ApiKey.key_hash == key_hash)


async def usable_keys(db: AsyncSession, now: datetime) -> Sequence[ApiKey]:
    """Platform-wide (rebuilding the Redis directory): every key neither revoked nor expired."""
    query = select(ApiKey).where(
        ApiKey.revoked_at.is_(None), ApiKey.expires_at.is_(None) | (ApiKey.expires_at > now)
    )
    return (await db.execute(query)).scalars().all()
