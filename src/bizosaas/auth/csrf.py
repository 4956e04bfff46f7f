"""CSRF tokens bound to the session (OWASP: synchronizer token, HMAC-derived).

The token is HMAC(secret, session_id): nothing to store, different for every
session, and useless to an attacker who cannot read the victim's cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


def csrf_token_for(secret: bytes, session_id: uuid.UUID) -> str:
    digest = hmac.new(secret, b"csrf:" + session_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token_matches(secret: bytes, session_id: uuid.UUID, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token_for(secret, session_id), presented)
