"""Members (a tenant's users as gamification sees them) and each tenant's settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import TimestampMixin
from bizosaas.gamification.db import GamificationBase


class Member(TimestampMixin, GamificationBase):
    """One row per user who has taken part; also the snapshot behind the token's claim."""

    __tablename__ = "members"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    alias: Mapped[str | None] = mapped_column(String(64))  # shown on boards instead of the name
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # every board
    points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    achievement_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    leaderboard_rank: Mapped[int | None] = mapped_column(Integer)  # on the tenant's main board
    referral_code: Mapped[str | None] = mapped_column(String(32))
    portfolio_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantSettings(TimestampMixin, GamificationBase):
    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    industry: Mapped[str | None] = mapped_column(String(64))
    # Platform-wide boards rank only tenants that opted in.
    platform_boards_opt_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When set, no board of this tenant is readable without one of its members' tokens.
    boards_members_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    main_leaderboard_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Event types a member may report about itself with its own token (say, profile.completed).
    # Everything else comes from the tenant's servers with an API key, so nobody scores alone.
    member_event_types: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), nullable=False, default=list
    )
