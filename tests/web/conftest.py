"""The web apps of the platform under test, reached through its gateway like a browser does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, async_playwright

from bizosaas.core.settings import Settings
from tests.conftest import RunningPlatform
from tests.factories import PASSWORD, client_for
from tests.gamification.factories import Member, Org, make_org
from tests.web.browsing import CHROMIUM, CHROMIUM_ARGS, PHONE, Site


@pytest.fixture(scope="session")
def login_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["unified-auth-ui"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def portal_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["client-portal"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def admin_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["admin-dashboard"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def wizard_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["wizard-service"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def sqladmin_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["sqladmin"]  # type: ignore[no-any-return]


async def session_cookies(auth_app: FastAPI, email: str, password: str = PASSWORD) -> httpx.Cookies:
    """Sign in through the auth API, as the login screen does, and keep the browser cookies."""
    async with client_for(auth_app) as client:
        response = await client.post(
            "/api/v1/auth/login", data={"email": email, "password": password}
        )
    assert response.status_code == 200, response.text
    return response.cookies


def browser_for(app: FastAPI, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    """A client that behaves like a browser on the gateway's origin: it keeps and sends
    cookies."""
    client = client_for(app)
    if cookies is not None:
        client.cookies = cookies
    return client


def hidden_value(html: str, name: str) -> str:
    """The value of the page's hidden field ``name`` (as a browser would post it back)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"the page has no hidden {name} field"
    return found.group(1)


def hidden_csrf(html: str) -> str:
    return hidden_value(html, "csrf_token")


@pytest.fixture
async def org(auth_app: FastAPI, gamification_app: FastAPI) -> AsyncIterator[Org]:
    """A tenant with an admin, on the platform under test (see tests/gamification)."""
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        yield org


async def member_browser(org: Org, **overrides: Any) -> tuple[Member, httpx.AsyncClient]:
    """A new member of the org, signed in, and a browser carrying their session cookies."""
    member = await org.member(**overrides)
    cookies = await session_cookies(org.auth_app, member.user.email)
    return member, browser_for(org.app, cookies)


# -- real Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(settings: Settings, platform: RunningPlatform) -> Site:
    """The platform's one origin: the gateway, as `bizosaas up` serves it."""
    origin = settings.public_url
    return Site(origin + "/login", origin + "/portal", origin + "/admin", origin + "/sqladmin/")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile on a phone's screen."""
    ctx = await browser.new_context(viewport=PHONE)
    yield ctx
    await ctx.close()


@pytest.fixture
def policy_violations(context: BrowserContext) -> list[str]:
    """Console reports of anything the Content-Security-Policy blocked, on any page."""
    seen: list[str] = []
    context.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen
