"""What a definition would do before it is saved: how many members would already qualify.

The achievement designer shows this next to the form. The tenant's stored events of the
trigger's type are counted through the very code that counts live events, so the answer is
what saving it and replaying the log would give (a prerequisite is not taken into account).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.gamification.achievements.member_repository import ProgressRow
from bizosaas.gamification.achievements.progress import Definition, levels_of
from bizosaas.gamification.achievements.schemas import (
    AchievementCreate,
    AchievementPreview,
    LevelReach,
    stored_levels,
)
from bizosaas.gamification.achievements.service import stored_trigger
from bizosaas.gamification.achievements.triggers import ZERO, Trigger
from bizosaas.gamification.events.repository import EventRepository, event_of


async def preview(db: AsyncSession, body: AchievementCreate) -> AchievementPreview:
    """Count, over the tenant's events so far, who this definition would already reward."""
    definition = Definition(
        id=uuid.uuid4(),
        key=body.key,
        name=body.name,
        description=body.description,
        trigger=Trigger.from_dict(stored_trigger(body.trigger)),
        levels=levels_of(stored_levels(body.level_list())),
        prerequisite_id=None,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    rows: dict[uuid.UUID, ProgressRow] = {}
    scanned = 0
    async for chunk in EventRepository(db).stream_of_type(definition.trigger.event_type):
        for found in chunk:
            scanned += 1
            event = event_of(found)
            if not definition.accepts(event):
                continue
            row = rows.setdefault(
                event.user_id, ProgressRow(definition.id, event.user_id, ZERO, {})
            )
            if not definition.completed(row):
                definition.advance(row, event)
    reached = [int(row.state.get("reached", 0)) for row in rows.values()]
    levels = [
        LevelReach(level=i + 1, name=level.name, members=sum(1 for r in reached if r > i))
        for i, level in enumerate(definition.levels)
    ]
    return AchievementPreview(
        qualifying=levels[0].members if levels else 0,
        levels=levels,
        members_counted=len(rows),
        events_scanned=scanned,
    )
