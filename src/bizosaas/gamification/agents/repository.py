"""The SQL of the agents: their task records, and the reads their reports need beyond the
analytics (how far each achievement is reached, and how fast; who refers most)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.repository import TenantQueries, TenantRepository
from bizosaas.gamification.agents.models import ActivityFlag, AgentTask

# Each active, unhidden achievement: members who unlocked its first level, and how many of
# them did so within a day of the first one (everybody at once).
_REACH = text(
    """
    WITH firsts AS (
        SELECT achievement_id, user_id, min(unlocked_at) AS at
        FROM tenant_achievements
        WHERE tenant_id = :t AND unlocked_at < :end
        GROUP BY achievement_id, user_id
    ), opened AS (
        SELECT achievement_id, min(at) AS first_at FROM firsts GROUP BY achievement_id
    )
    SELECT a.key, a.name, a.created_at,
           count(f.user_id) AS members,
           count(f.user_id) FILTER (WHERE f.at < o.first_at + interval '1 day') AS first_day
    FROM achievements a
    LEFT JOIN firsts f ON f.achievement_id = a.id
    LEFT JOIN opened o ON o.achievement_id = a.id
    WHERE a.tenant_id = :t AND a.status = 'active' AND a.created_at < :end
    GROUP BY a.key, a.name, a.created_at
    ORDER BY a.key
    """
)
_MEMBERS = text("SELECT count(*) FROM members WHERE tenant_id = :t AND created_at < :end")
_REFERRERS = text(
    """
    SELECT c.referrer_id AS user_id, m.display_name AS name,
           count(*) FILTER (WHERE c.status = 'approved') AS approved,
           count(*) FILTER (WHERE c.status = 'review') AS held,
           count(*) FILTER (WHERE c.status = 'rejected') AS rejected
    FROM referral_conversions c
    LEFT JOIN members m ON m.tenant_id = c.tenant_id AND m.user_id = c.referrer_id
    WHERE c.tenant_id = :t AND c.converted_at >= :start AND c.converted_at < :end
    GROUP BY c.referrer_id, m.display_name
    ORDER BY approved DESC, held DESC, c.referrer_id
    LIMIT :limit
    """
)


# Each member's events in the last day against their own usual day (the median of their
# active days before it) and against everybody's busiest days (the 99th percentile).
_RATES = text(
    """
    WITH recent AS (
        SELECT user_id, occurred_at FROM gamification_events
        WHERE tenant_id = :t AND occurred_at >= :since AND occurred_at < :now
    ), daily AS (
        SELECT user_id, date_trunc('day', occurred_at, 'UTC') AS day, count(*) AS n
        FROM recent WHERE occurred_at < :day_ago
        GROUP BY user_id, day
    ), usual AS (
        SELECT user_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median,
               count(*) AS days
        FROM daily GROUP BY user_id
    ), peers AS (
        SELECT coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY n), 0) AS p99 FROM daily
    ), last_day AS (
        SELECT user_id, count(*) AS n FROM recent WHERE occurred_at >= :day_ago GROUP BY user_id
    )
    SELECT l.user_id, m.display_name AS name, l.n AS last_day,
           coalesce(u.median, 0) AS usual, coalesce(u.days, 0) AS active_days, p.p99 AS peers
    FROM last_day l
    CROSS JOIN peers p
    LEFT JOIN usual u ON u.user_id = l.user_id
    LEFT JOIN members m ON m.tenant_id = :t AND m.user_id = l.user_id
    WHERE l.n >= :least
      AND l.n >= :own_factor * greatest(coalesce(u.median, 0), 1)
      AND l.n >= :peer_factor * greatest(p.p99, 1)
    ORDER BY l.n DESC
    LIMIT 100
    """
)


class AgentTaskRepository(TenantRepository[AgentTask]):
    model = AgentTask

    async def by_id(self, task_id: uuid.UUID, *, lock: bool = False) -> AgentTask | None:
        return await self.get(AgentTask.id == task_id, lock=lock)

    async def recent(self, task_type: str | None, limit: int) -> Sequence[AgentTask]:
        query = self.statement()
        if task_type is not None:
            query = query.where(AgentTask.task_type == task_type)
        return await self.all(query.order_by(AgentTask.created_at.desc()).limit(limit))


class AgentQueries(TenantQueries):
    async def reach(self, end: datetime) -> tuple[int, list[RowMapping]]:
        """Members by then, and each active achievement's reach."""
        members = (await self.session.execute(_MEMBERS, {"t": self.tenant_id, "end": end})).one()
        rows = await self.session.execute(_REACH, {"t": self.tenant_id, "end": end})
        return int(members[0]), list(rows.mappings().all())

    async def event_rate_jumps(
        self, now: datetime, days: int, least: int, own: float, peers: float
    ) -> list[RowMapping]:
        """Members whose events in the last day are at least ``own`` times their usual day
        and ``peers`` times everybody's busiest days (and at least ``least``)."""
        rows = await self.session.execute(
            _RATES,
            {
                "t": self.tenant_id,
                "now": now,
                "day_ago": now - timedelta(days=1),
                "since": now - timedelta(days=days + 1),
                "least": least,
                "own_factor": own,
                "peer_factor": peers,
            },
        )
        return list(rows.mappings().all())

    async def top_referrers(self, start: datetime, end: datetime, limit: int) -> list[RowMapping]:
        rows = await self.session.execute(
            _REFERRERS, {"t": self.tenant_id, "start": start, "end": end, "limit": limit}
        )
        return list(rows.mappings().all())


class ActivityFlagRepository(TenantRepository[ActivityFlag]):
    model = ActivityFlag

    async def record(
        self, day: date, flags: Sequence[dict[str, Any]]
    ) -> dict[uuid.UUID, ActivityFlag]:
        """Keep the day's flags (one per member and day; a decided one stays decided) and
        return every flag of the day by member."""
        if flags:
            rows = [
                {"id": uuid.uuid4(), "tenant_id": self.tenant_id, "day": day, **flag}
                for flag in flags
            ]
            await self.session.execute(
                insert(ActivityFlag)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["tenant_id", "user_id", "day"])
            )
        found = await self.all(self.statement().where(ActivityFlag.day == day))
        return {flag.user_id: flag for flag in found}

    async def by_id(self, flag_id: uuid.UUID, *, lock: bool = False) -> ActivityFlag | None:
        return await self.get(ActivityFlag.id == flag_id, lock=lock)
