"""The analytics SQL: four statements, each scoped to the session's tenant and one UTC range.

`start` and `end` are the range's bounds (UTC midnights, end exclusive); `first` and `last`
the range's first and last days, for the daily series (generate_series, zero-filled). This
class is the one analytics interface: a read replica, or ClickHouse later, goes behind it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Result, RowMapping, TextClause, text

from bizosaas.core.repository import TenantQueries


@dataclass(frozen=True, slots=True)
class Range:
    start: datetime
    end: datetime
    first: date
    last: date


class AnalyticsRepository(TenantQueries):
    async def totals(self, span: Range) -> RowMapping:
        return (await self._run(_TOTALS, span)).mappings().one()

    async def unlocks_by_achievement(self, span: Range) -> list[RowMapping]:
        return list((await self._run(_BY_ACHIEVEMENT, span)).mappings().all())

    async def conversions_by_status(self, span: Range) -> list[RowMapping]:
        return list((await self._run(_CONVERSIONS, span)).mappings().all())

    async def daily(self, span: Range) -> list[RowMapping]:
        return list((await self._run(_DAILY, span)).mappings().all())

    async def result_of(self, kind: str, object_id: uuid.UUID) -> int | None:
        """What one campaign's object has achieved so far (None: the tenant has no such
        object): a program's conversions not rejected or refunded, the members who unlocked
        an achievement, or the members with a score on a board's live period."""
        found = await self.session.execute(_RESULTS[kind], {"t": self.tenant_id, "id": object_id})
        count: int | None = found.scalar_one_or_none()
        return count

    async def _run(self, statement: TextClause, span: Range) -> Result[Any]:
        params = {
            "t": self.tenant_id,
            "start": span.start,
            "end": span.end,
            "first": span.first,
            "last": span.last,
        }
        return await self.session.execute(statement, params)


# Members' scores on the tenant's own boards, with the end of each entry's period: archived
# periods know theirs; the current one ends at the next reset (never, for all-time boards);
# a past period not archived yet is taken to have lasted until the entry's last change.
_ENTRIES = """
    entries AS (
        SELECT e.member_id AS user_id, e.period_start AS ps,
               CASE WHEN p.period_end IS NOT NULL THEN p.period_end
                    WHEN e.period_start = b.period_start
                        THEN COALESCE(b.next_reset_at, 'infinity'::timestamptz)
                    ELSE e.updated_at END AS pe
        FROM leaderboard_entries e
        JOIN leaderboards b ON b.id = e.leaderboard_id
        LEFT JOIN leaderboard_periods p
          ON p.tenant_id = e.tenant_id AND p.leaderboard_id = e.leaderboard_id
         AND p.period_start = e.period_start
        WHERE e.tenant_id = :t AND b.tenant_id = :t AND b.kind = 'tenant'
          AND e.member_id <> e.tenant_id
          AND e.period_start < :end
    )
"""

_IN_RANGE = "tenant_id = :t AND {col} >= :start AND {col} < :end"

# A grant for the conversion that is not itself a reversal and has not been reversed.
_REWARDED = """
    EXISTS (
        SELECT 1 FROM reward_ledger r
        WHERE r.tenant_id = c.tenant_id AND r.source_id = c.id AND r.reverses_id IS NULL
          AND r.status NOT IN ('reversed', 'clawed_back', 'cancelled')
          AND NOT EXISTS (
              SELECT 1 FROM reward_ledger x
              WHERE x.tenant_id = r.tenant_id AND x.reverses_id = r.id
          )
    )
"""
_FLAGGED = "c.risk_reasons NOT IN ('[]'::jsonb, 'null'::jsonb, '{}'::jsonb)"
# An admin's verdict on it (approved or rejected after a review).
_REVIEWED = "c.reviewed_at IS NOT NULL AND c.status IN ('approved', 'rejected')"
# The fraud score agreed with that verdict: at least 0.5 for a rejection, below for an approval.
_SCORE_AGREED = "((c.status = 'rejected') = (c.risk_score >= 0.5))"

_TOTALS = text(
    f"""
    WITH active AS (
        SELECT DISTINCT user_id FROM gamification_events
        WHERE {_IN_RANGE.format(col="occurred_at")}
    ),
    unlockers AS (
        SELECT DISTINCT user_id FROM tenant_achievements
        WHERE {_IN_RANGE.format(col="unlocked_at")}
    ),
    {_ENTRIES},
    participants AS (SELECT DISTINCT user_id FROM entries WHERE pe > :start),
    portfolios AS (
        SELECT user_id, status FROM showcase_portfolios
        WHERE {_IN_RANGE.format(col="created_at")}
    ),
    visits AS (
        SELECT kind FROM referral_visits WHERE {_IN_RANGE.format(col="created_at")}
    )
    SELECT
      (SELECT count(*) FROM active) AS active,
      (SELECT count(*) FROM tenant_achievements WHERE {_IN_RANGE.format(col="unlocked_at")})
          AS unlocks,
      (SELECT count(*) FROM active JOIN unlockers USING (user_id)) AS unlocking,
      (SELECT count(*) FROM active JOIN participants USING (user_id)) AS participants,
      (SELECT count(*) FROM portfolios) AS portfolios,
      (SELECT count(*) FROM portfolios WHERE status = 'published') AS published,
      (SELECT count(*) FROM active
         JOIN (SELECT DISTINCT user_id FROM portfolios) AS p USING (user_id)) AS creating,
      (SELECT count(*) FROM referral_codes WHERE {_IN_RANGE.format(col="created_at")})
          AS codes,
      (SELECT count(*) FROM visits WHERE kind = 'click') AS clicks,
      (SELECT count(*) FROM visits WHERE kind = 'signup') AS signups
    """  # noqa: S608 - only the module's constant fragments are formatted in
)

_BY_ACHIEVEMENT = text(
    f"""
    SELECT a.key, a.name, count(*) AS unlocks, count(DISTINCT ta.user_id) AS members
    FROM tenant_achievements ta
    JOIN achievements a ON a.id = ta.achievement_id
    WHERE ta.{_IN_RANGE.format(col="ta.unlocked_at")}
    GROUP BY a.key, a.name
    ORDER BY unlocks DESC, a.key
    """  # noqa: S608 - only the module's constant fragments are formatted in
)

_CONVERSIONS = text(
    f"""
    SELECT c.status, count(*) AS conversions,
           count(*) FILTER (WHERE {_FLAGGED}) AS flagged,
           count(*) FILTER (WHERE {_REWARDED}) AS rewarded,
           count(*) FILTER (WHERE {_REVIEWED}) AS reviewed,
           count(*) FILTER (WHERE {_REVIEWED} AND {_SCORE_AGREED}) AS agreed
    FROM referral_conversions c
    WHERE c.{_IN_RANGE.format(col="c.converted_at")}
    GROUP BY c.status
    ORDER BY c.status
    """  # noqa: S608 - only the module's constant fragments are formatted in
)

_DAILY = text(
    f"""
    WITH days AS (
        SELECT d::date AS day
        FROM generate_series(CAST(:first AS timestamp), CAST(:last AS timestamp),
                             interval '1 day') AS d
    ),
    daily_active AS (
        SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date AS day, user_id
        FROM gamification_events WHERE {_IN_RANGE.format(col="occurred_at")}
    ),
    ev AS (SELECT day, count(*) AS active FROM daily_active GROUP BY day),
    ul AS (
        SELECT u.day, count(*) AS unlocks,
               count(DISTINCT u.user_id) FILTER (WHERE da.user_id IS NOT NULL) AS unlocking
        FROM (SELECT (unlocked_at AT TIME ZONE 'UTC')::date AS day, user_id
              FROM tenant_achievements WHERE {_IN_RANGE.format(col="unlocked_at")}) AS u
        LEFT JOIN daily_active da ON da.day = u.day AND da.user_id = u.user_id
        GROUP BY u.day
    ),
    {_ENTRIES},
    lb AS (
        SELECT da.day, count(DISTINCT da.user_id) AS participants
        FROM daily_active da
        JOIN entries en ON en.user_id = da.user_id
         AND en.ps < ((da.day + 1)::timestamp AT TIME ZONE 'UTC')
         AND en.pe > (da.day::timestamp AT TIME ZONE 'UTC')
        GROUP BY da.day
    ),
    pf AS (
        SELECT p.day, count(*) AS created,
               count(DISTINCT p.user_id) FILTER (WHERE da.user_id IS NOT NULL) AS creating
        FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, user_id
              FROM showcase_portfolios WHERE {_IN_RANGE.format(col="created_at")}) AS p
        LEFT JOIN daily_active da ON da.day = p.day AND da.user_id = p.user_id
        GROUP BY p.day
    ),
    rc AS (
        SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS codes
        FROM referral_codes WHERE {_IN_RANGE.format(col="created_at")} GROUP BY 1
    ),
    rv AS (
        SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
               count(*) FILTER (WHERE kind = 'click') AS clicks,
               count(*) FILTER (WHERE kind = 'signup') AS signups
        FROM referral_visits WHERE {_IN_RANGE.format(col="created_at")} GROUP BY 1
    ),
    cv AS (
        SELECT (c.converted_at AT TIME ZONE 'UTC')::date AS day,
               count(*) FILTER (WHERE c.status <> 'rejected') AS conversions,
               count(*) FILTER (WHERE c.status <> 'rejected' AND {_REWARDED}) AS rewarded,
               count(*) FILTER (WHERE {_FLAGGED}) AS flagged
        FROM referral_conversions c
        WHERE c.{_IN_RANGE.format(col="c.converted_at")}
        GROUP BY 1
    )
    SELECT days.day,
           COALESCE(ev.active, 0) AS active,
           COALESCE(ul.unlocks, 0) AS unlocks,
           COALESCE(ul.unlocking, 0) AS unlocking,
           COALESCE(lb.participants, 0) AS participants,
           COALESCE(pf.created, 0) AS portfolios,
           COALESCE(pf.creating, 0) AS creating,
           COALESCE(rc.codes, 0) AS codes,
           COALESCE(rv.clicks, 0) AS clicks,
           COALESCE(rv.signups, 0) AS signups,
           COALESCE(cv.conversions, 0) AS conversions,
           COALESCE(cv.rewarded, 0) AS rewarded,
           COALESCE(cv.flagged, 0) AS flagged
    FROM days
    LEFT JOIN ev USING (day)
    LEFT JOIN ul USING (day)
    LEFT JOIN lb USING (day)
    LEFT JOIN pf USING (day)
    LEFT JOIN rc USING (day)
    LEFT JOIN rv USING (day)
    LEFT JOIN cv USING (day)
    ORDER BY days.day
    """  # noqa: S608 - only the module's constant fragments are formatted in
)


# Each is NULL (no row) when the tenant has no such object.
_RESULTS = {
    "program": text(
        "SELECT (SELECT count(*) FROM referral_conversions c WHERE c.tenant_id = :t "
        "AND c.program_id = p.id AND c.status NOT IN ('rejected', 'refunded')) "
        "FROM referral_programs p WHERE p.tenant_id = :t AND p.id = :id"
    ),
    "achievement": text(
        "SELECT (SELECT count(DISTINCT u.user_id) FROM tenant_achievements u "
        "WHERE u.tenant_id = :t AND u.achievement_id = a.id) "
        "FROM achievements a WHERE a.tenant_id = :t AND a.id = :id"
    ),
    "leaderboard": text(
        "SELECT (SELECT count(*) FROM leaderboard_entries e WHERE e.tenant_id = :t "
        "AND e.leaderboard_id = b.id AND e.period_start = b.period_start) "
        "FROM leaderboards b WHERE b.tenant_id = :t AND b.id = :id AND b.kind = 'tenant'"
    ),
}
