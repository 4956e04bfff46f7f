"""The PRD's per-route middleware: authenticate, tenantContext, rateLimit.

authenticate and tenantContext are the shared identity resolver
(:mod:`bizosaas.identity.resolver`); rateLimit is the gateway's own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bizosaas.core.errors import AppError, TooManyRequests
from bizosaas.core.tenants import TenantDirectory
from bizosaas.gateway.config import Route
from bizosaas.gateway.ratelimit import Decision, RateLimiter
from bizosaas.identity.principal import Principal
from bizosaas.identity.resolver import Identity, IdentityResolver

ONE_HOUR = 3600


@dataclass
class Visitor:
    """What the gateway knows of a request while its route's policies run."""

    ip: str
    identity: Identity = field(default_factory=Identity)
    rate: Decision | None = None
    rate_period: int = ONE_HOUR

    @property
    def principal(self) -> Principal | None:
        return self.identity.principal

    @property
    def tenant_id(self) -> uuid.UUID | None:
        return self.identity.tenant_id


async def authenticate(
    resolver: IdentityResolver,
    method: str,
    headers: dict[bytes, bytes],
    visitor: Visitor,
    route: Route,
) -> None:
    """A member's token; or, where the route accepts them, a tenant API key. A well-formed
    key missing from Redis (only a cache) goes on for the service to check in PostgreSQL,
    limited per IP: it vouches for no tenant yet. CSRF is the service's to check."""
    presented = resolver.presented(
        {name.decode("latin-1"): value.decode("latin-1") for name, value in headers.items()}
    )
    visitor.identity = await resolver.resolve(
        method,
        presented,
        accept_api_keys=route.api_keys,
        check_csrf=False,
        check_tenant=route.tenant_context,
    )


async def rate_limit(
    limiter: RateLimiter,
    directory: TenantDirectory,
    route: Route,
    visitor: Visitor,
    default_per_hour: int,
) -> None:
    """Per tenant on authenticated routes (its own limit), per IP elsewhere."""
    if route.rate_limit is not None:
        rule = route.rate_limit
        key, limit, period = f"ip:{route.prefix}:{visitor.ip}", rule.limit, rule.period_seconds
        if rule.per == "tenant" and visitor.principal is not None:
            key = (
                f"tenant:{route.prefix}:{visitor.principal.tenant_id or visitor.principal.user_id}"
            )
    elif visitor.tenant_id is not None:
        info = await directory.get(visitor.tenant_id)
        limit = info.rate_limit_per_hour if info else default_per_hour
        key, period = f"tenant:{visitor.tenant_id}", ONE_HOUR
    elif visitor.principal is not None:  # a super admin: no tenant, limited per user
        key, limit, period = f"user:{visitor.principal.user_id}", default_per_hour, ONE_HOUR
    else:
        key, limit, period = f"ip:{visitor.ip}", default_per_hour, ONE_HOUR
    visitor.rate = await limiter.hit(key, limit, period)
    visitor.rate_period = period
    if not visitor.rate.allowed:
        raise RateLimited(visitor.rate, period)


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
