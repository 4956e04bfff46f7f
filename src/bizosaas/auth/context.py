"""Everything the auth domain needs at run time, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bizosaas.auth.mail import Mailer
from bizosaas.auth.models import Tenant, User
from bizosaas.auth.sessions.keys import KeyStore, Signer
from bizosaas.auth.sessions.throttle import LoginThrottle
from bizosaas.core.database import RowScope
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory, MemberInfo
from bizosaas.core.platform_events import PlatformEvents
from bizosaas.core.runtime import Runtime
from bizosaas.core.tenants import TenantDirectory, TenantInfo
from bizosaas.identity.csrf import token_secrets
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.identity.sessions import LiveSessionStore
from bizosaas.identity.verification import TokenVerifier


@dataclass
class AuthContext:
    runtime: Runtime
    key_store: KeyStore
    signer: Signer
    verifier: TokenVerifier
    identity: IdentityResolver
    live_sessions: LiveSessionStore
    throttle: LoginThrottle
    mailer: Mailer
    tenants: TenantDirectory
    members: MemberDirectory
    claims: ClaimsSnapshot
    platform_events: PlatformEvents
    csrf_secret: bytes
    user_token_secret: str  # fastapi-users' verification and reset tokens

    @classmethod
    async def start(cls, runtime: Runtime) -> AuthContext:
        secrets = await token_secrets(runtime)
        key_store = KeyStore(runtime.secrets)
        signer = Signer(key_store)
        ring = await signer.ring()  # creates and publishes the first key on a new install
        identity = await IdentityResolver.start(runtime)
        identity.verifier.use_keys(ring.keys)
        return cls(
            runtime=runtime,
            key_store=key_store,
            signer=signer,
            verifier=identity.verifier,
            identity=identity,
            live_sessions=identity.verifier.sessions,
            throttle=LoginThrottle(runtime.redis, runtime.keys, runtime.settings),
            mailer=Mailer(runtime.settings),
            tenants=identity.tenants,
            members=MemberDirectory(runtime.redis, runtime.keys),
            claims=ClaimsSnapshot(runtime.redis, runtime.keys),
            platform_events=PlatformEvents(runtime.redis, runtime.keys),
            csrf_secret=identity.csrf_secret,
            user_token_secret=secrets["user_tokens"],
        )


def tenant_info(tenant: Tenant) -> TenantInfo:
    return TenantInfo(
        tenant.id,
        tenant.slug,
        tenant.status,
        tenant.rate_limit_per_hour,
        tenant.name,
        tenant.self_signup,
    )


async def publish_all_tenants(auth: AuthContext) -> int:
    """Rebuild the tenant directory in Redis from PostgreSQL (it is only a cache)."""
    count = 0
    async with auth.runtime.database.transaction(RowScope.platform_wide()) as db:
        for tenant in (await db.execute(select(Tenant))).scalars():
            await auth.tenants.publish(tenant_info(tenant))
            count += 1
    return count


def member_info(user: User) -> MemberInfo:
    return MemberInfo(user.id, user.tenant_id, user.full_name, user.is_active, user.created_at)


async def publish_all_members(auth: AuthContext, chunk: int = 1000) -> int:
    """Rebuild the member directory in Redis from PostgreSQL (other services read it)."""
    count = 0
    async with auth.runtime.database.transaction(RowScope.platform_wide()) as db:
        result = await db.stream_scalars(
            select(User).where(User.tenant_id.is_not(None)).execution_options(yield_per=chunk)
        )
        async for users in result.partitions(chunk):
            await auth.members.publish(*(member_info(u) for u in users))
            count += len(users)
    return count
