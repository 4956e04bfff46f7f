"""Showcase portfolios: drafts, publishing, the public page, and the generator's drafts.

Functions flush, never commit. Those that change a member's ``portfolio_id`` refresh the
member's token claims once the unit of work has committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import Conflict, NotFound
from bizosaas.core.schemas import view_of
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.members.service import MemberService, tenant_settings
from bizosaas.gamification.portfolios import generator
from bizosaas.gamification.portfolios.models import PortfolioMetric, ShowcasePortfolio
from bizosaas.gamification.portfolios.repository import PortfolioRepository
from bizosaas.gamification.portfolios.schemas import (
    GenerateRequest,
    MetricOut,
    PortfolioCreate,
    PortfolioOut,
    PortfolioText,
    PortfolioUpdate,
    PublicPortfolio,
    PublicShowcase,
    Status,
)
from bizosaas.gamification.portfolios.writing import ShowcaseBrief, Writer
from bizosaas.identity.vocabulary import Permission

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"


def can_manage(caller: Caller) -> bool:
    return caller.is_tenant_admin or Permission.MANAGE_PORTFOLIOS.value in caller.permissions


def public_path(portfolio: ShowcasePortfolio) -> str:
    return f"/api/v1/gamification/public/portfolios/{portfolio.tenant_id}/{portfolio.slug}"


@dataclass(frozen=True)
class ShowcaseLinks:
    """Where a published portfolio's public page is: by the tenant's slug, on the platform's
    public address (``/showcase/<tenant>/<slug>``)."""

    public_url: str
    tenant_slug: str | None

    def page_of(self, portfolio: ShowcasePortfolio) -> str | None:
        if portfolio.status != PUBLISHED or not self.tenant_slug:
            return None
        return f"{self.public_url.rstrip('/')}/showcase/{self.tenant_slug}/{portfolio.slug}"


def _metrics_out(metrics: list[PortfolioMetric]) -> list[MetricOut]:
    return [
        MetricOut(
            name=m.name,
            unit=m.unit,
            before_value=None if m.before_value is None else float(m.before_value),
            after_value=None if m.after_value is None else float(m.after_value),
            position=m.position,
        )
        for m in metrics
    ]


def _out(
    portfolio: ShowcasePortfolio, metrics: list[PortfolioMetric], links: ShowcaseLinks
) -> PortfolioOut:
    return view_of(
        PortfolioOut,
        portfolio,
        metrics=_metrics_out(metrics),
        public_path=public_path(portfolio) if portfolio.status == PUBLISHED else None,
        public_url=links.page_of(portfolio),
    )


async def _read(
    db: AsyncSession, portfolio: ShowcasePortfolio, links: ShowcaseLinks
) -> PortfolioOut:
    await db.flush()
    await db.refresh(portfolio)
    metrics = await PortfolioRepository(db).metrics_of([portfolio.id])
    return _out(portfolio, metrics[portfolio.id], links)


async def _visible(db: AsyncSession, caller: Caller, portfolio_id: uuid.UUID) -> ShowcasePortfolio:
    """Members who do not manage portfolios see only published ones."""
    portfolio = await PortfolioRepository(db).by_id(portfolio_id)
    if portfolio is None or (portfolio.status != PUBLISHED and not can_manage(caller)):
        raise NotFound(f"No portfolio {portfolio_id}.")
    return portfolio


async def list_portfolios(
    db: AsyncSession, caller: Caller, status: Status | None, links: ShowcaseLinks
) -> list[PortfolioOut]:
    wanted: str | None = status
    if not can_manage(caller):
        if status not in (None, PUBLISHED):
            return []
        wanted = PUBLISHED
    portfolios = await PortfolioRepository(db).list_portfolios(wanted)
    metrics = await PortfolioRepository(db).metrics_of([p.id for p in portfolios])
    return [_out(p, metrics[p.id], links) for p in portfolios]


async def get_portfolio(
    db: AsyncSession, caller: Caller, portfolio_id: uuid.UUID, links: ShowcaseLinks
) -> PortfolioOut:
    portfolio = await _visible(db, caller, portfolio_id)
    metrics = await PortfolioRepository(db).metrics_of([portfolio.id])
    return _out(portfolio, metrics[portfolio.id], links)


async def _unique_slug(db: AsyncSession, tenant_id: uuid.UUID, title: str) -> str:
    base = generator.slugify(title)
    taken = await PortfolioRepository(db).slugs_like(base)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def _check_slug(
    db: AsyncSession, tenant_id: uuid.UUID, slug: str, other_than: uuid.UUID | None = None
) -> None:
    if await PortfolioRepository(db).slug_taken(slug, other_than):
        raise Conflict(f"The slug {slug!r} is already used by another portfolio.")


async def _save(db: AsyncSession, portfolio: ShowcasePortfolio) -> None:
    taken = f"The slug {portfolio.slug!r} is already used by another portfolio."
    await PortfolioRepository(db).insert_unique(portfolio, taken=taken)


def _refresh_claims(
    db: AsyncSession, members: MemberService, tenant_id: uuid.UUID, changed: list[uuid.UUID]
) -> None:
    if changed:
        after_commit(db, lambda: members.publish_claims(tenant_id, changed))


async def _showcase_member(
    db: AsyncSession, members: MemberService, portfolio: ShowcasePortfolio
) -> None:
    """The member's token claim points at their latest portfolio."""
    if portfolio.user_id is None:
        return
    await members.ensure(db, portfolio.tenant_id, [portfolio.user_id])
    await PortfolioRepository(db).set_member_portfolio(portfolio.user_id, portfolio.id)
    _refresh_claims(db, members, portfolio.tenant_id, [portfolio.user_id])


async def create(
    db: AsyncSession,
    members: MemberService,
    caller: Caller,
    body: PortfolioCreate,
    links: ShowcaseLinks,
) -> PortfolioOut:
    if body.user_id is not None:
        await members.directory.member_of(caller.tenant_id, body.user_id)
    if body.slug is not None:
        await _check_slug(db, caller.tenant_id, body.slug)
    slug = body.slug or await _unique_slug(db, caller.tenant_id, body.title)
    fields = body.model_dump(exclude={"metrics", "slug"})
    portfolio = ShowcasePortfolio(tenant_id=caller.tenant_id, slug=slug, status=DRAFT, **fields)
    await _save(db, portfolio)
    await PortfolioRepository(db).replace_metrics(portfolio, [m.model_dump() for m in body.metrics])
    await _showcase_member(db, members, portfolio)
    return await _read(db, portfolio, links)


async def update(
    db: AsyncSession,
    caller: Caller,
    portfolio_id: uuid.UUID,
    body: PortfolioUpdate,
    links: ShowcaseLinks,
) -> PortfolioOut:
    portfolio = await _visible(db, caller, portfolio_id)
    changes = body.model_dump(exclude_unset=True, exclude={"metrics"})
    if "slug" in changes and changes["slug"] != portfolio.slug:
        await _check_slug(db, caller.tenant_id, changes["slug"], portfolio.id)
    for name, value in changes.items():
        setattr(portfolio, name, value)
    portfolio.updated_at = utcnow()
    await _save(db, portfolio)
    if body.metrics is not None:
        await PortfolioRepository(db).replace_metrics(
            portfolio, [m.model_dump() for m in body.metrics]
        )
    return await _read(db, portfolio, links)


async def delete(
    db: AsyncSession, members: MemberService, caller: Caller, portfolio_id: uuid.UUID
) -> None:
    """Only drafts are deleted; what has been public is archived instead."""
    portfolio = await _visible(db, caller, portfolio_id)
    if portfolio.status != DRAFT:
        raise Conflict(
            f"Only drafts can be deleted; this one is {portfolio.status}. Unpublish it first, "
            "or archive it with POST .../archive."
        )
    changed = await PortfolioRepository(db).clear_member_portfolio(portfolio.id)
    await db.delete(portfolio)
    await db.flush()
    _refresh_claims(db, members, caller.tenant_id, changed)


async def set_status(
    db: AsyncSession, caller: Caller, portfolio_id: uuid.UUID, status: str, links: ShowcaseLinks
) -> PortfolioOut:
    portfolio = await _visible(db, caller, portfolio_id)
    if portfolio.status != status:
        portfolio.status = status
        portfolio.published_at = utcnow() if status == PUBLISHED else None
        portfolio.updated_at = utcnow()
    return await _read(db, portfolio, links)


async def public_portfolio(db: AsyncSession, tenant_id: uuid.UUID, slug: str) -> PublicPortfolio:
    portfolio = await PortfolioRepository(db).get_published(slug)
    if portfolio is None:
        raise NotFound("No such published portfolio.")
    metrics = await PortfolioRepository(db).metrics_of([portfolio.id])
    return view_of(PublicPortfolio, portfolio, metrics=_metrics_out(metrics[portfolio.id]))


async def public_showcase(db: AsyncSession, slug: str) -> PublicShowcase:
    """A published portfolio of the session's tenant, with the tenant's name."""
    portfolio = await PortfolioRepository(db).get_published(slug)
    if portfolio is None:
        raise NotFound("No such published portfolio.")
    metrics = await PortfolioRepository(db).metrics_of([portfolio.id])
    name = (await tenant_settings(db)).display_name
    return view_of(
        PublicShowcase,
        portfolio,
        metrics=_metrics_out(metrics[portfolio.id]),
        organisation=_presentable(name) or "",
    )


def _period_end(now: datetime) -> datetime:
    """Periods end at the next UTC midnight, so a day's generations agree."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def _presentable(name: str) -> str:
    return name.strip() if name.strip() and "@" not in name else ""


def require_manager(caller: Caller) -> None:
    """A tenant admin, or a member with the manage_portfolios permission."""
    caller.require_member()
    if not caller.is_tenant_admin:
        caller.require(Permission.MANAGE_PORTFOLIOS)


async def generate(
    db: AsyncSession,
    members: MemberService,
    caller: Caller,
    body: GenerateRequest,
    links: ShowcaseLinks,
    writer: Writer,
) -> PortfolioOut:
    """A new draft from the tenant's (or one member's) last 90 days against the 90 before,
    in the words of ``writer`` (the figures are always the computed ones)."""
    end = _period_end(utcnow())
    middle = end - timedelta(days=generator.PERIOD_DAYS)
    start = middle - timedelta(days=generator.PERIOD_DAYS)
    if body.user_id is not None:
        info = await members.directory.member_of(caller.tenant_id, body.user_id)
        name = _presentable(await PortfolioRepository(db).member_name(body.user_id))
        subject = name or _presentable(info.display_name) or "This member"
    else:
        settings = await tenant_settings(db)
        subject = _presentable(settings.display_name) or "Our business"
    figures = await PortfolioRepository(db).figures(body.user_id, start, middle, end)
    draft = generator.compose(subject, figures, end.date(), body.title)
    template = PortfolioText(**draft.model_dump(exclude={"metrics"}))
    words = await writer.showcase(
        ShowcaseBrief(caller.tenant_id, subject, generator.figure_lines(figures), template)
    )
    if body.title:  # the title asked for is kept, whoever writes the rest
        words = words.model_copy(update={"title": draft.title})
    draft = draft.model_copy(update=words.model_dump())
    portfolio = ShowcasePortfolio(
        tenant_id=caller.tenant_id,
        user_id=body.user_id,
        **draft.model_dump(exclude={"metrics"}),
        slug=await _unique_slug(db, caller.tenant_id, draft.title),
        status=DRAFT,
    )
    await _save(db, portfolio)
    await PortfolioRepository(db).replace_metrics(portfolio, draft.metrics)
    await _showcase_member(db, members, portfolio)
    return await _read(db, portfolio, links)
