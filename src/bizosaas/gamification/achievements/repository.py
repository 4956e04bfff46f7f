"""Every query of the achievements domain; each one takes the tenant explicitly.

The event path is written for throughput: one query per kind of row and batch,
arrays instead of long IN lists, and rows sorted by key before they are written
so two transactions never lock the same rows in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.gamification.achievements import catalog
from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
)
from bizosaas.gamification.events.models import GamificationEvent

ACTIVE, ARCHIVED = "active", "archived"


# -- the catalog ------------------------------------------------------------------------


async def catalog_copies(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        Achievement.tenant_id == tenant_id, Achievement.source == "catalog"
    )
    return int((await db.execute(query)).scalar_one())


async def copy_catalog(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Give the tenant its own copy of every catalog entry it lacks; returns how many."""
    now = utcnow()
    await db.execute(
        insert(AchievementCategory)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
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
    categories = await category_ids(db, tenant_id)
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
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
            await db.execute(
                insert(Achievement)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
                .returning(Achievement.key)
            )
        ).scalars()
    )
    linked = [a for a in catalog.ACHIEVEMENTS if a.key in inserted and a.prerequisite]
    if linked:
        ids = await ids_by_key(db, tenant_id, {a.prerequisite for a in linked if a.prerequisite})
        for entry in linked:
            await db.execute(
                update(Achievement)
                .where(Achievement.tenant_id == tenant_id, Achievement.key == entry.key)
                .values(prerequisite_id=ids.get(entry.prerequisite or ""))
            )
    return len(inserted)


# -- categories -------------------------------------------------------------------------


async def categories(db: AsyncSession, tenant_id: uuid.UUID) -> list[AchievementCategory]:
    query = (
        select(AchievementCategory)
        .where(AchievementCategory.tenant_id == tenant_id)
        .order_by(AchievementCategory.position, AchievementCategory.key)
    )
    return list((await db.execute(query)).scalars())


async def category_ids(db: AsyncSession, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    query = select(AchievementCategory.key, AchievementCategory.id).where(
        AchievementCategory.tenant_id == tenant_id
    )
    return {key: id_ for key, id_ in (await db.execute(query)).tuples()}


async def add_category(db: AsyncSession, row: AchievementCategory) -> bool:
    """False when the key is taken (nothing stored)."""
    result = await db.execute(
        insert(AchievementCategory)
        .values(
            id=row.id,
            tenant_id=row.tenant_id,
            key=row.key,
            name=row.name,
            description=row.description,
            position=row.position,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(AchievementCategory.id)
    )
    return result.scalar_one_or_none() is not None


# -- definitions ------------------------------------------------------------------------


async def definitions(
    db: AsyncSession, tenant_id: uuid.UUID, status: str | None = None
) -> list[Achievement]:
    query = select(Achievement).where(Achievement.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Achievement.status == status)
    return list((await db.execute(query.order_by(Achievement.key))).scalars())


async def definition(
    db: AsyncSession, tenant_id: uuid.UUID, achievement_id: uuid.UUID
) -> Achievement | None:
    query = select(Achievement).where(
        Achievement.tenant_id == tenant_id, Achievement.id == achievement_id
    )
    return (await db.execute(query)).scalar_one_or_none()


async def definition_by_key(db: AsyncSession, tenant_id: uuid.UUID, key: str) -> Achievement | None:
    query = select(Achievement).where(Achievement.tenant_id == tenant_id, Achievement.key == key)
    return (await db.execute(query)).scalar_one_or_none()


async def ids_by_key(
    db: AsyncSession, tenant_id: uuid.UUID, keys: Iterable[str]
) -> dict[str, uuid.UUID]:
    query = select(Achievement.key, Achievement.id).where(
        Achievement.tenant_id == tenant_id, Achievement.key.in_(list(keys))
    )
    return {key: id_ for key, id_ in (await db.execute(query)).tuples()}


async def keys_by_id(
    db: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    query = select(Achievement.id, Achievement.key).where(
        Achievement.tenant_id == tenant_id, Achievement.id.in_(list(ids))
    )
    return {id_: key for id_, key in (await db.execute(query)).tuples()}


async def prerequisite_links(
    db: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, uuid.UUID | None]:
    query = select(Achievement.id, Achievement.prerequisite_id).where(
        Achievement.tenant_id == tenant_id
    )
    return {id_: prerequisite for id_, prerequisite in (await db.execute(query)).tuples()}


async def event_type_seen(db: AsyncSession, tenant_id: uuid.UUID, event_type: str) -> bool:
    query = select(
        select(GamificationEvent.seq)
        .where(GamificationEvent.tenant_id == tenant_id, GamificationEvent.type == event_type)
        .exists()
    )
    return bool((await db.execute(query)).scalar_one())
