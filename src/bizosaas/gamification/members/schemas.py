"""Members' own view and privacy, and each tenant's gamification settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from bizosaas.core.schemas import FromRow, Patch, Timezone
from bizosaas.gamification.events.schemas import EVENT_TYPE_PATTERN

EventType = Annotated[str, Field(max_length=64, pattern=EVENT_TYPE_PATTERN)]


class MemberOut(FromRow):
    user_id: uuid.UUID
    display_name: str
    alias: str | None
    hidden: bool
    points: int
    achievement_count: int
    leaderboard_rank: int | None
    referral_code: str | None
    portfolio_id: uuid.UUID | None
    last_event_at: datetime | None


class PrivacyUpdate(Patch):
    alias: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    clear_alias: bool = False
    hidden: bool | None = Field(default=None, description="Hide from every board of the tenant")


class SettingsOut(FromRow):
    display_name: str
    timezone: str
    industry: str | None
    platform_boards_opt_in: bool
    boards_members_only: bool
    main_leaderboard_id: uuid.UUID | None
    member_event_types: list[str]


class SettingsUpdate(Patch):
    clearable = frozenset({"industry", "main_leaderboard_id"})

    display_name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    timezone: Timezone | None = None
    industry: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    platform_boards_opt_in: bool | None = None
    boards_members_only: bool | None = None
    main_leaderboard_id: uuid.UUID | None = None
    member_event_types: Annotated[list[EventType] | None, Field(max_length=100)] = None


class MemberExport(BaseModel):
    """Everything the gamification service holds about one member, section by section."""

    user_id: uuid.UUID
    exported_at: datetime
    sections: dict[str, list[dict[str, Any]]] = Field(
        description="profile, events, achievement_progress, achievements_unlocked, "
        "leaderboard_standings, leaderboard_privacy, referral_codes, referral_visits, "
        "referral_conversions, rewards, notifications, showcases: each a list of rows"
    )
