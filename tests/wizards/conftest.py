"""The wizards on the platform under test, through its gateway, as a tenant admin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.gamification.factories import Org, make_org
from tests.web.conftest import wizard_app  # noqa: F401  (the fixture, shared)


@pytest.fixture
async def org(auth_app: FastAPI, gamification_app: FastAPI) -> AsyncIterator[Org]:
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        yield org
