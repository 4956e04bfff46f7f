"""Every table of the ``gamification`` database, imported in one place (for Alembic)."""

from bizosaas.gamification.achievements.models import (
    Achievement,
    AchievementCategory,
    AchievementProgress,
    TenantAchievement,
)
from bizosaas.gamification.agents.models import AgentTask
from bizosaas.gamification.apikeys.models import ApiKey
from bizosaas.gamification.events.models import GamificationEvent
from bizosaas.gamification.leaderboards.models import (
    Leaderboard,
    LeaderboardEntry,
    LeaderboardMemberSetting,
    LeaderboardPeriod,
    LeaderboardRejection,
)
from bizosaas.gamification.members.models import Member, TenantSettings
from bizosaas.gamification.notifications.models import Notification
from bizosaas.gamification.portfolios.models import PortfolioMetric, ShowcasePortfolio
from bizosaas.gamification.referrals.models import (
    FraudMark,
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
    ReferralVisit,
)
from bizosaas.gamification.rewards.models import RewardEntry

__all__ = [
    "Achievement",
    "AchievementCategory",
    "AchievementProgress",
    "AgentTask",
    "ApiKey",
    "FraudMark",
    "GamificationEvent",
    "Leaderboard",
    "LeaderboardEntry",
    "LeaderboardMemberSetting",
    "LeaderboardPeriod",
    "LeaderboardRejection",
    "Member",
    "Notification",
    "PortfolioMetric",
    "ReferralCode",
    "ReferralConversion",
    "ReferralProgram",
    "ReferralVisit",
    "RewardEntry",
    "ShowcasePortfolio",
    "TenantAchievement",
    "TenantSettings",
]
