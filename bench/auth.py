"""Auth service benchmark: token verification, login and refresh under load, memory.

Everything is real and local. PostgreSQL, Valkey and OpenBao start from
``bizosaas.stack`` in a temporary directory on free ports (or come from the same
``BIZOSAAS_TEST_*`` variables as the tests); the auth service runs in its own
uvicorn process; an aiohttp client drives it over 127.0.0.1::

    .venv/bin/python bench/auth.py                 # full run, about two minutes
    .venv/bin/python bench/auth.py --quick         # smoke run
    .venv/bin/python bench/auth.py --seconds 30 --workers 2 --pool-size 20

Figures: (1) ``TokenVerifier.verify`` in-process and sequential, Redis session
check included, with its two halves measured apart; (2) login at 10 concurrent
clients, each with its own users so throttling never applies; (3) refresh at 50
concurrent clients, each rotating its own session; (4) RSS of the service after
the load. Also the client's own cost (``GET /health``) and the CPU time each
process spends per request, which tells what a latency is made of on a small box.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import aiohttp
import orjson
import psutil

import bizosaas
from bizosaas.auth.bootstrap import ensure_user
from bizosaas.auth.constants import Role
from bizosaas.auth.context import AuthContext
from bizosaas.auth.models import Tenant, User
from bizosaas.auth.service import ClientInfo, SessionService, password_helper
from bizosaas.core.database import Database, Scope
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings
from bizosaas.migrations.runner import upgrade
from bizosaas.stack import (
    EmbeddedOpenBao,
    EmbeddedPostgres,
    EmbeddedValkey,
    StackPorts,
    free_tcp_port,
)
from bizosaas.stack.provision import drop_database, provision_database, with_credentials

REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
PASSWORD = "Quiet-Meadow-Lantern-93"
LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
LOGIN_CLIENTS = 10
REFRESH_CLIENTS = 50
USERS_PER_LOGIN_CLIENT = 5
REQUEST_TIMEOUT = 30.0
RECOVERY_ATTEMPTS = 3
MAX_REQUESTS_PER_CLIENT = 1_000_000  # the phase's time bound ends it long before
VERIFY_TARGET_P99_MS = 1.0
REFRESH_TARGET_P95_MS = 20.0
DISTURBED_CORES = 0.15  # CPU used outside the benchmark above which figures are suspect


def _module_available(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


HAS_UVLOOP = _module_available("uvloop")
HAS_HTTPTOOLS = _module_available("httptools")


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


# -- figures -----------------------------------------------------------------


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


@dataclass
class Memory:
    rss_mb: float
    peak_mb: float  # VmHWM: the high-water mark since the process started


@dataclass
class Report:
    header: list[str]
    verify: Sample
    decode: Sample
    lookup: Sample
    health_one: Sample
    health_many: Sample
    login: Sample
    refresh: Sample
    memory_idle: Memory
    memory_loaded: Memory
    service_log: str  # the tail of the service's own output, shown when requests failed


# -- servers -----------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    admin_url: str
    redis_url: str
    vault_addr: str
    vault_token: str
    pids: dict[str, int]  # the servers started here, for CPU accounting
    description: str


@contextlib.contextmanager
def running_servers(root: Path) -> Iterator[Servers]:
    """PostgreSQL, Valkey and OpenBao: named in the environment, or started here."""
    ports = StackPorts.ephemeral()
    started: list[EmbeddedPostgres | EmbeddedValkey | EmbeddedOpenBao] = []
    pids: dict[str, int] = {}
    try:
        admin_url = os.environ.get("BIZOSAAS_TEST_DATABASE_ADMIN_URL")
        if not admin_url:
            progress("starting PostgreSQL")
            postgres = EmbeddedPostgres(root / "postgres", ports.postgres)
            started.append(postgres)
            postgres.start()
            admin_url = postgres.admin_url
            pids["postgres"] = postgres.pid or 0
        redis_url = os.environ.get("BIZOSAAS_TEST_REDIS_URL")
        if not redis_url:
            progress("starting Valkey")
            valkey = EmbeddedValkey(root / "valkey", ports.redis)
            started.append(valkey)
            valkey.start()
            redis_url = valkey.url
            pids["valkey"] = valkey.pid or 0
        vault_addr = os.environ.get("BIZOSAAS_TEST_VAULT_ADDR")
        vault_token = os.environ.get("BIZOSAAS_TEST_VAULT_TOKEN", "")
        if not vault_addr:
            progress("starting OpenBao")
            bao = EmbeddedOpenBao(root / "openbao", ports.vault, dev=True)
            started.append(bao)
            bao.start()
            vault_addr, vault_token = bao.addr, bao.token
        names = [type(s).__name__.removeprefix("Embedded") for s in started]
        description = f"started here: {', '.join(names) or 'none'}"
        if len(names) < 3:
            description += "; the others named by BIZOSAAS_TEST_* variables"
        yield Servers(admin_url, redis_url, vault_addr, vault_token, pids, description)
    finally:
        for server in reversed(started):
            with contextlib.suppress(Exception):  # stop the others even if one is stuck
                server.stop()


@contextlib.asynccontextmanager
async def bench_settings(servers: Servers, pool_size: int | None) -> AsyncIterator[Settings]:
    """A database of its own (provisioned and migrated), Redis prefix and Vault path."""
    run = uuid.uuid4().hex[:8]
    database = f"bizosaas_bench_{run}"
    owner, app_role = "bizosaas_bench_owner", "bizosaas_bench_app"
    owner_password, app_password = f"owner-{run}", f"app-{run}"
    progress(f"provisioning and migrating database {database}")
    await provision_database(
        servers.admin_url, database, owner, owner_password, app_role, app_password
    )
    try:
        owner_url = with_credentials(servers.admin_url, owner, owner_password, database)
        app_url = with_credentials(servers.admin_url, app_role, app_password, database)
        await asyncio.to_thread(upgrade, "bizosaas", owner_url)
        extra: dict[str, Any] = {} if pool_size is None else {"database_pool_size": pool_size}
        settings = Settings(
            environment="test",
            database_url=app_url,
            migration_database_url=owner_url,
            redis_url=servers.redis_url,
            redis_prefix=f"bizosaas-bench-{run}",
            vault_addr=servers.vault_addr,
            vault_token=servers.vault_token,
            vault_path=f"bizosaas-bench-{run}",
            log_level="WARNING",
            log_json=True,
            **extra,
        )
        try:
            yield settings
        finally:
            await _forget_redis_keys(settings)
    finally:
        await drop_database(servers.admin_url, database)


async def _forget_redis_keys(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        batch: list[str] = []
        async for key in runtime.redis.scan_iter(match=f"{settings.redis_prefix}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await runtime.redis.delete(*batch)
                batch.clear()
        if batch:
            await runtime.redis.delete(*batch)
    finally:
        await runtime.close()


async def create_users(settings: Settings, count: int) -> list[str]:
    """A tenant and `count` users; one argon2 hash (the slow part) serves them all."""
    progress(f"creating a tenant and {count} users")
    database = Database(settings.database_url, pool_size=1)
    emails = [f"bench-{i:04d}@example.com" for i in range(count)]
    try:
        async with database.transaction(Scope.platform_wide()) as db:
            tenant = Tenant(id=uuid.uuid4(), slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
            db.add(tenant)
            await db.flush()
            first, _ = await ensure_user(db, emails[0], PASSWORD, Role.USER, tenant, "Bench User")
            db.add_all(
                User(
                    id=uuid.uuid4(),
                    email=email,
                    full_name="Bench User",
                    tenant_id=tenant.id,
                    role=first.role,
                    permissions=list(first.permissions),
                    allowed_platforms=list(first.allowed_platforms),
                    hashed_password=first.hashed_password,
                    is_active=True,
                    is_verified=True,
                    is_superuser=False,
                )
                for email in emails[1:]
            )
    finally:
        await database.dispose()
    return emails


# -- the auth service in its own process ---------------------------------------


def _cpu_seconds(root: psutil.Process, *, with_children: bool) -> float:
    """CPU time of a process, plus (when asked) its live and already reaped children."""
    try:
        times = root.cpu_times()
    except psutil.Error:
        return 0.0
    total = float(times.user + times.system)
    if not with_children:
        return total
    total += float(times.children_user + times.children_system)
    with contextlib.suppress(psutil.Error):
        for child in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child_times = child.cpu_times()
                total += float(child_times.user + child_times.system)
    return total


def _peak_rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return math.nan


class AuthService:
    """``uvicorn bench.auth_server:create_app`` on a free loopback port."""

    def __init__(self, settings: Settings, *, workers: int, log_file: Path) -> None:
        self.settings = settings
        self.workers = workers
        self.log_file = log_file
        self.port = free_tcp_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._known: dict[int, psutil.Process] = {}

    def _environment(self) -> dict[str, str]:
        # Only our settings: stray DATABASE_URL-style variables would take precedence.
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("BIZOSAAS_")
            and name not in ("DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "VAULT_TOKEN")
        }
        for name, value in self.settings.model_dump(mode="json").items():
            if value is not None:  # lists and the like as JSON, as pydantic-settings reads them
                encoded = value if isinstance(value, str) else orjson.dumps(value).decode()
                env[f"BIZOSAAS_{name.upper()}"] = encoded
        return env

    def start(self) -> None:
        argv = [
            sys.executable,
            *("-m", "uvicorn", "--factory", "bench.auth_server:create_app"),
            *("--app-dir", str(REPO), "--host", LOOPBACK, "--port", str(self.port)),
            *("--workers", str(self.workers), "--lifespan", "on"),
            *("--loop", "uvloop" if HAS_UVLOOP else "asyncio"),
            *("--http", "httptools" if HAS_HTTPTOOLS else "h11"),
            *("--log-level", "warning", "--no-access-log"),
        ]
        progress(f"starting the auth service on port {self.port} ({self.workers} worker(s))")
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    async def wait_ready(self, http: aiohttp.ClientSession, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get("/ready") as response:
                    await response.read()
                    if response.status == 200:
                        self.processes()  # remember the workers, to stop them by pid
                        return
            await asyncio.sleep(0.2)
        tail = self.log_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the auth service did not become ready:\n{tail}")

    def processes(self) -> list[psutil.Process]:
        """The uvicorn process and its workers (when there are several)."""
        if self._proc is None:
            return []
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self._proc.pid)
            found = [root, *root.children(recursive=True)]
            self._known.update((p.pid, p) for p in found)
            return found
        return []

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(p, with_children=False) for p in self.processes())

    def memory(self) -> Memory:
        # One process, or a supervisor plus its workers: what the service costs in all.
        processes = self.processes()
        rss = sum(p.memory_info().rss for p in processes) / 2**20
        return Memory(rss, sum(_peak_rss_mb(p.pid) for p in processes))

    def stop(self) -> None:
        if self._proc is None:
            return
        self.processes()
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        for process in self._known.values():  # workers orphaned by a killed supervisor
            with contextlib.suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    process.kill()
        self._proc = None


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class CpuMeter:
    """CPU seconds of this client, the service, the servers started here and everything else.

    "other" is what the rest of the machine did meanwhile: when it is not near zero,
    something outside the benchmark competed for the cores and the figures suffer.
    """

    COMPONENTS = ("client", "auth", "postgres", "valkey", "other")

    def __init__(self, server_pids: dict[str, int]) -> None:
        me = psutil.Process()
        # The client's own time only: its children are the servers, counted apart.
        self.sources: dict[str, Callable[[], float]] = {
            "client": lambda: _cpu_seconds(me, with_children=False)
        }
        for name, pid in server_pids.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                self.sources[name] = functools.partial(_cpu_seconds, process, with_children=True)

    def watch_service(self, service: AuthService) -> None:
        self.sources["auth"] = service.cpu_seconds

    def snapshot(self) -> dict[str, float]:
        totals = {name: source() for name, source in self.sources.items()}
        totals["machine"] = _machine_busy_seconds()
        return totals

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        spent = {name: after[name] - before[name] for name in before if name != "machine"}
        machine = after["machine"] - before["machine"]
        spent["other"] = max(0.0, machine - sum(spent.values()))
        return spent


# -- clients -----------------------------------------------------------------


class Failure(Exception):
    pass


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


async def post_json(http: aiohttp.ClientSession, path: str, payload: dict[str, str]) -> bytes:
    async with http.post(
        path, data=orjson.dumps(payload), headers={"Content-Type": "application/json"}
    ) as response:
        body = await response.read()
        if response.status != 200:
            raise Failure(f"HTTP {response.status}")
        return body


async def sign_in(http: aiohttp.ClientSession, email: str) -> str:
    """Log in over HTTP; returns the refresh token."""
    body = orjson.loads(await post_json(http, LOGIN_PATH, {"email": email, "password": PASSWORD}))
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

    def __init__(self, http: aiohttp.ClientSession, emails: list[str]) -> None:
        self.http = http
        self.emails = emails
        self.turn = 0

    async def step(self) -> None:
        email = self.emails[self.turn % len(self.emails)]
        self.turn += 1
        await post_json(self.http, LOGIN_PATH, {"email": email, "password": PASSWORD})

    async def recover(self) -> None:
        return None


class RefreshClient:
    """Rotates its own session: each refresh presents the token the previous one returned."""

    def __init__(self, http: aiohttp.ClientSession, email: str, refresh_token: str) -> None:
        self.http = http
        self.email = email
        self.token: str | None = refresh_token

    async def step(self) -> None:
        presented, self.token = self.token, None  # unknown until the answer arrives
        if presented is None:
            raise Failure("no session")
        body = await post_json(self.http, REFRESH_PATH, {"refresh_token": presented})
        self.token = str(orjson.loads(body)["refresh_token"])

    async def recover(self) -> None:
        # A failed refresh may have used the token up (or ended the session): sign in anew.
        for attempt in range(RECOVERY_ATTEMPTS):
            if self.token is not None:
                return
            try:
                self.token = await sign_in(self.http, self.email)
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


# -- in-process verification -------------------------------------------------


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


async def measure_verify(
    settings: Settings, email: str, iterations: int, seconds: float, cpu: CpuMeter
) -> tuple[Sample, Sample, Sample]:
    """The platform's one verification function, as every service and the gateway call it."""
    progress(f"verifying a token {iterations} times in-process")
    runtime = Runtime.create(settings, database_url=settings.database_url)
    try:
        auth = await AuthContext.start(runtime)
        tokens = await SessionService(auth).login(
            email, PASSWORD, None, ClientInfo(LOOPBACK, "bench/verify")
        )
        verifier, token = auth.verifier, tokens.access_token
        warmup = max(200, iterations // 10)
        verify = await timed_loop(
            "verify", lambda: verifier.verify(token), iterations, warmup, seconds, cpu
        )
        decode = await timed_loop(
            "decode", lambda: verifier.decode(token), iterations, warmup, seconds, cpu
        )
        lookup = await timed_loop(
            "lookup",
            lambda: verifier.sessions.get(tokens.session_id),
            iterations,
            warmup,
            seconds,
            cpu,
        )
    finally:
        await runtime.close()
    return verify, decode, lookup


# -- the run -----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    seconds: float
    verify_iterations: int
    workers: int
    pool_size: int | None
    profile_dir: Path | None

    @property
    def health_seconds(self) -> float:
        return min(5.0, self.seconds)


def _profiler(service: AuthService, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the service for one phase (its own CPU cost skews that phase's figures)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        progress("py-spy is not installed: no profile")
        return None
    pid = service.processes()[0].pid
    argv = [py_spy, "record", "--pid", str(pid), "--duration", str(math.ceil(seconds))]
    argv += ["--rate", "200", "--format", "raw", "--subprocesses", "--nonblocking", "-o", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def profiled(
    options: Options, service: AuthService, phase: str, work: Awaitable[Sample]
) -> Sample:
    spy = None
    if options.profile_dir is not None:
        options.profile_dir.mkdir(parents=True, exist_ok=True)
        spy = _profiler(service, options.profile_dir / f"{phase}.txt", options.seconds + 15)
    try:
        return await work
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes what it has so far
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(timeout=5)


async def run_benchmark(options: Options, servers: Servers, root: Path) -> Report:
    login_users = LOGIN_CLIENTS * USERS_PER_LOGIN_CLIENT
    async with bench_settings(servers, options.pool_size) as settings:
        emails = await create_users(settings, 1 + login_users + REFRESH_CLIENTS)
        cpu = CpuMeter(servers.pids)
        verify, decode, lookup = await measure_verify(
            settings, emails[0], options.verify_iterations, max(options.seconds, 10.0), cpu
        )
        login_emails = emails[1 : 1 + login_users]
        refresh_emails = emails[1 + login_users :]

        service = AuthService(settings, workers=options.workers, log_file=root / "auth.log")
        service.start()
        try:
            async with http_session(service.base_url, REFRESH_CLIENTS) as http:
                await service.wait_ready(http)
                memory_idle = service.memory()
                cpu.watch_service(service)

                progress("GET /health: the client's own overhead")
                health_one = await drive(
                    "health",
                    [HealthClient(http)],
                    seconds=options.health_seconds,
                    warmup=200,
                    cpu=cpu,
                )
                health_many = await drive(
                    "health",
                    [HealthClient(http) for _ in range(REFRESH_CLIENTS)],
                    seconds=options.health_seconds,
                    warmup=20,
                    cpu=cpu,
                )

                progress(f"login, {LOGIN_CLIENTS} clients, {options.seconds:g}s")
                login_clients = [
                    LoginClient(http, login_emails[i::LOGIN_CLIENTS]) for i in range(LOGIN_CLIENTS)
                ]
                login = await profiled(
                    options,
                    service,
                    "login",
                    drive("login", login_clients, seconds=options.seconds, warmup=1, cpu=cpu),
                )

                progress(f"signing in {REFRESH_CLIENTS} users for the refresh phase")
                gate = asyncio.Semaphore(LOGIN_CLIENTS)

                async def session_for(email: str) -> RefreshClient:
                    async with gate:
                        return RefreshClient(http, email, await sign_in(http, email))

                refresh_clients = await asyncio.gather(*map(session_for, refresh_emails))
                progress(f"refresh, {REFRESH_CLIENTS} clients, {options.seconds:g}s")
                refresh = await profiled(
                    options,
                    service,
                    "refresh",
                    drive("refresh", refresh_clients, seconds=options.seconds, warmup=5, cpu=cpu),
                )
                memory_loaded = service.memory()
        finally:
            service.stop()
            service_log = service.log_file.read_text(errors="replace")[-4000:]

    header = [
        f"BizOSaaS auth benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'uvloop' if HAS_UVLOOP else 'asyncio'} + {'httptools' if HAS_HTTPTOOLS else 'h11'}, "
        f"{options.workers} uvicorn worker(s), DB pool {_pool_description(settings)}",
        f"password hash: {_hash_parameters()}; client: aiohttp {aiohttp.__version__}, "
        f"keep-alive, {REFRESH_CLIENTS} connections",
        f"servers: {servers.description}; bizosaas from {Path(bizosaas.__file__).parent}",
    ]
    return Report(
        header,
        verify,
        decode,
        lookup,
        health_one,
        health_many,
        login,
        refresh,
        memory_idle,
        memory_loaded,
        service_log,
    )


def _pool_description(settings: Settings) -> str:
    """The pool the service builds from these settings (nothing connects here)."""
    pool = Database(settings.database_url, settings.database_pool_size).engine.pool
    size = getattr(pool, "size", lambda: "?")()
    return f"{size} + {getattr(pool, '_max_overflow', '?')} overflow per process"


def _hash_parameters() -> str:
    sample = password_helper.hash("x" * 12)
    return str(sample).rsplit("$", 2)[0]  # "$argon2id$v=19$m=...,t=...,p=..."


# -- output ------------------------------------------------------------------


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def render(report: Report) -> str:
    def verdict(value: float, limit: float, what: str) -> str:
        return f"{what} <= {limit:g} ms: {'PASS' if value <= limit else 'MISS'}"

    rows: list[tuple[str, Sample, str]] = [
        (
            "1 verify() incl. Redis, in-process",
            report.verify,
            verdict(report.verify.p(99), VERIFY_TARGET_P99_MS, "p99"),
        ),
        ("    of which: JWT decode only", report.decode, ""),
        ("    of which: Redis HGETALL only", report.lookup, ""),
        ("  client overhead: GET /health", report.health_one, "(HTTP floor)"),
        ("  client overhead: GET /health", report.health_many, "(HTTP floor)"),
        ("2 login  POST /auth/login", report.login, "(argon2 bound)"),
        (
            "3 refresh POST /auth/refresh",
            report.refresh,
            verdict(report.refresh.p(95), REFRESH_TARGET_P95_MS, "p95"),
        ),
    ]
    head = (
        f"{'measure':<36} {'conc':>4} {'ok':>7} {'fail':>5} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target"
    )
    lines = [*report.header, "", head, "-" * len(head) + "-" * 22]
    for label, sample, target in rows:
        lines.append(
            f"{label:<36} {sample.clients:>4} {sample.ok:>7} {sample.failed:>5} "
            f"{_fmt(sample.rate, 0):>8} {_fmt(sample.p(50), 3):>8} {_fmt(sample.p(95), 3):>8} "
            f"{_fmt(sample.p(99), 3):>8}  {target}"
        )
    idle, loaded = report.memory_idle, report.memory_loaded
    lines.append(
        f"4 RSS of the auth service after the load: {loaded.rss_mb:.1f} MB "
        f"(after start-up {idle.rss_mb:.1f} MB, peak {loaded.peak_mb:.1f} MB)"
    )

    lines += [
        "",
        "CPU per successful request in ms, by process (2 cores give 2000 ms per second);",
        "'other' is the rest of the machine: when it is not near 0 the run was disturbed",
    ]
    components = [c for c in CpuMeter.COMPONENTS if c in report.refresh.cpu_s]
    cpu_head = (
        f"{'phase':<16}"
        + "".join(f"{c:>10}" for c in components)
        + f"{'ours':>10}{'cores':>8}{'other cores':>13}"
    )
    lines += [cpu_head, "-" * len(cpu_head)]
    disturbed: list[str] = []
    for sample in (report.verify, report.health_many, report.login, report.refresh):
        per = {c: sample.cpu_s.get(c, math.nan) * 1000 / max(sample.ok, 1) for c in components}
        ours = sum(v for c, v in sample.cpu_s.items() if c != "other")
        other_cores = sample.cpu_s.get("other", 0.0) / sample.elapsed_s
        if other_cores > DISTURBED_CORES:
            disturbed.append(f"{sample.name} ({other_cores:.2f} cores)")
        lines.append(
            f"{sample.name + ' c=' + str(sample.clients):<16}"
            + "".join(f"{_fmt(per[c]):>10}" for c in components if c != "other")
            + f"{_fmt(per['other']):>10}{ours * 1000 / max(sample.ok, 1):>10.2f}"
            + f"{ours / sample.elapsed_s:>8.2f}{other_cores:>13.2f}"
        )
    if disturbed:
        lines.append(f"! other processes competed for the CPU during: {', '.join(disturbed)}")

    failed = [s for s in (report.login, report.refresh, report.health_many) if s.failures]
    if failed:
        lines += ["", "failures:"]
        for sample in failed:
            for label, count in sample.failures.most_common():
                lines.append(f"  {sample.name}: {count} x {label}")
        if report.service_log.strip():
            lines += ["", "last lines of the service's log:", report.service_log.rstrip()]
    return "\n".join(lines)


# -- entry point ---------------------------------------------------------------


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--seconds", type=float, help="length of each load phase (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    parser.add_argument("--pool-size", type=int, help="BIZOSAAS_DATABASE_POOL_SIZE (default 10)")
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
        profile_dir=args.profile.resolve() if args.profile else None,
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so that every finally block stops what it started


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    root = Path(tempfile.mkdtemp(prefix="bizosaas-bench-"))
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if HAS_UVLOOP:
        import uvloop

        loop_factory = uvloop.new_event_loop
    try:
        with running_servers(root) as servers, asyncio.Runner(loop_factory=loop_factory) as runner:
            report = runner.run(run_benchmark(options, servers, root))
            print(render(report), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
