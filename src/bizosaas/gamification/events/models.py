"""The event log: the one way anything enters gamification, and the record it is rebuilt from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class EventStatus:
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"  # kept for a replay after the cause is fixed; never silently dropped


class GamificationEvent(TenantOwned, GamificationBase):
    __tablename__ = "gamification_events"
    __table_args__ = (
        tenant_index("gamification_events", "event_id", unique=True),
        tenant_index("gamification_events", "user_id", "occurred_at"),
        tenant_index("gamification_events", "type", "occurred_at"),
        # The processor's queue: only pending rows, in arrival order.
        Index(
            "ix_gamification_events_tenant_id_pending",
            "tenant_id",
            "seq",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("status IN ('pending', 'processed', 'failed')", name="status_known"),
        CheckConstraint("source IN ('member', 'api_key', 'platform')", name="source_known"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=EventStatus.PENDING)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
