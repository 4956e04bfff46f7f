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
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import NotFound
from bizosaas.core.redis import Keys
from bizosaas.core.repository import PageRequest
from bizosaas.gamification.events.pipeline import Batch, NotificationDraft
from bizosaas.gamification.notifications.models import Notification
from bizosaas.gamification.notifications.repository import NotificationRepository
from bizosaas.gamification.notifications.schemas import NotificationOut, NotificationPage


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
        await self.notify(db, batch.tenant_id, batch.notifications)

    async def notify(
        self, db: AsyncSession, tenant_id: uuid.UUID, drafts: Sequence[NotificationDraft]
    ) -> None:
        """Store the drafts in the unit of work; publish the new ones after its commit."""
        stored = await self.store(db, tenant_id, drafts)
        if stored:
            after_commit(db, lambda: self.publish(tenant_id, stored))

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
        inserted = await NotificationRepository(db).insert_new(rows, now)
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


async def list_mine(
    db: AsyncSession, user_id: uuid.UUID, unread: bool, page: PageRequest
) -> NotificationPage:
    notifications = NotificationRepository(db)
    found = await notifications.page_of(user_id, page, unread=unread)
    return NotificationPage(
        notifications=[NotificationOut.model_validate(n) for n in found.items],
        unread=await notifications.unread_count(user_id),
        next_cursor=found.next_cursor,
    )


async def missed_since(
    db: AsyncSession, user_id: uuid.UUID, last_seen: uuid.UUID
) -> list[dict[str, object]]:
    """The member's notifications after the one last seen, oldest first (an SSE reconnect)."""
    return [message_of(n) for n in await NotificationRepository(db).after(user_id, last_seen)]


async def mark_read(
    db: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> NotificationOut:
    notification = await NotificationRepository(db).one_of(user_id, notification_id)
    if notification is None:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await db.flush()
    return NotificationOut.model_validate(notification)


async def mark_all_read(db: AsyncSession, user_id: uuid.UUID) -> int:
    return await NotificationRepository(db).mark_all_read(user_id, utcnow())
