"""Wizard drafts (``wizard_drafts``, in the ``bizosaas`` database, under row-level security).

A draft is one person's run through one wizard: the answers accepted so far (never a
secret: those go to Vault), until it expires. Finishing it records the outcome on the
draft, so a second submit answers with the same outcome instead of applying it again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import Base, TimestampMixin, UUIDKey
from bizosaas.core.repository import TenantOwned, tenant_index

# open: being answered; finished: applied; waiting: finished, kept to send to a system that
# is not configured yet (sent again when the person asks).
STATUSES = ("open", "finished", "waiting")


class WizardDraft(TenantOwned, TimestampMixin, Base):
    __tablename__ = "wizard_drafts"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        tenant_index("wizard_drafts", "user_id", "updated_at"),
    )

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    wizard: Mapped[str] = mapped_column(String(40), nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
