"""People: find the tenant's users by email or name and page through them; invite one
(the invitation link is emailed); open one to change their role, permissions and
platforms, or to disable them (which ends every session) or enable them again; the
tenant's audit log."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.identity.vocabulary import ALL_PERMISSIONS, Platform, Role
from bizosaas.web.admin.forms import attempt, from_the_start_if_refused
from bizosaas.web.admin.frame import Admin, G, admin_page, api, unconfirmed
from bizosaas.web.api import gather
from bizosaas.web.common import ROLE_LABELS
from bizosaas.web.shell import PLATFORM_LABELS, FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/people", tags=["admin"])
AUTH = "/api/v1/auth"
HOME = "/admin/people"
ROLES = [(r.value, ROLE_LABELS[r]) for r in (Role.USER, Role.TENANT_ADMIN)]
PLATFORMS = [(p.value, PLATFORM_LABELS[p.value]) for p in Platform]
CONFIRM = {
    "disable": (
        "Disable {name}?",
        "They are signed out everywhere at once and cannot sign in until you enable them "
        "again; their data and history are kept.",
        "Disable",
    ),
    "erase": (
        "Erase the gamification data of {name}?",
        "Their progress, unlocks, places on boards, notifications and events are deleted "
        "for good. Referral conversions and rewards stay as financial records. This "
        "cannot be undone: export their data first if they asked for a copy.",
        "Erase for good",
    ),
}
NOTES = {"disable": "disabled", "enable": "saved", "sign-out": "ended", "erase": "erased"}


async def _people(
    request: Request,
    principal: Admin,
    q: str,
    cursor: str,
    invite: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    found = await api(request).get(f"{AUTH}/users", q=q[:100], cursor=cursor, limit=50)
    return admin_page(
        request,
        principal,
        "admin/people.html",
        title="People",
        section="people",
        status_code=status_code,
        users=found["users"],
        next_cursor=found["next_cursor"],
        q=q,
        form=invite,
        roles=ROLES,
        role_labels={r.value: label for r, label in ROLE_LABELS.items()},
    )


@router.get("", response_class=HTMLResponse)
async def people(request: Request, principal: Admin, q: str = "", cursor: str = "") -> Response:
    invite = FormState({"role": "user"})
    return await from_the_start_if_refused(_people(request, principal, q, cursor, invite), HOME)


@router.post("/invite", response_class=HTMLResponse)
async def invite(request: Request, principal: Admin) -> Response:
    values = fields_of(await genuine_form(request, principal))
    body = {k: values.get(k, "") for k in ("email", "full_name")}
    body["role"] = values.get("role") or "user"
    outcome = await attempt(values, api(request).post(f"{AUTH}/users", body))
    if isinstance(outcome, FormState):
        return await _people(request, principal, "", "", outcome, 400)
    return back_to(HOME, HOME, "invited")


@router.get("/audit", response_class=HTMLResponse)
async def audit(request: Request, principal: Admin, cursor: str = "") -> Response:
    return await from_the_start_if_refused(_audit(request, principal, cursor), f"{HOME}/audit")


async def _audit(request: Request, principal: Admin, cursor: str) -> Response:
    found = await api(request).get(f"{AUTH}/audit", cursor=cursor, limit=100)
    return admin_page(
        request,
        principal,
        "admin/audit.html",
        title="Audit log",
        section="people",
        events=found["events"],
        next_cursor=found["next_cursor"],
    )


def _person_page(
    request: Request,
    principal: Admin,
    user: dict[str, Any],
    form: FormState,
    status_code: int = 200,
    **parts: Any,
) -> HTMLResponse:
    return admin_page(
        request,
        principal,
        "admin/person.html",
        title=user["full_name"] or user["email"],
        section="people",
        status_code=status_code,
        user=user,
        form=form,
        roles=ROLES,
        permissions=ALL_PERMISSIONS,
        platform_choices=PLATFORMS,
        is_me=user["id"] == str(principal.user_id),
        **parts,
    )


@router.get("/{user_id}", response_class=HTMLResponse)
async def person(request: Request, principal: Admin, user_id: uuid.UUID) -> HTMLResponse:
    """The account and its open sessions, and the member's gamification: points and
    unlocks, rewards, the referral tree around them and their fraud flags (each part
    left out if there is nothing yet)."""
    visitor = api(request)
    found = await gather(
        user=visitor.get(f"{AUTH}/users/{user_id}"),
        sessions=visitor.get(f"{AUTH}/sessions", user_id=user_id),
        achievements=visitor.optional(
            visitor.get(f"{G}/achievements/{principal.tenant_id}", user_id=user_id)
        ),
        rewards=visitor.optional(visitor.get(f"{G}/rewards", user_id=user_id)),
        referrals=visitor.optional(visitor.get(f"{G}/referrals/members/{user_id}")),
    )
    achievements = found["achievements"]
    return _person_page(
        request,
        principal,
        found["user"],
        FormState(),
        sessions=found["sessions"],
        achievements=achievements,
        unlocked=[a for a in achievements["achievements"] if a["unlocked"]] if achievements else [],
        rewards=found["rewards"],
        referrals=found["referrals"],
    )


@router.get("/{user_id}/export")
async def export(request: Request, principal: Admin, user_id: uuid.UUID) -> Response:
    """A member's data on request, as one JSON download: the account, its sessions and
    everything the gamification service holds about them."""
    visitor = api(request)
    found = await gather(
        account=visitor.get(f"{AUTH}/users/{user_id}"),
        sessions=visitor.get(f"{AUTH}/sessions", user_id=user_id),
        gamification=visitor.get(f"{G}/members/{user_id}/export"),
    )
    return Response(
        orjson.dumps(found, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="member-{user_id}.json"'},
    )


@router.post("/{user_id}/sessions/{session_id}/end", response_class=HTMLResponse)
async def end_session(
    request: Request, principal: Admin, user_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    await genuine_form(request, principal)
    await api(request).delete(f"{AUTH}/sessions/{session_id}")
    return back_to(f"{HOME}/{user_id}", HOME, "ended")


@router.post("/{user_id}", response_class=HTMLResponse)
async def save(request: Request, principal: Admin, user_id: uuid.UUID) -> Response:
    form = await genuine_form(request, principal)
    values = fields_of(form)
    body = {
        "full_name": values.get("full_name", ""),
        "role": values.get("role") or "user",
        "permissions": [str(p) for p in form.getlist("permission")],
        "allowed_platforms": [str(p) for p in form.getlist("platform")],
    }
    visitor = api(request)
    outcome = await attempt(values, visitor.patch(f"{AUTH}/users/{user_id}", body), also=(403,))
    if isinstance(outcome, FormState):
        user = await visitor.get(f"{AUTH}/users/{user_id}")
        shown = user | {k: v for k, v in body.items() if k != "full_name"}
        return _person_page(request, principal, shown, outcome, 400)
    return back_to(f"{HOME}/{user_id}", HOME, "saved")


@router.post("/{user_id}/{change}", response_class=HTMLResponse)
async def set_active(
    request: Request, principal: Admin, user_id: uuid.UUID, change: str
) -> Response:
    """``disable`` ends every session of the user at once and keeps them out; ``enable`` lets
    them in again; ``sign-out`` ends their sessions only; ``erase`` forgets their
    gamification data (progress, unlocks, ranks, notifications, events) on request."""
    values = fields_of(await genuine_form(request, principal))
    visitor = api(request)
    if change in CONFIRM:
        user = await visitor.get(f"{AUTH}/users/{user_id}")
        question, consequence, button = CONFIRM[change]
        name = user["full_name"] or user["email"]
        asking = unconfirmed(
            request,
            principal,
            values,
            question=question.format(name=name),
            consequence=consequence,
            button=button,
            cancel=f"{HOME}/{user_id}",
            section="people",
        )
        if asking:
            return asking
    if change == "disable":
        await visitor.delete(f"{AUTH}/users/{user_id}")
    elif change == "enable":
        await visitor.patch(f"{AUTH}/users/{user_id}", {"is_active": True})
    elif change == "sign-out":
        await visitor.delete(f"{AUTH}/users/{user_id}/sessions")
    elif change == "erase":
        await visitor.delete(f"{G}/members/{user_id}")
    else:
        return back_to(HOME, HOME)
    return back_to(f"{HOME}/{user_id}", HOME, NOTES[change])
