"""The PRD's per-route middleware: authenticate, tenantContext, rateLimit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bizosaas.auth.constants import CookieNames
from bizosaas.auth.principal import Principal
from bizosaas.auth.tokens import TokenVerifier
from bizosaas.core.api_keys import API_KEY_HEADER, ApiKeyDirectory, ApiKeyInfo, tenant_of
from bizosaas.core.errors import AppError, Forbidden, TooManyRequests, Unauthorized
from bizosaas.core.tenants import TenantDirectory
from bizosaas.gateway.config import Route
from bizosaas.gateway.ratelimit import Decision, RateLimiter

ONE_HOUR = 3600


@dataclass
class Caller:
    ip: str
    principal: Principal | None = None
    api_key: ApiKeyInfo | None = None  # a tenant's server, on routes that accept keys
    rate: Decision | None = None
    rate_period: int = ONE_HOUR

    @property
    def tenant_id(self) -> uuid.UUID | None:
        if self.api_key is not None:
            return self.api_key.tenant_id
        return self.principal.tenant_id if self.principal is not None else None


def bearer_or_cookie(headers: dict[bytes, bytes], cookies: CookieNames) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookies.access and value:
            return value
    return None


async def authenticate(
    verifier: TokenVerifier,
    api_keys: ApiKeyDirectory,
    headers: dict[bytes, bytes],
    cookies: CookieNames,
    caller: Caller,
    *,
    accept_api_keys: bool,
) -> None:
    """A member's token; or, where the route accepts them, a tenant API key."""
    token = bearer_or_cookie(headers, cookies)
    if token is not None:
        caller.principal = await verifier.verify(token)
        return
    key = headers.get(API_KEY_HEADER.encode(), b"").decode("latin-1")
    if key and accept_api_keys:
        if tenant_of(key) is None:
            raise Unauthorized("The API key is not valid.")
        caller.api_key = await api_keys.lookup(key)
        # A well-formed key missing from Redis (which is only a cache) goes on for the
        # service to check in PostgreSQL, limited per IP: it vouches for no tenant yet.
        return
    raise Unauthorized()


async def tenant_context(directory: TenantDirectory, tenant_id: uuid.UUID | None) -> None:
    """Refuse a suspended tenant (its sessions end on suspension; this closes any gap)."""
    if tenant_id is None:
        return
    info = await directory.get(tenant_id)
    if info is not None and info.suspended:
        raise Forbidden("Your organisation's account is suspended.")


async def rate_limit(
    limiter: RateLimiter,
    directory: TenantDirectory,
    route: Route,
    caller: Caller,
    default_per_hour: int,
) -> None:
    """Per tenant on authenticated routes (its own limit), per IP elsewhere."""
    if route.rate_limit is not None:
        rule = route.rate_limit
        key, limit, period = f"ip:{route.prefix}:{caller.ip}", rule.limit, rule.period_seconds
        if rule.per == "tenant" and caller.principal is not None:
            key = f"tenant:{route.prefix}:{caller.principal.tenant_id or caller.principal.user_id}"
    elif caller.tenant_id is not None:
        info = await directory.get(caller.tenant_id)
        limit = info.rate_limit_per_hour if info else default_per_hour
        key, period = f"tenant:{caller.tenant_id}", ONE_HOUR
    elif caller.principal is not None:  # a super admin: no tenant, limited per user
        key, limit, period = f"user:{caller.principal.user_id}", default_per_hour, ONE_HOUR
    else:
        key, limit, period = f"ip:{caller.ip}", default_per_hour, ONE_HOUR
    caller.rate = await limiter.hit(key, limit, period)
    caller.rate_period = period
    if not caller.rate.allowed:
        raise RateLimited(caller.rate, period)


class RateLimited(TooManyRequests):
    def __init__(self, decision: Decision, period: int) -> None:
        super().__init__(
            f"Rate limit of {decision.limit} requests per {period} seconds reached.",
            int(decision.retry_after) + 1,
        )
        self.decision = decision
        self.period = period


def error_headers(exc: AppError) -> list[tuple[bytes, bytes]]:
    headers = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    if isinstance(exc, RateLimited):
        headers = [h for h in headers if h[0] != b"retry-after"]
        headers += exc.decision.headers(exc.period)
    return headers
