"""``/health``: the gateway and every upstream (up, down, not configured, latency).
``/ready``: whether this gateway copy can serve, and in what mode."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx

if TYPE_CHECKING:
    from bizosaas.gateway.app import Gateway
    from bizosaas.gateway.upstreams import Upstream

PROBE_TIMEOUT = 2.0


async def _probe(gateway: Gateway, upstream: Upstream) -> dict[str, Any]:
    if not upstream.configured:
        return {"status": "not_configured"}
    started = time.perf_counter()
    try:
        if upstream.app is not None:
            transport = httpx.ASGITransport(app=upstream.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as c:
                status = (await c.get("/health", timeout=PROBE_TIMEOUT)).status_code
            mode = "in-process"
        else:
            assert gateway.session is not None
            target = upstream.targets[0]
            statuses = []
            for target in upstream.targets:
                async with gateway.session.get(
                    target.url + "/health", timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
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


async def report(gateway: Gateway) -> dict[str, Any]:
    names = list(gateway.upstreams)
    results = await asyncio.gather(*(_probe(gateway, gateway.upstreams[n]) for n in names))
    upstreams = dict(zip(names, results, strict=True))
    degraded = any(r["status"] == "down" for r in upstreams.values())
    return {
        "status": "degraded" if degraded else "ok",
        "service": "brain-gateway",
        "rate_limits": "per-process" if gateway.limiter.degraded else "shared",
        "upstreams": upstreams,
    }


def readiness(gateway: Gateway) -> dict[str, Any]:
    if not gateway.started:
        return {"status": "unavailable", "service": "brain-gateway", "checks": {}}
    redis = "unreachable: rate limiting per process" if gateway.limiter.degraded else "ok"
    return {"status": "ready", "service": "brain-gateway", "checks": {"redis": redis}}
