"""Achievements: categories, definitions (catalog copies and custom), progress and unlocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import TimestampMixin, UUIDKey, utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class AchievementCategory(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "achievement_categories"
    __table_args__ = (tenant_index("achievement_categories", "key", unique=True),)

    id: Mapped[UUIDKey]
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Achievement(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "achievements"
    __table_args__ = (
        tenant_index("achievements", "key", unique=True),
        tenant_index("achievements", "status"),
    )

    id: Mapped[UUIDKey]
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievement_categories.id", ondelete="SET NULL")
    )
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    icon: Mapped[str] = mapped_column(String(64), nullable=False, default="trophy")
    platform: Mapped[str | None] = mapped_column(String(32))
    # {"event_type", "filters": [...], "aggregation", "property", "window_days", "timezone"}
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # [{"name": "bronze", "threshold": 1, "points": 10}, ...] in increasing thresholds
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    prerequisite_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id", ondelete="SET NULL")
    )
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="custom")
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class AchievementProgress(GamificationBase):
    """A member's running value towards one achievement (rebuilt by a replay)."""

    __tablename__ = "achievement_progress"
    # A member's page and erasure look up by member, across achievements.
    __table_args__ = (tenant_index("achievement_progress", "user_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4), nullable=False, default=0)
    # Aggregation state: distinct values seen, streak days, per-day buckets of a window.
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class TenantAchievement(TenantOwned, GamificationBase):
    """An unlock: one row per member, achievement and level, ever."""

    __tablename__ = "tenant_achievements"
    __table_args__ = (
        tenant_index("tenant_achievements", "achievement_id", "user_id", "level", unique=True),
        tenant_index("tenant_achievements", "user_id"),
        tenant_index("tenant_achievements", "unlocked_at"),
    )

    id: Mapped[UUIDKey]
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)  # index into levels
    level_name: Mapped[str] = mapped_column(String(32), nullable=False)
    points_awarded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    event_id: Mapped[str | None] = mapped_column(String(128))
    unlocked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
