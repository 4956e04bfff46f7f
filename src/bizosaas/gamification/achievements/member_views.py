"""What a member sees of achievements: progress, unlocks, secrets, and the next goals."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import tenant_of, utcnow
from bizosaas.gamification.achievements.member_repository import ProgressRepository, ProgressRow
from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
    TenantAchievement,
)
from bizosaas.gamification.achievements.progress import Definition, standing
from bizosaas.gamification.achievements.repository import (
    ACTIVE,
    AchievementRepository,
    CategoryRepository,
)
from bizosaas.gamification.achievements.schemas import (
    CategoryOut,
    GoalOut,
    MemberAchievementOut,
    MemberAchievements,
    NextGoals,
    ProgressOut,
    UnlockOut,
    number,
)
from bizosaas.gamification.achievements.service import ensure_catalog, levels_out, trigger_out

SECRET_NAME = "Secret achievement"
SECRET_DESCRIPTION = "Keep going to discover it."


class _MemberState:
    """Everything about one member's achievements, loaded in four queries."""

    def __init__(
        self,
        rows: list[Achievement],
        categories: list[AchievementCategory],
        progress: dict[uuid.UUID, ProgressRow],
        unlocks: list[TenantAchievement],
    ) -> None:
        self.rows = rows
        self.categories = categories
        self.category_of = {c.id: c for c in categories}
        self.progress = progress
        self.unlocks: dict[uuid.UUID, dict[int, TenantAchievement]] = {}
        for unlock in unlocks:
            self.unlocks.setdefault(unlock.achievement_id, {})[unlock.level] = unlock
        self.keys = {row.id: row.key for row in rows}

    def ordered(self) -> list[tuple[Achievement, Definition]]:
        def order(row: Achievement) -> tuple[int, str, float, str]:
            category = self.category_of.get(row.category_id) if row.category_id else None
            first = float(row.levels[0]["threshold"]) if row.levels else 0.0
            return (
                category.position if category else 1_000_000,
                row.platform or "",
                first,
                row.key,
            )

        return [(row, Definition.of(row)) for row in sorted(self.rows, key=order)]

    def category_key(self, row: Achievement) -> str | None:
        category = self.category_of.get(row.category_id) if row.category_id else None
        return category.key if category else None


async def _member_state(db: AsyncSession, user_id: uuid.UUID) -> _MemberState:
    await ensure_catalog(db)
    achievements, progress = AchievementRepository(db), ProgressRepository(db)
    return _MemberState(
        await achievements.definitions(),
        await CategoryRepository(db).in_order(),
        await progress.member_progress(user_id),
        await progress.member_unlocks(user_id),
    )


async def member_achievements(
    db: AsyncSession, user_id: uuid.UUID, *, reveal: bool
) -> MemberAchievements:
    """Every achievement with the member's progress and unlocks. Archived ones appear only
    where the member unlocked something; hidden ones not yet unlocked are secrets, unless
    ``reveal`` (for those who manage achievements)."""
    state = await _member_state(db, user_id)
    now = utcnow()
    shown = []
    for row, definition in state.ordered():
        unlocked = state.unlocks.get(row.id, {})
        if row.status != ACTIVE and not unlocked:
            continue
        if row.hidden and not unlocked and not reveal:
            shown.append(_secret(row, state.category_key(row)))
            continue
        position = standing(
            definition,
            state.progress.get(row.id),
            set(unlocked),
            definition.trigger.day_of(now),
        )
        next_level = position.next_level
        shown.append(
            MemberAchievementOut(
                id=row.id,
                secret=False,
                key=row.key,
                name=row.name,
                description=row.description,
                icon=row.icon,
                category=state.category_key(row),
                platform=row.platform,
                hidden=row.hidden,
                status=row.status,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                prerequisite=state.keys.get(row.prerequisite_id) if row.prerequisite_id else None,
                trigger=trigger_out(row.trigger),
                levels=levels_out(definition),
                progress=ProgressOut(
                    value=number(position.value) or 0,
                    next_level=next_level + 1 if next_level is not None else None,
                    next_threshold=number(definition.levels[next_level].threshold)
                    if next_level is not None
                    else None,
                    percent=position.percent,
                ),
                unlocked=[
                    UnlockOut(
                        level=u.level + 1,
                        name=u.level_name,
                        points=u.points_awarded,
                        unlocked_at=u.unlocked_at,
                    )
                    for u in sorted(unlocked.values(), key=lambda u: u.level)
                ],
            )
        )
    return MemberAchievements(
        tenant_id=tenant_of(db),
        user_id=user_id,
        unlocked_count=len(state.unlocks),
        points_earned=sum(u.points_awarded for got in state.unlocks.values() for u in got.values()),
        categories=[CategoryOut.model_validate(c) for c in state.categories],
        achievements=shown,
    )


def _secret(row: Achievement, category: str | None) -> MemberAchievementOut:
    return MemberAchievementOut(
        id=row.id,
        secret=True,
        key=None,
        name=SECRET_NAME,
        description=SECRET_DESCRIPTION,
        icon="question",
        category=category,
        platform=row.platform,
        hidden=True,
        status=row.status,
        starts_at=None,
        ends_at=None,
        prerequisite=None,
        trigger=None,
        levels=[],
        progress=None,
        unlocked=[],
    )


async def next_goals(db: AsyncSession, user_id: uuid.UUID, limit: int) -> NextGoals:
    """The member's achievements closest to their next level: active, open now, not hidden,
    not fully unlocked; highest percent first."""
    state = await _member_state(db, user_id)
    now = utcnow()
    goals: list[tuple[float, int, GoalOut]] = []
    for rank, (row, definition) in enumerate(state.ordered()):
        if row.status != ACTIVE or row.hidden or not _open(row, now):
            continue
        position = standing(
            definition,
            state.progress.get(row.id),
            set(state.unlocks.get(row.id, {})),
            definition.trigger.day_of(now),
        )
        if position.next_level is None:
            continue
        level = definition.levels[position.next_level]
        goal = GoalOut(
            id=row.id,
            key=row.key,
            name=row.name,
            description=row.description,
            icon=row.icon,
            category=state.category_key(row),
            next_level=position.next_level + 1,
            level_name=level.name,
            value=number(position.value) or 0,
            next_threshold=number(level.threshold) or 0,
            percent=position.percent,
            points=level.points,
        )
        goals.append((-position.percent, rank, goal))
    goals.sort(key=lambda g: (g[0], g[1]))
    return NextGoals(user_id=user_id, goals=[g for _, _, g in goals[:limit]])


def _open(row: Achievement, now: datetime) -> bool:
    if row.starts_at is not None and row.starts_at > now:
        return False
    return row.ends_at is None or row.ends_at >= now
