"""What services share about members through Redis (rebuildable caches, never the record).

* :class:`MemberDirectory` — which tenant each user belongs to, their display name and
  whether they are active. The auth service owns users and publishes every change
  (and the whole directory when it starts); gamification reads it to refuse events
  for another tenant's members.
* :class:`ClaimsSnapshot` — each member's gamification figures (achievement count,
  rank on the tenant's main board, referral code, portfolio id). The gamification
  service writes it after every change; the auth service reads it when it issues a
  token, so the JWT's ``gamification`` claim is filled without a call between services.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from bizosaas.core.errors import NotFound
from bizosaas.core.redis import Keys

CLAIM_FIELDS = ("achievement_count", "leaderboard_rank", "referral_code", "portfolio_id")


@dataclass(frozen=True, slots=True)
class MemberInfo:
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    display_name: str
    active: bool = True
    joined_at: datetime | None = None  # when the account was made (only new members refer in)


class MemberDirectory:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.key = keys("members")

    @staticmethod
    def _encode(info: MemberInfo) -> bytes:
        return orjson.dumps(
            {
                "tenant_id": str(info.tenant_id) if info.tenant_id else None,
                "name": info.display_name,
                "active": info.active,
                "joined_at": info.joined_at.isoformat() if info.joined_at else None,
            }
        )

    async def publish(self, *members: MemberInfo) -> None:
        if not members:
            return
        mapping = {str(m.user_id): self._encode(m) for m in members}
        await self.redis.hset(self.key, mapping=mapping)  # type: ignore[arg-type,misc]

    async def get(self, user_id: uuid.UUID) -> MemberInfo | None:
        raw = await self.redis.hget(self.key, str(user_id))  # type: ignore[misc]
        return _decode(user_id, raw) if raw else None

    async def member_of(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> MemberInfo:
        """The member, if it belongs to this tenant; anyone else is answered as unknown."""
        info = await self.get(user_id)
        if info is None or info.tenant_id != tenant_id:
            raise NotFound(f"No member {user_id} in this tenant.")
        return info

    async def get_many(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, MemberInfo]:
        if not user_ids:
            return {}
        raws = await self.redis.hmget(self.key, [str(u) for u in user_ids])  # type: ignore[misc]
        return {u: _decode(u, raw) for u, raw in zip(user_ids, raws, strict=True) if raw}


def _decode(user_id: uuid.UUID, raw: str | bytes) -> MemberInfo:
    data = orjson.loads(raw)
    tenant = data.get("tenant_id")
    joined = data.get("joined_at")
    return MemberInfo(
        user_id,
        uuid.UUID(tenant) if tenant else None,
        data.get("name", ""),
        data["active"],
        datetime.fromisoformat(joined) if joined else None,
    )


class ClaimsSnapshot:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, user_id: uuid.UUID) -> str:
        return self.keys("gamification", "claims", user_id)

    async def write_many(self, snapshots: dict[uuid.UUID, dict[str, Any]]) -> None:
        if snapshots:
            # One SET each (pipelined), not MSET: the keys live in many cluster slots.
            async with self.redis.pipeline(transaction=False) as pipe:
                for user_id, claims in snapshots.items():
                    pipe.set(self._key(user_id), orjson.dumps(claims))
                await pipe.execute()

    async def delete(self, user_id: uuid.UUID) -> None:
        await self.redis.delete(self._key(user_id))

    async def read(self, user_id: uuid.UUID) -> dict[str, Any]:
        """The claim for a token: every field present, null where nothing is known yet."""
        raw = await self.redis.get(self._key(user_id))
        stored = orjson.loads(raw) if raw else {}
        return {name: stored.get(name) for name in CLAIM_FIELDS}
