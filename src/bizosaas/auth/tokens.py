"""Access tokens: issued by the auth service, verified by every service and the gateway.

:meth:`TokenVerifier.verify` is the one verification function of the platform:
signature under an algorithm allowlist (EdDSA only: no ``none``, no HS/RS
confusion), then ``exp``, ``nbf``, ``iss`` and ``aud``, then the live session in
Redis. Authorization (role, permissions) is read from the live session, so a
change or a logout applies on the next request rather than at token expiry.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from bizosaas.auth.constants import Role
from bizosaas.auth.keys import ALGORITHM, KeyRing, VerificationKey, VerificationKeys
from bizosaas.auth.live_sessions import LiveSession, LiveSessionStore
from bizosaas.auth.principal import Principal
from bizosaas.core.errors import Unauthorized

REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud", "jti", "session_id"]
EMPTY_GAMIFICATION: dict[str, Any] = {
    "achievement_count": None,
    "leaderboard_rank": None,
    "referral_code": None,
    "portfolio_id": None,
}
KEY_REFRESH_INTERVAL = 30.0  # at most one key reload per interval for unknown kids
VERIFIED_CACHE_SIZE = 10_000  # tokens whose signature was checked, per process
KEY_MAX_AGE = 60.0  # reload at least this often, so a rotation elsewhere is picked up


def issue_access_token(
    ring: KeyRing,
    session: LiveSession,
    *,
    issuer: str,
    audience: str,
    lifetime_seconds: int,
    gamification: dict[str, Any] | None = None,
    now: float | None = None,
) -> tuple[str, int]:
    """Sign the PRD's claims for this session; returns the token and its expiry."""
    issued = int(time.time() if now is None else now)
    expires = issued + lifetime_seconds
    claims = {
        "sub": str(session.user_id),
        "email": session.email,
        "role": session.role,
        "tenant_id": str(session.tenant_id) if session.tenant_id else None,
        "tenant_slug": session.tenant_slug,
        "permissions": list(session.permissions),
        "allowed_platforms": list(session.allowed_platforms),
        "gamification": gamification or dict(EMPTY_GAMIFICATION),
        "platform": session.platform,
        "session_id": str(session.session_id),
        "exp": expires,
        "iat": issued,
        "iss": issuer,
        "aud": audience,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(
        claims, ring.signing_key, algorithm=ALGORITHM, headers={"kid": ring.signing_kid}
    )
    return token, expires


class TokenVerifier:
    def __init__(
        self,
        load_keys: Callable[[], Awaitable[VerificationKeys]],
        sessions: LiveSessionStore,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 5,
    ) -> None:
        self._load_keys = load_keys
        self._keys: VerificationKeys | None = None
        self._verified: dict[str, dict[str, Any]] = {}
        self._last_refresh = 0.0
        self._lock = asyncio.Lock()
        self.sessions = sessions
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    async def keys(self, *, refresh: bool = False) -> VerificationKeys:
        """The public keys, reloaded now and then so a rotation elsewhere is picked up."""
        stale = time.monotonic() - self._last_refresh > KEY_MAX_AGE
        if self._keys is None or refresh or stale:
            async with self._lock:
                if (
                    self._keys is None
                    or time.monotonic() - self._last_refresh > KEY_REFRESH_INTERVAL
                ):
                    self._keys = await self._load_keys()
                    self._last_refresh = time.monotonic()
        assert self._keys is not None
        return self._keys

    def use_keys(self, keys: VerificationKeys) -> None:
        self._keys = keys
        self._last_refresh = time.monotonic()

    async def decode(self, token: str) -> dict[str, Any]:
        """Check signature and registered claims; no session lookup.

        A token whose signature was already checked is remembered until it expires:
        the signature cannot change, and the session (revocation, role changes) is
        still checked on every request by :meth:`verify`.
        """
        cached = self._verified.get(token)
        if cached is not None and cached["exp"] + self.leeway > time.time():
            return cached
        claims = await self._decode(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # oldest first
        self._verified[token] = claims
        return claims

    async def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("The access token's algorithm is not accepted.")
        kid = header.get("kid")
        key: VerificationKey | None = None
        if isinstance(kid, str):
            key = (await self.keys()).get(kid) or (await self.keys(refresh=True)).get(kid)
        if key is None:
            raise Unauthorized("The access token was signed by an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is invalid.") from exc
        return claims

    async def verify(self, token: str) -> Principal:
        claims = await self.decode(token)
        try:
            session_id = uuid.UUID(str(claims["session_id"]))
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError as exc:
            raise Unauthorized("The access token is invalid.") from exc
        live = await self.sessions.get(session_id)
        if live is None or live.user_id != user_id:
            raise Unauthorized("The session has ended. Please sign in again.")
        await self.sessions.touch(live)
        return Principal(
            user_id=user_id,
            email=live.email,
            role=Role(live.role),
            tenant_id=live.tenant_id,
            tenant_slug=live.tenant_slug,
            permissions=frozenset(live.permissions),
            allowed_platforms=live.allowed_platforms,
            platform=live.platform,
            session_id=session_id,
            token_id=str(claims["jti"]),
            claims=claims,
        )
