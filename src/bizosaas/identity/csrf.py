"""CSRF tokens bound to the session (OWASP: synchronizer token, HMAC-derived).

The token is HMAC(secret, session_id): nothing to store, different for every
session, and useless to an attacker who cannot read the victim's cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from bizosaas.core.runtime import Runtime

TOKEN_SECRETS = "auth/token-secrets"


def csrf_token_for(secret: bytes, session_id: uuid.UUID) -> str:
    digest = hmac.new(secret, b"csrf:" + session_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token_matches(secret: bytes, session_id: uuid.UUID, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token_for(secret, session_id), presented)


async def token_secrets(runtime: Runtime) -> dict[str, str]:
    """The CSRF secret and fastapi-users' token secret, made on first use (auth owns both)."""
    return await runtime.secrets.get_or_create(
        TOKEN_SECRETS,
        lambda: {"csrf": secrets.token_urlsafe(32), "user_tokens": secrets.token_urlsafe(32)},
    )


async def load_csrf_secret(runtime: Runtime) -> bytes:
    data = await token_secrets(runtime)
    return base64.urlsafe_b64decode(data["csrf"] + "==")
