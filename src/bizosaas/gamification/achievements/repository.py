"""Every query about the tenant's achievement definitions and categories.

The event path is written for throughput: one query per kind of row and batch,
arrays instead of long IN lists, and rows sorted by key before they are written
so two transactions never lock the same rows in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.achievements import catalog
from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
)
from bizosaas.gamification.events.models import GamificationEvent

ACTIVE, ARCHIVED = "active", "archived"


class AchievementRepository(TenantRepository[Achievement]):
    """The session's tenant's achievements (catalog copies and custom) and categories."""

    model = Achievement

    async def catalog_copies(self) -> int:
        query = select(func.count()).where(
            Achievement.tenant_id == self.tenant_id, Achievement.source == "catalog"
        )
        return int((await self.session.execute(query)).scalar_one())

    async def copy_catalog(self) -> int:
        """Give the tenant its own copy of every catalog entry it lacks; returns how many."""
        now = utcnow()
        await self.session.execute(
            insert(AchievementCategory)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": self.tenant_id,
                        "key": c.key,
                        "name": c.name,
                        "description": c.description,
                        "position": c.position,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for c in sorted(catalog.CATEGORIES, key=lambda c: c.key)
                ]
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        )
        categories = await CategoryRepository(self.session).ids_by_key()
        rows = [
            {
                "id": uuid.uuid4(),
                "tenant_id": self.tenant_id,
                "category_id": categories.get(a.category),
                "key": a.key,
                "name": a.name,
                "description": a.description,
                "icon": a.icon,
                "platform": a.platform,
                "trigger": a.trigger,
                "levels": a.levels,
                "hidden": a.hidden,
                "status": ACTIVE,
                "source": "catalog",
                "created_at": now,
                "updated_at": now,
            }
            for a in sorted(catalog.ACHIEVEMENTS, key=lambda a: a.key)
        ]
        inserted = set(
            (
                await self.session.execute(
                    insert(Achievement)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
                    .returning(Achievement.key)
                )
            ).scalars()
        )
        linked = [a for a in catalog.ACHIEVEMENTS if a.key in inserted and a.prerequisite]
        if linked:
            ids = await self.ids_by_key({a.prerequisite for a in linked if a.prerequisite})
            for entry in linked:
                await self.session.execute(
                    update(Achievement)
                    .where(Achievement.tenant_id == self.tenant_id, Achievement.key == entry.key)
                    .values(prerequisite_id=ids.get(entry.prerequisite or ""))
                )
        return len(inserted)

    async def definitions(self, status: str | None = None) -> list[Achievement]:
        query = self.statement()
        if status is not None:
            query = query.where(Achievement.status == status)
        return list((await self.session.execute(query.order_by(Achievement.key))).scalars())

    async def definition(self, achievement_id: uuid.UUID) -> Achievement | None:
        return await self.get(Achievement.id == achievement_id)

    async def definition_by_key(self, key: str) -> Achievement | None:
        return await self.get(Achievement.key == key)

    async def ids_by_key(self, keys: Iterable[str]) -> dict[str, uuid.UUID]:
        query = select(Achievement.key, Achievement.id).where(
            Achievement.tenant_id == self.tenant_id, Achievement.key.in_(list(keys))
        )
        return {key: id_ for key, id_ in (await self.session.execute(query)).tuples()}

    async def keys_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        query = select(Achievement.id, Achievement.key).where(
            Achievement.tenant_id == self.tenant_id, Achievement.id.in_(list(ids))
        )
        return {id_: key for id_, key in (await self.session.execute(query)).tuples()}

    async def prerequisite_links(self) -> dict[uuid.UUID, uuid.UUID | None]:
        query = select(Achievement.id, Achievement.prerequisite_id).where(
            Achievement.tenant_id == self.tenant_id
        )
        return {
            id_: prerequisite for id_, prerequisite in (await self.session.execute(query)).tuples()
        }

    async def event_type_seen(self, event_type: str) -> bool:
        query = select(
            select(GamificationEvent.seq)
            .where(
                GamificationEvent.tenant_id == self.tenant_id, GamificationEvent.type == event_type
            )
            .exists()
        )
        return bool((await self.session.execute(query)).scalar_one())


class CategoryRepository(TenantRepository[AchievementCategory]):
    model = AchievementCategory

    async def in_order(self) -> list[AchievementCategory]:
        query = self.statement().order_by(AchievementCategory.position, AchievementCategory.key)
        return list(await self.all(query))

    async def ids_by_key(self) -> dict[str, uuid.UUID]:
        query = select(AchievementCategory.key, AchievementCategory.id).where(
            AchievementCategory.tenant_id == self.tenant_id
        )
        return {key: id_ for key, id_ in (await self.session.execute(query)).tuples()}
