"""Referral programs, members' codes, the funnel's visits, and conversions (filled in part 2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime, Text

from bizosaas.core.database import TimestampMixin, UUIDKey, utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class ReferralProgram(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "referral_programs"
    __table_args__ = (tenant_index("referral_programs", "status"),)

    id: Mapped[UUIDKey]
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    platform: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    # Prefilled text of members' share buttons (their link is added after it).
    share_message: Mapped[str] = mapped_column(
        String(280), nullable=False, default="", server_default=""
    )
    qualifying_event: Mapped[str] = mapped_column(String(64), nullable=False, default="signup")
    attribution_window_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    hold_days: Mapped[int] = mapped_column(Integer, nullable=False, default=14)
    # Each reward waits for a tenant admin's approval in the ledger before it is paid.
    manual_approval: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    referrer_reward: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    referee_reward: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    cap_per_referrer: Mapped[int | None] = mapped_column(Integer)
    cap_per_period: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralCode(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "referral_codes"
    __table_args__ = (
        tenant_index("referral_codes", "code", unique=True),
        tenant_index("referral_codes", "program_id", "user_id", unique=True),
        # A share link names the code alone, so no two tenants hold the same one.
        Index("uq_referral_codes_code", "code", unique=True),
    )

    id: Mapped[UUIDKey]
    program_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral_programs.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralVisit(TenantOwned, GamificationBase):
    """The funnel before a conversion: a click on a share link, a signup with a code."""

    __tablename__ = "referral_visits"
    __table_args__ = (
        tenant_index("referral_visits", "code_id", "created_at"),
        Index(
            "ix_referral_visits_tenant_id_referee_id",
            "tenant_id",
            "referee_id",
            postgresql_where=text("referee_id IS NOT NULL"),
        ),
        # Fraud scoring counts the accounts seen on a device, behind an address.
        tenant_index("referral_visits", "device_fingerprint"),
        tenant_index("referral_visits", "ip"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    code_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral_codes.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # click, signup
    referee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ip: Mapped[str | None] = mapped_column(INET)
    device_fingerprint: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class ReferralConversion(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "referral_conversions"
    __table_args__ = (
        tenant_index("referral_conversions", "program_id", "referee_id", unique=True),
        tenant_index("referral_conversions", "status"),
        tenant_index("referral_conversions", "referrer_id"),
        tenant_index("referral_conversions", "code_id", "created_at"),
        tenant_index("referral_conversions", "device_fingerprint"),
        tenant_index("referral_conversions", "ip"),
    )

    id: Mapped[UUIDKey]
    program_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral_programs.id", ondelete="CASCADE"), nullable=False
    )
    code_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("referral_codes.id", ondelete="CASCADE"), nullable=False
    )
    referrer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    referee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    referee_email: Mapped[str | None] = mapped_column(String(320))
    # approved, review, rejected or refunded: always set from the fraud assessment
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    risk_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    ip: Mapped[str | None] = mapped_column(INET)
    device_fingerprint: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[str | None] = mapped_column(String(128))
    converted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    # What the fraud model read when it scored the conversion (fraud_model.features.NAMES):
    # a tenant's reviewed conversions retrain it on exactly that.
    features: Mapped[list[float] | None] = mapped_column(ARRAY(Float))


class FraudMark(GamificationBase):
    """A tenant admin's verdicts on conversions from one device, address or email domain,
    known only by its keyed hash: what lets another tenant learn from them without ever
    seeing them (:mod:`.fraud_marks`)."""

    __tablename__ = "fraud_marks"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # device, ip, domain
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    fraud: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    honest: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class FraudModelRecord(GamificationBase):
    """A retrained fraud model (skops bytes) with its figures; the newest promoted one is
    live (:mod:`.fraud_model.store`). No tenant's data: every service may read it."""

    __tablename__ = "fraud_models"
    __table_args__ = (
        Index(
            "ix_fraud_models_promoted_trained_at", "trained_at", postgresql_where=text("promoted")
        ),
    )

    id: Mapped[UUIDKey]
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    trained_on: Mapped[str] = mapped_column(Text, nullable=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    promoted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    model: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
