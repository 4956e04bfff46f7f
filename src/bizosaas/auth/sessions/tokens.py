"""Issuing access tokens (the auth service only; :mod:`bizosaas.identity.verification`
verifies them everywhere)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from bizosaas.auth.sessions.keys import KeyRing
from bizosaas.identity.sessions import LiveSession
from bizosaas.identity.verification import ALGORITHM

EMPTY_GAMIFICATION: dict[str, Any] = {
    "achievement_count": None,
    "leaderboard_rank": None,
    "referral_code": None,
    "portfolio_id": None,
}


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
