"""Who is calling: the one resolver the gateway and every service share.

A caller presents one of three credentials, read the same way everywhere:

* a bearer access token (API clients): no ambient credential, so no CSRF check;
* the HttpOnly access cookie (browsers): a state-changing request must also carry
  the session's CSRF token in ``X-CSRF-Token``;
* a tenant API key (``X-API-Key``), on the routes that take one.

Either way the tenant comes from the credential, never from the request, and a
suspended tenant is refused here. The gateway resolves first (to apply each
tenant's rate limit); each service resolves again for itself and does not trust
the identity headers the gateway adds (see the README's architecture section).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.requests import cookie_parser

from bizosaas.core.api_keys import API_KEY_HEADER, ApiKeyDirectory, ApiKeyInfo, tenant_of
from bizosaas.core.errors import Forbidden, Unauthorized
from bizosaas.core.runtime import Runtime
from bizosaas.core.tenants import TenantDirectory
from bizosaas.identity.csrf import csrf_token_matches, load_csrf_secret
from bizosaas.identity.principal import Principal
from bizosaas.identity.sessions import LiveSessionStore
from bizosaas.identity.verification import TokenVerifier, load_public_keys
from bizosaas.identity.vocabulary import CSRF_HEADER, CookieNames

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SUSPENDED = "Your organisation's account is suspended."
# Where the cache did not know a key: look it up in the record (PostgreSQL), or raise.
ApiKeyFallback = Callable[[str], Awaitable[ApiKeyInfo]]


@dataclass(frozen=True, slots=True)
class Presented:
    """The credential a request carries, before anything is verified."""

    token: str | None = None
    from_cookie: bool = False
    csrf: str | None = None
    api_key: str | None = None

    @classmethod
    def read(cls, headers: Mapping[str, str], cookies: CookieNames) -> Presented:
        """From lower-case header names (Starlette's headers, or the gateway's own)."""
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            return cls(token=authorization[7:].strip() or None)
        token = cookie_parser(headers.get("cookie", "")).get(cookies.access)
        if token:
            return cls(token=token, from_cookie=True, csrf=headers.get(CSRF_HEADER))
        return cls(api_key=headers.get(API_KEY_HEADER) or None)


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: a member's session, or a tenant's API key.

    At the gateway, a well-formed key its cache does not hold is passed on (neither a
    principal nor a key here) for the service to check in PostgreSQL: it vouches for
    no tenant until then.
    """

    principal: Principal | None = None
    api_key: ApiKeyInfo | None = None

    @property
    def tenant_id(self) -> uuid.UUID | None:
        if self.api_key is not None:
            return self.api_key.tenant_id
        return self.principal.tenant_id if self.principal is not None else None


class IdentityResolver:
    def __init__(
        self,
        verifier: TokenVerifier,
        tenants: TenantDirectory,
        api_keys: ApiKeyDirectory,
        cookies: CookieNames,
        csrf_secret: bytes,
        api_key_fallback: ApiKeyFallback | None = None,
    ) -> None:
        self.verifier = verifier
        self.tenants = tenants
        self.api_keys = api_keys
        self.cookies = cookies
        self.csrf_secret = csrf_secret
        self.api_key_fallback = api_key_fallback

    @classmethod
    async def start(
        cls,
        runtime: Runtime,
        api_keys: ApiKeyDirectory | None = None,
        api_key_fallback: ApiKeyFallback | None = None,
    ) -> IdentityResolver:
        return cls(
            build_verifier(runtime),
            TenantDirectory(runtime.redis, runtime.keys),
            api_keys or ApiKeyDirectory(runtime.redis, runtime.keys),
            CookieNames(runtime.settings.secure_cookies),
            await load_csrf_secret(runtime),
            api_key_fallback,
        )

    def presented(self, headers: Mapping[str, str]) -> Presented:
        return Presented.read(headers, self.cookies)

    async def resolve(
        self,
        method: str,
        presented: Presented,
        *,
        accept_api_keys: bool = True,
        check_csrf: bool = True,
        check_tenant: bool = True,
    ) -> Identity:
        """The verified caller, or :class:`Unauthorized` / :class:`Forbidden`.

        Only the gateway turns checks off, per route: ``check_csrf`` because the service
        it forwards to checks CSRF, ``check_tenant`` where its route has no
        ``tenantContext`` step.
        """
        if presented.token is not None:
            principal = await self.verifier.verify(presented.token)
            if (
                check_csrf
                and presented.from_cookie
                and method not in SAFE_METHODS
                and not csrf_token_matches(self.csrf_secret, principal.session_id, presented.csrf)
            ):
                raise Forbidden("Missing or invalid CSRF token.")
            identity = Identity(principal=principal)
        elif presented.api_key and accept_api_keys:
            identity = await self._api_key(presented.api_key)
        else:
            raise Unauthorized()
        if check_tenant:
            await self.refuse_suspended(identity.tenant_id)
        return identity

    async def refuse_suspended(self, tenant_id: uuid.UUID | None) -> None:
        """A suspended tenant's sessions end on suspension; this closes any gap."""
        if tenant_id is None:
            return
        info = await self.tenants.get(tenant_id)
        if info is not None and info.suspended:
            raise Forbidden(SUSPENDED)

    async def _api_key(self, key: str) -> Identity:
        if tenant_of(key) is None:
            raise Unauthorized("The API key is not valid.")
        info = await self.api_keys.lookup(key)
        if info is None and self.api_key_fallback is not None:
            info = await self.api_key_fallback(key)
        return Identity(api_key=info)


def build_verifier(runtime: Runtime) -> TokenVerifier:
    """The verification function for any service or the gateway (public keys only)."""
    return TokenVerifier(
        lambda: load_public_keys(runtime.secrets),
        LiveSessionStore(runtime.redis, runtime.keys),
        issuer=runtime.settings.jwt_issuer,
        audience=runtime.settings.jwt_audience,
    )
