"""The connections a service holds for its lifetime: database, Redis, Vault, Temporal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bizosaas.core.database import Database
from bizosaas.core.redis import Keys, create_redis
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.core.temporal import TemporalLink


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    keys: Keys
    secrets: SecretStore
    temporal: TemporalLink
    db: Database | None = None

    @classmethod
    def create(cls, settings: Settings, *, database_url: str | None = None) -> Runtime:
        """Connect lazily: nothing here blocks on a server until first used."""
        return cls(
            settings=settings,
            redis=create_redis(settings.redis_url),
            keys=Keys(settings.redis_prefix),
            secrets=SecretStore(
                settings.vault_addr, settings.vault_token, settings.vault_mount, settings.vault_path
            ),
            temporal=TemporalLink(settings),
            db=Database(database_url, settings.database_pool_size) if database_url else None,
        )

    @property
    def database(self) -> Database:
        if self.db is None:
            raise RuntimeError("this service was started without a database")
        return self.db

    async def ping_redis(self) -> None:
        await self.redis.ping()  # type: ignore[misc]

    def readiness(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """What `/ready` pings for a service holding a database, Redis and Vault."""
        return {
            "database": self.database.ping,
            "redis": self.ping_redis,
            "vault": self.secrets.ping,
        }

    async def close(self) -> None:
        await self.redis.aclose()
        if self.db is not None:
            await self.db.dispose()
