"""What ``bizosaas up`` and the admin commands do, apart from argument parsing."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import Row, select
from starlette.types import ASGIApp

from bizosaas.auth.bootstrap import DEMO_LOGINS, DEMO_TENANTS, ensure_user, seed_demo
from bizosaas.auth.models import Tenant, User
from bizosaas.auth.sessions.keys import KeyRing, KeyStore
from bizosaas.core.database import Database, RowScope
from bizosaas.core.errors import AppError
from bizosaas.core.runtime import Runtime
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings
from bizosaas.gateway.app import create_app as create_gateway
from bizosaas.identity.vocabulary import LANDING_PAGE, Role
from bizosaas.migrations.runner import DATABASES, upgrade_all
from bizosaas.runner import Listener, serve
from bizosaas.services import SERVICES
from bizosaas.stack import LocalStack

if TYPE_CHECKING:
    from bizosaas.gamification.events.rebuild import ReplayReport


async def seed(settings: Settings) -> None:
    database = Database(settings.owner_database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.platform_wide()) as db:
            await seed_demo(db)
            rows = (
                await db.execute(
                    select(Tenant.id, Tenant.name, User.__table__.c.id, User.full_name)
                    .join(User, User.tenant_id == Tenant.id)
                    .where(
                        Tenant.slug.in_(DEMO_TENANTS),
                        # The demo members only: never anyone an admin or the API added.
                        User.__table__.c.email.in_([login.email for login in DEMO_LOGINS]),
                    )
                )
            ).all()
    finally:
        await database.dispose()
    await _seed_gamification(settings, rows)


async def _seed_gamification(settings: Settings, rows: Sequence[Row[Any]]) -> None:
    from bizosaas.core.members import MemberInfo
    from bizosaas.gamification.demo import DemoMember, seed_demo_gamification
    from bizosaas.gamification.services import GamificationServices

    tenants: dict[uuid.UUID, tuple[str, list[DemoMember]]] = {}
    for tenant_id, tenant_name, user_id, full_name in rows:
        tenants.setdefault(tenant_id, (tenant_name, []))[1].append(DemoMember(user_id, full_name))
    runtime = Runtime.create(settings, database_url=settings.gamification_database_url)
    try:
        services = await GamificationServices.build(runtime)
        await services.directory.publish(
            *(MemberInfo(m.user_id, t, m.name) for t, (_, ms) in tenants.items() for m in ms)
        )
        await seed_demo_gamification(services, tenants)
    finally:
        await runtime.close()


async def create_super_admin(settings: Settings, email: str, password: str) -> bool:
    database = Database(settings.owner_database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.platform_wide()) as db:
            _, created = await ensure_user(db, email, password, Role.SUPER_ADMIN, None)
    except AppError as exc:
        raise SystemExit(exc.detail) from exc
    finally:
        await database.dispose()
    return created


async def rotate_signing_key(settings: Settings) -> KeyRing:
    secrets = SecretStore(
        settings.vault_addr, settings.vault_token, settings.vault_mount, settings.vault_path
    )
    return await KeyStore(secrets).rotate(settings.access_token_ttl_seconds)


# In one process the gamification API runs its own event processor: no separate worker.
IN_ONE_PROCESS = tuple(n for n in SERVICES if n not in ("brain-gateway", "gamification-worker"))


@dataclass(frozen=True)
class Platform:
    """Every service of ``bizosaas up``: each on its own port, and mounted in the gateway,
    which calls them through the same route table and middleware it applies to remote
    upstreams. The tests assemble the platform with this too, so they test what ships."""

    apps: dict[str, ASGIApp]
    gateway: ASGIApp

    def listeners(self, public_port: int, ports: dict[str, int]) -> list[Listener]:
        served = [Listener(name, app, ports[name]) for name, app in self.apps.items()]
        return [*served, Listener("brain-gateway", self.gateway, public_port)]


def assemble_platform(settings: Settings) -> Platform:
    apps = {name: SERVICES[name].create_app(settings) for name in IN_ONE_PROCESS}
    return Platform(apps, create_gateway(settings, apps=apps))


def run_platform(
    settings: Settings,
    *,
    host: str,
    public_port: int,
    ports: dict[str, int],
    sockets: Sequence[socket.socket],
    demo: bool,
    console: Console,
    stack: LocalStack | None,
) -> None:
    """Prepare the data, then serve on ``sockets`` (bound beforehand, in listener order)."""
    if stack is not None:
        with console.status("Creating databases and roles…"):
            asyncio.run(stack.provision(list(DATABASES)))
    with console.status("Running database migrations…"):
        upgrade_all(settings)
    if demo:
        with console.status("Seeding the demo tenants…"):
            asyncio.run(seed(settings))
    listeners = assemble_platform(settings).listeners(public_port, ports)
    asyncio.run(
        serve(
            listeners,
            host=host,
            sockets=sockets,
            on_started=lambda: _print_welcome(console, settings, public_port, ports, demo),
        )
    )
    console.print("[green]Stopped.[/green]")


def listener_ports(public_port: int, ports: dict[str, int]) -> list[tuple[str, int]]:
    """The ``(name, port)`` of each listener, in the order :meth:`Platform.listeners` uses."""
    return [*((name, ports[name]) for name in IN_ONE_PROCESS), ("brain-gateway", public_port)]


def _print_welcome(
    console: Console, settings: Settings, public_port: int, ports: dict[str, int], demo: bool
) -> None:
    origin = f"http://localhost:{public_port}"
    urls = Table("what", "URL", title="BizOSaaS is running", title_justify="left")
    urls.add_row("Sign in (one login for every platform)", f"{origin}/login")
    urls.add_row("Client portal", f"{origin}/portal")
    urls.add_row("Admin dashboard", f"{origin}/admin")
    urls.add_row("SQLAdmin (super admin)", f"{origin}/sqladmin")
    urls.add_row("Gateway health (every upstream)", f"{origin}/health")
    urls.add_row("Auth API docs", f"http://localhost:{ports['auth-service']}/docs")
    urls.add_row("Gamification API docs", f"http://localhost:{ports['gamification-service']}/docs")
    urls.add_row("Wizard API docs", f"http://localhost:{ports['wizard-service']}/docs")
    for name, port in ports.items():
        urls.add_row(f"{name} (direct)", f"http://localhost:{port}/health")
    console.print(urls)
    if demo:
        # Sized for an 80-column terminal: an email or a password is never cut or wrapped.
        logins = Table(
            "email",
            "password",
            "lands on",
            title="Demo logins",
            title_justify="left",
            box=box.SIMPLE,
            pad_edge=False,
        )
        for login in DEMO_LOGINS:
            logins.add_row(login.email, login.password, LANDING_PAGE[login.role])
        for column in logins.columns[:2]:
            column.no_wrap = True
        console.print(logins)
    console.print("Press Ctrl-C to stop.")


async def resolve_tenant(settings: Settings, tenant: str) -> uuid.UUID:
    """A tenant named by id or slug (slugs live in the auth database)."""
    try:
        return uuid.UUID(tenant)
    except ValueError:
        pass
    database = Database(settings.database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.platform_wide()) as db:
            found = (
                await db.execute(select(Tenant.id).where(Tenant.slug == tenant))
            ).scalar_one_or_none()
    finally:
        await database.dispose()
    if found is None:
        raise SystemExit(f"No tenant with the id or slug {tenant!r}.")
    return found


async def reviewed_conversions(settings: Settings, tenant: str) -> tuple[uuid.UUID, list[Any]]:
    """A tenant's reviewed conversions as the fraud model read them, with the verdicts."""
    from bizosaas.gamification.referrals.conversion_repository import ReviewedConversions
    from bizosaas.gamification.referrals.fraud_model.features import NAMES

    tenant_id = await resolve_tenant(settings, tenant)
    database = Database(settings.gamification_database_url, pool_size=1)
    try:
        async with database.transaction(RowScope.tenant(tenant_id)) as db:
            rows = await ReviewedConversions(db).features(len(NAMES))
    finally:
        await database.dispose()
    return tenant_id, rows


async def replay_gamification(
    settings: Settings,
    tenant: str,
    since: datetime | None,
    progress: Callable[[int, int], None],
) -> ReplayReport:
    from bizosaas.gamification.events.rebuild import replay_tenant
    from bizosaas.gamification.services import GamificationServices

    tenant_id = await resolve_tenant(settings, tenant)
    runtime = Runtime.create(settings, database_url=settings.gamification_database_url)
    try:
        services = await GamificationServices.build(runtime)
        return await replay_tenant(runtime.database, services.processor, tenant_id, since, progress)
    finally:
        await runtime.close()
