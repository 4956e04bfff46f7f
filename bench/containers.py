"""Containers benchmark: the image's size, its build time cold and warm, the time from
starting every service's container to all of them healthy, and each container's resident
memory at rest.

Built with podman from the repository's Dockerfile on the debootstrap base the container
test makes (see tests/deploy/containers.py); the containers run against PostgreSQL,
Valkey, OpenBao and Temporal from ``bizosaas.stack`` (or the ``BIZOSAAS_TEST_*``
variables), one container per service, as the test runs them::

    .venv/bin/python bench/containers.py           # about 5 minutes (a cold build)
    .venv/bin/python bench/containers.py --warm    # skip the cold build
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.deploy.containers import IMAGE, PODMAN, Fleet, build_image, podman
from tests.deploy.test_containers import all_healthy, environment

from bench._harness import bench_run, finished, progress
from bizosaas.services import SERVICES
from bizosaas.stack import free_tcp_port
from bizosaas.stack.isolated import (
    Servers,
    isolated_databases,
    isolated_servers,
    isolated_settings,
    new_run,
)


def image_size() -> float:
    found = podman("image", "inspect", "--format", "{{.Size}}", IMAGE)
    return int(found.stdout.strip()) / 1e6


def builds(cold: bool) -> list[str]:
    lines = []
    if cold:
        progress("cold build (no layer cache; the debootstrap base kept)")
        podman("rmi", "--force", IMAGE)
        podman("builder", "prune", "--all", "--force")
        lines.append(f"build, cold: {build_image():.0f} s (installs from PyPI and npm)")
    progress("warm build")
    lines.append(f"build, warm (nothing changed): {build_image():.1f} s")
    lines.append(f"image: {image_size():.0f} MB")
    return lines


async def fleet_figures(servers: Servers) -> list[str]:
    run = new_run()
    async with isolated_databases(servers, "containers", run) as urls:
        settings = isolated_settings(servers, "containers", run, **urls)
        ports = {name: free_tcp_port() for name in SERVICES}
        fleet = Fleet(uuid.uuid4().hex[:8])
        env = environment(settings, ports)
        started = time.monotonic()
        try:
            names = [fleet.start(service, port, env) for service, port in ports.items()]
            await all_healthy(fleet, names)
            healthy = time.monotonic() - started
            progress("letting them settle for 20 s")
            await asyncio.sleep(20)
            stats = json.loads(podman("stats", "--no-stream", "--format", "json", *names).stdout)
        finally:
            await asyncio.to_thread(fleet.stop)
    lines = [f"{len(names)} containers started to all healthy: {healthy:.1f} s"]
    lines.append("resident memory at rest:")
    for entry in sorted(stats, key=lambda e: str(e.get("name", ""))):
        name = str(entry.get("name", "")).split("-", 2)[-1]
        lines.append(f"  {name:<22} {entry.get('mem_usage', '?')}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm", action="store_true", help="skip the cold build")
    options = parser.parse_args()
    if PODMAN is None:
        raise SystemExit("podman is not installed: apt-get install podman runc debootstrap")
    lines = builds(cold=not options.warm)
    with (
        bench_run("containers") as (root, runner),
        isolated_servers(root, announce=progress) as servers,
    ):
        lines += runner.run(fleet_figures(servers))
    print(
        f"BizOSaaS containers, podman, {platform.python_implementation()}"
        f" {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    for line in lines:
        print(line)
    finished()


if __name__ == "__main__":
    main()
