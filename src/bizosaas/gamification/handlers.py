"""The event handlers, in the order a batch runs through them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizosaas.gamification.achievements.handler import AchievementHandler
from bizosaas.gamification.events.pipeline import EventHandler
from bizosaas.gamification.leaderboards.handler import leaderboard_handler
from bizosaas.gamification.referrals.handler import ReferralHandler

if TYPE_CHECKING:
    from bizosaas.gamification.context import GamificationContext


def build_handlers(context: GamificationContext) -> list[EventHandler]:
    # Achievements first: points they award feed the points boards.
    handlers: list[EventHandler] = []
    handlers.append(AchievementHandler())
    handlers.append(leaderboard_handler(context))
    # Last: a conversion appends a referral.converted event, which the next batch scores.
    handlers.append(ReferralHandler(context))
    return handlers
