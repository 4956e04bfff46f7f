"""Events the platform's own services send to gamification (a login, a finished wizard).

They go through a Redis stream, ``<prefix>:gamification:inbox``: the sender appends
and moves on (a login never waits for gamification, and never fails because of it);
the gamification service reads the stream in a consumer group, stores the events in
its log with ``source = 'platform'`` and acknowledges them. Each event carries an id
derived from what happened (``login:<session id>``), so a message delivered twice is
stored once. The stream is capped, so a long outage of gamification costs the oldest
events beyond the cap rather than Redis' memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from bizosaas.core.database import utcnow
from bizosaas.core.redis import Keys

STREAM_MAX_LENGTH = 1_000_000


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    event_id: str
    type: str
    properties: dict[str, Any]
    occurred_at: datetime


class PlatformEvents:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.stream = keys("gamification", "inbox")

    async def send(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        event_id: str,
        type: str,
        properties: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        fields = {
            "tenant_id": str(tenant_id),
            "user_id": str(user_id),
            "event_id": event_id,
            "type": type,
            "properties": orjson.dumps(properties or {}),
            "occurred_at": (occurred_at or utcnow()).isoformat(),
        }
        await self.redis.xadd(
            self.stream,
            fields,  # type: ignore[arg-type]
            maxlen=STREAM_MAX_LENGTH,
            approximate=True,
        )


def decode(fields: dict[str, str]) -> PlatformEvent:
    return PlatformEvent(
        tenant_id=uuid.UUID(fields["tenant_id"]),
        user_id=uuid.UUID(fields["user_id"]),
        event_id=fields["event_id"],
        type=fields["type"],
        properties=orjson.loads(fields.get("properties") or "{}"),
        occurred_at=datetime.fromisoformat(fields["occurred_at"]),
    )
