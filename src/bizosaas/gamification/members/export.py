"""A member's data export: every row the gamification service holds about one member.

Each source names the columns that make a row the member's own and, for rows that only
mention the member (a conversion they referred), the columns about somebody else that
are left out, so one member's export never carries another person's email or address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.members import MemberDirectory
from bizosaas.gamification.achievements.models import AchievementProgress, TenantAchievement
from bizosaas.gamification.events.models import GamificationEvent
from bizosaas.gamification.leaderboards.models import LeaderboardEntry, LeaderboardMemberSetting
from bizosaas.gamification.members.models import Member
from bizosaas.gamification.members.repository import MemberRepository
from bizosaas.gamification.members.schemas import MemberExport
from bizosaas.gamification.notifications.models import Notification
from bizosaas.gamification.portfolios.models import ShowcasePortfolio
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralVisit,
)
from bizosaas.gamification.rewards.models import RewardEntry


@dataclass(frozen=True)
class Source:
    model: type[Any]
    own: str  # the column naming the member whose row it is
    mentions: str | None = None  # a column naming the member in somebody else's row
    private: tuple[str, ...] = ()  # that somebody's personal columns


SOURCES = {
    "profile": Source(Member, "user_id"),
    "events": Source(GamificationEvent, "user_id"),
    "achievement_progress": Source(AchievementProgress, "user_id"),
    "achievements_unlocked": Source(TenantAchievement, "user_id"),
    "leaderboard_standings": Source(LeaderboardEntry, "member_id"),
    "leaderboard_privacy": Source(LeaderboardMemberSetting, "user_id"),
    "referral_codes": Source(ReferralCode, "user_id"),
    "referral_visits": Source(ReferralVisit, "referee_id"),
    "referral_conversions": Source(
        ReferralConversion,
        "referee_id",
        mentions="referrer_id",
        private=("referee_email", "ip", "device_fingerprint"),
    ),
    "rewards": Source(RewardEntry, "user_id"),
    "notifications": Source(Notification, "user_id"),
    "showcases": Source(ShowcasePortfolio, "user_id"),
}


async def export_member(
    db: AsyncSession, directory: MemberDirectory, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> MemberExport:
    """A user of the tenant with no activity exports empty sections; anyone else's id is
    answered as unknown (as erasure answers it)."""
    members = MemberRepository(db)
    if await members.of(user_id) is None:
        await directory.member_of(tenant_id, user_id)
    sections: dict[str, list[dict[str, Any]]] = {}
    for name, source in SOURCES.items():
        rows = await members.rows_about(source.model, user_id, source.own, source.mentions)
        sections[name] = [
            {
                column: value
                for column, value in row.items()
                if column != "tenant_id"
                and not (column in source.private and row[source.own] != user_id)
            }
            for row in rows
        ]
    return MemberExport(user_id=user_id, exported_at=utcnow(), sections=sections)
