"""The wizards on the platform under test, through its gateway, as a tenant admin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.conftest import RunningPlatform
from tests.gamification.factories import Org, make_org


@pytest.fixture(scope="session")
def wizard_app(platform: RunningPlatform) -> FastAPI:
    return platform.apps["wizard-service"]  # type: ignore[no-any-return]


@pytest.fixture
async def org(auth_app: FastAPI, gamification_app: FastAPI) -> AsyncIterator[Org]:
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        yield org
