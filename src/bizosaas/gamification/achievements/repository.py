"""Every query of the achievements domain; each one takes the tenant explicitly.

The event path is written for throughput: one query per kind of row and batch,
arrays instead of long IN lists, and rows sorted by key before they are written
so two transactions never lock the same rows in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.gamification.achievements import catalog
from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
    AchievementProgress,
    TenantAchievement,
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


# -- progress ---------------------------------------------------------------------------


@dataclass(slots=True)
class ProgressRow:
    achievement_id: uuid.UUID
    user_id: uuid.UUID
    value: Decimal
    state: dict[str, Any]
    stored: tuple[Decimal, bytes] | None = None  # as loaded: unchanged rows are not written

    def state_json(self) -> bytes:
        return orjson.dumps(self.state)


def _order(achievement_id: uuid.UUID, user_id: uuid.UUID) -> tuple[int, int]:
    """Lock order for rows of one batch (integers sort far faster than UUID objects)."""
    return achievement_id.int, user_id.int


_LOAD_PROGRESS = text(
    "SELECT p.achievement_id, p.user_id, p.value, p.state::text "
    "FROM unnest(CAST(:achievements AS uuid[]), CAST(:users AS uuid[])) AS k(a, u) "
    "JOIN achievement_progress p ON p.tenant_id = :tenant AND p.achievement_id = k.a "
    "AND p.user_id = k.u"
)

_SAVE_PROGRESS = text(
    "INSERT INTO achievement_progress (tenant_id, achievement_id, user_id, value, state, "
    "updated_at) "
    "SELECT :tenant, a, u, v, CAST(s AS jsonb), :now FROM unnest(CAST(:achievements AS uuid[]), "
    "CAST(:users AS uuid[]), CAST(:values AS numeric[]), CAST(:states AS text[])) AS t(a, u, v, s) "
    "ON CONFLICT (tenant_id, achievement_id, user_id) DO UPDATE SET value = EXCLUDED.value, "
    "state = EXCLUDED.state, updated_at = EXCLUDED.updated_at"
)


async def load_progress(
    db: AsyncSession, tenant_id: uuid.UUID, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], ProgressRow]:
    """The progress rows of exactly these (achievement, member) pairs."""
    wanted = sorted(set(pairs), key=lambda pair: _order(*pair))
    if not wanted:
        return {}
    result = await db.execute(
        _LOAD_PROGRESS,
        {
            "tenant": tenant_id,
            "achievements": [a for a, _ in wanted],
            "users": [u for _, u in wanted],
        },
    )
    rows = {}
    for a, u, value, state in result.tuples():
        raw = state.encode()
        rows[(a, u)] = ProgressRow(a, u, value, orjson.loads(raw), (value, raw))
    return rows


async def save_progress(
    db: AsyncSession, tenant_id: uuid.UUID, rows: Sequence[ProgressRow]
) -> None:
    """One upsert for the whole batch, in lock order; rows as they were loaded are skipped."""
    changed: list[tuple[ProgressRow, bytes]] = []
    for row in rows:
        state = row.state_json()
        if row.stored is None or row.stored != (row.value, state):
            changed.append((row, state))
    if not changed:
        return
    changed.sort(key=lambda item: _order(item[0].achievement_id, item[0].user_id))
    await db.execute(
        _SAVE_PROGRESS,
        {
            "tenant": tenant_id,
            "now": utcnow(),
            "achievements": [r.achievement_id for r, _ in changed],
            "users": [r.user_id for r, _ in changed],
            "values": [r.value for r, _ in changed],
            "states": [state.decode() for _, state in changed],
        },
    )


async def member_progress(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> dict[uuid.UUID, ProgressRow]:
    query = select(
        AchievementProgress.achievement_id,
        AchievementProgress.value,
        AchievementProgress.state,
    ).where(AchievementProgress.tenant_id == tenant_id, AchievementProgress.user_id == user_id)
    return {
        a: ProgressRow(a, user_id, value, state)
        for a, value, state in (await db.execute(query)).tuples()
    }


async def forget_progress(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> None:
    query = delete(AchievementProgress).where(AchievementProgress.tenant_id == tenant_id)
    if user_id is not None:
        query = query.where(AchievementProgress.user_id == user_id)
    await db.execute(query)


# -- unlocks ----------------------------------------------------------------------------


async def first_unlocks(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    achievement_ids: Iterable[uuid.UUID],
    user_ids: Iterable[uuid.UUID],
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """When each member unlocked the first level of these achievements (prerequisites)."""
    query = select(
        TenantAchievement.achievement_id, TenantAchievement.user_id, TenantAchievement.unlocked_at
    ).where(
        TenantAchievement.tenant_id == tenant_id,
        TenantAchievement.level == 0,
        TenantAchievement.achievement_id.in_(list(achievement_ids)),
        TenantAchievement.user_id.in_(list(user_ids)),
    )
    return {(a, u): at for a, u, at in (await db.execute(query)).tuples()}


_RECORD_UNLOCKS = text(
    "INSERT INTO tenant_achievements (id, tenant_id, achievement_id, user_id, level, "
    "level_name, points_awarded, event_id, unlocked_at) "
    "SELECT i, :tenant, a, u, l, n, p, e, t FROM unnest(CAST(:ids AS uuid[]), "
    "CAST(:achievements AS uuid[]), CAST(:users AS uuid[]), CAST(:levels AS int[]), "
    "CAST(:names AS text[]), CAST(:points AS int[]), CAST(:events AS text[]), "
    "CAST(:times AS timestamptz[])) AS r(i, a, u, l, n, p, e, t) "
    "ON CONFLICT (tenant_id, achievement_id, user_id, level) DO NOTHING "
    "RETURNING achievement_id, user_id, level"
)


@dataclass(frozen=True, slots=True)
class Unlock:
    achievement_id: uuid.UUID
    user_id: uuid.UUID
    level: int  # index into the achievement's levels
    level_name: str
    points: int
    event_id: str
    unlocked_at: datetime


async def record_unlocks(
    db: AsyncSession, tenant_id: uuid.UUID, unlocks: Sequence[Unlock]
) -> set[tuple[uuid.UUID, uuid.UUID, int]]:
    """Insert unlock rows; the (achievement, member, level) of those that are new."""
    if not unlocks:
        return set()
    ordered = sorted(unlocks, key=lambda r: (*_order(r.achievement_id, r.user_id), r.level))
    result = await db.execute(
        _RECORD_UNLOCKS,
        {
            "tenant": tenant_id,
            "ids": [uuid.uuid4() for _ in ordered],
            "achievements": [r.achievement_id for r in ordered],
            "users": [r.user_id for r in ordered],
            "levels": [r.level for r in ordered],
            "names": [r.level_name for r in ordered],
            "points": [r.points for r in ordered],
            "events": [r.event_id for r in ordered],
            "times": [r.unlocked_at for r in ordered],
        },
    )
    return {(a, u, level) for a, u, level in result.tuples()}


async def member_unlocks(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[TenantAchievement]:
    query = (
        select(TenantAchievement)
        .where(TenantAchievement.tenant_id == tenant_id, TenantAchievement.user_id == user_id)
        .order_by(TenantAchievement.unlocked_at, TenantAchievement.level)
    )
    return list((await db.execute(query)).scalars())


async def forget_unlocks(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await db.execute(
        delete(TenantAchievement).where(
            TenantAchievement.tenant_id == tenant_id, TenantAchievement.user_id == user_id
        )
    )


_RECOUNT_SOME = text(
    "UPDATE members m SET achievement_count = (SELECT count(DISTINCT t.achievement_id) "
    "FROM tenant_achievements t WHERE t.tenant_id = :tenant AND t.user_id = m.user_id) "
    "WHERE m.tenant_id = :tenant AND m.user_id = ANY(CAST(:users AS uuid[]))"
)
_RECOUNT_ALL = text(
    "UPDATE members m SET achievement_count = (SELECT count(DISTINCT t.achievement_id) "
    "FROM tenant_achievements t WHERE t.tenant_id = :tenant AND t.user_id = m.user_id) "
    "WHERE m.tenant_id = :tenant"
)


async def recount_achievements(
    db: AsyncSession, tenant_id: uuid.UUID, user_ids: Iterable[uuid.UUID] | None = None
) -> None:
    """Set members.achievement_count from the unlock rows (of these members, or of all)."""
    if user_ids is None:
        await db.execute(_RECOUNT_ALL, {"tenant": tenant_id})
        return
    users = sorted(set(user_ids))
    if users:
        await db.execute(_RECOUNT_SOME, {"tenant": tenant_id, "users": users})
