"""Brain Gateway benchmark: the gateway against a bare Python proxy, and its own added latency.

Everything is real and local, on 127.0.0.1. Valkey and OpenBao (dev mode) start
from ``bizosaas.stack`` on free ports (or come from ``BIZOSAAS_TEST_REDIS_URL``,
``BIZOSAAS_TEST_VAULT_ADDR`` and ``BIZOSAAS_TEST_VAULT_TOKEN``); no PostgreSQL.
Three servers run in their own uvicorn processes (uvloop + httptools):

1. a trivial upstream answering a small JSON body;
2. a bare pass-through proxy to it (aiohttp client, no middleware): the floor;
3. the real gateway (``bizosaas.gateway.app.create_app``), whose route
   ``/api/v1/gamification`` (authenticate + tenantContext + rateLimit) points at
   the upstream, called with a real token of a live session.

A separate load-generator process (aiohttp, keep-alive) drives each at 1, 10 and
50 concurrent clients. Then (4) the one-process mode, in this process: the
upstream app mounted in the gateway, called directly and through the gateway::

    .venv/bin/python bench/gateway.py                  # about three minutes
    .venv/bin/python bench/gateway.py --quick          # smoke run
    .venv/bin/python bench/gateway.py --profile /tmp/gw  # and py-spy the gateway at 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `bizosaas` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench._gateway_inprocess import (
    measure_in_process,
)
from bench._gateway_procs import (
    CpuMeter,
    LoadGenerator,
    UvicornServer,
)
from bench._gateway_profile import (
    Profile,
    start_recording,
    stop_recording,
    summarise,
)
from bench._gateway_report import (
    Report,
    Row,
    render,
)
from bench._gateway_stack import (
    bench_settings,
    create_identity,
    forget_run,
    running_servers,
    settings_environment,
    write_routes,
)
from bench._gateway_steps import PATH
from bench._harness import HAS_HTTPTOOLS, HAS_UVLOOP, bench_run, progress
from bench.gateway_server import (
    ROUTES_VARIABLE,
    UPSTREAM_URL_VARIABLE,
)
from bizosaas.core.logging import configure_logging
from bizosaas.core.settings import Settings
from bizosaas.stack.isolated import Servers

CONCURRENCY = (1, 10, 50)


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup_seconds: float
    max_requests: int
    iterations: int
    log_level: str
    profile_dir: Path | None


class Bench:
    """The three servers, the load generator and the CPU meter of one run."""

    def __init__(self, settings: Settings, token: str, root: Path, servers: Servers) -> None:
        self.token = token
        base = settings_environment(settings)
        self.upstream = UvicornServer("upstream", "create_upstream", base, root / "upstream.log")
        self.routes = root / "routes.toml"
        self.proxy = UvicornServer(
            "bare proxy",
            "create_bare_proxy",
            {**base, UPSTREAM_URL_VARIABLE: self.upstream.url},
            root / "proxy.log",
        )
        self.gateway = UvicornServer(
            "gateway",
            "create_gateway",
            {**base, ROUTES_VARIABLE: str(self.routes)},
            root / "gateway.log",
        )
        self.load = LoadGenerator(root / "load.log")
        self.server_pids = servers.pids
        self.cpu: CpuMeter | None = None

    def start(self) -> None:
        write_routes(self.routes, self.upstream.url)
        for server, ready in ((self.upstream, "/health"), (self.proxy, "/health")):
            progress(f"starting the {server.name} on port {server.port}")
            server.start()
            server.wait_ready(ready)
        progress(f"starting the gateway on port {self.gateway.port}")
        self.gateway.start()
        self.gateway.wait_ready("/ready")
        self.load.start()
        pids = {"client": self.load.pid, "upstream": self.upstream.pid}
        pids |= {"proxy": self.proxy.pid, "gateway": self.gateway.pid, **self.server_pids}
        self.cpu = CpuMeter(pids)

    def stop(self) -> None:
        for process in (self.load, self.gateway, self.proxy, self.upstream):
            with contextlib.suppress(Exception):  # stop the others even if one is stuck
                process.stop()

    def phase(self, server: UvicornServer, clients: int, options: Options) -> Row:
        assert self.cpu is not None
        cpu = self.cpu
        spec = {
            "url": server.url + PATH,
            "headers": {"Authorization": f"Bearer {self.token}"},  # the same for every target
            "clients": clients,
            "seconds": options.seconds,
            "warmup_seconds": options.warmup_seconds,
            "max_requests": options.max_requests,
        }
        before: dict[str, float] = {}
        result = self.load.run(spec, lambda: before.update(cpu.snapshot()))
        after = cpu.snapshot()
        spent = {name: after[name] - before[name] for name in after}
        return Row(server.name, clients, result, spent)

    def profiled_phase(
        self, server: UvicornServer, name: str, options: Options
    ) -> tuple[Profile, float] | None:
        """One more phase at the highest concurrency, with py-spy on the server."""
        assert options.profile_dir is not None
        raw = options.profile_dir / f"{name}.txt"
        clients = CONCURRENCY[-1]
        progress(f"profiling the {server.name} at {clients} clients, {options.seconds:g}s")
        spy = start_recording(server.pid, raw, options.seconds + options.warmup_seconds)
        if spy is None:
            progress("py-spy is not installed (pip install py-spy): no profile")
            return None
        try:
            row = self.phase(server, clients, options)
        finally:
            stop_recording(spy)
        profile = summarise(f"{server.name} at {clients} clients (py-spy)", raw)
        process = "gateway" if server is self.gateway else "proxy"
        return None if profile is None else (profile, row.cpu_us_per_request(process))


def run_benchmark(options: Options, servers: Servers, root: Path, runner: asyncio.Runner) -> Report:
    settings = bench_settings(servers, options.log_level)
    configure_logging(settings.log_level, settings.log_json)  # the in-process gateway logs too
    bench: Bench | None = None
    try:
        progress("creating signing keys, a live session, its tenant and a token")
        token = runner.run(create_identity(settings))
        bench = Bench(settings, token, root, servers)
        bench.start()
        rows = []
        for clients in CONCURRENCY:
            for server in (bench.upstream, bench.proxy, bench.gateway):
                progress(f"{server.name}, {clients} client(s), {options.seconds:g}s")
                rows.append(bench.phase(server, clients, options))
        profiles = []
        if options.profile_dir is not None:
            options.profile_dir.mkdir(parents=True, exist_ok=True)
            for server, name in ((bench.gateway, "gateway"), (bench.proxy, "proxy")):
                found = bench.profiled_phase(server, name, options)
                if found is not None:
                    profiles.append(found)
        progress(f"one-process mode: {options.iterations} sequential calls each way")
        in_process = runner.run(
            measure_in_process(
                settings, bench.routes, token, options.iterations, max(options.seconds, 5.0) * 2
            )
        )
    finally:
        if bench is not None:
            bench.stop()
        with contextlib.suppress(Exception):
            runner.run(forget_run(settings))
    logs = {}
    if any(row.failed for row in rows) or in_process.errors:
        for server in (bench.upstream, bench.proxy, bench.gateway):
            logs[server.name] = server.log_file.read_text(errors="replace")[-3000:]
    header = [
        f"BizOSaaS Brain Gateway benchmark: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"uvicorn {'uvloop' if HAS_UVLOOP else 'asyncio'} + "
        f"{'httptools' if HAS_HTTPTOOLS else 'h11'}, 1 worker each; "
        f"load: 1 process, aiohttp {aiohttp.__version__}, keep-alive",
        f"servers: {servers.description}; gateway log level {settings.log_level}; "
        f"{options.seconds:g}s per phase after {options.warmup_seconds:g}s warm-up; "
        f"GET {PATH}",
    ]
    return Report(header, rows, in_process, profiles, logs)


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--seconds", type=float, help="length of each load phase (default 10)")
    parser.add_argument(
        "--max-requests", type=int, default=2_000_000, help="cap on requests per phase"
    )
    parser.add_argument(
        "--log-level", default="WARNING", help="the gateway's log level (INFO: access log)"
    )
    parser.add_argument("--profile", type=Path, help="py-spy the gateway and proxy; raw files here")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    if seconds <= 0 or args.max_requests < 1:
        parser.error("--seconds and --max-requests must be positive")
    return Options(
        seconds=seconds,
        warmup_seconds=0.5 if args.quick else 2.0,
        max_requests=args.max_requests,
        iterations=2_000 if args.quick else 20_000,
        log_level=args.log_level.upper(),
        profile_dir=args.profile.resolve() if args.profile else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    with bench_run("gwbench") as (root, runner), running_servers(root) as servers:
        report = run_benchmark(options, servers, root, runner)
    print(render(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
