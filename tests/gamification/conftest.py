"""Each gamification test makes its own tenant (with an admin) on the shared services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.types import ASGIApp

from bizosaas.core.settings import Settings
from bizosaas.gateway.app import create_app as create_gateway
from bizosaas.gateway.config import load_config
from tests.gamification.factories import Org, make_org


@pytest.fixture
async def org(auth_app: FastAPI, gamification_app: FastAPI) -> AsyncIterator[Org]:
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        yield org


@pytest.fixture
async def other_org(auth_app: FastAPI, gamification_app: FastAPI) -> AsyncIterator[Org]:
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        yield org


@pytest.fixture(scope="session")
async def gateway(
    settings: Settings, auth_app: FastAPI, gamification_app: FastAPI
) -> AsyncIterator[ASGIApp]:
    """The Brain Gateway with the shipped route table, the services mounted in-process."""
    app = create_gateway(
        settings,
        apps={"auth-service": auth_app, "gamification-service": gamification_app},
        config=load_config(environ={}),  # the shipped routes.toml, untouched by the environment
    )
    async with LifespanManager(app):
        yield app
