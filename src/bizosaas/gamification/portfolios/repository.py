"""Every SQL statement of the portfolios domain, for the session's tenant alone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, text, update

from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.members.models import Member
from bizosaas.gamification.portfolios.models import PortfolioMetric, ShowcasePortfolio


@dataclass(frozen=True)
class Figures:
    """Before (previous period) and after (latest period) values of the generator's metrics."""

    orders: tuple[int, int]
    revenue: tuple[Decimal, Decimal]
    campaigns: tuple[int, int]
    leads: tuple[int, int]
    achievements: tuple[int, int]
    referrals: tuple[int, int]


class PortfolioRepository(TenantRepository[ShowcasePortfolio]):
    model = ShowcasePortfolio

    async def by_id(self, portfolio_id: uuid.UUID) -> ShowcasePortfolio | None:
        return await self.get(ShowcasePortfolio.id == portfolio_id)

    async def get_published(self, slug: str) -> ShowcasePortfolio | None:
        return await self.get(
            ShowcasePortfolio.slug == slug, ShowcasePortfolio.status == "published"
        )

    async def list_portfolios(self, status: str | None) -> list[ShowcasePortfolio]:
        query = self.statement()
        if status is not None:
            query = query.where(ShowcasePortfolio.status == status)
        query = query.order_by(ShowcasePortfolio.created_at.desc(), ShowcasePortfolio.id)
        return list((await self.session.execute(query)).scalars().all())

    async def metrics_of(
        self, portfolio_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[PortfolioMetric]]:
        found: dict[uuid.UUID, list[PortfolioMetric]] = {pid: [] for pid in portfolio_ids}
        if not portfolio_ids:
            return found
        query = (
            select(PortfolioMetric)
            .where(
                PortfolioMetric.tenant_id == self.tenant_id,
                PortfolioMetric.portfolio_id.in_(portfolio_ids),
            )
            .order_by(PortfolioMetric.portfolio_id, PortfolioMetric.position)
        )
        for metric in (await self.session.execute(query)).scalars():
            found[metric.portfolio_id].append(metric)
        return found

    async def replace_metrics(
        self, portfolio: ShowcasePortfolio, metrics: list[dict[str, Any]]
    ) -> None:
        await self.session.execute(
            delete(PortfolioMetric).where(
                PortfolioMetric.tenant_id == self.tenant_id,
                PortfolioMetric.portfolio_id == portfolio.id,
            )
        )
        for position, metric in enumerate(metrics):
            self.session.add(
                PortfolioMetric(
                    tenant_id=self.tenant_id,
                    portfolio_id=portfolio.id,
                    position=position,
                    **metric,
                )
            )
        await self.session.flush()

    async def slugs_like(self, base: str) -> set[str]:
        """The tenant's slugs that are `base` or `base-<n>`."""
        query = select(ShowcasePortfolio.slug).where(
            ShowcasePortfolio.tenant_id == self.tenant_id,
            ShowcasePortfolio.slug.op("~")(f"^{base}(-[0-9]+)?$"),
        )
        return set((await self.session.execute(query)).scalars().all())

    async def slug_taken(self, slug: str, other_than: uuid.UUID | None = None) -> bool:
        query = select(ShowcasePortfolio.id).where(
            ShowcasePortfolio.tenant_id == self.tenant_id, ShowcasePortfolio.slug == slug
        )
        if other_than is not None:
            query = query.where(ShowcasePortfolio.id != other_than)
        return (await self.session.execute(query.limit(1))).first() is not None

    async def set_member_portfolio(
        self, user_id: uuid.UUID, portfolio_id: uuid.UUID | None
    ) -> None:
        await self.session.execute(
            update(Member)
            .where(Member.tenant_id == self.tenant_id, Member.user_id == user_id)
            .values(portfolio_id=portfolio_id)
        )

    async def clear_member_portfolio(self, portfolio_id: uuid.UUID) -> list[uuid.UUID]:
        """Members whose showcase this was; returns who changed."""
        result = await self.session.execute(
            update(Member)
            .where(Member.tenant_id == self.tenant_id, Member.portfolio_id == portfolio_id)
            .values(portfolio_id=None)
            .returning(Member.user_id)
        )
        return list(result.scalars().all())

    async def member_name(self, user_id: uuid.UUID) -> str:
        query = select(Member.display_name).where(
            Member.tenant_id == self.tenant_id, Member.user_id == user_id
        )
        return (await self.session.execute(query)).scalar_one_or_none() or ""

    async def figures(
        self,
        user_id: uuid.UUID | None,
        start: datetime,
        middle: datetime,
        end: datetime,
    ) -> Figures:
        params = {"t": self.tenant_id, "u": user_id, "start": start, "middle": middle, "end": end}
        row = (await self.session.execute(_FIGURES, params)).mappings().one()
        return Figures(
            orders=(row["orders_before"], row["orders_after"]),
            revenue=(row["revenue_before"], row["revenue_after"]),
            campaigns=(row["campaigns_before"], row["campaigns_after"]),
            leads=(row["leads_before"], row["leads_after"]),
            achievements=(row["achievements_before"], row["achievements_after"]),
            referrals=(row["referrals_before"], row["referrals_after"]),
        )


# A total may arrive as a JSON number or a numeric string; anything else counts as nothing.
_FIGURES = text(
    """
    WITH ev AS (
        SELECT type, occurred_at >= :middle AS after,
               CASE WHEN jsonb_typeof(properties -> 'total') = 'number'
                         OR (properties ->> 'total') ~ '^-?[0-9]{1,15}(\\.[0-9]{1,4})?$'
                    THEN (properties ->> 'total')::numeric END AS total
        FROM gamification_events
        WHERE tenant_id = :t AND occurred_at >= :start AND occurred_at < :end
          AND type IN ('order.completed', 'campaign.launched', 'lead.captured')
          AND (CAST(:u AS uuid) IS NULL OR user_id = CAST(:u AS uuid))
    ), ach AS (
        SELECT unlocked_at >= :middle AS after
        FROM tenant_achievements
        WHERE tenant_id = :t AND unlocked_at >= :start AND unlocked_at < :end
          AND (CAST(:u AS uuid) IS NULL OR user_id = CAST(:u AS uuid))
    ), ref AS (
        SELECT converted_at >= :middle AS after
        FROM referral_conversions
        WHERE tenant_id = :t AND status = 'approved'
          AND converted_at >= :start AND converted_at < :end
          AND (CAST(:u AS uuid) IS NULL OR referrer_id = CAST(:u AS uuid))
    )
    SELECT
      (SELECT count(*) FROM ev WHERE type = 'order.completed' AND NOT after) AS orders_before,
      (SELECT count(*) FROM ev WHERE type = 'order.completed' AND after) AS orders_after,
      (SELECT coalesce(sum(total), 0) FROM ev WHERE type = 'order.completed' AND NOT after)
          AS revenue_before,
      (SELECT coalesce(sum(total), 0) FROM ev WHERE type = 'order.completed' AND after)
          AS revenue_after,
      (SELECT count(*) FROM ev WHERE type = 'campaign.launched' AND NOT after) AS campaigns_before,
      (SELECT count(*) FROM ev WHERE type = 'campaign.launched' AND after) AS campaigns_after,
      (SELECT count(*) FROM ev WHERE type = 'lead.captured' AND NOT after) AS leads_before,
      (SELECT count(*) FROM ev WHERE type = 'lead.captured' AND after) AS leads_after,
      (SELECT count(*) FROM ach WHERE NOT after) AS achievements_before,
      (SELECT count(*) FROM ach WHERE after) AS achievements_after,
      (SELECT count(*) FROM ref WHERE NOT after) AS referrals_before,
      (SELECT count(*) FROM ref WHERE after) AS referrals_after
    """
)
