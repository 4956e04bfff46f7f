"""SQLAdmin's views of the gamification tables, for the super admin: every tenant's
members, achievements and unlocks, boards, referral programs and conversions, the reward
ledger, showcases, the event log, API keys and settings.

All of it is read-only. Each change there has rules a row edit would skip (a conversion's
rewards and clawbacks, a board's ranks in Redis, an event's replay): tenant admins make
them in the admin dashboard, through the gamification API. The one action here, revoking
an abused API key, goes through that API too. API key hashes are never shown or exported.
"""

from __future__ import annotations

from typing import Any

from sqladmin import ModelView, action
from starlette.requests import Request
from starlette.responses import RedirectResponse

from bizosaas.gamification.achievements.models import Achievement, TenantAchievement
from bizosaas.gamification.apikeys.models import ApiKey
from bizosaas.gamification.events.models import GamificationEvent
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.members.models import Member, TenantSettings
from bizosaas.gamification.portfolios.models import ShowcasePortfolio
from bizosaas.gamification.referrals.models import ReferralConversion, ReferralProgram
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.web.api import VisitorApi
from bizosaas.web.sqladmin_views import through_the_api

CATEGORY = "Gamification"


class GamificationView(ModelView):
    category = CATEGORY
    can_create = False
    can_edit = False
    can_delete = False
    page_size = 50


class MemberView(GamificationView, model=Member):
    name_plural = "Members"
    icon = "fa-solid fa-users"
    column_list = [
        Member.tenant_id,
        Member.user_id,
        Member.display_name,
        Member.alias,
        Member.hidden,
        Member.points,
        Member.achievement_count,
        Member.leaderboard_rank,
        Member.last_event_at,
    ]
    column_searchable_list = [Member.display_name, Member.alias]
    column_sortable_list = [Member.points, Member.last_event_at]
    column_default_sort = (Member.points, True)


class AchievementView(GamificationView, model=Achievement):
    name_plural = "Achievements"
    icon = "fa-solid fa-trophy"
    column_list = [
        Achievement.tenant_id,
        Achievement.key,
        Achievement.name,
        Achievement.status,
        Achievement.source,
        Achievement.hidden,
        Achievement.platform,
        Achievement.created_at,
    ]
    column_searchable_list = [Achievement.key, Achievement.name]
    column_sortable_list = [Achievement.key, Achievement.created_at]


class UnlockView(GamificationView, model=TenantAchievement):
    name = "Unlock"
    name_plural = "Unlocks"
    icon = "fa-solid fa-unlock"
    column_list = [
        TenantAchievement.tenant_id,
        TenantAchievement.achievement_id,
        TenantAchievement.user_id,
        TenantAchievement.level_name,
        TenantAchievement.points_awarded,
        TenantAchievement.unlocked_at,
    ]
    column_default_sort = (TenantAchievement.unlocked_at, True)


class LeaderboardView(GamificationView, model=Leaderboard):
    name_plural = "Leaderboards"
    icon = "fa-solid fa-ranking-star"
    column_list = [
        Leaderboard.tenant_id,
        Leaderboard.key,
        Leaderboard.name,
        Leaderboard.kind,
        Leaderboard.metric,
        Leaderboard.period,
        Leaderboard.visibility,
        Leaderboard.status,
        Leaderboard.next_reset_at,
    ]
    column_searchable_list = [Leaderboard.key, Leaderboard.name]


class ProgramView(GamificationView, model=ReferralProgram):
    name = "Referral program"
    name_plural = "Referral programs"
    icon = "fa-solid fa-share-nodes"
    column_list = [
        ReferralProgram.tenant_id,
        ReferralProgram.name,
        ReferralProgram.platform,
        ReferralProgram.status,
        ReferralProgram.hold_days,
        ReferralProgram.manual_approval,
        ReferralProgram.created_at,
    ]
    column_searchable_list = [ReferralProgram.name]


class ConversionView(GamificationView, model=ReferralConversion):
    name = "Referral conversion"
    name_plural = "Referral conversions"
    icon = "fa-solid fa-user-check"
    column_list = [
        ReferralConversion.tenant_id,
        ReferralConversion.referrer_id,
        ReferralConversion.referee_id,
        ReferralConversion.status,
        ReferralConversion.risk_score,
        ReferralConversion.converted_at,
        ReferralConversion.reviewed_at,
    ]
    column_searchable_list = [ReferralConversion.status, ReferralConversion.referee_email]
    column_sortable_list = [ReferralConversion.risk_score, ReferralConversion.converted_at]
    column_default_sort = (ReferralConversion.converted_at, True)


class RewardView(GamificationView, model=RewardEntry):
    name = "Reward entry"
    name_plural = "Reward ledger"
    icon = "fa-solid fa-coins"
    column_list = [
        RewardEntry.tenant_id,
        RewardEntry.user_id,
        RewardEntry.kind,
        RewardEntry.amount,
        RewardEntry.unit,
        RewardEntry.status,
        RewardEntry.available_at,
        RewardEntry.decided_at,
        RewardEntry.created_at,
    ]
    column_searchable_list = [RewardEntry.status, RewardEntry.kind]
    column_sortable_list = [RewardEntry.amount, RewardEntry.created_at]
    column_default_sort = (RewardEntry.created_at, True)


class ShowcaseView(GamificationView, model=ShowcasePortfolio):
    name = "Showcase"
    name_plural = "Showcases"
    icon = "fa-solid fa-image"
    column_list = [
        ShowcasePortfolio.tenant_id,
        ShowcasePortfolio.title,
        ShowcasePortfolio.slug,
        ShowcasePortfolio.status,
        ShowcasePortfolio.published_at,
        ShowcasePortfolio.updated_at,
    ]
    column_searchable_list = [ShowcasePortfolio.title, ShowcasePortfolio.slug]


class EventView(GamificationView, model=GamificationEvent):
    name = "Event"
    name_plural = "Event log"
    icon = "fa-solid fa-bolt"
    column_list = [
        GamificationEvent.seq,
        GamificationEvent.tenant_id,
        GamificationEvent.type,
        GamificationEvent.user_id,
        GamificationEvent.source,
        GamificationEvent.status,
        GamificationEvent.attempts,
        GamificationEvent.occurred_at,
        GamificationEvent.last_error,
    ]
    column_searchable_list = [GamificationEvent.type, GamificationEvent.status]
    column_default_sort = (GamificationEvent.seq, True)


class ApiKeyView(GamificationView, model=ApiKey):
    name = "API key"
    name_plural = "API keys"
    icon = "fa-solid fa-key"
    column_list = [
        ApiKey.tenant_id,
        ApiKey.name,
        ApiKey.prefix,
        ApiKey.scopes,
        ApiKey.created_at,
        ApiKey.last_used_at,
        ApiKey.expires_at,
        ApiKey.revoked_at,
    ]
    column_details_exclude_list = [ApiKey.key_hash]
    column_export_exclude_list = [ApiKey.key_hash]
    column_searchable_list = [ApiKey.name, ApiKey.prefix]

    @action("revoke", "Revoke", "Revoke these keys? Servers using them are refused at once.")
    async def revoke(self, request: Request) -> RedirectResponse:
        async def revoke(api: VisitorApi, pk: str) -> Any:
            return await api.delete(f"/api/v1/gamification/platform/api-keys/{pk}")

        return await through_the_api(request, revoke, "Revoked")


class SettingsView(GamificationView, model=TenantSettings):
    name = "Tenant settings"
    name_plural = "Tenant settings"
    icon = "fa-solid fa-sliders"
    column_list = [
        TenantSettings.tenant_id,
        TenantSettings.display_name,
        TenantSettings.timezone,
        TenantSettings.industry,
        TenantSettings.platform_boards_opt_in,
        TenantSettings.boards_members_only,
    ]


VIEWS: tuple[type[ModelView], ...] = (
    MemberView,
    AchievementView,
    UnlockView,
    LeaderboardView,
    ProgramView,
    ConversionView,
    RewardView,
    ShowcaseView,
    EventView,
    ApiKeyView,
    SettingsView,
)
