"""The admin dashboard's app: its frame, its guard and its pages."""

from __future__ import annotations

from fastapi import FastAPI

from bizosaas.core.settings import Settings, get_settings
from bizosaas.web.admin import (
    achievements,
    agents,
    keys,
    leaderboards,
    overview,
    people,
    programs,
    referrals,
    rewards,
    showcases,
    wizards,
)
from bizosaas.web.common import create_web_app
from bizosaas.web.settings import WebSettings


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    return create_web_app(
        service="admin-dashboard",
        title="BizOSaaS Admin Dashboard",
        description="The admin dashboard: the home of the `tenant_admin` role after sign-in.",
        settings=settings or get_settings(),
        web_settings=web,
        routers=[
            overview.router,
            achievements.router,
            leaderboards.router,
            programs.router,
            referrals.router,
            rewards.router,
            showcases.router,
            agents.router,
            people.router,
            keys.router,
            wizards.router,
        ],
        prefix="/admin",
        scripts=True,
    )
