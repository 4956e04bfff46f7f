"""The gamification service (port 8010): events, achievements, leaderboards, notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from bizosaas.core.app import ReadinessCheck, create_service_app
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings, get_settings
from bizosaas.gamification.apikeys.service import publish_all_keys
from bizosaas.gamification.routers import ROUTERS, TAGS
from bizosaas.gamification.services import GamificationServices
from bizosaas.gamification.temporal_worker import temporal_work
from bizosaas.gamification.worker import background_work

DESCRIPTION = """
Referrals, achievements, leaderboards and showcases for every tenant.

Everything enters as an **event** (`POST /api/v1/gamification/events`), sent by the
tenant's servers with an API key (`X-API-Key`) or, for the event types a tenant
allows, by a member with its own token. Events are stored once per `event_id` and
processed into achievement progress, unlocks, leaderboard scores and
notifications; a replay of the log rebuilds the same state.

Members call with their access token (`Authorization: Bearer …`, or the HttpOnly
cookie plus `X-CSRF-Token` on writes). Every request is confined to the caller's
tenant; another tenant's id answers 404.
"""


def create_app(settings: Settings | None = None, *, run_processor: bool | None = None) -> FastAPI:
    """The API; it also runs the background work unless told otherwise (see `worker`)."""
    settings = settings or get_settings()
    background = settings.gamification_processor_in_api if run_processor is None else run_processor

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _services(app, settings) as services, AsyncExitStack() as stack:
            # The gateway checks keys in Redis: rebuild that copy (a worker has no need to).
            await publish_all_keys(services.runtime.database, services.api_keys)
            if background:
                await stack.enter_async_context(background_work(services))
            yield

    return create_service_app(
        service="gamification-service",
        title="BizOSaaS Gamification Service",
        description=DESCRIPTION,
        settings=settings,
        routers=ROUTERS,
        lifespan=lifespan,
        readiness=_readiness,
        openapi_tags=TAGS,
    )


def create_worker_app(settings: Settings | None = None) -> FastAPI:
    """The event processor, inbox and scheduler alone, with /health, /ready and /metrics."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _services(app, settings) as services, background_work(services):
            yield

    return create_service_app(
        service="gamification-worker",
        title="BizOSaaS Gamification Worker",
        description="Processes gamification events; serves only health, readiness and metrics.",
        settings=settings,
        lifespan=lifespan,
        readiness=_readiness,
    )


def create_temporal_worker_app(settings: Settings | None = None) -> FastAPI:
    """The Temporal worker and the hold keeper, with /health, /ready and /metrics."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _services(app, settings) as services, temporal_work(services) as worker:
            app.state.temporal_worker = worker
            yield

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        async def polling() -> None:
            if not app.state.temporal_worker.running:
                raise RuntimeError("the worker is not polling Temporal (yet)")

        runtime: Runtime = app.state.runtime
        return {**runtime.readiness(), "temporal": runtime.temporal.ping, "worker": polling}

    return create_service_app(
        service="temporal-worker",
        title="BizOSaaS Temporal Worker",
        description="Runs reward holds, showcase generation and retraining on Temporal; "
        "serves only health, readiness and metrics.",
        settings=settings,
        lifespan=lifespan,
        readiness=readiness,
    )


@asynccontextmanager
async def _services(app: FastAPI, settings: Settings) -> AsyncIterator[GamificationServices]:
    runtime = Runtime.create(settings, database_url=settings.gamification_database_url)
    app.state.runtime = runtime
    try:
        app.state.services = services = await GamificationServices.build(runtime)
        yield services
    finally:
        await runtime.close()


def _readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
    runtime: Runtime = app.state.runtime
    return runtime.readiness()
