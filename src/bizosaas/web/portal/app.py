"""The client portal's app: its frame, its guard, and its pages."""

from __future__ import annotations

from fastapi import FastAPI

from bizosaas.core.settings import Settings, get_settings
from bizosaas.web.common import create_web_app
from bizosaas.web.portal import (
    achievements,
    home,
    leaderboards,
    notifications,
    referrals,
    showcases,
)
from bizosaas.web.settings import WebSettings


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    return create_web_app(
        service="client-portal",
        title="BizOSaaS Client Portal",
        description="The client portal: the home of the `user` role after sign-in.",
        settings=settings or get_settings(),
        web_settings=web,
        routers=[
            home.router,
            referrals.router,
            achievements.router,
            leaderboards.router,
            showcases.router,
            notifications.router,
        ],
        prefix="/portal",
        scripts=True,
    )
