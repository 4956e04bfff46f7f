"""Showcase portfolios: ``/api/v1/gamification/portfolios`` (plural, CRUD), the PRD's
``/api/v1/gamification/portfolio/generate`` (singular) and the login-free public page under
``/api/v1/gamification/public/portfolios``. The first path segments differ, so none clash.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response, status

from bizosaas.gamification.dependencies import (
    MemberDep,
    MembersDep,
    NamedTenantSessionDep,
    PublicSessionDep,
    SessionDep,
    WriterDep,
)
from bizosaas.gamification.portfolios import service
from bizosaas.gamification.portfolios.dependencies import LinksDep, ManagePortfoliosDep
from bizosaas.gamification.portfolios.schemas import (
    GenerateRequest,
    PortfolioCreate,
    PortfolioOut,
    PortfolioUpdate,
    PublicPortfolio,
    PublicShowcase,
    Status,
)

router = APIRouter(prefix="/api/v1/gamification", tags=["portfolios"])
BASE = "/portfolios"
MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "No such portfolio here"}}
SLUG_TAKEN: dict[int | str, dict[str, Any]] = {409: {"description": "The slug is taken"}}


@router.get(BASE, summary="The tenant's portfolios")
async def list_portfolios(
    caller: MemberDep, db: SessionDep, links: LinksDep, status: Status | None = None
) -> list[PortfolioOut]:
    """Newest first. Members who do not manage portfolios see only published ones."""
    return await service.list_portfolios(db, caller, status, links)


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    summary="Write a draft portfolio (manage_portfolios)",
    responses={**SLUG_TAKEN, 404: {"description": "No such member in this tenant"}},
)
async def create_portfolio(
    members: MembersDep,
    body: PortfolioCreate,
    caller: ManagePortfoliosDep,
    db: SessionDep,
    links: LinksDep,
) -> PortfolioOut:
    """The slug is generated from the title (made unique) unless given. With `user_id`, the
    portfolio becomes that member's showcase (their token's `portfolio_id`)."""
    return await service.create(db, members, caller, body, links)


@router.get(f"{BASE}/{{portfolio_id}}", summary="One portfolio", responses=MISSING)
async def get_portfolio(
    portfolio_id: uuid.UUID, caller: MemberDep, db: SessionDep, links: LinksDep
) -> PortfolioOut:
    return await service.get_portfolio(db, caller, portfolio_id, links)


@router.patch(
    f"{BASE}/{{portfolio_id}}",
    summary="Change a portfolio (manage_portfolios)",
    responses={**MISSING, **SLUG_TAKEN},
)
async def update_portfolio(
    portfolio_id: uuid.UUID,
    body: PortfolioUpdate,
    caller: ManagePortfoliosDep,
    db: SessionDep,
    links: LinksDep,
) -> PortfolioOut:
    """Only the fields sent change; `metrics`, when sent, replaces the whole list. A
    published portfolio changes on its public page at once."""
    return await service.update(db, caller, portfolio_id, body, links)


@router.delete(
    f"{BASE}/{{portfolio_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft (manage_portfolios)",
    responses={**MISSING, 409: {"description": "Not a draft: archive it instead"}},
)
async def delete_portfolio(
    members: MembersDep,
    portfolio_id: uuid.UUID,
    caller: ManagePortfoliosDep,
    db: SessionDep,
) -> Response:
    await service.delete(db, members, caller, portfolio_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


STATUS_AFTER = {
    "publish": service.PUBLISHED,
    "unpublish": service.DRAFT,
    "archive": service.ARCHIVED,
}


@router.post(
    f"{BASE}/{{portfolio_id}}/{{transition}}",
    summary="Publish, unpublish or archive (manage_portfolios)",
    responses=MISSING,
)
async def change_status(
    portfolio_id: uuid.UUID,
    transition: Literal["publish", "unpublish", "archive"],
    caller: ManagePortfoliosDep,
    db: SessionDep,
    links: LinksDep,
) -> PortfolioOut:
    """`publish`: readable without login at its public path; `unpublish`: back to draft, the
    public page disappears; `archive`: kept, but no longer public or listed as a draft."""
    return await service.set_status(db, caller, portfolio_id, STATUS_AFTER[transition], links)


@router.post(
    "/portfolio/generate",
    status_code=status.HTTP_201_CREATED,
    summary="Generate a draft from the tenant's own data (manage_portfolios)",
    responses={404: {"description": "No such member in this tenant"}},
)
async def generate_portfolio(
    members: MembersDep,
    writer: WriterDep,
    body: GenerateRequest,
    caller: ManagePortfoliosDep,
    db: SessionDep,
    links: LinksDep,
) -> PortfolioOut:
    """Written by the language model when one is configured (`language_model_url`; its
    text is checked: every figure as given, each section present, no other organisation
    named; 503 and nothing saved when it fails), otherwise deterministic: templates filled
    with figures, so the same data gives the same text. The latest period is the 90 days
    up to the end of today (UTC), compared with the 90 days before: orders and revenue
    (`order.completed`, property `total`), leads (`lead.captured`), campaigns
    (`campaign.launched`), approved referral conversions and achievements unlocked — the
    tenant's, or with `user_id` one member's (who then shows it as their portfolio).
    Always a new draft: review, edit, publish."""
    return await service.generate(db, members, caller, body, links, writer)


@router.get(
    "/public/portfolios/{tenant_id}/{slug}",
    summary="A published portfolio, without login",
    responses={404: {"description": "Not published, or no such portfolio"}},
)
async def public_portfolio(
    tenant_id: uuid.UUID,
    slug: Annotated[str, Path(max_length=120)],
    db: PublicSessionDep,
) -> PublicPortfolio:
    """Read-only JSON for a public page: text, SEO fields, share text and metrics; no member
    ids or emails."""
    return await service.public_portfolio(db, tenant_id, slug)


@router.get(
    "/public/showcases/{tenant_slug}/{slug}",
    summary="A published showcase for its public page, by the tenant's slug, without login",
    responses={404: {"description": "Not published, no such tenant, or the tenant suspended"}},
)
async def public_showcase(
    slug: Annotated[str, Path(max_length=120)], db: NamedTenantSessionDep
) -> PublicShowcase:
    """What a showcase's public page shows (`public_url` of a published portfolio): text,
    SEO and share fields, metrics and the organisation's name; no member ids or emails."""
    return await service.public_showcase(db, slug)
