"""Web apps under test, started once per run against the session's auth service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bizosaas.core.settings import Settings
from bizosaas.web import admin, login, portal, sqladmin
from tests.factories import PASSWORD, client_for

HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture(scope="session")
def web_settings(settings: Settings) -> Settings:
    """The gateway layout: every app on one origin, so links are plain paths."""
    return settings.model_copy(update={"login_url": "/login"})


@pytest.fixture(scope="session")
async def login_app(web_settings: Settings, auth_app: FastAPI) -> AsyncIterator[FastAPI]:
    # The login app calls the auth app in-process, from an address of its own.
    transport = httpx.ASGITransport(app=auth_app, client=("10.200.0.1", 40000))
    app = login.create_app(web_settings, auth_transport=transport)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def portal_app(web_settings: Settings) -> AsyncIterator[FastAPI]:
    app = portal.create_app(web_settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def admin_app(web_settings: Settings) -> AsyncIterator[FastAPI]:
    app = admin.create_app(web_settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def sqladmin_app(web_settings: Settings) -> AsyncIterator[FastAPI]:
    app = sqladmin.create_app(web_settings)
    async with LifespanManager(app):
        yield app


async def session_cookies(auth_app: FastAPI, email: str, password: str = PASSWORD) -> httpx.Cookies:
    """Sign in through the auth API, as the login screen does, and keep the browser cookies."""
    async with client_for(auth_app) as client:
        response = await client.post(
            "/api/v1/auth/login", data={"email": email, "password": password}
        )
    assert response.status_code == 200, response.text
    return response.cookies


def browser_for(app: FastAPI, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    """A client that behaves like a browser on the same site: it keeps and sends cookies."""
    client = client_for(app)
    if cookies is not None:
        client.cookies = cookies
    return client


def hidden_csrf(html: str) -> str:
    found = HIDDEN_CSRF.search(html)
    assert found is not None, "the form has no csrf_token field"
    return found.group(1)
