"""``/health``: the gateway and every upstream (up, down, not configured, latency).
``/ready``: whether this gateway copy can serve, which needs every configured upstream to
be ready itself (its database, Redis and Vault answer): a load balancer must not send
traffic to a gateway whose services would only fail it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx

if TYPE_CHECKING:
    from bizosaas.gateway.upstreams import Upstream

PROBE_TIMEOUT = 2.0
READY_CACHE_SECONDS = 2.0  # load balancers poll often; the services are asked at most this often


async def _probe(
    session: aiohttp.ClientSession | None, upstream: Upstream, path: str = "/health"
) -> dict[str, Any]:
    if not upstream.configured:
        return {"status": "not_configured"}
    started = time.perf_counter()
    try:
        if upstream.app is not None:
            transport = httpx.ASGITransport(app=upstream.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as c:
                status = (await c.get(path, timeout=PROBE_TIMEOUT)).status_code
            mode = "in-process"
        else:
            assert session is not None
            target = upstream.targets[0]
            statuses = []
            for target in upstream.targets:
                async with session.get(
                    target.url + path, timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
                ) as response:
                    statuses.append(response.status)
            status = 200 if any(s == 200 for s in statuses) else max(statuses)
            mode = "http"
    except (aiohttp.ClientError, httpx.HTTPError, TimeoutError, OSError) as exc:
        return {
            "status": "down",
            "error": type(exc).__name__,
            "circuits": [t.state for t in upstream.targets],
        }
    return {
        "status": "up" if status == 200 else "down",
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        "mode": mode,
        "circuits": [t.state for t in upstream.targets],
    }


class Health:
    """``/health`` (every upstream, for people) and ``/ready`` (for load balancers)."""

    def __init__(self, upstreams: Mapping[str, Upstream]) -> None:
        self.upstreams = upstreams
        self._ready: tuple[float, dict[str, Any]] | None = None

    async def report(
        self, session: aiohttp.ClientSession | None, limits_degraded: bool
    ) -> dict[str, Any]:
        names = list(self.upstreams)
        results = await asyncio.gather(*(_probe(session, self.upstreams[n]) for n in names))
        upstreams = dict(zip(names, results, strict=True))
        degraded = any(r["status"] == "down" for r in upstreams.values())
        return {
            "status": "degraded" if degraded else "ok",
            "service": "brain-gateway",
            "rate_limits": "per-process" if limits_degraded else "shared",
            "upstreams": upstreams,
        }

    async def readiness(
        self, session: aiohttp.ClientSession | None, limits_degraded: bool
    ) -> dict[str, Any]:
        cached = self._ready
        if cached is not None and time.monotonic() - cached[0] < READY_CACHE_SECONDS:
            return cached[1]
        names = [name for name, upstream in self.upstreams.items() if upstream.configured]
        probes = await asyncio.gather(
            *(_probe(session, self.upstreams[n], "/ready") for n in names)
        )
        checks = {
            "redis": "unreachable: rate limiting per process" if limits_degraded else "ok",
            **{
                name: "ok" if r["status"] == "up" else "not ready"
                for name, r in zip(names, probes, strict=True)
            },
        }
        ready = all(value == "ok" for name, value in checks.items() if name != "redis")
        body = {
            "status": "ready" if ready else "unavailable",
            "service": "brain-gateway",
            "checks": checks,
        }
        self._ready = (time.monotonic(), body)
        return body
