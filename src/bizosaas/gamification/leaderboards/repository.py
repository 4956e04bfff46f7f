"""The SQL of board definitions, members' presence on boards, and refused score changes.

Every repository serves the tenant of its session's unit of work (standings and
archives are in :mod:`.standings_repository`). Platform boards belong to
:data:`~bizosaas.gamification.db.PLATFORM_TENANT` and are read in a unit of work opened
with :data:`~bizosaas.gamification.db.PLATFORM_SCOPE`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import require_platform, utcnow
from bizosaas.core.errors import NotFound
from bizosaas.core.repository import (
    Page,
    PageRequest,
    PlatformRepository,
    TenantRepository,
    keyset_page,
)
from bizosaas.gamification.leaderboards.models import (
    Leaderboard,
    LeaderboardEntry,
    LeaderboardMemberSetting,
    LeaderboardRejection,
)
from bizosaas.gamification.members.models import TenantSettings

TENANT, PLATFORM = "tenant", "platform"  # Leaderboard.kind: ranks members, or tenants


class BoardRepository(TenantRepository[Leaderboard]):
    """The tenant's own boards, those ranking its members (platform boards: a subclass)."""

    model = Leaderboard
    kind = TENANT

    def statement(self) -> Select[tuple[Leaderboard]]:
        return super().statement().where(Leaderboard.kind == self.kind)

    async def by_id(self, board_id: uuid.UUID, *, lock: bool = False) -> Leaderboard | None:
        return await self.get(Leaderboard.id == board_id, lock=lock, fresh=True)

    async def by_key(self, key: str) -> Leaderboard | None:
        return await self.get(Leaderboard.key == key)

    async def list_boards(self, statuses: Sequence[str] = ("active",)) -> list[Leaderboard]:
        query = self.statement().where(Leaderboard.status.in_(statuses))
        return list(await self.all(query.order_by(Leaderboard.created_at, Leaderboard.id)))

    async def limited_per_event(self) -> list[Leaderboard]:
        """The boards an ingest must check: active, with a per-event limit (one indexed query)."""
        query = self.statement().where(
            Leaderboard.status == "active", Leaderboard.max_change_per_event.is_not(None)
        )
        return list(await self.all(query))


class DueBoards(PlatformRepository):
    async def due(self, now: datetime, limit: int = 500) -> list[Row[Any]]:
        """(id, tenant_id) of active tenant boards whose period has ended, in every tenant."""
        query = (
            select(Leaderboard.id, Leaderboard.tenant_id)
            .where(
                Leaderboard.status == "active",
                Leaderboard.kind == TENANT,
                Leaderboard.next_reset_at <= now,
            )
            .order_by(Leaderboard.tenant_id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).all())


class PlatformBoardRepository(BoardRepository):
    """The platform's boards, in a unit of work opened with
    :data:`~bizosaas.gamification.db.PLATFORM_SCOPE` (their tenant is the platform's, and their
    standings are read across the opted-in tenants)."""

    kind = PLATFORM

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        require_platform(session)

    async def board(self, board_id: uuid.UUID) -> Leaderboard:
        board = await self.by_id(board_id)
        if board is None:
            raise NotFound("No such platform leaderboard.")
        return board

    async def standings(
        self,
        board: Leaderboard,
        period_start: datetime,
        industry: str | None,
        page: PageRequest,
    ) -> tuple[list[Row[Any]], str | None]:
        """Opted-in tenants (of one industry) ranked in a period, one keyset page."""
        ranked = _ranked(board, period_start, industry)
        down = board.sort_order == "desc"
        found = await keyset_page(
            self.session,
            select(ranked),
            [ranked.c.score, ranked.c.reached_at, ranked.c.tenant_id],
            page,
            descending=(down, False, True),
            scalars=False,
        )
        return found.items, found.next_cursor

    async def standing_of(
        self, board: Leaderboard, period_start: datetime, industry: str | None, tenant_id: uuid.UUID
    ) -> Row[Any] | None:
        ranked = _ranked(board, period_start, industry)
        query = select(ranked).where(ranked.c.tenant_id == tenant_id)
        return (await self.session.execute(query)).first()


def _ranked(board: Leaderboard, period_start: datetime, industry: str | None) -> Any:
    e, s = LeaderboardEntry, TenantSettings
    score = e.score.desc() if board.sort_order == "desc" else e.score.asc()
    rank = func.row_number().over(order_by=(score, e.reached_at.asc(), e.member_id.desc()))
    query = (
        select(e.tenant_id, e.score, e.reached_at, s.display_name, s.industry, rank.label("rank"))
        .join(s, s.tenant_id == e.tenant_id)
        .where(
            e.leaderboard_id == board.id,
            e.period_start == period_start,
            e.member_id == e.tenant_id,
            s.platform_boards_opt_in,
        )
    )
    if industry is not None:
        query = query.where(s.industry == industry)
    return query.cte("ranked")


# -- refused score changes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rejection:
    board_id: uuid.UUID
    member_id: uuid.UUID
    event_id: str | None
    period_start: datetime | None
    change: Decimal
    reason: str


class RejectionRepository(TenantRepository[LeaderboardRejection]):
    model = LeaderboardRejection

    async def add_all(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        now = utcnow()
        await self.session.execute(
            insert(LeaderboardRejection),
            [
                {
                    "tenant_id": self.tenant_id,
                    "leaderboard_id": r.board_id,
                    "member_id": r.member_id,
                    "event_id": r.event_id,
                    "period_start": r.period_start,
                    "change": r.change,
                    "reason": r.reason[:200],
                    "created_at": now,
                }
                for r in rejections
            ],
        )

    async def page(self, board_id: uuid.UUID, page: PageRequest) -> Page[LeaderboardRejection]:
        """Newest first."""
        query = self.statement().where(LeaderboardRejection.leaderboard_id == board_id)
        return await keyset_page(self.session, query, [LeaderboardRejection.id], page)


# -- members on boards -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presence:
    """How a member appears on a board."""

    name: str
    hidden: bool


NOBODY = Presence("", False)


class BoardMemberRepository(TenantRepository[LeaderboardMemberSetting]):
    """Members' names, privacy and main-board ranks, as boards show them."""

    model = LeaderboardMemberSetting

    async def presence_of(
        self, board_id: uuid.UUID, member_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, Presence]:
        """Name (board alias, member alias or display name) and whether hidden, in one query."""
        ids = list(set(member_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            _PRESENCE, {"ids": ids, "tenant": self.tenant_id, "board": board_id}
        )
        return {
            member_id: Presence(board_alias or alias or name or "", bool(hidden or board_hidden))
            for member_id, name, alias, hidden, board_alias, board_hidden in rows
        }

    async def save_ranks(self, ranks: dict[uuid.UUID, int | None]) -> set[uuid.UUID]:
        """Each member's rank on the main board (for the token claim); returns whose changed."""
        if not ranks:
            return set()
        items = sorted(ranks.items())
        result = await self.session.execute(
            _SAVE_RANKS,
            {
                "tenant": self.tenant_id,
                "users": [u for u, _ in items],
                "ranks": [r for _, r in items],
            },
        )
        return set(result.scalars())

    async def put_setting(
        self, board_id: uuid.UUID, user_id: uuid.UUID, hidden: bool, alias: str | None
    ) -> LeaderboardMemberSetting:
        statement = insert(LeaderboardMemberSetting).values(
            tenant_id=self.tenant_id,
            leaderboard_id=board_id,
            user_id=user_id,
            hidden=hidden,
            alias=alias,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "leaderboard_id", "user_id"],
                set_={"hidden": hidden, "alias": alias},
            )
        )
        setting = await self.get(
            LeaderboardMemberSetting.leaderboard_id == board_id,
            LeaderboardMemberSetting.user_id == user_id,
            fresh=True,
        )
        assert setting is not None
        return setting


_PRESENCE = text(
    """
    SELECT ids.id, m.display_name, m.alias, coalesce(m.hidden, false),
           s.alias, coalesce(s.hidden, false)
    FROM unnest(CAST(:ids AS uuid[])) AS ids(id)
    LEFT JOIN members AS m ON m.tenant_id = :tenant AND m.user_id = ids.id
    LEFT JOIN leaderboard_member_settings AS s
           ON s.tenant_id = :tenant AND s.leaderboard_id = :board AND s.user_id = ids.id
    """
)
_SAVE_RANKS = text(
    """
    UPDATE members AS m SET leaderboard_rank = u.rank
    FROM unnest(CAST(:users AS uuid[]), CAST(:ranks AS integer[])) AS u(user_id, rank)
    WHERE m.tenant_id = :tenant AND m.user_id = u.user_id
      AND m.leaderboard_rank IS DISTINCT FROM u.rank
    RETURNING m.user_id
    """
)
