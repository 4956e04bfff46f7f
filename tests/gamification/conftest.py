"""Each gamification test makes its own tenant (with an admin) on the shared services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from bizosaas.core.settings import Settings
from bizosaas.stack.isolated import Servers, isolated_databases, isolated_settings, new_run
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


@pytest.fixture
async def own_run(servers: Servers) -> AsyncIterator[Settings]:
    """A platform of its own (databases, Redis prefix, task queue), so that only the worker
    under test, never the suite's, works its workflows."""
    run = new_run()
    async with isolated_databases(servers, "workers", run) as urls:
        yield isolated_settings(servers, "workers", run, **urls, log_json=False)
