"""Each gamification test makes its own tenant (with an admin) on the shared services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

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
