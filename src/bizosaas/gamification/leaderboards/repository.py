"""Every SQL statement of the leaderboards domain.

Callers pass the session of a transaction already scoped to a tenant (or to the
platform); row-level security keeps every statement inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.gamification.leaderboards.models import (
    Leaderboard,
    LeaderboardEntry,
    LeaderboardMemberSetting,
    LeaderboardPeriod,
    LeaderboardRejection,
)
from bizosaas.gamification.leaderboards.scoring import Standing

Slot = tuple[uuid.UUID, datetime, uuid.UUID]  # board, period start, member
STREAM_CHUNK = 10_000


# -- boards ------------------------------------------------------------------------------


async def get_board(db: AsyncSession, board_id: uuid.UUID) -> Leaderboard | None:
    return await db.get(Leaderboard, board_id, populate_existing=True)


async def get_board_by_key(db: AsyncSession, tenant_id: uuid.UUID, key: str) -> Leaderboard | None:
    query = select(Leaderboard).where(Leaderboard.tenant_id == tenant_id, Leaderboard.key == key)
    return (await db.execute(query)).scalar_one_or_none()


async def list_boards(
    db: AsyncSession, tenant_id: uuid.UUID, statuses: Sequence[str] = ("active",)
) -> list[Leaderboard]:
    query = (
        select(Leaderboard)
        .where(Leaderboard.tenant_id == tenant_id, Leaderboard.status.in_(statuses))
        .order_by(Leaderboard.created_at, Leaderboard.id)
    )
    return list((await db.execute(query)).scalars().all())


async def boards_limited_per_event(db: AsyncSession, tenant_id: uuid.UUID) -> list[Leaderboard]:
    """The boards an ingest must check: active, with a per-event limit (one indexed query)."""
    query = select(Leaderboard).where(
        Leaderboard.tenant_id == tenant_id,
        Leaderboard.status == "active",
        Leaderboard.max_change_per_event.is_not(None),
    )
    return list((await db.execute(query)).scalars().all())


async def lock_board(db: AsyncSession, board_id: uuid.UUID) -> Leaderboard | None:
    query = select(Leaderboard).where(Leaderboard.id == board_id).with_for_update()
    return (await db.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def due_boards(db: AsyncSession, now: datetime, limit: int = 500) -> list[Row[Any]]:
    """Active tenant boards whose period has ended (platform scope: every tenant)."""
    query = (
        select(Leaderboard.id, Leaderboard.tenant_id)
        .where(
            Leaderboard.status == "active",
            Leaderboard.scope == "tenant",
            Leaderboard.next_reset_at <= now,
        )
        .order_by(Leaderboard.tenant_id)
        .limit(limit)
    )
    return list((await db.execute(query)).all())


# -- standings ---------------------------------------------------------------------------


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


async def load_standings(
    db: AsyncSession, tenant_id: uuid.UUID, wanted: Iterable[Slot]
) -> dict[Slot, Standing]:
    """The current standings of these (board, period, member) slots, in one query."""
    wanted = set(wanted)
    if not wanted:
        return {}
    rows = await db.execute(
        _LOAD,
        {
            "tenant": tenant_id,
            "boards": list({w[0] for w in wanted}),
            "periods": list({w[1] for w in wanted}),
            "members": list({w[2] for w in wanted}),
        },
    )
    found: dict[Slot, Standing] = {}
    for board_id, period_start, member_id, score, reached_at, change in rows:
        key = (board_id, period_start, member_id)
        if key in wanted:
            found[key] = Standing(score, reached_at, change)
    return found


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


async def save_standings(
    db: AsyncSession, tenant_id: uuid.UUID, standings: dict[Slot, Standing]
) -> dict[Slot, datetime]:
    """Upsert absolute standings in one statement; returns each row's version (PostgreSQL's
    clock at the write, so a later batch always writes a later version)."""
    if not standings:
        return {}
    items = sorted(standings.items(), key=lambda kv: kv[0])  # a stable lock order
    rows = await db.execute(
        _SAVE,
        {
            "tenant": tenant_id,
            "boards": [k[0] for k, _ in items],
            "periods": [k[1] for k, _ in items],
            "members": [k[2] for k, _ in items],
            "scores": [s.score for _, s in items],
            "changes": [s.period_change for _, s in items],
            "reached": [s.reached_at for _, s in items],
        },
    )
    return {(board, period, member): version for board, period, member, version in rows}


async def stream_standings(
    db: AsyncSession, tenant_id: uuid.UUID, board_id: uuid.UUID, period_start: datetime
) -> AsyncIterator[Sequence[Row[Any]]]:
    """(member_id, score, reached_at, updated_at) of a period, through a server-side cursor."""
    e = LeaderboardEntry
    query = select(e.member_id, e.score, e.reached_at, e.updated_at).where(
        e.tenant_id == tenant_id, e.leaderboard_id == board_id, e.period_start == period_start
    )
    result = await db.stream(query.execution_options(yield_per=STREAM_CHUNK))
    async for chunk in result.partitions(STREAM_CHUNK):
        yield chunk


async def periods_with_entries(
    db: AsyncSession, board: Leaderboard, after: datetime, before: datetime
) -> list[datetime]:
    """Periods strictly between two starts that hold entries (events a little in the future)."""
    e = LeaderboardEntry
    query = (
        select(e.period_start)
        .where(
            e.tenant_id == board.tenant_id,
            e.leaderboard_id == board.id,
            e.period_start > after,
            e.period_start < before,
        )
        .distinct()
    )
    return list((await db.execute(query)).scalars().all())


async def count_entries(db: AsyncSession, board: Leaderboard, period_start: datetime) -> int:
    e = LeaderboardEntry
    query = select(func.count()).where(
        e.tenant_id == board.tenant_id, e.leaderboard_id == board.id, e.period_start == period_start
    )
    return int((await db.execute(query)).scalar_one())


async def archive_period(
    db: AsyncSession, board: Leaderboard, period_start: datetime, period_end: datetime
) -> int:
    """Write final ranks (the live order) and the period's row; returns its participants."""
    order = "score DESC" if board.sort_order == "desc" else "score ASC"
    result = await db.execute(
        text(
            f"""
            UPDATE leaderboard_entries AS e SET final_rank = r.rank
            FROM (
                SELECT member_id,
                       row_number() OVER (ORDER BY {order}, reached_at ASC, member_id DESC) AS rank
                FROM leaderboard_entries
                WHERE tenant_id = :tenant AND leaderboard_id = :board AND period_start = :period
            ) AS r
            WHERE e.tenant_id = :tenant AND e.leaderboard_id = :board
              AND e.period_start = :period AND e.member_id = r.member_id
            """  # noqa: S608 - `order` is one of two constants
        ),
        {"tenant": board.tenant_id, "board": board.id, "period": period_start},
    )
    participants = int(result.rowcount)  # type: ignore[attr-defined]
    row = {
        "tenant_id": board.tenant_id,
        "leaderboard_id": board.id,
        "period_start": period_start,
        "period_end": period_end,
        "participants": participants,
        "archived_at": func.now(),
    }
    statement = insert(LeaderboardPeriod).values(row)
    await db.execute(
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


# -- rejections --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rejection:
    board_id: uuid.UUID
    member_id: uuid.UUID
    event_id: str | None
    period_start: datetime | None
    change: Decimal
    reason: str


async def add_rejections(
    db: AsyncSession, tenant_id: uuid.UUID, rejections: Sequence[Rejection]
) -> None:
    if not rejections:
        return
    now = utcnow()
    await db.execute(
        insert(LeaderboardRejection),
        [
            {
                "tenant_id": tenant_id,
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


async def list_rejections(
    db: AsyncSession, tenant_id: uuid.UUID, board_id: uuid.UUID, before_id: int | None, limit: int
) -> list[LeaderboardRejection]:
    r = LeaderboardRejection
    query = select(r).where(r.tenant_id == tenant_id, r.leaderboard_id == board_id)
    if before_id is not None:
        query = query.where(r.id < before_id)
    return list((await db.execute(query.order_by(r.id.desc()).limit(limit))).scalars().all())


# -- members -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presence:
    """How a member appears on a board."""

    name: str
    hidden: bool


async def presence_of(
    db: AsyncSession, tenant_id: uuid.UUID, board_id: uuid.UUID, member_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Presence]:
    """Name (board alias, member alias or display name) and whether hidden, in one query."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = await db.execute(
        text(
            """
            SELECT ids.id, m.display_name, m.alias, coalesce(m.hidden, false),
                   s.alias, coalesce(s.hidden, false)
            FROM unnest(CAST(:ids AS uuid[])) AS ids(id)
            LEFT JOIN members AS m ON m.tenant_id = :tenant AND m.user_id = ids.id
            LEFT JOIN leaderboard_member_settings AS s
                   ON s.tenant_id = :tenant AND s.leaderboard_id = :board AND s.user_id = ids.id
            """
        ),
        {"ids": ids, "tenant": tenant_id, "board": board_id},
    )
    return {
        member_id: Presence(board_alias or alias or name or "", bool(hidden or board_hidden))
        for member_id, name, alias, hidden, board_alias, board_hidden in rows
    }


async def save_member_ranks(
    db: AsyncSession, tenant_id: uuid.UUID, ranks: dict[uuid.UUID, int | None]
) -> set[uuid.UUID]:
    """Each member's rank on the main board (for the token claim); returns whose changed."""
    if not ranks:
        return set()
    items = sorted(ranks.items())
    result = await db.execute(
        text(
            """
            UPDATE members AS m SET leaderboard_rank = u.rank
            FROM unnest(CAST(:users AS uuid[]), CAST(:ranks AS integer[])) AS u(user_id, rank)
            WHERE m.tenant_id = :tenant AND m.user_id = u.user_id
              AND m.leaderboard_rank IS DISTINCT FROM u.rank
            RETURNING m.user_id
            """
        ),
        {"tenant": tenant_id, "users": [u for u, _ in items], "ranks": [r for _, r in items]},
    )
    return set(result.scalars())


async def put_setting(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    board_id: uuid.UUID,
    user_id: uuid.UUID,
    hidden: bool,
    alias: str | None,
) -> LeaderboardMemberSetting:
    statement = insert(LeaderboardMemberSetting).values(
        tenant_id=tenant_id, leaderboard_id=board_id, user_id=user_id, hidden=hidden, alias=alias
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "leaderboard_id", "user_id"],
            set_={"hidden": hidden, "alias": alias},
        )
    )
    setting = await db.get(
        LeaderboardMemberSetting, (tenant_id, board_id, user_id), populate_existing=True
    )
    assert setting is not None
    return setting
