"""Members: registered on first activity, their running totals, privacy, and erasure."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import Database, RowScope, after_commit, utcnow
from bizosaas.core.errors import NotFound
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.events.pipeline import Batch, EventHandler
from bizosaas.gamification.locks import lock_member, lock_tenant
from bizosaas.gamification.members.models import Member, TenantSettings
from bizosaas.gamification.members.repository import MemberRepository
from bizosaas.gamification.members.schemas import PrivacyUpdate, SettingsUpdate


class MemberService:
    def __init__(
        self, database: Database, directory: MemberDirectory, claims: ClaimsSnapshot
    ) -> None:
        self.database = database
        self.directory = directory
        self.claims = claims

    async def whose(self, caller: Caller, user_id: uuid.UUID | None) -> uuid.UUID:
        """The member a read is about: the caller, or (tenant admins only) another member of
        the same tenant; someone of another tenant is 404."""
        me = caller.require_member()
        if user_id is None or user_id == me:
            return me
        caller.require_admin()
        await self.directory.member_of(caller.tenant_id, user_id)
        return user_id

    async def ensure(
        self, db: AsyncSession, tenant_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Register members seen for the first time, with their names from the directory;
        returns the new ones."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        members = MemberRepository(db)
        joined = await members.join(wanted, utcnow())
        if joined:  # only newcomers need their names looked up
            names = await self.directory.get_many(joined)
            await members.name(
                joined, [names[u].display_name if u in names else "" for u in joined]
            )
        return set(joined)

    async def record_activity(self, db: AsyncSession, batch: Batch) -> None:
        """Add the batch's points to each member's total and note their last activity."""
        points: dict[uuid.UUID, int] = defaultdict(int)
        for award in batch.points:
            points[award.user_id] += award.points
        last_seen: dict[uuid.UUID, datetime] = {}
        for event in batch.events:
            seen = last_seen.get(event.user_id)
            if seen is None or event.occurred_at > seen:
                last_seen[event.user_id] = event.occurred_at
        members = sorted(set(points) | set(last_seen))
        if not members:
            return
        await MemberRepository(db).add_activity(
            members,
            [points.get(u, 0) for u in members],
            [last_seen.get(u) for u in members],
            utcnow(),
        )

    async def publish_claims(self, tenant_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> None:
        """Refresh the token-claim snapshot of these members from their committed rows."""
        wanted = list(set(user_ids))
        if not wanted:
            return
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            rows = await MemberRepository(db).many(wanted)
        await self.claims.write_many({row.user_id: claims_of(row) for row in rows})


def claims_of(member: Member) -> dict[str, object]:
    return {
        "achievement_count": member.achievement_count,
        "leaderboard_rank": member.leaderboard_rank,
        "referral_code": member.referral_code,
        "portfolio_id": str(member.portfolio_id) if member.portfolio_id else None,
    }


async def tenant_settings(db: AsyncSession) -> TenantSettings:
    """The session's tenant's gamification settings, created with defaults on first use."""
    return await MemberRepository(db).settings()


async def get_member(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Member:
    member = await MemberRepository(db).of(user_id)
    if member is None:
        raise NotFound("This member has no gamification activity yet.")
    return member


async def update_privacy(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, body: PrivacyUpdate
) -> Member:
    await lock_member(db, tenant_id, user_id)
    await MemberRepository(db).ensure_row(user_id)
    member = await get_member(db, tenant_id, user_id)
    if body.clear_alias:
        member.alias = None
    elif body.alias is not None:
        member.alias = body.alias.strip()
    if body.hidden is not None:
        member.hidden = body.hidden
    member.updated_at = utcnow()
    await db.flush()
    return member


async def update_settings(
    db: AsyncSession, tenant_id: uuid.UUID, body: SettingsUpdate
) -> TenantSettings:
    members = MemberRepository(db)
    settings = await members.settings()
    board_id = body.main_leaderboard_id
    if board_id is not None and not await members.has_board(board_id):
        raise NotFound(f"No leaderboard {board_id} in this tenant.")
    for name, value in body.model_dump(exclude_unset=True).items():
        if name == "member_event_types" and value is not None:
            value = sorted(set(value))
        setattr(settings, name, value)
    settings.updated_at = utcnow()
    await db.flush()
    return settings


async def erase_member(
    db: AsyncSession,
    handlers: Sequence[EventHandler],
    directory: MemberDirectory,
    claims: ClaimsSnapshot,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """Forget a member: every board and rank cache, progress, unlocks, notifications, events.

    The events go too, or a replay would bring the member back. A member of the tenant
    with no activity is not an error; anyone else's id is answered as unknown (a user
    deleted from the tenant but still holding activity here can be erased too).
    """
    members = MemberRepository(db)
    if await members.of(user_id) is None:
        await directory.member_of(tenant_id, user_id)
    await lock_tenant(db, tenant_id)  # no batch of the tenant is being applied meanwhile
    await lock_member(db, tenant_id, user_id)
    for handler in handlers:
        await handler.erase(db, tenant_id, user_id)
    await members.forget(user_id)
    after_commit(db, lambda: claims.delete(user_id))
