"""The one way a service is built: a FastAPI app with health, readiness, metrics and errors.

Each service module calls :func:`create_service_app` with its routers and the
components it depends on; ``/ready`` pings exactly those components.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from bizosaas import __version__
from bizosaas.core.errors import install_error_handlers
from bizosaas.core.gateway_proof import GatewayGuard, load_proof_secret
from bizosaas.core.input import InputGuard
from bizosaas.core.metrics import metrics_endpoint
from bizosaas.core.middleware import RequestContextMiddleware
from bizosaas.core.schemas import ERROR_RESPONSES
from bizosaas.core.secrets import SecretStore
from bizosaas.core.settings import Settings

ReadinessCheck = Callable[[], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: Settings,
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    readiness: Callable[[FastAPI], dict[str, ReadinessCheck]] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            if settings.require_gateway:
                runtime = getattr(app.state, "runtime", None)
                store = runtime.secrets if runtime is not None else _secret_store(settings)
                app.state.gateway_secret = await load_proof_secret(store)
            yield

    app = FastAPI(
        title=title,
        description=description,
        version=__version__,
        lifespan=_lifespan,
        openapi_tags=openapi_tags,
    )
    install_error_handlers(app)
    for router in routers:
        # Every operation documents the platform's own error answers ({"error", "detail"}).
        app.include_router(router, responses=ERROR_RESPONSES)

    @app.get("/health", tags=["operations"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get(
        "/ready",
        tags=["operations"],
        summary="Readiness: every component this service needs answers",
        responses={503: {"description": "A component is unreachable"}},
    )
    async def ready() -> JSONResponse:
        checks = readiness(app) if readiness else {}
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # a readiness probe reports, never raises
                results[name] = f"unreachable: {type(exc).__name__}"
        healthy = all(v == "ok" for v in results.values())
        return JSONResponse(
            {
                "status": "ready" if healthy else "unavailable",
                "service": service,
                "checks": results,
            },
            status_code=200 if healthy else 503,
        )

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.add_middleware(InputGuard)
    if settings.require_gateway:
        app.add_middleware(
            GatewayGuard, secret_of=lambda: getattr(app.state, "gateway_secret", None)
        )
    app.add_middleware(
        RequestContextMiddleware, service=service, max_body_bytes=settings.max_body_bytes
    )
    return app


def _secret_store(settings: Settings) -> SecretStore:
    return SecretStore(
        settings.vault_addr, settings.vault_token, settings.vault_mount, settings.vault_path
    )
