"""The SQL of standings: scores per board, period and member, archives of ended periods,
and what a replay or an erasure forgets — for the session's tenant alone.

The event path is written for throughput: one statement per batch, arrays instead of
long IN lists, rows sorted by key before they are written (a stable lock order).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.repository import (
    Page,
    PageRequest,
    TenantRepository,
    keyset_page,
)
from bizosaas.gamification.leaderboards.models import (
    Leaderboard,
    LeaderboardEntry,
    LeaderboardFlag,
    LeaderboardMemberSetting,
    LeaderboardPeriod,
    LeaderboardRejection,
)
from bizosaas.gamification.leaderboards.scoring import Standing

StandingKey = tuple[uuid.UUID, datetime, uuid.UUID]  # board, period start, member
STREAM_CHUNK = 10_000


class StandingRepository(TenantRepository[LeaderboardEntry]):
    model = LeaderboardEntry

    # -- the live period ---------------------------------------------------------------

    async def load(self, wanted: Iterable[StandingKey]) -> dict[StandingKey, Standing]:
        """The current standings of these (board, period, member) slots, in one query."""
        wanted = set(wanted)
        if not wanted:
            return {}
        rows = await self.session.execute(
            _LOAD,
            {
                "tenant": self.tenant_id,
                "boards": list({w[0] for w in wanted}),
                "periods": list({w[1] for w in wanted}),
                "members": list({w[2] for w in wanted}),
            },
        )
        found: dict[StandingKey, Standing] = {}
        for board_id, period_start, member_id, score, reached_at, change in rows:
            key = (board_id, period_start, member_id)
            if key in wanted:
                found[key] = Standing(score, reached_at, change)
        return found

    async def save(self, standings: dict[StandingKey, Standing]) -> dict[StandingKey, datetime]:
        """Upsert absolute standings in one statement; returns each row's version (PostgreSQL's
        clock at the write, so a later batch always writes a later version)."""
        if not standings:
            return {}
        items = sorted(standings.items(), key=lambda kv: kv[0])  # a stable lock order
        rows = await self.session.execute(
            _SAVE,
            {
                "tenant": self.tenant_id,
                "boards": [k[0] for k, _ in items],
                "periods": [k[1] for k, _ in items],
                "members": [k[2] for k, _ in items],
                "scores": [s.score for _, s in items],
                "changes": [s.period_change for _, s in items],
                "reached": [s.reached_at for _, s in items],
            },
        )
        return {(board, period, member): version for board, period, member, version in rows}

    async def stream(
        self, board_id: uuid.UUID, period_start: datetime
    ) -> AsyncIterator[Sequence[Row[Any]]]:
        """(member_id, score, reached_at, updated_at) of a period, through a server-side cursor."""
        e = LeaderboardEntry
        query = select(e.member_id, e.score, e.reached_at, e.updated_at).where(
            e.tenant_id == self.tenant_id,
            e.leaderboard_id == board_id,
            e.period_start == period_start,
        )
        result = await self.session.stream(query.execution_options(yield_per=STREAM_CHUNK))
        async for chunk in result.partitions(STREAM_CHUNK):
            yield chunk

    async def periods_between(
        self, board_id: uuid.UUID, after: datetime, before: datetime
    ) -> list[datetime]:
        """Periods strictly between two starts that hold entries (events a little in the future)."""
        e = LeaderboardEntry
        query = (
            select(e.period_start)
            .where(
                e.tenant_id == self.tenant_id,
                e.leaderboard_id == board_id,
                e.period_start > after,
                e.period_start < before,
            )
            .distinct()
        )
        return list((await self.session.execute(query)).scalars().all())

    async def count(self, board_id: uuid.UUID, period_start: datetime) -> int:
        e = LeaderboardEntry
        query = select(func.count()).where(
            e.tenant_id == self.tenant_id,
            e.leaderboard_id == board_id,
            e.period_start == period_start,
        )
        return int((await self.session.execute(query)).scalar_one())

    # -- archives ----------------------------------------------------------------------

    async def archive(
        self, board: Leaderboard, period_start: datetime, period_end: datetime
    ) -> int:
        """Write final ranks (the live order) and the period's row; returns its participants."""
        participants = await self.rank_final(board, period_start)
        statement = insert(LeaderboardPeriod).values(
            tenant_id=self.tenant_id,
            leaderboard_id=board.id,
            period_start=period_start,
            period_end=period_end,
            participants=participants,
            archived_at=func.now(),
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "leaderboard_id", "period_start"],
                set_={
                    "participants": participants,
                    "period_end": period_end,
                    "archived_at": func.now(),
                },
            )
        )
        return participants

    async def rank_final(self, board: Leaderboard, period_start: datetime) -> int:
        """(Re)write a period's final ranks in the live order, leaving out the entries held
        by a flag nobody has cleared; returns how many entries the period has."""
        order = "score DESC" if board.sort_order == "desc" else "score ASC"
        params = {"tenant": self.tenant_id, "board": board.id, "period": period_start}
        result = await self.session.execute(text(_UNRANK), params)
        await self.session.execute(text(_FINAL_RANKS.format(order=order)), params)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def periods(self, board_id: uuid.UUID, page: PageRequest) -> Page[LeaderboardPeriod]:
        """Archived periods, newest first."""
        p = LeaderboardPeriod
        query = select(p).where(p.tenant_id == self.tenant_id, p.leaderboard_id == board_id)
        return await keyset_page(self.session, query, [p.period_start], page)

    async def period(self, board_id: uuid.UUID, period_start: datetime) -> LeaderboardPeriod | None:
        p = LeaderboardPeriod
        query = select(p).where(
            p.tenant_id == self.tenant_id,
            p.leaderboard_id == board_id,
            p.period_start == period_start,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def final_standings(
        self, board_id: uuid.UUID, period_start: datetime, page: PageRequest
    ) -> Page[LeaderboardEntry]:
        """An archived period's entries by final rank."""
        e = LeaderboardEntry
        query = self.statement().where(
            e.leaderboard_id == board_id,
            e.period_start == period_start,
            e.final_rank.is_not(None),
        )
        return await keyset_page(self.session, query, [e.final_rank], page, descending=False)

    # -- forgetting --------------------------------------------------------------------

    async def forget_from(self, boundaries: dict[uuid.UUID, datetime] | None) -> None:
        """Before a replay: drop the tenant's standings, archives and rejections (all of them,
        or per board those of periods starting at or after the board's boundary)."""
        models: tuple[Any, ...] = (LeaderboardEntry, LeaderboardPeriod, LeaderboardRejection)
        for model in models:
            mine = model.tenant_id == self.tenant_id
            if boundaries is None:
                await self.session.execute(delete(model).where(mine))
                continue
            for board_id, boundary in boundaries.items():
                condition = and_(
                    mine, model.leaderboard_id == board_id, model.period_start >= boundary
                )
                await self.session.execute(delete(model).where(condition))

    async def forget_member(self, user_id: uuid.UUID) -> None:
        for model, column in (
            (LeaderboardEntry, LeaderboardEntry.member_id),
            (LeaderboardRejection, LeaderboardRejection.member_id),
            (LeaderboardMemberSetting, LeaderboardMemberSetting.user_id),
        ):
            await self.session.execute(
                delete(model).where(model.tenant_id == self.tenant_id, column == user_id)
            )


_LOAD = text(
    """
    SELECT leaderboard_id, period_start, member_id, score, reached_at, period_change
    FROM leaderboard_entries
    WHERE tenant_id = CAST(:tenant AS uuid)
      AND leaderboard_id = ANY(CAST(:boards AS uuid[]))
      AND period_start = ANY(CAST(:periods AS timestamptz[]))
      AND member_id = ANY(CAST(:members AS uuid[]))
    """
)
_SAVE = text(
    """
    INSERT INTO leaderboard_entries AS e (tenant_id, leaderboard_id, period_start, member_id,
                                          score, period_change, reached_at, updated_at)
    SELECT CAST(:tenant AS uuid), u.board, u.period, u.member, u.score, u.change, u.reached,
           clock_timestamp()
    FROM unnest(CAST(:boards AS uuid[]), CAST(:periods AS timestamptz[]),
                CAST(:members AS uuid[]), CAST(:scores AS numeric[]),
                CAST(:changes AS numeric[]), CAST(:reached AS timestamptz[]))
         AS u(board, period, member, score, change, reached)
    ON CONFLICT (tenant_id, leaderboard_id, period_start, member_id) DO UPDATE
    SET score = excluded.score, period_change = excluded.period_change,
        reached_at = excluded.reached_at, updated_at = excluded.updated_at
    RETURNING e.leaderboard_id, e.period_start, e.member_id, e.updated_at
    """
)
# `order` is one of two constants.
_UNRANK = """
    UPDATE leaderboard_entries SET final_rank = NULL
    WHERE tenant_id = :tenant AND leaderboard_id = :board AND period_start = :period
"""

_FINAL_RANKS = """
    UPDATE leaderboard_entries AS e SET final_rank = r.rank
    FROM (
        SELECT member_id,
               row_number() OVER (ORDER BY {order}, reached_at ASC, member_id DESC) AS rank
        FROM leaderboard_entries AS x
        WHERE tenant_id = :tenant AND leaderboard_id = :board AND period_start = :period
          AND NOT EXISTS (
              SELECT 1 FROM leaderboard_flags AS f
              WHERE f.tenant_id = :tenant AND f.leaderboard_id = :board
                AND f.period_start = :period AND f.member_id = x.member_id
                AND f.status <> 'cleared'
          )
    ) AS r
    WHERE e.tenant_id = :tenant AND e.leaderboard_id = :board
      AND e.period_start = :period AND e.member_id = r.member_id
"""


class FlagRepository(TenantRepository[LeaderboardFlag]):
    """Score jumps flagged in archived periods, for the session's tenant."""

    model = LeaderboardFlag

    async def jumps(
        self, board_id: uuid.UUID, period_start: datetime, min_history: int
    ) -> list[Row[Any]]:
        """Per member of the period with at least ``min_history`` earlier periods on the
        board: (member_id, score, own_best, others_best, others)."""
        params = {
            "tenant": self.tenant_id,
            "board": board_id,
            "period": period_start,
            "history": min_history,
        }
        return list((await self.session.execute(text(_JUMPS), params)).all())

    async def add_open(self, flags: Sequence[dict[str, Any]]) -> None:
        if not flags:
            return
        rows = [{"id": uuid.uuid4(), "tenant_id": self.tenant_id, **flag} for flag in flags]
        await self.session.execute(
            insert(LeaderboardFlag)
            .values(rows)
            .on_conflict_do_nothing(
                index_elements=["tenant_id", "leaderboard_id", "period_start", "member_id"]
            )
        )

    async def listed(
        self, board_id: uuid.UUID | None, status: str | None
    ) -> Sequence[LeaderboardFlag]:
        query = self.statement()
        if board_id is not None:
            query = query.where(LeaderboardFlag.leaderboard_id == board_id)
        if status is not None:
            query = query.where(LeaderboardFlag.status == status)
        return await self.all(query.order_by(LeaderboardFlag.created_at.desc()).limit(200))

    async def by_id(self, flag_id: uuid.UUID, *, lock: bool = False) -> LeaderboardFlag | None:
        return await self.get(LeaderboardFlag.id == flag_id, lock=lock)


_JUMPS = """
    WITH period AS (
        SELECT member_id, score FROM leaderboard_entries
        WHERE tenant_id = :tenant AND leaderboard_id = :board AND period_start = :period
    ), history AS (
        SELECT member_id, max(score) AS best, count(*) AS periods FROM leaderboard_entries
        WHERE tenant_id = :tenant AND leaderboard_id = :board AND period_start < :period
        GROUP BY member_id
    )
    SELECT p.member_id, p.score, h.best AS own_best,
           coalesce((SELECT max(o.score) FROM period o WHERE o.member_id <> p.member_id), 0)
               AS others_best,
           (SELECT count(*) FROM period o WHERE o.member_id <> p.member_id) AS others
    FROM period p JOIN history h ON h.member_id = p.member_id
    WHERE h.periods >= :history
"""
