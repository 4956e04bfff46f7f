"""Achievement definitions: the tenant's catalog copies and custom ones (members' views are
in :mod:`.member_views`).

Definitions are validated whole before anything is stored; an error changes
nothing. Archiving stops counting and keeps every unlock; there is no delete.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.errors import BadRequest, Conflict, NotFound
from bizosaas.core.schemas import view_of
from bizosaas.gamification.achievements import catalog
from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
)
from bizosaas.gamification.achievements.progress import Definition
from bizosaas.gamification.achievements.repository import (
    ACTIVE,
    AchievementRepository,
    CategoryRepository,
)
from bizosaas.gamification.achievements.schemas import (
    AchievementCreate,
    AchievementOut,
    AchievementUpdate,
    CategoryCreate,
    CategoryOut,
    FilterOut,
    LevelIn,
    LevelOut,
    TriggerIn,
    TriggerOut,
    number,
    stored_levels,
    streak_too_long,
)
from bizosaas.gamification.achievements.triggers import Trigger
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.members.service import tenant_settings


class UnknownEventType(BadRequest):
    pass


async def ensure_catalog(db: AsyncSession) -> None:
    """Copy the catalog into the tenant on first use (and what later releases add to it)."""
    if await AchievementRepository(db).catalog_copies() < len(catalog.ACHIEVEMENTS):
        await AchievementRepository(db).copy_catalog()


# -- categories -------------------------------------------------------------------------


async def list_categories(db: AsyncSession) -> list[CategoryOut]:
    await ensure_catalog(db)
    return [CategoryOut.model_validate(c) for c in await CategoryRepository(db).in_order()]


async def create_category(db: AsyncSession, body: CategoryCreate) -> CategoryOut:
    await ensure_catalog(db)
    row = AchievementCategory(id=uuid.uuid4(), **body.model_dump())
    taken = f"A category with key {body.key!r} already exists."
    await CategoryRepository(db).insert_unique(row, taken=taken)
    return CategoryOut.model_validate(row)


# -- definitions ------------------------------------------------------------------------


async def list_definitions(db: AsyncSession, status: str | None) -> list[AchievementOut]:
    await ensure_catalog(db)
    rows = await AchievementRepository(db).definitions(status)
    return await _definitions_out(db, rows)


async def get_definition(db: AsyncSession, achievement_id: uuid.UUID) -> AchievementOut:
    row = await _definition(db, achievement_id)
    return (await _definitions_out(db, [row]))[0]


async def create_custom(
    db: AsyncSession, caller: Caller, body: AchievementCreate
) -> AchievementOut:
    await ensure_catalog(db)
    if await AchievementRepository(db).definition_by_key(body.key) is not None:
        raise Conflict(f"An achievement with key {body.key!r} already exists in this tenant.")
    category_id = await _category_id(db, body.category)
    await check_event_type(db, body.trigger.event_type)
    prerequisite = await _prerequisite(db, body.prerequisite, None) if body.prerequisite else None
    row = Achievement(
        id=uuid.uuid4(),
        category_id=category_id,
        key=body.key,
        name=body.name,
        description=body.description,
        icon=body.icon,
        platform=body.platform,
        trigger=stored_trigger(body.trigger),
        levels=stored_levels(body.level_list()),
        prerequisite_id=prerequisite,
        hidden=body.hidden,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        status=ACTIVE,
        source="custom",
        created_by=caller.user_id,
    )
    await AchievementRepository(db).insert_unique(
        row, taken=f"An achievement with key {body.key!r} already exists."
    )
    return (await _definitions_out(db, [row]))[0]


async def update_definition(
    db: AsyncSession, achievement_id: uuid.UUID, body: AchievementUpdate
) -> AchievementOut:
    """Checked as a whole, like a new one. Progress is not recomputed: a changed trigger
    counts from now on, unless the tenant admin replays the event log."""
    row = await _definition(db, achievement_id)
    given = body.model_fields_set
    for name in ("name", "description", "icon", "hidden"):
        if getattr(body, name) is not None:
            setattr(row, name, getattr(body, name))
    if "platform" in given:
        row.platform = body.platform
    if "category" in given:
        row.category_id = await _category_id(db, body.category)
    if body.trigger is not None:
        if body.trigger.event_type != row.trigger.get("event_type"):
            await check_event_type(db, body.trigger.event_type)
        row.trigger = stored_trigger(body.trigger)
    if body.levels is not None:
        row.levels = stored_levels(body.levels)
    elif body.threshold is not None or body.points is not None:
        if len(row.levels) != 1:
            raise BadRequest(
                f"This achievement has {len(row.levels)} levels: change them with `levels`."
            )
        only = row.levels[0]
        level = LevelIn(
            name=only["name"],
            threshold=body.threshold or only["threshold"],
            points=body.points if body.points is not None else only["points"],
        )
        row.levels = stored_levels([level])
    if "prerequisite" in given:
        row.prerequisite_id = (
            await _prerequisite(db, body.prerequisite, row.id) if body.prerequisite else None
        )
    if "starts_at" in given:
        row.starts_at = body.starts_at
    if "ends_at" in given:
        row.ends_at = body.ends_at
    if row.starts_at and row.ends_at and row.ends_at <= row.starts_at:
        raise BadRequest("ends_at must be after starts_at.")
    definition = Definition.of(row)
    problem = streak_too_long(definition.trigger.aggregation, definition.top)
    if problem:
        raise BadRequest(problem[0].upper() + problem[1:] + ".")
    row.updated_at = utcnow()
    await db.flush()
    return (await _definitions_out(db, [row]))[0]


async def set_status(db: AsyncSession, achievement_id: uuid.UUID, status: str) -> AchievementOut:
    row = await _definition(db, achievement_id)
    if row.status != status:
        row.status = status
        row.updated_at = utcnow()
        await db.flush()
    return (await _definitions_out(db, [row]))[0]


async def check_event_type(db: AsyncSession, event_type: str) -> None:
    """A trigger may only name an event type that can actually arrive."""
    if event_type in catalog.EVENT_TYPES:
        return
    if event_type in (await tenant_settings(db)).member_event_types:
        return
    if await AchievementRepository(db).event_type_seen(event_type):
        return
    raise UnknownEventType(
        f"Unknown event type {event_type!r}. A trigger may use the catalog's event types "
        f"({', '.join(sorted(catalog.EVENT_TYPES))}), the types members may send "
        "(member_event_types in the tenant's settings), or any type this tenant has already "
        "sent. Send one such event first, or add the type to member_event_types."
    )


async def _definition(db: AsyncSession, achievement_id: uuid.UUID) -> Achievement:
    row = await AchievementRepository(db).definition(achievement_id)
    if row is None:
        raise NotFound("No such achievement.")
    return row


async def _category_id(db: AsyncSession, key: str | None) -> uuid.UUID | None:
    if key is None:
        return None
    ids = await CategoryRepository(db).ids_by_key()
    if key not in ids:
        raise BadRequest(
            f"No category {key!r} in this tenant (there are: {', '.join(sorted(ids))}); "
            "create it first."
        )
    return ids[key]


async def _prerequisite(db: AsyncSession, reference: str, for_id: uuid.UUID | None) -> uuid.UUID:
    """The prerequisite named by key or id; refuses unknown ones and cycles."""
    try:
        row = await AchievementRepository(db).definition(uuid.UUID(reference))
    except ValueError:
        row = await AchievementRepository(db).definition_by_key(reference)
    if row is None:
        raise BadRequest(f"No achievement {reference!r} in this tenant to be the prerequisite.")
    if for_id is not None:
        links = await AchievementRepository(db).prerequisite_links()
        current: uuid.UUID | None = row.id
        seen: set[uuid.UUID] = set()
        while current is not None and current not in seen:
            if current == for_id:
                raise BadRequest(
                    f"{reference!r} cannot be the prerequisite: it already depends on this "
                    "achievement, which would make a cycle."
                )
            seen.add(current)
            current = links.get(current)
    return row.id


def stored_trigger(trigger: TriggerIn) -> dict[str, Any]:
    return Trigger.from_dict(trigger.model_dump()).to_dict()


def trigger_out(trigger: dict[str, Any]) -> TriggerOut:
    compiled = Trigger.from_dict(trigger)
    return TriggerOut(
        event_type=compiled.event_type,
        filters=[FilterOut(property=f.property, op=f.op, value=f.value) for f in compiled.filters],
        aggregation=compiled.aggregation,
        property=compiled.property,
        window_days=compiled.window_days,
        timezone=compiled.timezone,
    )


def levels_out(definition: Definition) -> list[LevelOut]:
    return [
        LevelOut(level=i + 1, name=lv.name, threshold=number(lv.threshold) or 0, points=lv.points)
        for i, lv in enumerate(definition.levels)
    ]


async def _definitions_out(db: AsyncSession, rows: Sequence[Achievement]) -> list[AchievementOut]:
    categories = {c.id: c.key for c in await CategoryRepository(db).in_order()}
    prerequisites = {r.prerequisite_id for r in rows if r.prerequisite_id}
    keys = await _keys_of(db, rows, prerequisites)
    return [
        view_of(
            AchievementOut,
            row,
            category=categories.get(row.category_id) if row.category_id else None,
            trigger=trigger_out(row.trigger),
            levels=levels_out(Definition.of(row)),
            prerequisite=keys.get(row.prerequisite_id) if row.prerequisite_id else None,
        )
        for row in rows
    ]


async def _keys_of(
    db: AsyncSession, rows: Sequence[Achievement], ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    keys = {row.id: row.key for row in rows}
    missing = [i for i in ids if i not in keys]
    if missing:
        keys.update(await AchievementRepository(db).keys_by_id(missing))
    return keys
