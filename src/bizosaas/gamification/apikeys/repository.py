"""All SQL about tenant API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from bizosaas.core.repository import PlatformRepository, ScopedRepository
from bizosaas.gamification.apikeys.models import ApiKey


class ApiKeyRepository(ScopedRepository[ApiKey]):
    """The tenant's keys; in a platform-wide unit of work (a super admin revoking one),
    every tenant's."""

    model = ApiKey

    async def active_count(self) -> int:
        live = self.statement().where(ApiKey.revoked_at.is_(None)).subquery()
        query = select(func.count()).select_from(live)
        return int((await self.session.execute(query)).scalar_one())

    async def newest_first(self) -> Sequence[ApiKey]:
        return await self.all(self.statement().order_by(ApiKey.created_at.desc()))

    async def by_id(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.get(ApiKey.id == key_id)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        return await self.get(ApiKey.key_hash == key_hash)


class UsableKeys(PlatformRepository):
    async def all(self, now: datetime) -> Sequence[ApiKey]:
        """Every tenant's keys neither revoked nor expired (rebuilding the Redis directory)."""
        query = select(ApiKey).where(
            ApiKey.revoked_at.is_(None), ApiKey.expires_at.is_(None) | (ApiKey.expires_at > now)
        )
        return (await self.session.execute(query)).scalars().all()
