"""What `bizosaas up` prepares before it serves: the demo data and the welcome it prints."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from rich.console import Console
from sqlalchemy import func, select

from bizosaas.auth.bootstrap import DEMO_LOGINS
from bizosaas.auth.models import Tenant
from bizosaas.core.database import RowScope
from bizosaas.core.settings import Settings
from bizosaas.gamification.events.models import GamificationEvent
from bizosaas.launch import IN_ONE_PROCESS, _print_welcome, seed
from bizosaas.services import SERVICES
from tests.factories import create_user, runtime_db


async def _events_of(gamification_app: FastAPI, tenant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    async with runtime_db(gamification_app).transaction(RowScope.tenant(tenant_id)) as db:
        rows = await db.execute(
            select(GamificationEvent.user_id, func.count())
            .where(GamificationEvent.tenant_id == tenant_id)
            .group_by(GamificationEvent.user_id)
        )
        return {user_id: count for user_id, count in rows.all()}


async def test_a_restart_seeds_the_demo_members_once_and_nobody_else(
    settings: Settings, auth_app: FastAPI, gamification_app: FastAPI
) -> None:
    await seed(settings)
    async with runtime_db(auth_app).transaction(RowScope.platform_wide()) as db:
        acme = (await db.execute(select(Tenant).where(Tenant.slug == "acme-corp"))).scalar_one()
    first = await _events_of(gamification_app, acme.id)
    assert len(first) == sum(1 for login in DEMO_LOGINS if login.tenant == "acme-corp")

    newcomer = await create_user(auth_app, acme)  # added by an admin, has done nothing
    await seed(settings)  # the next `./dev up`
    again = await _events_of(gamification_app, acme.id)
    assert newcomer.id not in again
    assert again == first  # and the demo members got nothing twice


def test_the_demo_logins_fit_an_80_column_terminal() -> None:
    console = Console(width=80, record=True, color_system=None)
    ports = {name: SERVICES[name].port for name in IN_ONE_PROCESS}
    _print_welcome(console, Settings(), 8002, ports, demo=True)
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    for login in DEMO_LOGINS:
        assert any(login.email in line and login.password in line for line in lines), login
