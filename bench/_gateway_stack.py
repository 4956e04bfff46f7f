"""What the gateway benchmark needs around it: Valkey, OpenBao, keys, a session, a token.

No PostgreSQL: the gateway never reads it. The signing keys are created in Vault
the way the auth service creates them (which also publishes the public halves the
gateway reads), the live session and the tenant directory entry are written to
Redis the way the auth service writes them, and the token is signed with the
platform's own ``issue_access_token``.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import hvac
import orjson

from bench._harness import progress
from bizosaas.auth.sessions.keys import VAULT_NAME, KeyStore
from bizosaas.auth.sessions.tokens import issue_access_token
from bizosaas.core.gateway_proof import VAULT_NAME as PROOF_VAULT_NAME
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.core.tenants import TenantDirectory, TenantInfo
from bizosaas.identity.sessions import LiveSession, LiveSessionStore
from bizosaas.identity.verification import VAULT_PUBLIC_NAME
from bizosaas.identity.vocabulary import DEFAULT_PERMISSIONS, DEFAULT_PLATFORMS, Platform, Role
from bizosaas.stack.isolated import Servers, isolated_servers, isolated_settings, new_run

ROUTE = "/api/v1/gamification"
UPSTREAM = "gamification-service"
TENANT_RATE_LIMIT_PER_HOUR = 1_000_000_000  # about 280,000 a second: never reached here
TOKEN_LIFETIME_SECONDS = 3600
# The variables a child process must not inherit: ours would lose to them.
SETTINGS_ALIASES = ("DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "VAULT_TOKEN")


@contextlib.contextmanager
def running_servers(root: Path) -> Iterator[Servers]:
    """Valkey and OpenBao (dev mode): named by the ``BIZOSAAS_TEST_*`` variables, or started."""
    with isolated_servers(root, postgres=False, announce=progress) as servers:
        yield servers


def bench_settings(servers: Servers, log_level: str) -> Settings:
    """Settings of this run: its own Redis prefix and Vault path."""
    return isolated_settings(
        servers, "gwbench", new_run(), require_gateway=False, log_level=log_level, log_json=True
    )


def settings_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a child process that reads ``Settings()``: ours, and only ours."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("BIZOSAAS_") and name not in SETTINGS_ALIASES
    }
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:  # tuples and the like as JSON, as pydantic-settings reads them
            encoded = value if isinstance(value, str) else orjson.dumps(value).decode()
            env[f"BIZOSAAS_{name.upper()}"] = encoded
    env.update(extra)
    return env


def write_routes(path: Path, upstream_url: str) -> Path:
    """A route table with the one route measured, pointing at the trivial upstream."""
    path.write_text(
        "[defaults]\n"
        "rate_limit_per_hour = 1000\n"
        "connect_timeout = 2.0\n"
        "read_timeout = 30.0\n"
        "retries = 1\n"
        "circuit_failures = 5\n"
        "circuit_cooldown = 10.0\n\n"
        "[upstreams]\n"
        f'{UPSTREAM} = ["{upstream_url}"]\n\n'
        "[[routes]]\n"
        f'prefix = "{ROUTE}"\n'
        f'upstream = "{UPSTREAM}"\n'
        'middleware = ["authenticate", "tenantContext", "rateLimit"]\n'
    )
    return path


async def create_identity(settings: Settings) -> str:
    """Signing keys in Vault, a live session and its tenant in Redis; returns an access token."""
    runtime = Runtime.create(settings)
    try:
        ring = await KeyStore(runtime.secrets).load()  # also publishes the public keys
        tenant_id = uuid.uuid4()
        slug = f"gwbench-{tenant_id.hex[:8]}"
        await TenantDirectory(runtime.redis, runtime.keys).publish(
            TenantInfo(tenant_id, slug, "active", TENANT_RATE_LIMIT_PER_HOUR)
        )
        session = LiveSession(
            session_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            tenant_id=tenant_id,
            tenant_slug=slug,
            email="bench@example.com",
            role=Role.USER.value,
            permissions=DEFAULT_PERMISSIONS[Role.USER],
            allowed_platforms=DEFAULT_PLATFORMS[Role.USER],
            platform=Platform.BIZOHOLIC.value,
            expires_at=time.time() + TOKEN_LIFETIME_SECONDS,
        )
        await LiveSessionStore(runtime.redis, runtime.keys).put(session)
        token, _ = issue_access_token(
            ring,
            session,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime_seconds=TOKEN_LIFETIME_SECONDS,
        )
    finally:
        await runtime.close()
    return str(token)


async def forget_run(settings: Settings) -> None:
    """Remove this run's Redis keys and Vault secrets (a shared server keeps no litter)."""
    runtime = Runtime.create(settings)
    try:
        keys = [k async for k in runtime.redis.scan_iter(match=f"{settings.redis_prefix}:*")]
        for start in range(0, len(keys), 500):
            await runtime.redis.delete(*keys[start : start + 500])
    finally:
        await runtime.close()
    client = hvac.Client(url=settings.vault_addr, token=settings.vault_token, timeout=5)
    for name in (VAULT_NAME, VAULT_PUBLIC_NAME, PROOF_VAULT_NAME):
        with contextlib.suppress(Exception):  # best effort: a dev server forgets anyway
            client.secrets.kv.v2.delete_metadata_and_all_versions(
                path=f"{settings.vault_path}/{name}", mount_point=settings.vault_mount
            )
