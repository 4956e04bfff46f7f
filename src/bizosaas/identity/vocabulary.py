"""Roles, permissions and platforms: the vocabulary of authorization."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPER_ADMIN = "super_admin"
    TENANT_ADMIN = "tenant_admin"
    USER = "user"


class Permission(StrEnum):
    VIEW_ANALYTICS = "view_analytics"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    ACCESS_GAMIFICATION = "access_gamification"
    VIEW_REFERRALS = "view_referrals"
    MANAGE_ACHIEVEMENTS = "manage_achievements"
    MANAGE_LEADERBOARDS = "manage_leaderboards"
    MANAGE_REFERRAL_PROGRAMS = "manage_referral_programs"
    REVIEW_FRAUD = "review_fraud"
    MANAGE_PORTFOLIOS = "manage_portfolios"
    MANAGE_USERS = "manage_users"
    MANAGE_API_KEYS = "manage_api_keys"


class Platform(StrEnum):
    BIZOHOLIC = "bizoholic"
    CORELDOVE = "coreldove"
    ADMIN = "bizosaas-admin"


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


ALL_PERMISSIONS: tuple[str, ...] = tuple(p.value for p in Permission)

DEFAULT_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SUPER_ADMIN: ALL_PERMISSIONS,
    Role.TENANT_ADMIN: ALL_PERMISSIONS,
    Role.USER: (
        Permission.ACCESS_GAMIFICATION.value,
        Permission.VIEW_REFERRALS.value,
        Permission.MANAGE_CAMPAIGNS.value,
    ),
}

DEFAULT_PLATFORMS: dict[Role, tuple[str, ...]] = {
    Role.SUPER_ADMIN: tuple(p.value for p in Platform),
    Role.TENANT_ADMIN: tuple(p.value for p in Platform),
    Role.USER: (Platform.BIZOHOLIC.value, Platform.CORELDOVE.value),
}

# Where each role lands after login (the PRD's role-based routing).
LANDING_PAGE: dict[Role, str] = {
    Role.SUPER_ADMIN: "/sqladmin",
    Role.TENANT_ADMIN: "/admin",
    Role.USER: "/portal",
}

CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"


class CookieNames:
    """``__Host-`` cookies (Secure, host-only, Path=/) wherever the platform runs on https."""

    def __init__(self, secure: bool) -> None:
        prefix = "__Host-" if secure else ""
        self.secure = secure
        self.access = f"{prefix}bizosaas_access"
        self.refresh = f"{prefix}bizosaas_refresh"
        self.csrf = f"{prefix}bizosaas_csrf"
