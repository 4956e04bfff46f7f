"""Auth service benchmark: token verification, login and refresh under load, memory.

Everything is real and local. PostgreSQL, Valkey and OpenBao start from
``bizosaas.stack`` in a temporary directory on free ports (or come from the same
``BIZOSAAS_TEST_*`` variables as the tests); the auth service runs in its own
uvicorn process (``bench/auth_server.py``); an aiohttp client drives it over
127.0.0.1, one keep-alive connection per client::

    .venv/bin/python bench/auth.py                 # full run, about three minutes
    .venv/bin/python bench/auth.py --quick         # smoke run, about one minute
    .venv/bin/python bench/auth.py --seconds 30 --workers 2 --pool-size 20
    .venv/bin/python bench/auth.py --profile /tmp/auth-profile   # py-spy the service

Figures: (1) ``TokenVerifier.verify`` in-process and sequential, Redis session
check included, with its two halves measured apart; (2) login by 10 concurrent
clients, each with its own users so throttling never applies; (3) refresh by 50
concurrent clients, each rotating its own session with the token it got last;
(4) RSS of the service after the load. Login and refresh are also measured with
a single client (the cost of one request, without queueing), ``GET /health``
gives the floor of client and server, and a second table gives the CPU time each
process spent per request, including any other process on the machine: on two
cores that tells what a latency is made of, and whether the run was disturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

import bizosaas
from bench._auth_load import (
    GatewayHeaders,
    HealthClient,
    LoginClient,
    RefreshClient,
    Sample,
    drive,
    http_session,
    sign_in,
    timed_loop,
)
from bench._auth_procs import (
    AuthService,
    CpuMeter,
    profiling,
)
from bench._auth_report import (
    Report,
    Row,
    render,
    verdict,
)
from bench._auth_stack import (
    PASSWORD,
    bench_settings,
    create_users,
    gateway_secret,
    running_servers,
)
from bench._harness import HAS_HTTPTOOLS, HAS_UVLOOP, LOOPBACK, bench_run, progress
from bizosaas.auth.context import AuthContext
from bizosaas.auth.sessions.clients import ClientInfo
from bizosaas.auth.sessions.service import SessionService, password_helper
from bizosaas.core.database import Database
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.stack.isolated import Servers

LOGIN_CLIENTS = 10
REFRESH_CLIENTS = 50
USERS_PER_LOGIN_CLIENT = 5
VERIFY_TARGET_P99_MS = 1.0
REFRESH_TARGET_P95_MS = 20.0


async def measure_verify(
    settings: Settings, email: str, iterations: int, seconds: float, cpu: CpuMeter
) -> list[Row]:
    """The platform's one verification function, as every service and the gateway call it."""
    progress(f"verifying a token {iterations} times in-process")
    runtime = Runtime.create(settings, database_url=settings.database_url)
    try:
        auth = await AuthContext.start(runtime)
        tokens = await SessionService(auth).login(
            email, PASSWORD, None, ClientInfo(LOOPBACK, "bench/verify")
        )
        verifier, token, session_id = auth.verifier, tokens.access_token, tokens.session_id
        warmup = max(200, iterations // 10)

        async def loop(name: str, call: Callable[[], Awaitable[object]]) -> Sample:
            return await timed_loop(name, call, iterations, warmup, seconds, cpu)

        verify = await loop("verify", lambda: verifier.verify(token))
        decode = await loop("decode", lambda: verifier.decode(token))
        lookup = await loop("lookup", lambda: verifier.sessions.get(session_id))
    finally:
        await runtime.close()
    return [
        Row(
            "1 verify() incl. Redis, in-process",
            verify,
            verdict(verify, 99, VERIFY_TARGET_P99_MS),
            in_cpu_table=True,
        ),
        Row("    of which: JWT decode only", decode),
        Row("    of which: Redis HGETALL only", lookup),
    ]


# -- the run -----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    seconds: float
    verify_iterations: int
    workers: int
    pool_size: int | None
    gateway_proof: bool
    profile_dir: Path | None

    @property
    def health_seconds(self) -> float:
        return min(5.0, self.seconds)


async def profiled(
    options: Options, service: AuthService, phase: str, work: Awaitable[Sample]
) -> Sample:
    out = options.profile_dir / f"{phase}.txt" if options.profile_dir else None
    with profiling(service, out, options.seconds + 15):
        return await work


async def measure_service(
    options: Options,
    service: AuthService,
    http: aiohttp.ClientSession,
    cpu: CpuMeter,
    emails: list[str],
) -> list[Row]:
    """Health (the client's floor), login and refresh over HTTP, unloaded and under load."""
    gateway = GatewayHeaders(await gateway_secret(service.settings))
    login_emails, refresh_emails = emails[:-REFRESH_CLIENTS], emails[-REFRESH_CLIENTS:]
    short = options.health_seconds

    progress("GET /health: the client's own overhead")
    health_one = await drive("health", [HealthClient(http)], seconds=short, warmup=200, cpu=cpu)
    health_clients = [HealthClient(http) for _ in range(REFRESH_CLIENTS)]
    health_many = await drive("health", health_clients, seconds=short, warmup=20, cpu=cpu)

    progress(f"login, 1 then {LOGIN_CLIENTS} clients")
    login_one = await drive(
        "login", [LoginClient(http, gateway, login_emails[:1])], seconds=short, warmup=1, cpu=cpu
    )
    login_clients = [
        LoginClient(http, gateway, login_emails[i::LOGIN_CLIENTS]) for i in range(LOGIN_CLIENTS)
    ]
    login = await profiled(
        options,
        service,
        "login",
        drive("login", login_clients, seconds=options.seconds, warmup=1, cpu=cpu),
    )

    progress(f"signing in {REFRESH_CLIENTS} users, then refresh with 1 and {REFRESH_CLIENTS}")
    gate = asyncio.Semaphore(LOGIN_CLIENTS)

    async def session_for(email: str) -> RefreshClient:
        async with gate:
            return RefreshClient(http, gateway, email, await sign_in(http, gateway, email))

    refresh_clients = await asyncio.gather(*map(session_for, refresh_emails))
    refresh_one = await drive("refresh", refresh_clients[:1], seconds=short, warmup=20, cpu=cpu)
    refresh = await profiled(
        options,
        service,
        "refresh",
        drive("refresh", refresh_clients, seconds=options.seconds, warmup=5, cpu=cpu),
    )
    return [
        Row("  client floor: GET /health", health_one),
        Row("  client floor: GET /health", health_many, in_cpu_table=True),
        Row("2 login, unloaded", login_one, "(argon2 alone)"),
        Row(
            "2 login  POST /api/v1/auth/login",
            login,
            f"no failures: {'PASS' if login.failed == 0 and login.ok else 'MISS'}",
            in_cpu_table=True,
        ),
        Row("3 refresh, unloaded", refresh_one),
        Row(
            "3 refresh POST /api/v1/auth/refresh",
            refresh,
            verdict(refresh, 95, REFRESH_TARGET_P95_MS),
            in_cpu_table=True,
        ),
    ]


async def run_benchmark(options: Options, servers: Servers, root: Path) -> Report:
    async with bench_settings(
        servers, pool_size=options.pool_size, require_gateway=options.gateway_proof
    ) as settings:
        emails = await create_users(
            settings, 1 + LOGIN_CLIENTS * USERS_PER_LOGIN_CLIENT + REFRESH_CLIENTS
        )
        cpu = CpuMeter(servers.pids)
        rows = await measure_verify(
            settings, emails[0], options.verify_iterations, max(options.seconds, 10.0), cpu
        )
        service = AuthService(settings, workers=options.workers, log_file=root / "auth.log")
        service.start()
        try:
            async with http_session(service.base_url, REFRESH_CLIENTS) as http:
                await service.wait_ready(http)
                memory_idle = service.memory()
                cpu.watch_service(service)
                rows += await measure_service(options, service, http, cpu, emails[1:])
                memory_loaded = service.memory()
        finally:
            service.stop()
            service_log = service.log_file.read_text(errors="replace")[-4000:]

    header = [
        f"BizOSaaS auth benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'uvloop' if HAS_UVLOOP else 'asyncio'} + {'httptools' if HAS_HTTPTOOLS else 'h11'}, "
        f"{options.workers} uvicorn worker(s), DB pool {_pool_description(settings)}",
        f"client: aiohttp {aiohttp.__version__}, keep-alive, one connection per client, "
        + (
            "requests signed as the Brain Gateway signs them"
            if settings.require_gateway
            else "unsigned (--no-gateway-proof)"
        )
        + f"; password hash: {_hash_parameters()}",
        f"servers: {servers.description}; bizosaas from {Path(bizosaas.__file__).parent}",
    ]
    return Report(header, rows, memory_idle, memory_loaded, service_log)


def _pool_description(settings: Settings) -> str:
    """The pool the service builds from these settings (nothing connects here)."""
    pool = Database(settings.database_url, settings.database_pool_size).engine.pool
    size = getattr(pool, "size", lambda: "?")()
    return f"{size} + {getattr(pool, '_max_overflow', '?')} overflow per process"


def _hash_parameters() -> str:
    sample = password_helper.hash("x" * 12)
    return str(sample).rsplit("$", 2)[0]  # "$argon2id$v=19$m=...,t=...,p=..."


# -- entry point ---------------------------------------------------------------


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--seconds", type=float, help="length of each load phase (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    parser.add_argument("--pool-size", type=int, help="BIZOSAAS_DATABASE_POOL_SIZE (default 10)")
    parser.add_argument(
        "--no-gateway-proof",
        action="store_true",
        help="let the service accept unsigned calls (default: sign each one as the gateway does)",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of the service here")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 20.0)
    if seconds <= 0 or args.workers < 1:
        parser.error("--seconds and --workers must be positive")
    return Options(
        seconds=seconds,
        verify_iterations=5_000 if args.quick else 20_000,
        workers=args.workers,
        pool_size=args.pool_size,
        gateway_proof=not args.no_gateway_proof,
        profile_dir=args.profile.resolve() if args.profile else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    with bench_run("bench") as (root, runner), running_servers(root) as servers:
        report = runner.run(run_benchmark(options, servers, root))
        print(render(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
