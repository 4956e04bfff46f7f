"""Proof that a request came through the Brain Gateway.

The gateway signs each request it forwards with an HMAC over the method, path,
request id, the identity headers it injected and a timestamp; services refuse
anything without a fresh, valid signature. A client that reaches a service port
directly cannot produce one, and a captured header is useless a minute later or
on another path. The secret lives in Vault.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from bizosaas.core.errors import Forbidden, send_app_error
from bizosaas.core.secrets import SecretStore

PROOF_HEADER = "x-gateway-signature"
SIGNED_HEADERS = ("x-request-id", "x-tenant-id", "x-user-id", "x-user-role", "x-permissions")
MAX_SKEW_SECONDS = 60
VAULT_NAME = "gateway/proof-secret"
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics", "/docs", "/openapi.json"})


async def load_proof_secret(store: SecretStore) -> bytes:
    data = await store.get_or_create(VAULT_NAME, lambda: {"secret": secrets.token_hex(32)})
    return bytes.fromhex(data["secret"])


def _message(timestamp: int, method: str, path: str, headers: dict[str, str]) -> bytes:
    parts = [str(timestamp), method.upper(), path, *(headers.get(h, "") for h in SIGNED_HEADERS)]
    return "\n".join(parts).encode()


def sign(
    secret: bytes, method: str, path: str, headers: dict[str, str], now: float | None = None
) -> str:
    timestamp = int(time.time() if now is None else now)
    digest = hmac.new(secret, _message(timestamp, method, path, headers), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: bytes,
    proof: str | None,
    method: str,
    path: str,
    headers: dict[str, str],
    now: float | None = None,
) -> bool:
    if not proof:
        return False
    try:
        fields = dict(part.split("=", 1) for part in proof.split(","))
        timestamp = int(fields["t"])
        presented = fields["v1"]
    except (KeyError, ValueError):
        return False
    moment = time.time() if now is None else now
    if abs(moment - timestamp) > MAX_SKEW_SECONDS:
        return False
    expected = hmac.new(secret, _message(timestamp, method, path, headers), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), presented)


class GatewayRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__("Call this service through the Brain Gateway.")


class GatewayGuard:
    """Service-side middleware: only the gateway may call, except for probes and docs."""

    def __init__(self, app: ASGIApp, secret_of: Callable[[], bytes | None]) -> None:
        self.app = app
        self.secret_of = secret_of  # the secret once the service has loaded it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        secret = self.secret_of()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if secret is None or not verify(
            secret, headers.get(PROOF_HEADER), scope.get("method", "GET"), scope["path"], headers
        ):
            await send_app_error(scope, send, GatewayRequired())
            return
        await self.app(scope, receive, send)
