"""Notifications: stored with the change that caused them, then published live.

Each one is a row (the web apps list them) and, once committed, a message on Redis
pub/sub: ``<prefix>:notifications:<tenant>:<user>`` for the member and
``<prefix>:notifications:<tenant>`` for the tenant's admin screens. A draft whose
dedupe key was already used (a replay) is neither stored nor sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson
from redis.asyncio import Redis
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
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
            batch.on_commit(lambda: self.publish(batch.tenant_id, stored))

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
        inserted = set(
            (
                await db.execute(
                    insert(Notification)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["tenant_id", "dedupe_key"])
                    .returning(Notification.id)
                )
            ).scalars()
        )
        return [row for row in rows if row["id"] in inserted]

    async def publish(self, tenant_id: uuid.UUID, rows: Sequence[dict[str, object]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for row in rows:
                message = orjson.dumps(message_of(row))
                pipe.publish(self.member_channel(tenant_id, row["user_id"]), message)  # type: ignore[arg-type]
                pipe.publish(self.tenant_channel(tenant_id), message)
            await pipe.execute()


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
