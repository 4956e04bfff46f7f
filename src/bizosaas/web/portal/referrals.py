"""My referrals: code and share link (copy, share to the main networks), my funnel, my
rewards held and available (with the date each hold ends), my tier and the next one."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.api import gather
from bizosaas.web.portal.frame import Member, api, portal_page, unread_count
from bizosaas.web.shell import back_to, fields_of, genuine_form

router = APIRouter(prefix="/portal/referrals", tags=["portal"])
REFERRALS = "/api/v1/gamification/referrals"


@dataclass(frozen=True)
class ShareLink:
    network: str
    href: str


def share_links(url: str, message: str) -> list[ShareLink]:
    """Each network's own share page, prefilled with the program's message and my link."""
    text = f"{message} {url}".strip()
    return [
        ShareLink("X", "https://twitter.com/intent/tweet?" + urlencode({"text": text})),
        ShareLink(
            "Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})
        ),
        ShareLink(
            "LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})
        ),
        ShareLink("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        ShareLink("Email", f"mailto:?subject={quote(message or 'Join me')}&body={quote(text)}"),
    ]


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, principal: Member) -> HTMLResponse:
    visitor = api(request)
    found = await gather(
        mine=visitor.optional(visitor.get(f"{REFERRALS}/me")),
        rewards=visitor.optional(visitor.get("/api/v1/gamification/rewards/mine")),
        unread=unread_count(visitor),
    )
    programs = (found["mine"] or {}).get("programs", [])
    for program in programs:
        code = program.get("code")
        message = program["share_message"] or f"Join me on {program['name']}."
        program["share"] = share_links(code["share_url"], message) if code else []
        program["message"] = message
    rewards = found["rewards"] or {"balances": [], "entries": []}
    held = [e for e in rewards["entries"] if e["status"] in ("pending", "unapproved")]
    return portal_page(
        request,
        principal,
        "portal/referrals.html",
        title="Referrals",
        section="referrals",
        unread=found["unread"],
        allowed=found["mine"] is not None,
        programs=programs,
        balances=rewards["balances"],
        held=held,
        entries=rewards["entries"][:20],
    )


@router.post("/code", response_class=HTMLResponse)
async def make_code(request: Request, principal: Member) -> Response:
    """My code for a program (the same one every time; made on first ask)."""
    form = fields_of(await genuine_form(request, principal))
    await api(request).post(f"{REFERRALS}/generate", {"program_id": form.get("program_id")})
    return back_to("/portal/referrals", "/portal/referrals", "code")
