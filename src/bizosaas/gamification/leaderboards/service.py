"""Tenant boards: definitions (tenant admin), standings and archives (members), privacy.

Ranks count every participant, hidden members included: a hidden member is left
out of everyone else's listings (leaving a gap in the numbering, so nobody else's
rank depends on who hides) but still sees its own rank through ``/me``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.errors import BadRequest, Conflict, NotFound
from bizosaas.core.repository import BAD_CURSOR, PageRequest, decode_cursor, encode_cursor
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.leaderboards import schemas
from bizosaas.gamification.leaderboards.live import LiveRanks, is_due, schedule_of
from bizosaas.gamification.leaderboards.models import Leaderboard, LeaderboardEntry
from bizosaas.gamification.leaderboards.periods import Schedule
from bizosaas.gamification.leaderboards.ranks import Placed, unzscore
from bizosaas.gamification.leaderboards.repository import (
    NOBODY,
    TENANT,
    BoardMemberRepository,
    BoardRepository,
    RejectionRepository,
)
from bizosaas.gamification.leaderboards.schemas import PeriodPage, RejectionPage
from bizosaas.gamification.leaderboards.standings_repository import StandingRepository
from bizosaas.gamification.members.service import tenant_settings

SCAN_EXTRA = 10  # read a few more than asked, to fill a page past hidden members


# -- definitions -------------------------------------------------------------------------


async def create_board(
    boards: BoardRepository,
    live: LiveRanks,
    body: schemas.Rules,
    *,
    visibility: str = "members",
) -> Leaderboard:
    """A tenant's board, or the platform's (as ``boards`` serves)."""
    if await boards.by_key(body.key) is not None:
        raise Conflict(f"A leaderboard with key {body.key!r} already exists.")
    timezone = body.timezone
    if timezone is None:
        timezone = (
            "UTC" if boards.kind != TENANT else (await tenant_settings(boards.session)).timezone
        )
    now = live.clock()
    schedule = Schedule(body.period, timezone, body.cron)
    period_start, next_reset_at = schedule.bounds(now)
    board = Leaderboard(
        **body.model_dump(include=set(schemas.Rules.model_fields) - {"timezone"}),
        id=uuid.uuid4(),
        kind=boards.kind,
        timezone=timezone,
        visibility=visibility,
        status="active",
        period_start=period_start,
        next_reset_at=next_reset_at,
        created_at=now,
        updated_at=now,
    )
    await boards.insert_unique(board, taken=f"A leaderboard with key {body.key!r} already exists.")
    if board.kind == TENANT:
        await live.ranks.mark_ready(live.slot(board))  # a new board has no rows to rebuild from
    return board


async def update_board(
    db: AsyncSession, board: Leaderboard, body: schemas.LeaderboardUpdate
) -> Leaderboard:
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(board, name, value)
    await db.flush()
    return board


async def archive_board(db: AsyncSession, board: Leaderboard) -> Leaderboard:
    """Stop scoring; standings and archives stay readable."""
    board.status = "archived"
    await db.flush()
    return board


async def tenant_board(db: AsyncSession, board_id: uuid.UUID) -> Leaderboard:
    """One of the session's tenant's boards; anything else (another tenant's) is 404."""
    board = await BoardRepository(db).by_id(board_id)
    if board is None:
        raise NotFound("No such leaderboard.")
    return board


async def list_boards(
    db: AsyncSession, live: LiveRanks, status: str
) -> list[schemas.LeaderboardOut]:
    statuses = ("active", "archived") if status == "all" else (status,)
    return [out(b, live) for b in await BoardRepository(db).list_boards(statuses)]


def out(board: Leaderboard, live: LiveRanks) -> schemas.LeaderboardOut:
    """The board as clients see it, with its current period even before a roll-over ran."""
    result = schemas.LeaderboardOut.model_validate(board)
    if is_due(board, live.clock()):
        start, end = schedule_of(board).bounds(live.clock())
        result.period_start, result.next_reset_at = start, end
    return result


# -- live standings ----------------------------------------------------------------------


async def standings(
    db: AsyncSession,
    live: LiveRanks,
    viewer: uuid.UUID | None,
    board: Leaderboard,
    page: PageRequest,
) -> schemas.StandingsPage:
    """Top of the board, or the page after the cursor; hidden members are skipped."""
    board = await live.current(db, board)
    after = _read_cursor(page.cursor)
    limit = page.limit
    entries: list[schemas.Standing] = []
    total = 0
    more = True
    while more and len(entries) < limit:
        wanted = limit - len(entries) + SCAN_EXTRA
        total, placed = await live.page(board, after, wanted)
        more = len(placed) == wanted
        shown = await _shown(db, board, viewer, placed)
        for item in placed:
            after = (item.member, item.zscore)
            if item.member_id in shown:
                entries.append(shown[item.member_id])
                if len(entries) == limit:
                    more = more or item.position + 1 < total
                    break
    return schemas.StandingsPage(
        leaderboard_id=board.id,
        period_start=board.period_start,
        next_reset_at=board.next_reset_at,
        participants=total,
        entries=entries,
        next_cursor=_write_cursor(after) if more and after else None,
    )


async def my_standing(
    db: AsyncSession, live: LiveRanks, caller: Caller, board: Leaderboard
) -> schemas.MyStanding:
    """The caller's own rank and score, even when hidden from everyone else."""
    user_id = caller.require_member()
    board = await live.current(db, board)
    total, rank, placed = await live.around(board, user_id, 0, 0)
    presence = (await BoardMemberRepository(db).presence_of(board.id, [user_id]))[user_id]
    mine = placed[0] if placed else None
    return schemas.MyStanding(
        leaderboard_id=board.id,
        period_start=board.period_start,
        next_reset_at=board.next_reset_at,
        participants=total,
        rank=rank + 1 if rank is not None else None,
        score=float(unzscore(mine.zscore, board.sort_order == "desc")) if mine else None,
        reached_at=mine.reached_at if mine else None,
        hidden=presence.hidden,
        name=presence.name,
    )


async def around(
    db: AsyncSession,
    live: LiveRanks,
    caller: Caller,
    board: Leaderboard,
    user_id: uuid.UUID,
    k: int,
) -> schemas.AroundPage:
    """Up to ``k`` visible members either side of ``user_id``."""
    board = await live.current(db, board)
    margin = k + SCAN_EXTRA // 2  # room for a few hidden members either side
    total, rank, placed = await live.around(board, user_id, margin, margin)
    shown = await _shown(db, board, caller.user_id, placed)
    if rank is None or user_id not in shown:
        raise NotFound("That member has no visible standing on this board.")
    above = [shown[p.member_id] for p in placed if p.position < rank and p.member_id in shown]
    below = [shown[p.member_id] for p in placed if p.position > rank and p.member_id in shown]
    return schemas.AroundPage(
        leaderboard_id=board.id,
        period_start=board.period_start,
        participants=total,
        rank=rank + 1,
        entries=[*above[-k:], shown[user_id], *below[:k]],
    )


async def _shown(
    db: AsyncSession, board: Leaderboard, viewer: uuid.UUID | None, placed: list[Placed]
) -> dict[uuid.UUID, schemas.Standing]:
    """The visible members of a slice, by id, as standings (the viewer always sees itself)."""
    members = BoardMemberRepository(db)
    presence = await members.presence_of(board.id, (p.member_id for p in placed))
    descending = board.sort_order == "desc"
    shown = {}
    for item in placed:
        who = presence.get(item.member_id, NOBODY)
        me = item.member_id == viewer
        if who.hidden and not me:
            continue
        shown[item.member_id] = schemas.Standing(
            rank=item.position + 1,
            user_id=item.member_id,
            name=who.name,
            score=float(unzscore(item.zscore, descending)),
            reached_at=item.reached_at,
            me=me,
        )
    return shown


def aware(moment: datetime | None) -> datetime | None:
    """A moment from a query or path: without an offset, it is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _write_cursor(after: tuple[str, str]) -> str:
    member, zscore = after
    return encode_cursor([zscore, member])


def _read_cursor(cursor: str | None) -> tuple[str, str] | None:
    """The zset member and score a page starts after (both checked, for the script)."""
    if not cursor:
        return None
    zscore, member = (str(v) for v in decode_cursor(cursor, (str, str)))
    try:
        float(zscore)
        complement, _, member_id = member.partition(":")
        int(complement)
        uuid.UUID(member_id)
    except ValueError as exc:
        raise BadRequest(BAD_CURSOR) from exc
    return member, zscore


async def public_board(
    db: AsyncSession, live: LiveRanks, key: str, limit: int
) -> schemas.PublicBoard:
    """A public board's top, for anyone: only if the tenant lets boards out at all."""
    board = await BoardRepository(db).by_key(key)
    if (
        board is None
        or board.status != "active"
        or board.visibility != "public"
        or (await tenant_settings(db)).boards_members_only
    ):
        raise NotFound("No such public leaderboard.")
    page = await standings(db, live, None, board, PageRequest(None, limit))
    return schemas.PublicBoard(
        key=board.key,
        name=board.name,
        description=board.description,
        period_start=page.period_start,
        next_reset_at=page.next_reset_at,
        entries=[
            schemas.PublicStanding(rank=e.rank, name=e.name, score=e.score) for e in page.entries
        ],
    )


# -- archives ----------------------------------------------------------------------------


async def list_periods(db: AsyncSession, board: Leaderboard, page: PageRequest) -> PeriodPage:
    found = await StandingRepository(db).periods(board.id, page)
    return PeriodPage.model_validate({"periods": found.items, "next_cursor": found.next_cursor})


async def final_standings(
    db: AsyncSession,
    caller: Caller,
    board: Leaderboard,
    period_start: datetime,
    page: PageRequest,
) -> schemas.FinalStandings:
    """An archived period by final rank; members hidden then are skipped (not renumbered)."""
    standings, members = StandingRepository(db), BoardMemberRepository(db)
    period = await standings.period(board.id, period_start)
    if period is None:
        raise NotFound("No archived period of this board starts then.")
    entries: list[schemas.Standing] = []
    limit, next_cursor = page.limit, page.cursor
    while len(entries) < limit:
        scanned = await standings.final_standings(
            board.id, period_start, PageRequest(next_cursor, limit + SCAN_EXTRA)
        )
        presence = await members.presence_of(board.id, (r.member_id for r in scanned.items))
        next_cursor = scanned.next_cursor
        for row in scanned.items:
            who = presence.get(row.member_id, NOBODY)
            if who.hidden and row.member_id != caller.user_id:
                continue
            entries.append(_final(row, who.name, caller.user_id))
            if len(entries) == limit:
                last = row.final_rank or 0
                more = row is not scanned.items[-1] or scanned.next_cursor is not None
                next_cursor = encode_cursor([last]) if more else None
                break
        if next_cursor is None:
            break
    return schemas.FinalStandings(
        period=schemas.PeriodOut.model_validate(period), entries=entries, next_cursor=next_cursor
    )


def _final(row: LeaderboardEntry, name: str, viewer: uuid.UUID | None) -> schemas.Standing:
    return schemas.Standing(
        rank=row.final_rank or 0,
        user_id=row.member_id,
        name=name,
        score=float(row.score),
        reached_at=row.reached_at,
        me=row.member_id == viewer,
    )


async def rejections(db: AsyncSession, board: Leaderboard, page: PageRequest) -> RejectionPage:
    found = await RejectionRepository(db).page(board.id, page)
    return RejectionPage.model_validate(
        {"rejections": found.items, "next_cursor": found.next_cursor}
    )


# -- privacy and maintenance -------------------------------------------------------------


async def set_privacy(
    db: AsyncSession, caller: Caller, board: Leaderboard, body: schemas.PrivacyIn
) -> schemas.PrivacyOut:
    setting = await BoardMemberRepository(db).put_setting(
        board.id, caller.require_member(), body.hidden, body.alias
    )
    return schemas.PrivacyOut.model_validate(setting)


async def rebuild(live: LiveRanks, board: Leaderboard) -> schemas.RebuildOut:
    """Rebuild the live ranks from PostgreSQL (after Redis lost them, or to verify)."""
    result = await live.ensure_ready(board.tenant_id, board.id, force=True)
    if result is None:
        raise NotFound("No such leaderboard.")
    return schemas.RebuildOut(
        leaderboard_id=board.id, members=result.members, seconds=result.seconds
    )
