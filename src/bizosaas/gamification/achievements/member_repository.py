"""Members' achievement progress and unlocks: the SQL of the event path and of erasure.

Written for throughput: one query per kind of row and batch, arrays instead of long
IN lists, and rows sorted by key before they are written so two transactions never
lock the same rows in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import delete, select, text

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.achievements.models import (
    AchievementProgress,
    TenantAchievement,
)


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


class ProgressRepository(TenantRepository[AchievementProgress]):
    """Members' progress and unlocks in the session's tenant."""

    model = AchievementProgress

    async def load_progress(
        self, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], ProgressRow]:
        """The progress rows of exactly these (achievement, member) pairs."""
        wanted = sorted(set(pairs), key=lambda pair: _order(*pair))
        if not wanted:
            return {}
        result = await self.session.execute(
            _LOAD_PROGRESS,
            {
                "tenant": self.tenant_id,
                "achievements": [a for a, _ in wanted],
                "users": [u for _, u in wanted],
            },
        )
        rows = {}
        for a, u, value, state in result.tuples():
            raw = state.encode()
            rows[(a, u)] = ProgressRow(a, u, value, orjson.loads(raw), (value, raw))
        return rows

    async def save_progress(self, rows: Sequence[ProgressRow]) -> None:
        """One upsert for the whole batch, in lock order; rows as they were loaded are skipped."""
        changed: list[tuple[ProgressRow, bytes]] = []
        for row in rows:
            state = row.state_json()
            if row.stored is None or row.stored != (row.value, state):
                changed.append((row, state))
        if not changed:
            return
        changed.sort(key=lambda item: _order(item[0].achievement_id, item[0].user_id))
        await self.session.execute(
            _SAVE_PROGRESS,
            {
                "tenant": self.tenant_id,
                "now": utcnow(),
                "achievements": [r.achievement_id for r, _ in changed],
                "users": [r.user_id for r, _ in changed],
                "values": [r.value for r, _ in changed],
                "states": [state.decode() for _, state in changed],
            },
        )

    async def member_progress(self, user_id: uuid.UUID) -> dict[uuid.UUID, ProgressRow]:
        query = select(
            AchievementProgress.achievement_id,
            AchievementProgress.value,
            AchievementProgress.state,
        ).where(
            AchievementProgress.tenant_id == self.tenant_id, AchievementProgress.user_id == user_id
        )
        return {
            a: ProgressRow(a, user_id, value, state)
            for a, value, state in (await self.session.execute(query)).tuples()
        }

    async def forget_progress(self, user_id: uuid.UUID | None = None) -> None:
        query = delete(AchievementProgress).where(AchievementProgress.tenant_id == self.tenant_id)
        if user_id is not None:
            query = query.where(AchievementProgress.user_id == user_id)
        await self.session.execute(query)

    async def first_unlocks(
        self,
        achievement_ids: Iterable[uuid.UUID],
        user_ids: Iterable[uuid.UUID],
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """When each member unlocked the first level of these achievements (prerequisites)."""
        query = select(
            TenantAchievement.achievement_id,
            TenantAchievement.user_id,
            TenantAchievement.unlocked_at,
        ).where(
            TenantAchievement.tenant_id == self.tenant_id,
            TenantAchievement.level == 0,
            TenantAchievement.achievement_id.in_(list(achievement_ids)),
            TenantAchievement.user_id.in_(list(user_ids)),
        )
        return {(a, u): at for a, u, at in (await self.session.execute(query)).tuples()}

    async def record_unlocks(
        self, unlocks: Sequence[Unlock]
    ) -> set[tuple[uuid.UUID, uuid.UUID, int]]:
        """Insert unlock rows; the (achievement, member, level) of those that are new."""
        if not unlocks:
            return set()
        ordered = sorted(unlocks, key=lambda r: (*_order(r.achievement_id, r.user_id), r.level))
        result = await self.session.execute(
            _RECORD_UNLOCKS,
            {
                "tenant": self.tenant_id,
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

    async def member_unlocks(self, user_id: uuid.UUID) -> list[TenantAchievement]:
        query = (
            select(TenantAchievement)
            .where(
                TenantAchievement.tenant_id == self.tenant_id, TenantAchievement.user_id == user_id
            )
            .order_by(TenantAchievement.unlocked_at, TenantAchievement.level)
        )
        return list((await self.session.execute(query)).scalars())

    async def forget_unlocks(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(TenantAchievement).where(
                TenantAchievement.tenant_id == self.tenant_id, TenantAchievement.user_id == user_id
            )
        )

    async def recount_achievements(self, user_ids: Iterable[uuid.UUID] | None = None) -> None:
        """Set members.achievement_count from the unlock rows (of these members, or of all)."""
        if user_ids is None:
            await self.session.execute(_RECOUNT_ALL, {"tenant": self.tenant_id})
            return
        users = sorted(set(user_ids))
        if users:
            await self.session.execute(_RECOUNT_SOME, {"tenant": self.tenant_id, "users": users})
