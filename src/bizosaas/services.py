"""The platform's services: name, default port (as in the PRD) and app factory."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from starlette.types import ASGIApp

from bizosaas.core.settings import Settings

# What every service reads from the environment when it runs alone (`bizosaas serve`).
EVERY_SERVICE_NEEDS = ("redis_url", "vault_addr", "vault_token", "public_url")
WEB_NEEDS = ("gateway_url",)  # pages call the APIs through the gateway


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    factory: str  # "module:function" taking Settings
    paths: tuple[str, ...]  # path prefixes this service answers on the public origin
    needs_database: bool = False
    also_needs: tuple[str, ...] = ()  # Settings fields it must be given, beyond the common

    @property
    def needs(self) -> tuple[str, ...]:
        """The Settings fields a container of this service must be given (no default of a
        developer's machine may stand in for them)."""
        database = ("database_url",) if self.needs_database else ()
        return (*EVERY_SERVICE_NEEDS, *database, *self.also_needs)

    def create_app(self, settings: Settings) -> ASGIApp:
        module, function = self.factory.split(":")
        app: ASGIApp = getattr(importlib.import_module(module), function)(settings)
        return app


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("brain-gateway", 8002, "bizosaas.gateway.app:create_app", ("/",)),
        ServiceSpec(
            "auth-service",
            8007,
            "bizosaas.auth.app:create_app",
            ("/api/v1/auth", "/.well-known"),
            needs_database=True,
        ),
        ServiceSpec(
            "gamification-service",
            8010,
            "bizosaas.gamification.app:create_app",
            ("/api/v1/gamification",),
            needs_database=True,
            also_needs=("temporal_address",),  # long agent tasks start workflows
        ),
        ServiceSpec(
            "gamification-worker",
            8011,
            "bizosaas.gamification.app:create_worker_app",
            (),  # not routed: it only processes events
            needs_database=True,
        ),
        ServiceSpec(
            "temporal-worker",
            8012,
            "bizosaas.gamification.app:create_temporal_worker_app",
            (),  # not routed: it runs workflows and activities
            needs_database=True,
            also_needs=("temporal_address",),
        ),
        ServiceSpec(
            "wizard-service",
            8013,
            "bizosaas.wizards.app:create_app",
            ("/api/v1/wizards",),
            needs_database=True,
            also_needs=("gateway_url",),  # a finish calls the services through the gateway
        ),
        ServiceSpec(
            "unified-auth-ui",
            3002,
            "bizosaas.web.login:create_app",
            ("/login", "/r/"),
            also_needs=WEB_NEEDS,
        ),
        ServiceSpec(
            "client-portal",
            3001,
            "bizosaas.web.portal.app:create_app",
            ("/portal", "/showcase"),
            also_needs=WEB_NEEDS,
        ),
        ServiceSpec(
            "admin-dashboard",
            3009,
            "bizosaas.web.admin.app:create_app",
            ("/admin",),
            also_needs=WEB_NEEDS,
        ),
        ServiceSpec(
            "sqladmin",
            8005,
            "bizosaas.web.sqladmin:create_app",
            ("/sqladmin",),
            needs_database=True,
            also_needs=WEB_NEEDS,  # its actions go through the APIs
        ),
    )
}
