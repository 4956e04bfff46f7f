"""Showcase portfolios and their before/after metrics (filled in part 2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import TimestampMixin, UUIDKey
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class ShowcasePortfolio(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "showcase_portfolios"
    __table_args__ = (
        tenant_index("showcase_portfolios", "slug", unique=True),
        tenant_index("showcase_portfolios", "status"),
    )

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    challenge: Mapped[str] = mapped_column(Text, nullable=False, default="")
    solution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    results: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    slug: Mapped[str] = mapped_column(String(120), nullable=False)
    seo_title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    seo_description: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    share_text: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PortfolioMetric(TenantOwned, GamificationBase):
    __tablename__ = "portfolio_metrics"
    __table_args__ = (tenant_index("portfolio_metrics", "portfolio_id"),)

    id: Mapped[UUIDKey]
    portfolio_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("showcase_portfolios.id", ondelete="CASCADE"),
        nullable=False,
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    unit: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    before_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    after_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
