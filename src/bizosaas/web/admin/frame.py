"""The dashboard's frame and its guard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import Role
from bizosaas.web.api import VisitorApi
from bizosaas.web.common import require_role, web_of
from bizosaas.web.shell import AppShell, Flash, NavItem, page

G = "/api/v1/gamification"
SHELL = AppShell(
    name="Admin dashboard",
    home="/admin",
    nav=(
        NavItem("overview", "Overview", "/admin"),
        NavItem("achievements", "Achievements", "/admin/achievements"),
        NavItem("leaderboards", "Leaderboards", "/admin/leaderboards"),
        NavItem("referrals", "Referrals", "/admin/referrals"),
        NavItem("rewards", "Rewards", "/admin/rewards"),
        NavItem("showcases", "Showcases", "/admin/showcases"),
        NavItem("agents", "Agents", "/admin/agents"),
        NavItem("wizards", "Set-up wizards", "/admin/wizards"),
        NavItem("people", "People", "/admin/people"),
    ),
    live_url=f"{G}/live",
    switch_href="/admin/platform",
)
DONE = {
    "saved": "Saved.",
    "decided": "The review queue is updated.",
    "rewarded": "The rewards are updated and their members told.",
    "invited": "The invitation is on its way.",
    "disabled": "The user is disabled and signed out everywhere.",
    "ended": "Those sessions are ended.",
    "erased": "The member's gamification data is erased.",
    "key": "The key is revoked.",
    "platform": "You switched platform.",
    "generated": "A draft is written from your figures: review it, then publish.",
    "published": "Published: it is on its public page now.",
    "unpublished": "Taken back to a draft: its public page is gone.",
    "archived": "Archived.",
    "ran": "Done: the report below is fresh.",
    "cleared": "Cleared: the member is ranked in that period's final results.",
    "kept-out": "Kept out of that period's final ranks.",
    "dismissed": "Dismissed: that member is not reported again today.",
    "confirmed": "Confirmed: the flag stays in the report for you to act on.",
    "discarded": "The draft is discarded.",
}

# Every page works inside one tenant: the super admin, who has none, uses SQLAdmin.
Admin = Annotated[Principal, Depends(require_role(Role.TENANT_ADMIN))]


def api(request: Request) -> VisitorApi:
    return web_of(request).api(request)


def admin_page(
    request: Request,
    principal: Principal,
    template: str,
    *,
    title: str,
    section: str,
    **context: Any,
) -> HTMLResponse:
    done = DONE.get(str(request.query_params.get("done") or ""))
    return page(
        request,
        SHELL,
        principal,
        template,
        title=title,
        section=section,
        flash=Flash("info", done) if done else None,
        **context,
    )


def unconfirmed(
    request: Request,
    principal: Principal,
    values: dict[str, str],
    *,
    question: str,
    consequence: str,
    button: str,
    cancel: str,
    section: str,
) -> HTMLResponse | None:
    """A step before what cannot easily be undone: None once the admin confirmed (the form
    carried ``confirm=yes``), else a page that asks, posting the same action again."""
    if values.get("confirm") == "yes":
        return None
    return admin_page(
        request,
        principal,
        "admin/confirm.html",
        title=question,
        section=section,
        action=request.url.path,
        consequence=consequence,
        button=button,
        cancel=cancel,
    )
