"""First super admin and the demo tenants: what `bizosaas up` and `create-superadmin` write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.models import Tenant, User
from bizosaas.auth.sessions.service import password_helper
from bizosaas.auth.users.passwords import password_problem
from bizosaas.auth.users.repository import TenantRecords, UserRepository
from bizosaas.core.errors import BadRequest
from bizosaas.identity.vocabulary import DEFAULT_PERMISSIONS, DEFAULT_PLATFORMS, Role


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role
    tenant: str | None


DEMO_TENANTS = {"acme-corp": "Acme Corp", "globex": "Globex Corporation"}
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("superadmin@bizosaas.local", "Orbit-Lantern-Harbor-2026", Role.SUPER_ADMIN, None),
    DemoLogin(
        "admin@acme-corp.example", "Acme-Lantern-Harbor-2026", Role.TENANT_ADMIN, "acme-corp"
    ),
    DemoLogin("alice@acme-corp.example", "Acme-Member-Harbor-2026", Role.USER, "acme-corp"),
    DemoLogin("bob@acme-corp.example", "Acme-Member-Harbor-2026", Role.USER, "acme-corp"),
    DemoLogin("admin@globex.example", "Globex-Lantern-Harbor-2026", Role.TENANT_ADMIN, "globex"),
    DemoLogin("carol@globex.example", "Globex-Member-Harbor-2026", Role.USER, "globex"),
    DemoLogin("dave@globex.example", "Globex-Member-Harbor-2026", Role.USER, "globex"),
)


async def ensure_user(
    db: AsyncSession,
    email: str,
    password: str,
    role: Role,
    tenant: Tenant | None,
    full_name: str = "",
) -> tuple[User, bool]:
    """Create the user unless the email exists; returns (user, created)."""
    found = await UserRepository(db).with_tenant(email=email)
    if found is not None:
        return found[0], False
    problem = password_problem(password, [email, full_name])
    if problem:
        raise BadRequest(problem)
    user = User(
        id=uuid.uuid4(),
        email=email.lower(),
        full_name=full_name,
        tenant_id=tenant.id if tenant else None,
        role=role.value,
        permissions=list(DEFAULT_PERMISSIONS[role]),
        allowed_platforms=list(DEFAULT_PLATFORMS[role]),
        hashed_password=password_helper.hash(password),
        is_active=True,
        is_verified=True,
        is_superuser=role is Role.SUPER_ADMIN,
    )
    db.add(user)
    await db.flush()
    AuditLog(db).record(
        "user_created",
        tenant_id=user.tenant_id,
        subject_id=user.id,
        email=user.email,
        details={"role": role.value, "source": "bootstrap"},
    )
    return user, True


async def seed_demo(db: AsyncSession) -> list[DemoLogin]:
    """Idempotent: a second run finds everything in place and changes nothing."""
    tenants: dict[str, Tenant] = {}
    for slug, name in DEMO_TENANTS.items():
        tenant = await TenantRecords(db).by_slug(slug)
        if tenant is None:
            tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name, plan="growth", self_signup=True)
            db.add(tenant)
            await db.flush()
        tenants[slug] = tenant
    for login in DEMO_LOGINS:
        name = login.email.split("@", 1)[0].capitalize()
        tenant = tenants[login.tenant] if login.tenant else None
        await ensure_user(db, login.email, login.password, login.role, tenant, full_name=name)
    return list(DEMO_LOGINS)
