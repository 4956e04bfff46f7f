"""SQLAdmin's views of the auth tables: what the super admin may see and change.

Secrets (password and token hashes) are never shown or exported. Anything that
changes who may do what (suspending a tenant, disabling a user, ending sessions) is an
action that calls the platform's API through the gateway as the super admin, so the
service's rules and audit log apply and open sessions follow at once; as rows, only
harmless fields are editable, and nothing is created or deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqladmin import ModelView, action
from sqladmin.audit import AuditBackend, AuditEntry
from sqladmin.authentication import get_current_user_id
from sqladmin.flash import Flash
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import RedirectResponse

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.models import AuditEvent, Invitation, Tenant, User, UserSession
from bizosaas.core.database import RowScope, record_scope
from bizosaas.web.api import ApiError, VisitorApi
from bizosaas.web.common import web_of

AUTH = "/api/v1/auth"


async def through_the_api(
    request: Request,
    call: Callable[[VisitorApi, str], Awaitable[Any]],
    done: str,
) -> RedirectResponse:
    """An action on the rows ticked (``pks``): each through the platform's API as the
    super admin; what it refuses is said, and the admin comes back to the page."""
    api = web_of(request).api(request)
    picked = [pk for pk in request.query_params.get("pks", "").split(",") if pk]
    refused = []
    for pk in picked:
        try:
            await call(api, pk)
        except ApiError as exc:
            refused.append(f"{pk}: {exc.detail}")
    if refused:
        Flash.error(request, "; ".join(refused), title="Not done")
    elif picked:
        Flash.success(request, f"{done} ({len(picked)}).")
    back = request.headers.get("referer") or str(request.url_for("admin:index"))
    return RedirectResponse(back, status_code=303)


CATEGORY = "Accounts"


class ReadOnlyView(ModelView):
    category = CATEGORY
    can_create = False
    can_edit = False
    can_delete = False


class TenantAdmin(ModelView, model=Tenant):
    category = CATEGORY
    name_plural = "Tenants"
    icon = "fa-solid fa-building"
    can_create = False
    can_delete = False
    column_list = [
        Tenant.slug,
        Tenant.name,
        Tenant.status,
        Tenant.plan,
        Tenant.rate_limit_per_hour,
        Tenant.self_signup,
        Tenant.created_at,
    ]
    column_searchable_list = [Tenant.slug, Tenant.name]
    column_sortable_list = [Tenant.slug, Tenant.created_at]
    form_columns = [Tenant.name, Tenant.plan, Tenant.rate_limit_per_hour, Tenant.self_signup]

    @action("suspend", "Suspend", "Suspend these tenants? Their users are signed out.")
    async def suspend(self, request: Request) -> RedirectResponse:
        return await through_the_api(request, _tenant_status("suspended"), "Suspended")

    @action("reactivate", "Reactivate", "Let these tenants in again?")
    async def reactivate(self, request: Request) -> RedirectResponse:
        return await through_the_api(request, _tenant_status("active"), "Reactivated")


def _tenant_status(status: str) -> Callable[[VisitorApi, str], Awaitable[Any]]:
    async def change(api: VisitorApi, pk: str) -> Any:
        return await api.patch(f"{AUTH}/tenants/{pk}", {"status": status})

    return change


class UserAdmin(ModelView, model=User):
    category = CATEGORY
    name_plural = "Users"
    icon = "fa-solid fa-user"
    can_create = False
    can_delete = False
    column_list = [
        User.email,
        User.full_name,
        User.role,
        User.tenant_id,
        "is_active",
        "is_verified",
        User.last_login_at,
        User.created_at,
    ]
    column_details_exclude_list = [User.hashed_password]
    column_searchable_list = [User.email, User.full_name]
    column_sortable_list = [User.email, User.created_at, User.last_login_at]
    form_columns = [User.full_name, "is_verified"]

    @action("end-sessions", "End sessions", "Sign these users out on every device?")
    async def end_sessions(self, request: Request) -> RedirectResponse:
        async def end(api: VisitorApi, pk: str) -> Any:
            return await api.delete(f"{AUTH}/users/{pk}/sessions")

        return await through_the_api(request, end, "Their sessions are ended")

    @action("disable", "Disable", "Disable these users? They are signed out everywhere.")
    async def disable(self, request: Request) -> RedirectResponse:
        async def disable(api: VisitorApi, pk: str) -> Any:
            return await api.delete(f"{AUTH}/users/{pk}")

        return await through_the_api(request, disable, "Disabled")


class UserSessionAdmin(ReadOnlyView, model=UserSession):
    name = "Session"
    name_plural = "Sessions"
    icon = "fa-solid fa-key"
    column_list = [
        UserSession.id,
        UserSession.user_id,
        UserSession.tenant_id,
        UserSession.platform,
        UserSession.ip,
        UserSession.device,
        UserSession.created_at,
        UserSession.last_seen_at,
        UserSession.revoked_at,
        UserSession.revoked_reason,
    ]
    column_details_exclude_list = [UserSession.refresh_hash]
    column_default_sort = (UserSession.created_at, True)


class InvitationAdmin(ReadOnlyView, model=Invitation):
    name_plural = "Invitations"
    icon = "fa-solid fa-envelope"
    column_list = [
        Invitation.id,
        Invitation.tenant_id,
        Invitation.user_id,
        Invitation.created_at,
        Invitation.expires_at,
        Invitation.accepted_at,
    ]
    column_details_exclude_list = [Invitation.token_hash]
    column_default_sort = (Invitation.created_at, True)


class AuditEventAdmin(ReadOnlyView, model=AuditEvent):
    name = "Audit event"
    name_plural = "Audit log"
    icon = "fa-solid fa-list"
    column_list = [
        AuditEvent.occurred_at,
        AuditEvent.event,
        AuditEvent.tenant_id,
        AuditEvent.actor_id,
        AuditEvent.subject_id,
        AuditEvent.email,
        AuditEvent.ip,
    ]
    column_searchable_list = [AuditEvent.event, AuditEvent.email]
    column_default_sort = (AuditEvent.occurred_at, True)


VIEWS: tuple[type[ModelView], ...] = (
    TenantAdmin,
    UserAdmin,
    UserSessionAdmin,
    InvitationAdmin,
    AuditEventAdmin,
)


class AuditLogBackend(AuditBackend):
    """Every change made in SQLAdmin lands in the platform's own audit log (field names only)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def log(self, entry: AuditEntry, request: Request) -> None:
        actor = get_current_user_id(request)
        subject = _as_uuid(entry.pk)
        details: dict[str, Any] = {
            "view": entry.identity,
            "pk": entry.pk,
            "fields": sorted(entry.changes or {}),
        }
        async with self.sessionmaker() as db, db.begin():
            record_scope(db, RowScope.platform_wide())  # the session declares it (sqladmin.py)
            AuditLog(db).record(
                f"sqladmin_{entry.action}",
                actor_id=_as_uuid(actor),
                subject_id=subject,
                ip=request.client.host if request.client else None,
                details=details,
            )


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
