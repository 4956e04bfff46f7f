"""Request and response bodies of the auth API. Unknown fields are refused (422)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi_users import schemas as fu_schemas
from pydantic import BaseModel, ConfigDict, EmailStr, Field, IPvAnyAddress, StringConstraints

from bizosaas.core.schemas import FromRow, Patch, Timezone
from bizosaas.identity.vocabulary import Permission, Platform, Role

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True)]
HttpsUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https://[^\s]+$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    password: Secret
    platform: Platform | None = None


class RefreshRequest(Strict):
    refresh_token: Secret | None = None


class TenantSummary(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class Me(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    tenant: TenantSummary | None
    permissions: list[str]
    allowed_platforms: list[str]
    platform: str
    session_id: uuid.UUID
    is_verified: bool


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_expires_in: int
    session_id: uuid.UUID
    csrf_token: str
    redirect_to: str
    user: Me


class PlatformSwitch(Strict):
    platform: Platform


class AccessToken(BaseModel):
    """A new access token for the same session (its refresh token is unchanged)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    platform: str


class SessionOut(BaseModel):
    id: uuid.UUID
    platform: str
    ip: str | None
    device: str
    user_agent: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


class TenantCreate(Strict):
    slug: Slug
    name: Name
    plan: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")] = "starter"
    rate_limit_per_hour: Annotated[int, Field(gt=0, le=10_000_000)] = 1000
    self_signup: bool = False


class TenantProfile(Patch):
    """What a tenant's own admins may change about their organisation (``null`` removes the
    colour or the logo)."""

    clearable = frozenset({"brand_colour", "logo_url"})

    name: Name | None = None
    industry: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    timezone: Timezone | None = None
    brand_colour: Colour | None = Field(None, description="#rrggbb")
    logo_url: HttpsUrl | None = Field(None, description="An https:// image address")


class TenantUpdate(TenantProfile):
    """A tenant's profile, and (super admin only) its plan, limit, status and sign-up."""

    plan: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")] | None = None
    status: Literal["active", "suspended"] | None = None
    rate_limit_per_hour: Annotated[int, Field(gt=0, le=10_000_000)] | None = None
    self_signup: bool | None = None


class TenantOut(FromRow):
    id: uuid.UUID
    slug: str
    name: str
    industry: str
    timezone: str
    brand_colour: str | None
    logo_url: str | None
    status: str
    plan: str
    rate_limit_per_hour: int
    self_signup: bool
    created_at: datetime
    suspended_at: datetime | None


class TenantPage(BaseModel):
    tenants: list[TenantOut]
    next_cursor: str | None


class UserCreate(Strict):
    email: EmailStr
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    role: Role = Role.USER
    tenant_id: uuid.UUID | None = None
    password: Annotated[str, StringConstraints(max_length=1024)] | None = None
    permissions: list[Permission] | None = None
    allowed_platforms: list[Platform] | None = None


class UserUpdate(Patch):
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    role: Role | None = None
    permissions: list[Permission] | None = None
    allowed_platforms: list[Platform] | None = None
    is_active: bool | None = None


class UserOut(FromRow):
    id: uuid.UUID
    email: str
    full_name: str
    tenant_id: uuid.UUID | None
    role: Role
    permissions: list[str]
    allowed_platforms: list[str]
    is_active: bool
    is_verified: bool
    created_at: datetime
    last_login_at: datetime | None


class UserPage(BaseModel):
    users: list[UserOut]
    next_cursor: str | None


class UserCreated(UserOut):
    invitation_url: str | None = Field(
        default=None,
        description="Set when the user was created without a password; also emailed.",
    )


class InvitationAccept(Strict):
    token: Annotated[str, StringConstraints(min_length=16, max_length=256)]
    password: Annotated[str, StringConstraints(max_length=1024)]
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )


class AuditEntry(FromRow):
    id: int
    occurred_at: datetime
    tenant_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    event: str
    ip: IPvAnyAddress | None
    email: str | None
    details: dict[str, object]


class AuditPage(BaseModel):
    events: list[AuditEntry]
    next_cursor: str | None


# fastapi-users' own routes (register, verify, reset-password) use these.
class UserRead(fu_schemas.BaseUser[uuid.UUID]):
    tenant_id: uuid.UUID | None
    full_name: str
    role: str


class UserRegister(fu_schemas.BaseUserCreate):
    model_config = ConfigDict(extra="forbid")

    tenant_slug: Slug
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    referral_code: Annotated[
        str | None, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    ] = Field(default=None, description="The code of the share link that brought the new member")
    device_id: Annotated[str | None, StringConstraints(min_length=1, max_length=128)] = Field(
        default=None, description="A first-party device id (fraud checks of the referral)"
    )
