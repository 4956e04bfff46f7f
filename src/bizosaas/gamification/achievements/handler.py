"""Achievements in the event pipeline: progress, unlocks, points and notifications.

Per batch: one query for the tenant's active definitions, events matched in
Python, one query for the progress rows involved (and one for prerequisite
unlocks, if any definition has one), one upsert of the new progress, one insert
of unlock rows, one recount of the members who unlocked something.

* An unlock is one row per member, achievement and level, ever (a unique index;
  ``ON CONFLICT DO NOTHING RETURNING``): only a newly inserted row notifies.
* Points go with a level when it is crossed: for a new unlock row, and in a replay
  (which re-derives members' points from zero); never twice for one row otherwise.
* A prerequisite opens an achievement at the moment the member unlocked the
  prerequisite's first level (its ``unlocked_at``, the crossing event's
  ``occurred_at``): events that occurred from then on count, earlier ones never.
  One event can unlock a prerequisite and count towards what it opens.
* A replay forgets all progress (it is cumulative, whatever ``since``) but keeps
  unlock rows: awards are not revoked, and re-crossed levels do not notify again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit
from bizosaas.gamification.achievements.member_repository import (
    ProgressRepository,
    ProgressRow,
    Unlock,
)
from bizosaas.gamification.achievements.progress import (
    Definition,
    prerequisites_first,
)
from bizosaas.gamification.achievements.repository import ACTIVE, AchievementRepository
from bizosaas.gamification.achievements.service import ensure_catalog
from bizosaas.gamification.achievements.triggers import ZERO
from bizosaas.gamification.events.pipeline import (
    Batch,
    Event,
    NotificationDraft,
    PointsAwarded,
)

Pair = tuple[uuid.UUID, uuid.UUID]  # (achievement, member)


@dataclass(frozen=True, slots=True)
class Crossing:
    definition: Definition
    event: Event
    level: int


class AchievementHandler:
    name = "achievements"

    def __init__(self) -> None:
        # Tenants whose catalog copy is known committed (by this process).
        self._catalog_ready: set[uuid.UUID] = set()

    async def check(self, db: AsyncSession, tenant_id: uuid.UUID, events: Sequence[Event]) -> None:
        """Any event is acceptable: one that matches no achievement simply counts for none."""

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        if not batch.events:
            return
        await self._ensure_catalog(db, batch)
        rows = await AchievementRepository(db).definitions(status=ACTIVE)
        by_type: dict[str, list[Definition]] = defaultdict(list)
        for definition in prerequisites_first(Definition.of(row) for row in rows):
            by_type[definition.trigger.event_type].append(definition)
        matched = [
            (event, definition)
            for event in batch.events
            for definition in by_type.get(event.type, ())
            if definition.accepts(event)
        ]
        if not matched:
            return
        users = {event.user_id for event, _ in matched}
        repository = ProgressRepository(db)
        progress = await repository.load_progress({(d.id, event.user_id) for event, d in matched})
        gating = {d.prerequisite_id for _, d in matched if d.prerequisite_id is not None}
        opened: dict[Pair, datetime] = (
            await repository.first_unlocks(gating, users) if gating else {}
        )
        changed: dict[Pair, ProgressRow] = {}
        crossings: list[Crossing] = []
        for event, definition in matched:
            if definition.prerequisite_id is not None:
                since = opened.get((definition.prerequisite_id, event.user_id))
                if since is None or event.occurred_at < since:
                    continue
            pair = (definition.id, event.user_id)
            row = progress.get(pair) or ProgressRow(definition.id, event.user_id, ZERO, {})
            if definition.completed(row):
                continue  # every level unlocked: nothing more to count
            progress[pair] = changed[pair] = row
            for level in definition.advance(row, event):
                crossings.append(Crossing(definition, event, level))
                if level == 0 and (pair not in opened or event.occurred_at < opened[pair]):
                    opened[pair] = event.occurred_at
        await repository.save_progress(list(changed.values()))
        await self._unlock(db, batch, crossings)

    async def _unlock(self, db: AsyncSession, batch: Batch, crossings: list[Crossing]) -> None:
        if not crossings:
            return
        repository = ProgressRepository(db)
        new = await repository.record_unlocks([_unlock_of(c) for c in crossings])
        for crossing in crossings:
            definition, event, index = crossing.definition, crossing.event, crossing.level
            level = definition.levels[index]
            inserted = (definition.id, event.user_id, index) in new
            if level.points and (inserted or batch.replay):
                batch.award_points(
                    PointsAwarded(
                        event.user_id,
                        level.points,
                        event.occurred_at,
                        key=f"unlock:{definition.id}:{index}",
                    )
                )
            if inserted:
                batch.touched_members.add(event.user_id)
                batch.notify(_notification(crossing))
        await repository.recount_achievements({u for _, u, _ in new})

    async def reset(self, db: AsyncSession, tenant_id: uuid.UUID, since: datetime | None) -> None:
        """All progress goes, whatever ``since`` (it is cumulative over the whole log);
        unlocks stay, and members' achievement counts are recounted from them."""
        repository = ProgressRepository(db)
        await repository.forget_progress()
        await repository.recount_achievements()

    async def after_reset(self, tenant_id: uuid.UUID) -> None:
        """Nothing is cached outside PostgreSQL."""

    async def erase(self, db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        repository = ProgressRepository(db)
        await repository.forget_progress(user_id)
        await repository.forget_unlocks(user_id)

    async def _ensure_catalog(self, db: AsyncSession, batch: Batch) -> None:
        tenant_id = batch.tenant_id
        if tenant_id in self._catalog_ready:
            return
        await ensure_catalog(db)

        async def ready() -> None:
            self._catalog_ready.add(tenant_id)

        after_commit(db, ready)


def _unlock_of(crossing: Crossing) -> Unlock:
    level = crossing.definition.levels[crossing.level]
    return Unlock(
        achievement_id=crossing.definition.id,
        user_id=crossing.event.user_id,
        level=crossing.level,
        level_name=level.name,
        points=level.points,
        event_id=crossing.event.event_id,
        unlocked_at=crossing.event.occurred_at,
    )


def _notification(crossing: Crossing) -> NotificationDraft:
    definition, index = crossing.definition, crossing.level
    level, user_id = definition.levels[index], crossing.event.user_id
    title = f"Achievement unlocked: {definition.name}"
    if len(definition.levels) > 1:
        title += f" ({level.name})"
    body = definition.description
    if level.points:
        body = f"{body} +{level.points} points".strip()
    return NotificationDraft(
        user_id=user_id,
        kind="achievement_unlocked",
        title=title[:200],
        body=body,
        data={
            "achievement_id": str(definition.id),
            "key": definition.key,
            "level": index + 1,
            "level_name": level.name,
            "points": level.points,
        },
        dedupe_key=f"unlock:{definition.id}:{user_id}:{index}",
    )
