"""Verifying access tokens: the public keys, and the one verification function.

:meth:`TokenVerifier.verify` is the platform's only way to turn an access token
into a :class:`~bizosaas.identity.principal.Principal`: signature under an
algorithm allowlist (EdDSA only: no ``none``, no HS/RS confusion), then ``exp``,
``nbf``, ``iss`` and ``aud``, then the live session in Redis. Authorization (role,
permissions) is read from the live session, so a change or a logout applies on the
next request rather than at token expiry. Only the auth service signs (see
:mod:`bizosaas.auth.sessions.keys`); everyone verifies with the public halves in Vault.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bizosaas.core.errors import ServiceUnavailable, Unauthorized
from bizosaas.core.secrets import SecretStore
from bizosaas.identity.principal import Principal
from bizosaas.identity.sessions import LiveSessionStore
from bizosaas.identity.vocabulary import Role

ALGORITHM = "EdDSA"
VAULT_PUBLIC_NAME = "auth/jwt-verification-keys"  # public halves: any service may read
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud", "jti", "session_id"]
KEY_REFRESH_INTERVAL = 30.0  # at most one key reload per interval for unknown kids
VERIFIED_CACHE_SIZE = 10_000  # tokens whose signature was checked, per process
KEY_MAX_AGE = 60.0  # reload at least this often, so a rotation elsewhere is picked up


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str
    public_key: Ed25519PublicKey
    retire_at: float | None  # after this moment no token it signed can still be valid

    def jwk(self) -> dict[str, str]:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(raw),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


VerificationKeys = Mapping[str, VerificationKey]


def jwks_document(keys: VerificationKeys, now: float | None = None) -> dict[str, Any]:
    moment = time.time() if now is None else now
    return {"keys": [k.jwk() for k in keys.values() if k.retire_at is None or k.retire_at > moment]}


async def load_public_keys(secrets: SecretStore) -> dict[str, VerificationKey]:
    """The verification keys alone: what every service and the gateway read."""
    data = await secrets.read(VAULT_PUBLIC_NAME)
    if data is None:
        raise ServiceUnavailable("No token verification keys yet: is the auth service up?")
    keys = {}
    for record in data["keys"]:
        raw = base64.urlsafe_b64decode(record["x"] + "==")
        public = Ed25519PublicKey.from_public_bytes(raw)
        keys[record["kid"]] = VerificationKey(record["kid"], public, record["retire_at"])
    return keys


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
