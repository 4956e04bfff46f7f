"""Notifications: stored with the change that caused them, then published live.

Each one is a row (the web apps list them) and, once committed, a message on Redis
pub/sub: ``<prefix>:notifications:<tenant>:<user>`` for the member (one message each) and
``<prefix>:notifications:<tenant>`` for the tenant's admin screens (a list per batch). A draft whose
dedupe key was already used (a replay) is neither stored nor sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.redis import Keys
from bizosaas.gamification.events.pipeline import Batch, NotificationDraft
from bizosaas.gamification.notifications.models import Notification


class Notifier:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def member_channel(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
        return self.keys("notifications", tenant_id, user_id)

    def tenant_channel(self, tenant_id: uuid.UUID) -> str:
        return self.keys("notifications", tenant_id)

    async def stage(self, db: AsyncSession, batch: Batch) -> None:
        """Store the batch's drafts; publish the new ones after the commit."""
        stored = await self.store(db, batch.tenant_id, batch.notifications)
        if stored:
            after_commit(db, lambda: self.publish(batch.tenant_id, stored))

    async def store(
        self, db: AsyncSession, tenant_id: uuid.UUID, drafts: Sequence[NotificationDraft]
    ) -> list[dict[str, object]]:
        if not drafts:
            return []
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "user_id": d.user_id,
                "kind": d.kind,
                "title": d.title,
                "body": d.body,
                "data": d.data,
                "dedupe_key": d.dedupe_key,
                "created_at": now,
            }
            for d in drafts
        ]
        result = await db.execute(
            _STORE,
            {
                "tenant_id": tenant_id,
                "now": now,
                "ids": [r["id"] for r in rows],
                "users": [r["user_id"] for r in rows],
                "kinds": [d.kind for d in drafts],
                "titles": [d.title for d in drafts],
                "bodies": [d.body for d in drafts],
                "data": [orjson.dumps(d.data).decode() for d in drafts],
                "keys": [d.dedupe_key for d in drafts],
            },
        )
        inserted = set(result.scalars())
        return [row for row in rows if row["id"] in inserted]

    async def publish(self, tenant_id: uuid.UUID, rows: Sequence[dict[str, object]]) -> None:
        """One message per notification to its member; one list per batch to the tenant."""
        messages = [message_of(row) for row in rows]
        async with self.redis.pipeline(transaction=False) as pipe:
            for row, message in zip(rows, messages, strict=True):
                pipe.publish(
                    self.member_channel(tenant_id, row["user_id"]),  # type: ignore[arg-type]
                    orjson.dumps(message),
                )
            pipe.publish(self.tenant_channel(tenant_id), orjson.dumps(messages))
            await pipe.execute()


# A fixed statement over arrays: prepared once, whatever the number of notifications.
_STORE = text(
    """
    INSERT INTO notifications (id, tenant_id, user_id, kind, title, body, data, dedupe_key,
                               created_at)
    SELECT n.id, :tenant_id, n.user_id, n.kind, n.title, n.body, CAST(n.data AS jsonb), n.key,
           :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:users AS uuid[]), CAST(:kinds AS text[]),
                CAST(:titles AS text[]), CAST(:bodies AS text[]), CAST(:data AS text[]),
                CAST(:keys AS text[])) AS n(id, user_id, kind, title, body, data, key)
    ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
    RETURNING id
    """
)


def message_of(row: dict[str, object] | Notification) -> dict[str, object]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    created = get("created_at")
    return {
        "id": str(get("id")),
        "user_id": str(get("user_id")),
        "kind": get("kind"),
        "title": get("title"),
        "body": get("body"),
        "data": get("data"),
        "created_at": created.isoformat() if isinstance(created, datetime) else None,
        "read_at": None,
    }
