"""The hot copy of every open session, in Redis, checked on every request.

Each session is a hash holding the caller's *current* authorization (role,
permissions, platforms), so a change made by an admin or a logout takes effect on
the very next request. PostgreSQL keeps the durable row it can be rebuilt from.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from bizosaas.core.redis import Keys

LAST_SEEN_RESOLUTION = 60  # seconds: don't write on every request
# HSET only if the session still exists, so an update never resurrects an ended one.
_UPDATE_IF_LIVE = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then "
    "redis.call('HSET', KEYS[1], 'role', ARGV[1], 'permissions', ARGV[2], "
    "'allowed_platforms', ARGV[3]) end"
)


@dataclass(frozen=True, slots=True)
class LiveSession:
    session_id: uuid.UUID
    user_id: uuid.UUID
    tenant_id: uuid.UUID | None
    tenant_slug: str | None
    email: str
    role: str
    permissions: tuple[str, ...]
    allowed_platforms: tuple[str, ...]
    platform: str
    expires_at: float
    last_seen: float = 0.0

    def to_hash(self) -> dict[str, str]:
        return {
            "user_id": str(self.user_id),
            "tenant_id": str(self.tenant_id or ""),
            "tenant_slug": self.tenant_slug or "",
            "email": self.email,
            "role": self.role,
            "permissions": ",".join(self.permissions),
            "allowed_platforms": ",".join(self.allowed_platforms),
            "platform": self.platform,
            "expires_at": str(self.expires_at),
            "last_seen": str(self.last_seen or time.time()),
        }

    @classmethod
    def from_hash(cls, session_id: uuid.UUID, data: dict[str, str]) -> LiveSession:
        return cls(
            session_id=session_id,
            user_id=uuid.UUID(data["user_id"]),
            tenant_id=uuid.UUID(data["tenant_id"]) if data.get("tenant_id") else None,
            tenant_slug=data.get("tenant_slug") or None,
            email=data["email"],
            role=data["role"],
            permissions=tuple(p for p in data.get("permissions", "").split(",") if p),
            allowed_platforms=tuple(p for p in data.get("allowed_platforms", "").split(",") if p),
            platform=data.get("platform", ""),
            expires_at=float(data.get("expires_at", 0)),
            last_seen=float(data.get("last_seen", 0)),
        )


class LiveSessionStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _session_key(self, session_id: uuid.UUID | str) -> str:
        return self.keys("session", session_id)

    def _user_key(self, user_id: uuid.UUID | str) -> str:
        return self.keys("user-sessions", user_id)

    async def put(self, session: LiveSession) -> None:
        key = self._session_key(session.session_id)
        user_key = self._user_key(session.user_id)
        # Two keys in two cluster slots, so no MULTI across them: the user's index first, so a
        # session is never live without being listed (a listed id without a session is harmless).
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(user_key, str(session.session_id))
            pipe.expireat(user_key, int(session.expires_at), gt=True)
            pipe.expireat(user_key, int(session.expires_at), nx=True)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=dict(session.to_hash()))  # type: ignore[arg-type]
            pipe.expireat(key, int(session.expires_at))
            await pipe.execute()

    async def get(self, session_id: uuid.UUID) -> LiveSession | None:
        data: dict[str, str] = await self.redis.hgetall(  # type: ignore[misc,assignment]
            self._session_key(session_id)
        )
        if not data or "user_id" not in data:
            return None
        return LiveSession.from_hash(session_id, data)

    async def touch(self, session: LiveSession) -> None:
        now = time.time()
        if now - session.last_seen >= LAST_SEEN_RESOLUTION:
            # HSET only if the session still exists, so a touch never resurrects one.
            await self.redis.eval(  # type: ignore[misc]
                "if redis.call('EXISTS', KEYS[1]) == 1 then "
                "redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end",
                1,
                self._session_key(session.session_id),
                str(now),
            )

    async def delete(self, session_ids: list[uuid.UUID], user_id: uuid.UUID | None = None) -> None:
        if not session_ids:
            return
        # The sessions end first (one DEL each: they live in many cluster slots), then the index.
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.delete(self._session_key(session_id))
            if user_id is not None:
                pipe.srem(self._user_key(user_id), *(str(s) for s in session_ids))
            await pipe.execute()

    async def user_session_ids(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        members: set[str] = await self.redis.smembers(  # type: ignore[misc,assignment]
            self._user_key(user_id)
        )
        return [uuid.UUID(m) for m in members]

    async def update_authorization(
        self,
        user_id: uuid.UUID,
        role: str,
        permissions: tuple[str, ...],
        allowed_platforms: tuple[str, ...],
    ) -> None:
        """Apply a role or permission change to every open session of the user, now."""
        keys = [self._session_key(s) for s in await self.user_session_ids(user_id)]
        args = (role, ",".join(permissions), ",".join(allowed_platforms))
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:  # one script per session: they live in many cluster slots
                pipe.eval(_UPDATE_IF_LIVE, 1, key, *args)
            await pipe.execute()

    async def user_last_seen(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.hget(self._session_key(session_id), "last_seen")
            values = await pipe.execute()
        return {s: float(v) for s, v in zip(session_ids, values, strict=True) if v}
