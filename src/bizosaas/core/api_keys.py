"""Tenant API keys: their format, and the Redis directory the gateway and services check.

A key is ``bzk_<tenant id, 32 hex>_<43 random url-safe characters>``: the tenant is
readable without a lookup (for per-tenant rate limits), but only the SHA-256 of
the whole key is ever stored, so the key cannot be recovered and a forged key
names no tenant that the directory vouches for. The gamification service owns the
keys (in PostgreSQL) and publishes each one here; a revoked key is removed at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from redis.asyncio import Redis

from bizosaas.core.redis import Keys

KEY_PREFIX = "bzk_"
API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    key_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: tuple[str, ...]


def new_api_key(tenant_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    # The key has 256 bits of randomness: a fast hash cannot be brute-forced.
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What lists show of a key: enough to recognise it, nothing to use."""
    return key[: len(KEY_PREFIX) + 8] + "…" + key[-4:]


def tenant_of(key: str) -> uuid.UUID | None:
    """The tenant a well-formed key claims (unverified)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    try:
        return uuid.UUID(hex=key[len(KEY_PREFIX) : len(KEY_PREFIX) + 32])
    except ValueError:
        return None


class ApiKeyDirectory:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, key_hash: str) -> str:
        return self.keys("api-key", key_hash)

    async def publish(
        self, key_hash: str, info: ApiKeyInfo, expires_at: datetime | None = None
    ) -> None:
        """Vouch for a key; one with an expiry disappears from Redis when it expires."""
        value = {
            "key_id": str(info.key_id),
            "tenant_id": str(info.tenant_id),
            "scopes": info.scopes,
        }
        expiry = int(expires_at.timestamp()) if expires_at is not None else None
        await self.redis.set(self._key(key_hash), orjson.dumps(value), exat=expiry)

    async def revoke(self, key_hash: str) -> None:
        await self.redis.delete(self._key(key_hash))

    async def lookup(self, key: str) -> ApiKeyInfo | None:
        if tenant_of(key) is None:
            return None
        raw = await self.redis.get(self._key(hash_api_key(key)))
        if not raw:
            return None
        data = orjson.loads(raw)
        return ApiKeyInfo(
            uuid.UUID(data["key_id"]), uuid.UUID(data["tenant_id"]), tuple(data["scopes"])
        )
