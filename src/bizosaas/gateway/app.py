"""The Brain Gateway (port 8002): route table, per-route middleware, forwarding, health.

A plain ASGI app on the hot path (no framework routing per request); the shared
request middleware gives it request ids, the body limit, metrics and access logs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from bizosaas.core.errors import (
    AppError,
    NotFound,
    ServiceUnavailable,
    send_app_error,
    send_json,
    translate,
)
from bizosaas.core.gateway_proof import PROOF_HEADER, load_proof_secret, sign
from bizosaas.core.logging import get_logger, request_id_var
from bizosaas.core.metrics import metrics_endpoint
from bizosaas.core.middleware import RequestContextMiddleware
from bizosaas.core.net import client_ip
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.gateway.config import GatewayConfig, Route, load_config, upstream_env_name
from bizosaas.gateway.health import Health
from bizosaas.gateway.paths import check_request_line
from bizosaas.gateway.policies import Visitor, authenticate, error_headers, rate_limit
from bizosaas.gateway.proxy import (
    CLIENT_MAY_NOT_SEND,
    IDEMPOTENT,
    UpstreamFailed,
    forward_http,
    forward_websocket,
    has_body,
    strip_hop_by_hop,
)
from bizosaas.gateway.ratelimit import RateLimiter
from bizosaas.gateway.upstreams import Upstream, build_upstreams
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.runner import tune_gc

log = get_logger("bizosaas.gateway")
UPSTREAM_LATENCY = Histogram(
    "bizosaas_gateway_upstream_duration_seconds",
    "Time from forwarding to the upstream's answer, by route and upstream.",
    ["route", "upstream"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPSTREAM_ERRORS = Counter(
    "bizosaas_gateway_upstream_errors_total",
    "Upstream failures seen by the gateway (unreachable, timeout, circuit open).",
    ["upstream", "kind"],
)
REJECTED = Counter(
    "bizosaas_gateway_rejected_total",
    "Requests the gateway answered itself, by reason (401, 403, 429, 4xx input).",
    ["route", "status"],
)
LOCAL_PATHS = {"/health", "/ready", "/metrics"}


class Gateway:
    def __init__(
        self,
        settings: Settings,
        config: GatewayConfig,
        apps: Mapping[str, ASGIApp] | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.upstreams: dict[str, Upstream] = build_upstreams(
            config.upstreams, dict(apps or {}), config.circuit_failures, config.circuit_cooldown
        )
        self.runtime: Runtime | None = None
        self.session: aiohttp.ClientSession | None = None
        self.secret = b""
        self.started = False
        self.health = Health(self.upstreams)

    async def startup(self) -> None:
        self.runtime = runtime = Runtime.create(self.settings)
        self.resolver = await IdentityResolver.start(runtime)
        self.tenants = self.resolver.tenants
        self.limiter = RateLimiter(runtime.redis, runtime.keys)
        self.secret = await load_proof_secret(runtime.secrets)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=256, keepalive_timeout=30),
            cookie_jar=aiohttp.DummyCookieJar(),  # a proxy never keeps anyone's cookies
            auto_decompress=False,
        )
        self.started = True
        tune_gc()  # also when run by a plain ASGI server rather than `bizosaas`

    async def shutdown(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.runtime is not None:
            await self.runtime.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope["path"]
        if path in LOCAL_PATHS and scope["type"] == "http":
            await self._local(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] in ("http.response.start", "websocket.accept")
            await send(message)

        try:
            check_request_line(scope)
            route = self.config.route_for(path)
            if route is None:
                raise NotFound("No route for this path.")
            state["route"], state["upstream"] = route.prefix, route.upstream
            await self._handle(route, scope, receive, sending)
        except AppError as exc:
            REJECTED.labels(state.get("route", "unmatched"), str(exc.status_code)).inc()
            await _send_error(scope, send, exc)
        except Exception as exc:
            # Redis (sessions, limits, directories) or Vault unreachable: 503 with
            # Retry-After in our JSON format, so clients back off and resend.
            answer = translate(exc)
            if answer is None or started:
                raise
            log.warning("dependency unavailable", error=type(exc).__name__)
            REJECTED.labels(state.get("route", "unmatched"), str(answer.status_code)).inc()
            await _send_error(scope, send, answer)

    async def _handle(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        peer = scope["client"][0] if scope.get("client") else None
        xff = headers.get(b"x-forwarded-for", b"").decode("latin-1") or None
        visitor = Visitor(ip=client_ip(peer, xff, self.settings.trusted_proxies) or "unknown")
        if route.authenticate:
            await authenticate(self.resolver, scope.get("method", "GET"), headers, visitor, route)
            scope["state"]["tenant_id"] = str(visitor.tenant_id or "") or None
            if visitor.principal is not None:
                scope["state"]["user_id"] = str(visitor.principal.user_id)
        if route.rate_limited:
            await rate_limit(
                self.limiter, self.tenants, route, visitor, self.config.rate_limit_per_hour
            )
        upstream = self.upstreams[route.upstream]
        if not upstream.configured:
            raise ServiceUnavailable(
                f"The upstream {route.upstream!r} is not configured on this gateway "
                f"(set {upstream_env_name(route.upstream)})."
            )
        outgoing = self._outgoing_headers(scope, visitor, route)
        extra = visitor.rate.headers(visitor.rate_period) if visitor.rate else []
        await self._forward(route, upstream, scope, receive, _with_headers(send, extra), outgoing)

    def _outgoing_headers(
        self, scope: Scope, visitor: Visitor, route: Route
    ) -> list[tuple[bytes, bytes]]:
        kept = [
            (k, v)
            for k, v in strip_hop_by_hop(list(scope["headers"]))
            if k not in CLIENT_MAY_NOT_SEND
        ]
        host = dict(scope["headers"]).get(b"host", b"")
        identity: dict[str, str] = {
            "x-request-id": request_id_var.get() or "",
            "x-forwarded-for": visitor.ip,
            "x-forwarded-proto": scope.get("scheme", "http"),
            "x-forwarded-host": host.decode("latin-1"),
        }
        principal = visitor.principal
        if visitor.identity.api_key is not None and route.tenant_context:
            identity.update(
                {
                    "x-tenant-id": str(visitor.identity.api_key.tenant_id),
                    "x-api-key-id": str(visitor.identity.api_key.key_id),
                }
            )
        if principal is not None and route.tenant_context:
            identity.update(
                {
                    "x-tenant-id": str(principal.tenant_id or ""),
                    "x-tenant-slug": principal.tenant_slug or "",
                    "x-user-id": str(principal.user_id),
                    "x-user-role": principal.role.value,
                    "x-permissions": ",".join(sorted(principal.permissions)),
                }
            )
        identity[PROOF_HEADER] = sign(
            self.secret, scope.get("method", "GET"), scope["path"], identity
        )
        return kept + [(k.encode(), v.encode("latin-1")) for k, v in identity.items()]

    async def _forward(
        self,
        route: Route,
        upstream: Upstream,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        started = time.perf_counter()
        if upstream.app is not None:
            inner = {**scope, "headers": headers, "state": {}}
            await upstream.app(inner, receive, send)
            UPSTREAM_LATENCY.labels(route.prefix, upstream.name).observe(
                time.perf_counter() - started
            )
            return
        assert self.session is not None
        retryable = scope.get("method") in IDEMPOTENT and not has_body(scope)
        attempts = 1 + (self.config.retries if retryable else 0)
        last: UpstreamFailed | None = None
        tried: set[str] = set()
        for _ in range(attempts):
            target = upstream.pick()
            if target is not None and target.url in tried:
                break  # retry on another target only: the same one just failed
            if target is None:
                if last is not None:
                    break
                UPSTREAM_ERRORS.labels(upstream.name, "circuit_open").inc()
                raise ServiceUnavailable(
                    f"The upstream {upstream.name!r} is failing; try again shortly.",
                )
            tried.add(target.url)
            try:
                if scope["type"] == "websocket":
                    await forward_websocket(
                        self.session, target, scope, receive, send, headers, route.connect_timeout
                    )
                    target.succeeded()
                    return
                status = await forward_http(
                    self.session,
                    target,
                    scope,
                    receive,
                    send,
                    headers,
                    route.connect_timeout,
                    route.read_timeout,
                )
            except UpstreamFailed as exc:
                target.failed(time.monotonic())
                UPSTREAM_ERRORS.labels(upstream.name, "timeout" if exc.timeout else "error").inc()
                last = exc
                continue
            if status in (502, 503, 504):
                target.failed(time.monotonic())
            else:
                target.succeeded()
            UPSTREAM_LATENCY.labels(route.prefix, upstream.name).observe(
                time.perf_counter() - started
            )
            return
        assert last is not None
        log.warning("upstream failed", upstream=upstream.name, reason=str(last))
        raise UpstreamError(
            f"The upstream {upstream.name!r} did not answer ({last}).",
            504 if last.timeout else 502,
        )

    async def _local(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        if scope["path"] == "/metrics":
            response = await metrics_endpoint(Request(scope))
            await response(scope, receive, send)
            return
        if scope["path"] == "/health":
            body, status = await self.health.report(self.session, self.limiter.degraded), 200
        elif not self.started:
            body, status = {"status": "unavailable", "service": "brain-gateway", "checks": {}}, 503
        else:
            body = await self.health.readiness(self.session, self.limiter.degraded)
            status = 200 if body["status"] != "unavailable" else 503
        await send_json(send, status, body)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:  # report, so the server refuses to start
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


class UpstreamError(AppError):
    status_code = 502


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    if not extra:
        return send

    async def sender(message: Any) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sender


async def _send_error(scope: Scope, send: Send, exc: AppError) -> None:
    await send_app_error(scope, send, exc, error_headers(exc))


def create_app(
    settings: Settings,
    apps: Mapping[str, ASGIApp] | None = None,
    config: GatewayConfig | None = None,
) -> ASGIApp:
    """The gateway; ``apps`` mounts services in-process by upstream name (one-process mode)."""
    gateway = Gateway(settings, config or load_config(), apps)
    app = RequestContextMiddleware(
        gateway, service="brain-gateway", max_body_bytes=settings.max_body_bytes
    )
    app.gateway = gateway  # type: ignore[attr-defined]
    return app
