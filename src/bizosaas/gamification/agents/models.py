"""What the agents did (one row per task that ran), and the unusual activity an admin has
looked at."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import UUIDKey, utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class AgentTask(TenantOwned, GamificationBase):
    __tablename__ = "agent_tasks"
    __table_args__ = (
        tenant_index("agent_tasks", "created_at"),
        tenant_index("agent_tasks", "task_type", "created_at"),
    )

    id: Mapped[UUIDKey]
    task_type: Mapped[str] = mapped_column(String(40), nullable=False)
    agent: Mapped[str] = mapped_column(String(60), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )


class ActivityFlag(TenantOwned, GamificationBase):
    """A member the AchievementSystemAgent flagged on a day for an event rate far beyond
    their own and everybody's: ``open``, ``dismissed`` (not reported again that day) or
    ``confirmed`` (kept, for the admin to act on)."""

    __tablename__ = "activity_flags"
    __table_args__ = (tenant_index("activity_flags", "user_id", "day", unique=True),)

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    last_day: Mapped[int] = mapped_column(Integer, nullable=False)
    usual: Mapped[float] = mapped_column(Float, nullable=False)
    peers: Mapped[float] = mapped_column(Float, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
