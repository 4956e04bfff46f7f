"""Notifications: every unlock, top-10 entry, conversion and reward, kept for the web apps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantOwned
from bizosaas.gamification.db import GamificationBase


class Notification(TenantOwned, GamificationBase):
    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_tenant_id_user_id_created_at", "tenant_id", "user_id", "created_at"
        ),
        # A replay re-derives the same notification key, so nobody is told twice.
        Index("uq_notifications_tenant_id_dedupe_key", "tenant_id", "dedupe_key", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
