"""What each step of a gateway request costs alone, and what the obvious alternatives would.

Measured in-process, sequentially, on a started :class:`~bizosaas.gateway.app.Gateway`
(its own verifier, Redis client, limiter and secret), against the real Valkey.
The alternatives are not in the gateway; they are here to put numbers on the
suggestions: a verified-token cache instead of a signature check per request,
one Redis round trip instead of two (a pipeline, or one Lua script doing the
session read and the rate limit), and the client library's own share of a round
trip (a PING over a bare socket; a client without a socket timeout).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import jwt
from redis.asyncio import Redis

from bench._gateway_stack import (
    ROUTE,
    UPSTREAM,
)
from bizosaas.core.gateway_proof import sign
from bizosaas.core.logging import configure_logging, request_id_var
from bizosaas.core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from bizosaas.core.middleware import access_log
from bizosaas.core.settings import Settings
from bizosaas.gateway.app import UPSTREAM_LATENCY, Gateway
from bizosaas.gateway.ratelimit import GCRA

# The session read and the GCRA in one script: one round trip for both checks.
SESSION_AND_RATE = (
    "local function gcra()\n"
    + GCRA.replace("KEYS[1]", "KEYS[2]")
    + "end\nlocal session = redis.call('HGETALL', KEYS[1])\nreturn {session, gcra()}\n"
)
PATH = ROUTE + "/leaderboards/weekly"


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Timing:
    name: str
    micros: list[float]  # sorted

    @property
    def p50(self) -> float:
        return percentile(self.micros, 50)

    @property
    def p99(self) -> float:
        return percentile(self.micros, 99)

    @property
    def mean(self) -> float:
        return sum(self.micros) / len(self.micros) if self.micros else math.nan


@contextlib.contextmanager
def access_log_written(settings: Settings) -> Iterator[None]:
    """Logging at INFO into /dev/null: the access log line is rendered, but not shown."""
    with open(os.devnull, "w") as sink:
        with contextlib.redirect_stderr(sink):
            configure_logging("INFO", json=True)  # its handler keeps the stderr of this moment
        try:
            yield
        finally:
            configure_logging(settings.log_level, settings.log_json)


async def timed(name: str, step: Callable[[], Awaitable[object]], iterations: int) -> Timing:
    for _ in range(max(100, iterations // 10)):
        await step()
    micros = []
    clock = time.perf_counter_ns
    for _ in range(iterations):
        began = clock()
        await step()
        micros.append((clock() - began) / 1000)
    return Timing(name, sorted(micros))


async def _raw_socket(redis: Redis) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    kwargs = redis.connection_pool.connection_kwargs
    return await asyncio.open_connection(kwargs.get("host", "127.0.0.1"), kwargs.get("port", 6379))


async def step_costs(gateway: Gateway, token: str, iterations: int) -> list[Timing]:
    """Each step of a gateway request, alone, as the gateway does it; then the alternatives."""
    verifier, limiter, redis = gateway.resolver.verifier, gateway.limiter, gateway.limiter.redis
    claims = await verifier.decode(token)
    session_id, tenant_id = uuid.UUID(claims["session_id"]), uuid.UUID(claims["tenant_id"])
    session_key = verifier.sessions._session_key(session_id)
    rate_name = f"bench-steps:{tenant_id}"
    rate_key = limiter.keys("ratelimit", rate_name)
    rate_args = [3600 * 1e6 / 1e9, 3600 * 1e6]  # interval and tolerance for 1e9 an hour
    identity = {"x-request-id": uuid.uuid4().hex, "x-tenant-id": str(tenant_id)}
    signed, _, signature = token.rpartition(".")
    kid = str(jwt.get_unverified_header(token)["kid"])
    public_key = (await verifier.keys())[kid].public_key
    raw_signature = base64.urlsafe_b64decode(signature + "==")
    combined = redis.register_script(SESSION_AND_RATE)
    reader, writer = await _raw_socket(redis)
    # The same client without a socket timeout: on Python 3.11 redis-py then writes each
    # command directly instead of in an ``asyncio.wait_for`` task of its own.
    untimed = Redis.from_url(gateway.settings.redis_url, decode_responses=True, socket_timeout=None)
    verified: dict[str, tuple[float, dict[str, object]]] = {token: (claims["exp"], claims)}

    async def ed25519_only() -> None:
        public_key.verify(raw_signature, signed.encode())

    async def cached_claims() -> dict[str, object]:
        # A verified-token cache: the same token comes back on every request for 30 min.
        expires, found = verified[token]
        if expires <= time.time():
            raise RuntimeError("expired")
        return found

    async def raw_ping() -> bytes:
        writer.write(b"PING\r\n")
        return await reader.readline()

    async def pipeline_raw() -> object:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(session_key)
            pipe.evalsha(limiter._script.sha, 1, rate_key, *rate_args)
            return await pipe.execute()

    async def pipeline_script() -> object:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(session_key)
            await limiter._script(keys=[rate_key], args=rate_args, client=pipe)
            return await pipe.execute()  # redis-py sends SCRIPT EXISTS first: 2 round trips

    async def log_line() -> None:
        access_log.info(
            "request",
            service="brain-gateway",
            method="GET",
            path=PATH,
            route=ROUTE,
            status=200,
            duration_ms=0.42,
            tenant_id=str(tenant_id),
            user_id=claims["sub"],
            upstream=UPSTREAM,
        )

    async def metrics() -> None:
        HTTP_REQUESTS.labels("brain-gateway", ROUTE, "GET", "200").inc()
        HTTP_LATENCY.labels("brain-gateway", ROUTE).observe(0.0004)
        UPSTREAM_LATENCY.labels(ROUTE, UPSTREAM).observe(0.0002)

    async def proof() -> str:
        return str(sign(gateway.secret, "GET", PATH, identity))

    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("verify(): JWT + HGETALL session", lambda: verifier.verify(token)),
        ("  JWT decode (pyjwt) + EdDSA verify", lambda: verifier.decode(token)),
        ("    Ed25519 signature check alone", ed25519_only),
        ("  HGETALL session (redis-py)", lambda: verifier.sessions.get(session_id)),
        ("  alt: verified-token cache hit", cached_claims),
        ("tenant directory get (cached 5 s)", lambda: gateway.tenants.get(tenant_id)),
        ("rate limit: EVALSHA GCRA (redis-py)", lambda: limiter.hit(rate_name, 10**9, 3600)),
        ("HMAC gateway proof", proof),
        ("prometheus: 2 observe + 1 inc", metrics),
        ("access log line, level WARNING", log_line),
        ("alt: Redis PING (redis-py)", lambda: redis.ping()),  # type: ignore[misc]
        ("alt: Redis PING (bare socket)", raw_ping),
        ("alt: HGETALL, raw reply (redis-py)", lambda: redis.hgetall(session_key)),  # type: ignore[misc]
        ("alt: HGETALL, socket_timeout=None", lambda: untimed.hgetall(session_key)),  # type: ignore[misc]
        ("alt: HGETALL+EVALSHA, 1 pipeline", pipeline_raw),
        ("alt: same via Script (+SCRIPT EXISTS)", pipeline_script),
        (
            "alt: one Lua script, session + GCRA",
            lambda: combined([session_key, rate_key], rate_args),
        ),
    ]
    found: list[Timing] = []
    request_id = request_id_var.set(identity["x-request-id"])
    try:
        for name, step in steps:
            found.append(await timed(name, step, iterations))
        with access_log_written(gateway.settings):
            found.append(await timed("access log line, level INFO (JSON)", log_line, iterations))
    finally:
        request_id_var.reset(request_id)
        writer.close()
        await untimed.aclose()
        await redis.delete(rate_key)
    return found
