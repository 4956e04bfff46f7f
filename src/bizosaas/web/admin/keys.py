"""API keys: the tenant's keys for its servers (which send events), when each was last used;
create one (its secret is shown on the next page and never again) and revoke one (at once,
on every copy)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bizosaas.web.admin.forms import attempt, utc
from bizosaas.web.admin.frame import Admin, G, admin_page, api, unconfirmed
from bizosaas.web.shell import FormState, back_to, fields_of, genuine_form

router = APIRouter(prefix="/admin/keys", tags=["admin"])
KEYS = f"{G}/api-keys"
HOME = "/admin/keys"


async def _keys(
    request: Request,
    principal: Admin,
    form: FormState,
    created: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = await api(request).get(KEYS)
    return admin_page(
        request,
        principal,
        "admin/keys.html",
        title="API keys",
        section="people",
        status_code=status_code,
        keys=found,
        form=form,
        created=created,
    )


@router.get("", response_class=HTMLResponse)
async def keys(request: Request, principal: Admin) -> HTMLResponse:
    return await _keys(request, principal, FormState())


@router.post("", response_class=HTMLResponse)
async def create(request: Request, principal: Admin) -> Response:
    """The new key's secret is on this page alone (never stored, never shown again)."""
    values = fields_of(await genuine_form(request, principal))
    expires = values.get("expires_at", "")
    body = {
        "name": values.get("name", ""),
        "expires_at": utc(f"{expires}T00:00") if expires else None,
    }
    created = await attempt(values, api(request).post(KEYS, body))
    if isinstance(created, FormState):
        return await _keys(request, principal, created, status_code=400)
    return await _keys(request, principal, FormState(), created, status_code=201)


@router.post("/{key_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, principal: Admin, key_id: uuid.UUID) -> Response:
    values = fields_of(await genuine_form(request, principal))
    asking = unconfirmed(
        request,
        principal,
        values,
        question="Revoke this API key?",
        consequence="Every server that sends events or conversions with it is refused from "
        "now on. A revoked key cannot be restored: make a new one for them.",
        button="Revoke",
        cancel=HOME,
        section="people",
    )
    if asking:
        return asking
    await api(request).delete(f"{KEYS}/{key_id}")
    return back_to(HOME, HOME, "key")
