"""The route table: loaded from TOML (shipped defaults, or a deployment's own file)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_ROUTES = Path(__file__).with_name("routes.toml")
MIDDLEWARE = ("authenticate", "tenantContext", "rateLimit")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class RateLimitRule:
    per: Literal["tenant", "ip"]
    limit: int
    period_seconds: int


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: str
    middleware: tuple[str, ...]
    rate_limit: RateLimitRule | None = None
    api_keys: bool = False  # tenant API keys are accepted in place of a member's token
    exact: bool = False  # the path itself only, not what lies below it (the site root)
    connect_timeout: float = 2.0
    read_timeout: float = 30.0

    @property
    def authenticate(self) -> bool:
        return "authenticate" in self.middleware

    @property
    def tenant_context(self) -> bool:
        return "tenantContext" in self.middleware

    @property
    def rate_limited(self) -> bool:
        return "rateLimit" in self.middleware

    def matches(self, path: str) -> bool:
        if path == self.prefix:
            return True
        return not self.exact and path.startswith(self.prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class GatewayConfig:
    routes: tuple[Route, ...]  # longest prefix first
    upstreams: dict[str, tuple[str, ...]]
    rate_limit_per_hour: int = 1000
    retries: int = 1
    circuit_failures: int = 5
    circuit_cooldown: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)

    def route_for(self, path: str) -> Route | None:
        return next((route for route in self.routes if route.matches(path)), None)


def upstream_env_name(name: str) -> str:
    return "BIZOSAAS_UPSTREAM_" + name.upper().replace("-", "_")


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> GatewayConfig:
    env = os.environ if environ is None else environ
    source = path or Path(env.get("BIZOSAAS_GATEWAY_ROUTES", DEFAULT_ROUTES))
    try:
        data = tomllib.loads(source.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the route table {source}: {exc}") from exc
    defaults = data.get("defaults", {})
    upstreams: dict[str, tuple[str, ...]] = {}
    for name, urls in data.get("upstreams", {}).items():
        override = env.get(upstream_env_name(name))
        chosen = override.split(",") if override is not None else urls
        upstreams[name] = tuple(u.strip().rstrip("/") for u in chosen if u.strip())
        for url in upstreams[name]:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"upstream {name}: {url!r} is not an http(s) URL")
    routes = []
    for entry in data.get("routes", []):
        unknown = set(entry.get("middleware", [])) - set(MIDDLEWARE)
        if unknown:
            raise ConfigError(f"route {entry.get('prefix')}: unknown middleware {sorted(unknown)}")
        if entry.get("upstream") not in upstreams:
            raise ConfigError(
                f"route {entry.get('prefix')}: unknown upstream {entry.get('upstream')}"
            )
        if not str(entry.get("prefix", "")).startswith("/"):
            raise ConfigError(f"route prefix {entry.get('prefix')!r} must start with '/'")
        rule = entry.get("rate_limit")
        if "authenticate" not in entry.get("middleware", []) or rule is not None:
            rule = rule or {}
            rate = RateLimitRule(
                rule.get("per", "ip"),
                int(rule.get("limit", defaults.get("rate_limit_per_hour", 1000))),
                int(rule.get("period_seconds", 3600)),
            )
        else:
            rate = None  # per tenant, with the tenant's own limit
        routes.append(
            Route(
                prefix=entry["prefix"],
                upstream=entry["upstream"],
                middleware=tuple(entry.get("middleware", [])),
                rate_limit=rate,
                api_keys=bool(entry.get("api_keys", False)),
                exact=bool(entry.get("exact", False)),
                connect_timeout=float(
                    entry.get("connect_timeout", defaults.get("connect_timeout", 2.0))
                ),
                read_timeout=float(entry.get("read_timeout", defaults.get("read_timeout", 30.0))),
            )
        )
    return GatewayConfig(
        routes=tuple(sorted(routes, key=lambda r: len(r.prefix), reverse=True)),
        upstreams=upstreams,
        rate_limit_per_hour=int(defaults.get("rate_limit_per_hour", 1000)),
        retries=int(defaults.get("retries", 1)),
        circuit_failures=int(defaults.get("circuit_failures", 5)),
        circuit_cooldown=float(defaults.get("circuit_cooldown", 10.0)),
    )
