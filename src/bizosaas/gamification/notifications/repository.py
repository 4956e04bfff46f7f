"""All SQL about stored notifications (the tenant's, through the repository kit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, tuple_, update

from bizosaas.core.repository import (
    Page,
    PageRequest,
    TenantRepository,
    keyset_page,
)
from bizosaas.gamification.notifications.models import Notification


class NotificationRepository(TenantRepository[Notification]):
    model = Notification

    async def page_of(
        self, user_id: uuid.UUID, page: PageRequest, *, unread: bool
    ) -> Page[Notification]:
        query = self.statement().where(Notification.user_id == user_id)
        if unread:
            query = query.where(Notification.read_at.is_(None))
        return await keyset_page(
            self.session,
            query,
            (Notification.created_at, Notification.id),
            page,
        )

    async def after(
        self, user_id: uuid.UUID, notification_id: uuid.UUID, limit: int = 100
    ) -> list[Notification]:
        """The member's notifications newer than this one of theirs, oldest first."""
        last = await self.get(Notification.id == notification_id, Notification.user_id == user_id)
        if last is None:
            return []
        query = (
            self.statement()
            .where(
                Notification.user_id == user_id,
                tuple_(Notification.created_at, Notification.id)
                > tuple_(bindparam("c", last.created_at), bindparam("i", last.id)),
            )
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
        return list(await self.all(query))

    async def unread_count(self, user_id: uuid.UUID) -> int:
        query = select(func.count()).where(
            Notification.tenant_id == self.tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        return int((await self.session.execute(query)).scalar_one())

    async def one_of(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
        return await self.get(Notification.user_id == user_id, Notification.id == notification_id)

    async def insert_new(self, rows: list[dict[str, Any]], now: datetime) -> set[uuid.UUID]:
        """Store the rows whose dedupe key is new; returns the ids stored."""
        result = await self.session.execute(
            _STORE,
            {
                "tenant_id": self.tenant_id,
                "now": now,
                "ids": [r["id"] for r in rows],
                "users": [r["user_id"] for r in rows],
                "kinds": [r["kind"] for r in rows],
                "titles": [r["title"] for r in rows],
                "bodies": [r["body"] for r in rows],
                "data": [orjson.dumps(r["data"]).decode() for r in rows],
                "keys": [r["dedupe_key"] for r in rows],
            },
        )
        return set(result.scalars())

    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.tenant_id == self.tenant_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


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
