"""All SQL about members and the tenant's settings (the session's tenant only)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.events.models import GamificationEvent
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.members.models import Member, TenantSettings
from bizosaas.gamification.notifications.models import Notification


class MemberRepository(TenantRepository[Member]):
    model = Member

    async def join(self, user_ids: Sequence[uuid.UUID], now: datetime) -> list[uuid.UUID]:
        """Add the members not seen before; returns the new ones, sorted."""
        result = await self.session.execute(
            _ENSURE, {"tenant_id": self.tenant_id, "now": now, "user_ids": list(user_ids)}
        )
        return sorted(result.scalars())

    async def name(self, user_ids: Sequence[uuid.UUID], names: Sequence[str]) -> None:
        await self.session.execute(
            _NAME, {"tenant_id": self.tenant_id, "user_ids": list(user_ids), "names": list(names)}
        )

    async def add_activity(
        self,
        user_ids: Sequence[uuid.UUID],
        points: Sequence[int],
        seen: Sequence[datetime | None],
        now: datetime,
    ) -> None:
        await self.session.execute(
            _ACTIVITY,
            {
                "tenant_id": self.tenant_id,
                "now": now,
                "user_ids": list(user_ids),
                "points": list(points),
                "seen": list(seen),
            },
        )

    async def of(self, user_id: uuid.UUID) -> Member | None:
        return await self.get(Member.user_id == user_id)

    async def many(self, user_ids: Sequence[uuid.UUID]) -> Sequence[Member]:
        return await self.all(self.statement().where(Member.user_id.in_(list(user_ids))))

    async def reset_points(self) -> None:
        """Before a replay: points are derived again from the unlocks it reaches."""
        await self.session.execute(
            update(Member).where(Member.tenant_id == self.tenant_id).values(points=0)
        )

    async def ensure_row(self, user_id: uuid.UUID) -> None:
        now = utcnow()
        await self.session.execute(
            insert(Member)
            .values(tenant_id=self.tenant_id, user_id=user_id, created_at=now, updated_at=now)
            .on_conflict_do_nothing()
        )

    async def forget(self, user_id: uuid.UUID) -> None:
        """The member's row, notifications and events (a replay would bring them back)."""
        for model in (Notification, GamificationEvent, Member):
            await self.session.execute(
                delete(model).where(
                    model.tenant_id == self.tenant_id,  # type: ignore[attr-defined]
                    model.user_id == user_id,  # type: ignore[attr-defined]
                )
            )

    async def rows_about(
        self, model: type[Any], user_id: uuid.UUID, own: str, mentions: str | None
    ) -> list[dict[str, Any]]:
        """Every row of ``model`` in the tenant that is the member's (``own``) or mentions
        them (``mentions``), column by column, oldest first where the rows are dated."""
        columns = model.__table__.c
        named = [columns[own]] + ([columns[mentions]] if mentions else [])
        query = select(*columns).where(
            columns["tenant_id"] == self.tenant_id, or_(*(c == user_id for c in named))
        )
        for dated in ("created_at", "occurred_at", "period_start"):
            if dated in columns:
                query = query.order_by(columns[dated])
                break
        return [dict(row) for row in (await self.session.execute(query)).mappings()]

    async def settings(self) -> TenantSettings:
        """The tenant's settings, created with defaults on first use."""
        found = await self.session.get(TenantSettings, self.tenant_id)
        if found is None:
            now = utcnow()
            await self.session.execute(
                insert(TenantSettings)
                .values(tenant_id=self.tenant_id, created_at=now, updated_at=now)
                .on_conflict_do_nothing()
            )
            found = await self.session.get(TenantSettings, self.tenant_id)
            assert found is not None
        return found

    async def has_board(self, board_id: uuid.UUID) -> bool:
        query = select(Leaderboard.id).where(
            Leaderboard.tenant_id == self.tenant_id, Leaderboard.id == board_id
        )
        return (await self.session.execute(query)).first() is not None


_ENSURE = text(
    """
    INSERT INTO members (tenant_id, user_id, display_name, hidden, points, achievement_count,
                         created_at, updated_at)
    SELECT :tenant_id, m.user_id, '', false, 0, 0, :now, :now
    FROM unnest(CAST(:user_ids AS uuid[])) AS m(user_id)
    ON CONFLICT (tenant_id, user_id) DO NOTHING
    RETURNING user_id
    """
)
_NAME = text(
    """
    UPDATE members AS m SET display_name = n.name
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:names AS text[])) AS n(user_id, name)
    WHERE m.tenant_id = :tenant_id AND m.user_id = n.user_id
    """
)
_ACTIVITY = text(
    """
    UPDATE members AS m
    SET points = m.points + a.points,
        last_event_at = GREATEST(m.last_event_at, a.seen),
        updated_at = :now
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:points AS bigint[]),
                CAST(:seen AS timestamptz[])) AS a(user_id, points, seen)
    WHERE m.tenant_id = :tenant_id AND m.user_id = a.user_id
    """
)
