"""Load: clients that each run one kind of request in a loop, and the figures they yield."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
import orjson

from bench._auth_procs import CpuMeter
from bench._auth_stack import PASSWORD
from bench._harness import LOOPBACK
from bizosaas.core.gateway_proof import PROOF_HEADER, sign

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
REQUEST_TIMEOUT = 30.0
RECOVERY_ATTEMPTS = 3
MAX_REQUESTS_PER_CLIENT = 1_000_000  # the phase's time bound ends it long before


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Sample:
    """One measured phase: latencies of the successful requests, failures, CPU spent."""

    name: str
    clients: int
    latencies_ms: list[float]
    failures: Counter[str]
    elapsed_s: float
    cpu_s: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.latencies_ms.sort()

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


class Failure(Exception):
    pass


class GatewayHeaders:
    """What the Brain Gateway adds to an anonymous request it forwards, signed as it signs.

    Services refuse calls without the gateway's proof; with it, the service pays
    for checking it on every request, as it does in production.
    """

    def __init__(self, secret: bytes | None) -> None:
        self.secret = secret

    def __call__(self, method: str, path: str) -> dict[str, str]:
        if self.secret is None:
            return {}
        identity = {
            "x-request-id": uuid.uuid4().hex,
            "x-forwarded-for": LOOPBACK,
            "x-forwarded-proto": "http",
            "x-forwarded-host": "localhost",
        }
        identity[PROOF_HEADER] = sign(self.secret, method, path, identity)
        return identity


class BenchClient(Protocol):
    async def step(self) -> None:
        """One request; raises Failure (or a client error) when it did not succeed."""

    async def recover(self) -> None:
        """Get back into a state where `step` can succeed (after a failure)."""


def http_session(base_url: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=base_url,
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        cookie_jar=aiohttp.DummyCookieJar(),  # tokens travel in the body, as for API clients
    )


async def post_json(
    http: aiohttp.ClientSession, gateway: GatewayHeaders, path: str, payload: dict[str, str]
) -> bytes:
    headers = {"Content-Type": "application/json", **gateway("POST", path)}
    async with http.post(path, data=orjson.dumps(payload), headers=headers) as response:
        body = await response.read()
        if response.status != 200:
            raise Failure(f"HTTP {response.status} {_error_name(body)}".rstrip())
        return body


def _error_name(body: bytes) -> str:
    """The platform's error name (``{"error": "Unauthorized", ...}``), if the body has one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    return str(data.get("error", "")) if isinstance(data, dict) else ""


async def sign_in(http: aiohttp.ClientSession, gateway: GatewayHeaders, email: str) -> str:
    """Log in over HTTP; returns the refresh token."""
    credentials = {"email": email, "password": PASSWORD}
    body = orjson.loads(await post_json(http, gateway, LOGIN_PATH, credentials))
    return str(body["refresh_token"])


class HealthClient:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def step(self) -> None:
        async with self.http.get("/health") as response:
            await response.read()
            if response.status != 200:
                raise Failure(f"HTTP {response.status}")

    async def recover(self) -> None:
        return None


class LoginClient:
    """Signs in again and again, in turn as each of its own users."""

    def __init__(
        self, http: aiohttp.ClientSession, gateway: GatewayHeaders, emails: list[str]
    ) -> None:
        self.http = http
        self.gateway = gateway
        self.emails = emails
        self.turn = 0

    async def step(self) -> None:
        email = self.emails[self.turn % len(self.emails)]
        self.turn += 1
        credentials = {"email": email, "password": PASSWORD}
        await post_json(self.http, self.gateway, LOGIN_PATH, credentials)

    async def recover(self) -> None:
        return None


class RefreshClient:
    """Rotates its own session: each refresh presents the token the previous one returned."""

    def __init__(
        self, http: aiohttp.ClientSession, gateway: GatewayHeaders, email: str, refresh_token: str
    ) -> None:
        self.http = http
        self.gateway = gateway
        self.email = email
        self.token: str | None = refresh_token

    async def step(self) -> None:
        presented, self.token = self.token, None  # unknown until the answer arrives
        if presented is None:
            raise Failure("no session")
        body = await post_json(self.http, self.gateway, REFRESH_PATH, {"refresh_token": presented})
        self.token = str(orjson.loads(body)["refresh_token"])

    async def recover(self) -> None:
        # A failed refresh may have used the token up (or ended the session): sign in anew.
        for attempt in range(RECOVERY_ATTEMPTS):
            if self.token is not None:
                return
            try:
                self.token = await sign_in(self.http, self.gateway, self.email)
            except (Failure, aiohttp.ClientError, TimeoutError):
                if attempt == RECOVERY_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2)  # a connection the server closed after an error


async def drive(
    name: str,
    clients: Sequence[BenchClient],
    *,
    seconds: float,
    warmup: int,
    cpu: CpuMeter,
) -> Sample:
    """Run every client in a loop, first `warmup` unmeasured steps each, then for `seconds`."""
    failures: Counter[str] = Counter()
    latencies: list[float] = []

    async def attempt(client: BenchClient) -> float | None:
        started = time.perf_counter()
        try:
            await client.step()
        except (Failure, aiohttp.ClientError, TimeoutError) as exc:
            failures[str(exc) if isinstance(exc, Failure) else type(exc).__name__] += 1
        else:
            return (time.perf_counter() - started) * 1000
        try:
            await client.recover()
        except (Failure, aiohttp.ClientError, TimeoutError) as exc:
            failures[f"recovery failed: {str(exc) or type(exc).__name__}"] += 1
            raise
        return None

    async def run(client: BenchClient, steps: int, deadline: float, record: bool) -> None:
        with contextlib.suppress(Failure, aiohttp.ClientError, TimeoutError):
            for _ in range(steps):
                if time.perf_counter() >= deadline:
                    return
                elapsed = await attempt(client)
                if record and elapsed is not None:
                    latencies.append(elapsed)

    warm_deadline = time.perf_counter() + max(seconds, 10.0)
    await asyncio.gather(*(run(c, warmup, warm_deadline, False) for c in clients))
    warmup_failures = failures.copy()
    failures.clear()
    for label, count in warmup_failures.items():
        failures[f"warm-up: {label}"] = count

    before = cpu.snapshot()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(run(c, MAX_REQUESTS_PER_CLIENT, deadline, True) for c in clients))
    elapsed = time.perf_counter() - started
    spent = CpuMeter.spent(before, cpu.snapshot())
    return Sample(name, len(clients), latencies, failures, elapsed, spent)


async def timed_loop(
    name: str,
    call: Callable[[], Awaitable[object]],
    iterations: int,
    warmup: int,
    seconds: float,
    cpu: CpuMeter,
) -> Sample:
    for _ in range(warmup):
        await call()
    latencies: list[float] = []
    before = cpu.snapshot()
    started = time.perf_counter()
    deadline = started + seconds
    for _ in range(iterations):
        began = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - began) * 1000)
        if began >= deadline:
            break
    elapsed = time.perf_counter() - started
    return Sample(name, 1, latencies, Counter(), elapsed, CpuMeter.spent(before, cpu.snapshot()))
