"""The reward ledger: every grant has a key (never paid twice); a clawback links to its grant."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import UUIDKey, utcnow
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class RewardEntry(TenantOwned, GamificationBase):
    __tablename__ = "reward_ledger"
    __table_args__ = (
        tenant_index("reward_ledger", "grant_key", unique=True),
        tenant_index("reward_ledger", "user_id", "created_at"),
        tenant_index("reward_ledger", "status", "created_at"),
        Index(
            "ix_reward_ledger_hold_due", "created_at", postgresql_where=text("hold_state = 'due'")
        ),
    )

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    unit: Mapped[str] = mapped_column(String(16), nullable=False, default="points")
    grant_key: Mapped[str] = mapped_column(String(200), nullable=False)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("reward_ledger.id", ondelete="RESTRICT")
    )
    source_type: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # unapproved (waiting for an admin), pending (held until its hold is settled),
    # available, paid, reversed (a clawback entry cancels it)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    available_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # hold's end
    # A held grant's hold on Temporal: due (no workflow yet), running, over; NULL if never held
    hold_state: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # approved or paid
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
