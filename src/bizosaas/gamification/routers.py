"""Every router of the gamification service, and the OpenAPI tags that describe them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bizosaas.gamification.achievements.endpoints import router as achievements
from bizosaas.gamification.agents.endpoints import router as agents
from bizosaas.gamification.analytics.endpoints import router as analytics
from bizosaas.gamification.apikeys.endpoints import platform_router as platform_api_keys
from bizosaas.gamification.apikeys.endpoints import router as api_keys
from bizosaas.gamification.events.endpoints import router as events
from bizosaas.gamification.leaderboards.endpoints import router as leaderboards
from bizosaas.gamification.members.endpoints import router as members
from bizosaas.gamification.notifications.endpoints import live_router as live
from bizosaas.gamification.notifications.endpoints import router as notifications
from bizosaas.gamification.portfolios.endpoints import router as portfolios
from bizosaas.gamification.referrals.endpoints import public_router as share_links
from bizosaas.gamification.referrals.endpoints import router as referrals
from bizosaas.gamification.rewards.endpoints import router as rewards

ROUTERS: list[APIRouter] = [
    events,
    api_keys,
    platform_api_keys,
    members,
    notifications,
    live,
    achievements,
    leaderboards,
    portfolios,
    analytics,
    referrals,
    share_links,
    rewards,
    agents,
]

TAGS: list[dict[str, Any]] = [
    {"name": "events", "description": "The one way in: events from servers and members"},
    {"name": "api keys", "description": "Tenant API keys for server-side event sources"},
    {"name": "members", "description": "Members' own view, privacy and erasure; tenant settings"},
    {"name": "notifications", "description": "Unlocks, top-10 entries, conversions, rewards"},
    {"name": "achievements", "description": "Catalog and custom achievements, progress, goals"},
    {"name": "leaderboards", "description": "Boards, live ranks, past periods, platform boards"},
    {"name": "referrals", "description": "Programs, codes, the funnel, conversions, fraud review"},
    {"name": "rewards", "description": "The reward ledger: grants, holds, clawbacks"},
    {"name": "portfolios", "description": "Showcase portfolios: drafts, generator, public pages"},
    {"name": "analytics", "description": "Funnel, unlock, participation and portfolio rates"},
    {"name": "agents", "description": "The five gamification agents and their recorded tasks"},
]
