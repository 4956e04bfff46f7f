"""Leaderboards: definitions, durable scores per period, archives, rejections and privacy."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import TimestampMixin, UUIDKey, utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class Leaderboard(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "leaderboards"
    __table_args__ = (
        tenant_index("leaderboards", "key", unique=True),
        tenant_index("leaderboards", "status"),
    )

    id: Mapped[UUIDKey]
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # "tenant": ranks the tenant's members; "platform": ranks tenants (the platform's own).
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="tenant")
    metric: Mapped[str] = mapped_column(String(16), nullable=False)  # points, referrals, event
    event_type: Mapped[str | None] = mapped_column(String(64))
    property: Mapped[str | None] = mapped_column(String(64))
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    operator: Mapped[str] = mapped_column(String(8), nullable=False)  # sum, max, latest, count
    sort_order: Mapped[str] = mapped_column(String(4), nullable=False, default="desc")
    period: Mapped[str] = mapped_column(String(16), nullable=False)  # daily ... all_time, cron
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    max_change_per_event: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    max_change_per_period: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="members")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    next_reset_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A contest's window: only what happens from starts_at and before ends_at counts.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PerBoard:
    """Rows keyed by tenant and board first (their primary key goes on from there)."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    leaderboard_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leaderboards.id", ondelete="CASCADE"), primary_key=True
    )


class LeaderboardEntry(PerBoard, GamificationBase):
    """A member's (or, on platform boards, a tenant's) score in one period of one board.

    A tenant's score on a platform board is a row of that tenant (``tenant_id`` and
    ``member_id`` both the tenant's id), so it is written in the tenant's own
    transaction, under its row-level security, while the board row is the platform's.
    """

    __tablename__ = "leaderboard_entries"
    __table_args__ = (
        tenant_index("leaderboard_entries", "member_id"),
        # Archived standings, page by page in final order.
        Index(
            "ix_leaderboard_entries_final_rank",
            "tenant_id",
            "leaderboard_id",
            "period_start",
            "final_rank",
            postgresql_where=text("final_rank IS NOT NULL"),
        ),
        # Platform boards rank tenants across tenants: the only index not led by tenant_id.
        Index(
            "ix_leaderboard_entries_platform",
            "leaderboard_id",
            "period_start",
            postgresql_where=text("member_id = tenant_id"),
        ),
    )

    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False, default=0)
    period_change: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False, default=0)
    reached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    final_rank: Mapped[int | None] = mapped_column(Integer)  # set when the period is archived
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class LeaderboardPeriod(PerBoard, GamificationBase):
    """A finished period: archived (final ranks written) before its live ranks are cleared."""

    __tablename__ = "leaderboard_periods"

    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    participants: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class LeaderboardRejection(TenantOwned, GamificationBase):
    """A score change refused by a board's validation, kept for the tenant admin."""

    __tablename__ = "leaderboard_rejections"
    __table_args__ = (
        tenant_index("leaderboard_rejections", "created_at"),
        tenant_index("leaderboard_rejections", "leaderboard_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    leaderboard_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leaderboards.id", ondelete="CASCADE"), nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(128))
    # The period the refused change was for (a replay from there forgets it).
    period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class LeaderboardMemberSetting(PerBoard, GamificationBase):
    """A member's privacy on one board: hidden from others, or shown under an alias."""

    __tablename__ = "leaderboard_member_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    alias: Mapped[str | None] = mapped_column(String(64))


class LeaderboardFlag(TenantOwned, GamificationBase):
    """A score jump held out of a period's final ranks until a tenant admin decides
    (:mod:`.flags`): ``open``, then ``cleared`` (ranked) or ``upheld`` (kept out)."""

    __tablename__ = "leaderboard_flags"
    __table_args__ = (
        Index(  # one flag per entry (the convention's name would pass PostgreSQL's limit)
            "uq_leaderboard_flags_entry",
            "tenant_id",
            "leaderboard_id",
            "period_start",
            "member_id",
            unique=True,
        ),
        tenant_index("leaderboard_flags", "status", "created_at"),
    )

    id: Mapped[UUIDKey]
    leaderboard_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leaderboards.id", ondelete="CASCADE"), nullable=False
    )
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    score: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False)
    own_best: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False)
    others_best: Mapped[Decimal] = mapped_column(Numeric(24, 4), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="open")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
