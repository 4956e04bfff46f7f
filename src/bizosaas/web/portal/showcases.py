"""Showcases: the tenant's published showcases for members, and each one's public page.

A public page needs no login. It carries Open Graph and Twitter card tags (a shared link
previews well), schema.org JSON-LD (search engines read the case study) and share buttons.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bizosaas.gamification.portfolios.schemas import PublicShowcase
from bizosaas.gamification.portfolios.sharing import article, script_json
from bizosaas.web.api import gather
from bizosaas.web.common import render, web_of
from bizosaas.web.portal.frame import Member, api, portal_page, unread_count
from bizosaas.web.portal.referrals import share_links

router = APIRouter(tags=["portal"])


@router.get("/portal/showcases", response_class=HTMLResponse)
async def showcases(request: Request, principal: Member) -> HTMLResponse:
    """The tenant's published showcases (members see only published ones)."""
    visitor = api(request)
    found = await gather(
        items=visitor.get("/api/v1/gamification/portfolios", status="published"),
        unread=unread_count(visitor),
    )
    return portal_page(
        request,
        principal,
        "portal/showcases.html",
        title="Showcases",
        section="showcases",
        unread=found["unread"],
        showcases=found["items"],
    )


@router.get("/showcase/{tenant_slug}/{slug}", response_class=HTMLResponse)
async def public_page(request: Request, tenant_slug: str, slug: str) -> HTMLResponse:
    """A published showcase, for anyone: no login, nothing about members."""
    web = web_of(request)
    showcase = await web.api(request).get(
        f"/api/v1/gamification/public/showcases/{tenant_slug}/{slug}"
    )
    url = f"{web.settings.public_url.rstrip('/')}/showcase/{tenant_slug}/{slug}"
    return render(
        web,
        "portal/showcase_public.html",
        showcase=showcase,
        url=url,
        share=share_links(url, showcase["share_text"] or showcase["title"]),
        json_ld=script_json(article(PublicShowcase.model_validate(showcase), url)),
    )
