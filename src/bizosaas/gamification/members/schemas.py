"""Members' own view and privacy, and each tenant's gamification settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bizosaas.gamification.events.schemas import EVENT_TYPE_PATTERN

EventType = Annotated[str, Field(max_length=64, pattern=EVENT_TYPE_PATTERN)]


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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


class PrivacyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    clear_alias: bool = False
    hidden: bool | None = Field(default=None, description="Hide from every board of the tenant")


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    display_name: str
    timezone: str
    industry: str | None
    platform_boards_opt_in: bool
    boards_members_only: bool
    main_leaderboard_id: uuid.UUID | None
    member_event_types: list[str]


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    timezone: str | None = None
    industry: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    platform_boards_opt_in: bool | None = None
    boards_members_only: bool | None = None
    main_leaderboard_id: uuid.UUID | None = None
    member_event_types: Annotated[list[EventType] | None, Field(max_length=100)] = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _timezones():
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/Paris)")
        return value


_ZONES: set[str] = set()


def _timezones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES
