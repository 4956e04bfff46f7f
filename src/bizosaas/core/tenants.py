"""The tenant directory: each tenant's status and rate limit, shared through Redis.

The auth service owns tenants and publishes every change here (and rebuilds the
whole directory from PostgreSQL when it starts); the gateway reads it to refuse
suspended tenants and to apply each tenant's own rate limit, caching entries for
a few seconds per process.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from bizosaas.core.redis import Keys

CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class TenantInfo:
    tenant_id: uuid.UUID
    slug: str
    status: str
    rate_limit_per_hour: int
    name: str = ""
    self_signup: bool = False  # whether newcomers may sign themselves up

    @property
    def suspended(self) -> bool:
        return self.status != "active"


class TenantDirectory:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._cache: dict[uuid.UUID, tuple[float, TenantInfo | None]] = {}

    async def publish(self, info: TenantInfo) -> None:
        await self.redis.hset(  # type: ignore[misc]
            self.keys("tenant", info.tenant_id),
            mapping={
                "slug": info.slug,
                "status": info.status,
                "rate_limit_per_hour": str(info.rate_limit_per_hour),
                "name": info.name,
                "self_signup": "1" if info.self_signup else "",
            },
        )
        # Public pages name a tenant by its slug (another key, another cluster slot).
        await self.redis.set(self.keys("tenant-slug", info.slug), str(info.tenant_id))
        self._cache.pop(info.tenant_id, None)

    async def by_slug(self, slug: str) -> TenantInfo | None:
        """The tenant a slug names now (a renamed tenant's old slug names nobody)."""
        found = await self.redis.get(self.keys("tenant-slug", slug.lower()))
        if not found:
            return None
        info = await self.get(uuid.UUID(found if isinstance(found, str) else found.decode()))
        return info if info is not None and info.slug == slug.lower() else None

    async def get(self, tenant_id: uuid.UUID) -> TenantInfo | None:
        cached = self._cache.get(tenant_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        data: dict[str, str] = await self.redis.hgetall(  # type: ignore[misc,assignment]
            self.keys("tenant", tenant_id)
        )
        info = (
            TenantInfo(
                tenant_id,
                data["slug"],
                data["status"],
                int(data["rate_limit_per_hour"]),
                data.get("name", ""),
                bool(data.get("self_signup")),
            )
            if data
            else None
        )
        self._cache[tenant_id] = (now, info)
        return info
