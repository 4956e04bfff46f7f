"""Every router of the gamification service, and the OpenAPI tags that describe them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bizosaas.gamification.achievements.endpoints import router as achievements
from bizosaas.gamification.apikeys.endpoints import router as api_keys
from bizosaas.gamification.events.endpoints import router as events
from bizosaas.gamification.leaderboards.endpoints import router as leaderboards
from bizosaas.gamification.members.endpoints import router as members
from bizosaas.gamification.notifications.endpoints import router as notifications

ROUTERS: list[APIRouter] = [events, api_keys, members, notifications, achievements, leaderboards]

TAGS: list[dict[str, Any]] = [
    {"name": "events", "description": "The one way in: events from servers and members"},
    {"name": "api keys", "description": "Tenant API keys for server-side event sources"},
    {"name": "members", "description": "Members' own view, privacy and erasure; tenant settings"},
    {"name": "notifications", "description": "Unlocks, top-10 entries, conversions, rewards"},
    {"name": "achievements", "description": "Catalog and custom achievements, progress, goals"},
    {"name": "leaderboards", "description": "Boards, live ranks, past periods, platform boards"},
]
